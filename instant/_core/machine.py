"""The state machine in general form: one method per kind of token, each small and obvious.

:class:`Machine` knows every step of the grammar in its general form. :mod:`.fastloop`
inlines the common steps for speed and falls back to :meth:`Machine._step` for the rest;
:mod:`.parser` puts the public API, buffering and error reporting on top. All state is a
:class:`~.state.State`'s.

Snapshots (``complete_value``): every event of one ``feed()`` holds the same document, the
live one, which is exactly the document as of that call's last event (a value joins it with
its first event: :meth:`~.state.State._attach`). Before the first change in a later call, the
open containers that someone still holds are copied (:meth:`~.state.State._release`; every
site that changes the document checks ``_shared`` first). Closed containers never change
again, so they are shared freely between snapshots.

Cost: each step looks at its characters once (the scanner's runs and regular expressions);
a value's events cost its depth (key, indexes and path are built from its parent's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from ..events import Event
from . import bulk
from . import scanner as sc
from .state import (
    AFTER,
    AFTER_COLON,
    BAREKEY,
    BATCH,
    COLON,
    COMMENT,
    DOC,
    END,
    KEY,
    KEYSTR,
    LINE,
    LONG,
    MID,
    NOTE,
    NUMBER,
    PROSE,
    SCALAR,
    START,
    STRING,
    TAIL,
    TENT,
    THINK,
    VALUE,
    WORD,
    Fail,
    Frame,
    Hold,
    State,
)

_NUMBER_EXPECTED = {
    0: "a digit",
    1: "a digit after '-'",
    2: "a delimiter after the number (no leading zeros)",
    3: "a delimiter after the number",
    4: "a digit after the decimal point",
    5: "a delimiter after the number",
    6: "a digit or a sign in the exponent",
    7: "a digit in the exponent",
    8: "a delimiter after the number",
    9: "a digit after the decimal point",
    10: "a hexadecimal digit after '0x'",
    11: "a delimiter after the number",
}
_LINE_ENDS = "\n\r"


def merge_deltas(events: list[Event], start: int) -> None:
    """Join the consecutive deltas of one string in ``events[start:]`` (held events that go
    out in one call: at most one delta per string per call, SPEC 3)."""
    out = start
    last: Event | None = None
    for i in range(start, len(events)):
        e = events[i]
        if (
            last is not None
            and e["event"] == "delta"
            and last["event"] == "delta"
            and e["path"] == last["path"]
        ):
            merged = e.copy()
            merged["delta"] = last["delta"] + e["delta"]
            events[out - 1] = last = merged
            continue
        events[out] = last = e
        out += 1
    del events[out:]


class Machine(State):
    """Each step of the state machine in general form."""

    def __init__(
        self,
        *,
        strict: bool,
        multiple: bool,
        expect: Literal["object", "array"] | None,
        emit_start: bool,
        snapshots: bool,
        max_depth: int,
        max_number_length: int,
        max_size: int | None,
        parse_float: Callable[[str], Any] | None,
        parse_int: Callable[[str], Any] | None,
    ) -> None:
        super().__init__(
            strict=strict,
            multiple=multiple,
            expect=expect,
            emit_start=emit_start,
            snapshots=snapshots,
            max_depth=max_depth,
            max_number_length=max_number_length,
            max_size=max_size,
            parse_float=parse_float,
            parse_int=parse_int,
        )
        self._scan_once = bulk.make_scanner(strict, parse_float, parse_int, max_number_length)
        self._bulk_budget = bulk.BUDGET

    def _step(self, buf: str, pos: int, c: str, state: int, events: list[Event]) -> int:
        """One step of the general state machine; return the new position."""
        n = len(buf)
        strict = self.strict
        if state == STRING:
            return self._string(buf, pos, events)
        if c in sc.EXTRA_WS and not strict and (state <= AFTER or state == END):
            return pos + 1  # JSON5's other whitespace
        if c == "/" and not strict and state <= AFTER:
            if pos + 1 >= n:
                raise Hold(pos)
            if buf[pos + 1] in "/*":
                self._after_comment = state
                self._block_comment = buf[pos + 1] == "*"
                self._state = COMMENT
                return pos + 2
        if state == AFTER:
            top = self._stack[-1]
            if c == ",":
                self._state = KEY if top.obj else VALUE
                self._closer_ok = not strict
                return pos + 1
            if c == ("}" if top.obj else "]"):
                return self._close_container(pos, events)
            raise Fail(pos, self._expected(buf, pos))
        if state == VALUE:
            return self._value(buf, pos, c, events)
        if state == KEY:
            if c == '"' or c == "'" and not strict:
                self._begin_string(c)
                self._keytext = ""
                self._state = KEYSTR
                return pos + 1
            if c == "}" and self._closer_ok:
                return self._close_container(pos, events)
            if not strict and (c.isalnum() or c in "_$-"):
                self._keytext = ""
                self._state = BAREKEY
                return pos
            raise Fail(pos, self._expected(buf, pos))
        if state == COLON:
            if c != ":":
                raise Fail(pos, self._expected(buf, pos))
            self._state = VALUE
            self._closer_ok = False
            return pos + 1
        if state == KEYSTR:
            return self._key_string(buf, pos)
        if state == NUMBER:
            return self._number(buf, pos, events)
        if state == WORD:
            return self._literal(buf, pos, events)
        if state == BAREKEY:
            end = sc.BARE_KEY(buf, pos).end()  # type: ignore[union-attr]
            self._keytext += buf[pos:end]
            if end == n:
                return n
            if buf[end] == "\\":  # JSON5: a \uXXXX escape in an identifier
                esc = buf[end : end + 6]
                if sc.KEY_ESCAPE(esc):
                    self._keytext += chr(int(esc[2:], 16))
                    return end + 6
                if len(esc) < 6 and sc.KEY_ESCAPE_PREFIX(esc):
                    raise Hold(end)
            self._stack[-1].name = self._keytext
            self._state = COLON
            self._bare = True  # an unquoted key counts once its ':' has come
            return end
        if state == COMMENT:
            return self._comment(buf, pos)
        if state == END:
            if not strict and not self.multiple:
                if self._on_ignored is not None:
                    self._on_ignored(buf[pos:])
                return n  # a single document: whatever follows it is ignored
            if not self.multiple:
                found = sc.describe(buf, pos)
                raise Fail(pos, f"expected end of input after the JSON value, found {found}")
            self._state = START
            return pos
        if state == START:
            return self._start(buf, pos, c, events)
        if state == PROSE:
            return self._search(buf, pos, events)
        if state == TAIL:
            return self._trailer(buf, pos, events)
        # THINK
        m = sc.THINK_CLOSE.search(buf, pos)
        if m is None:
            raise Hold(sc.think_close_holdback(buf, pos))
        self._state = START
        return m.end()

    def _expected(self, buf: str, pos: int) -> str:
        found = sc.describe(buf, pos)
        state = self._state
        if state == AFTER:
            if self._stack[-1].obj:
                return f"expected ',' or '}}' after an object member, found {found}"
            return f"expected ',' or ']' after an array item, found {found}"
        if state == KEY:
            closer = " or '}'" if self._closer_ok else ""
            return f"expected an object key in double quotes{closer}, found {found}"
        if state == COLON:
            return f"expected ':' after the object key, found {found}"
        if state == STRING or state == KEYSTR:
            return f"expected the closing quote of a string, found {found}"
        if state == NUMBER:
            return f"invalid number: expected {_NUMBER_EXPECTED[self._nst]}, found {found}"
        if state == WORD or state == BAREKEY:
            return f"expected the rest of {self._word or self._keytext!r}, found {found}"
        if self._closer_ok and self._stack and not self._stack[-1].obj:
            return f"expected a value or ']', found {found}"
        return f"expected a value, found {found}"

    # -- finding the document -----------------------------------------------------------

    def _start(self, buf: str, pos: int, c: str, events: list[Event]) -> int:
        """Before a document: a value may begin here; otherwise this is prose.

        Here is the start of the reply, a fence opener, the end of a think block or (with
        ``multiple=True``) the end of the previous document. A container or a string that
        begins here is a ``DOC`` candidate; a number or literal a ``SCALAR`` one.
        """
        if c == "\ufeff" and self._base + pos == 0:
            return pos + 1  # a byte order mark at the very start
        fenced, self._fence = self._fence, False
        if self.strict:
            if self.expect is not None and c not in self._starts:
                raise Fail(
                    pos, f"expected {self.expect} ('{self._starts}'), found {sc.describe(buf, pos)}"
                )
            kind = DOC
        elif c in self._doc_starts:
            kind = DOC
        elif c in self._scalar_starts:
            kind = SCALAR
        else:
            self._state = PROSE
            self._ctx = MID
            return pos
        self._begin(kind, events, fenced)
        return pos

    def _begin(self, kind: int, events: list[Event], fenced: bool = False) -> None:
        """A candidate document begins at the current position (``fenced``: right after a
        fence opener, so that a fence after it closes it)."""
        self._has_root = True
        self._kind = kind
        self._cand_idx = len(events)
        self._state = VALUE
        self._closer_ok = False
        self._fenced = fenced

    def _search(self, buf: str, pos: int, events: list[Event]) -> int:
        """Skip prose up to the next place where a document may begin."""
        n = len(buf)
        while True:
            m = self._prose(buf, pos)
            if m is None:
                self._read_prose(buf, pos, n)
                return n
            i = m.start()
            self._read_prose(buf, pos, i)
            pos = i
            c = buf[pos]
            if c == "<":
                head = buf[pos : pos + 10]
                for tag in sc.THINK_OPEN:
                    if head.startswith(tag):
                        self._state = THINK
                        return pos + len(tag)
                if pos + len(head) == n and any(t.startswith(head) for t in sc.THINK_OPEN):
                    raise Hold(pos)
                self._ctx = MID
                pos += 1
            elif c == "`":
                fence = sc.FENCE(buf, pos)
                if fence is None:
                    if "```".startswith(buf[pos:]):
                        raise Hold(pos)
                    self._ctx = MID
                    pos = sc.skip_backticks(buf, pos)
                    continue
                if fence.end() == n:
                    raise Hold(pos)  # the language tag may go on
                self._state = START
                self._fence = True
                return fence.end()
            else:
                # a candidate: it streams at once if it opens a line or follows a colon,
                # else (the middle of a sentence) it is tentative
                self._begin(TENT if self._ctx == MID else DOC, events)
                return pos

    def _read_prose(self, buf: str, pos: int, end: int) -> None:
        """Note what the prose ``buf[pos:end]`` ends with: a line end, a colon, or words."""
        i = end - 1
        while i >= pos:
            c = buf[i]
            if c != " " and c != "\t":
                self._ctx = LINE if c in _LINE_ENDS else AFTER_COLON if c == ":" else MID
                return
            i -= 1

    def _trailer(self, buf: str, pos: int, events: list[Event]) -> int:
        """After a complete root scalar or mid-sentence candidate: is it the document?

        A mid-sentence candidate is if the line ends (spaces and tabs may come first); a
        root scalar is if only blanks, complete comments, a closing fence or (with
        ``multiple=True``) the next document follow it. Anything else makes it prose.
        """
        n = len(buf)
        if self._kind == NOTE:
            self._drop(events, False)
            return pos
        if self._kind == TENT:
            while pos < n and (buf[pos] == " " or buf[pos] == "\t"):
                pos += 1
            if pos == n:
                return n
            if buf[pos] in _LINE_ENDS:
                self._commit_tail(events)
                return pos
            self._drop(events, True)
            return pos
        pos = sc.skip_blanks(buf, pos).end()  # type: ignore[union-attr]
        if pos == n:
            return n
        c = buf[pos]
        if c == "/":
            if pos + 1 >= n:
                raise Hold(pos)
            if buf[pos + 1] in "/*":
                self._after_comment = TAIL
                self._block_comment = buf[pos + 1] == "*"
                self._state = COMMENT
                return pos + 2
        elif c == "`":
            if buf.startswith("```", pos):
                if self._fenced or self.multiple:  # its closing fence, or the next document's
                    self._commit_tail(events)  # opening one: what follows is not this document's
                else:  # a fence opens after it: prose ("'a' ```json\n[1]\n```" is [1]), but
                    self._drop(events, True)  # the document if no other is found ("42 ```")
                return pos
            if "```".startswith(buf[pos:]):
                raise Hold(pos)
        elif self.multiple and (c in self._doc_starts or c in self._scalar_starts):
            self._commit_tail(events)  # the next document
            return pos
        self._drop(events, False)
        return pos

    def _is_notation(self) -> bool:
        """Is the complete mid-sentence candidate prose notation rather than data: an
        empty container, or (unless ``expect="array"``) an array of numbers only?"""
        v = self._root
        if not v:
            return True
        if self.expect == "array" or v.__class__ is not list:
            return False
        for x in v:
            if x is None or isinstance(x, (str, list, dict, bool)):
                return False
        return True

    def _commit_tail(self, events: list[Event]) -> None:
        """The candidate waiting in ``TAIL`` is the document: its events go out."""
        merge_deltas(events, self._cand_idx)
        self._values.append(self._root)
        self._doc += 1
        self._fallback = None
        self._new_document()
        self._state = END

    def _drop(self, events: list[Event], keep: bool) -> None:
        """The candidate is prose after all: forget its events (``keep``: as the fallback)."""
        if keep:
            self._fallback = (self._root, events[self._cand_idx :])
        del events[self._cand_idx :]
        self._new_document()
        self._state = PROSE
        self._ctx = MID

    # -- building the value -------------------------------------------------------------

    def _put(self, v: Any) -> None:
        """Insert a value that begins at the current position (with its first event)."""
        if not self._stack:
            self._root = v
            return
        if self._shared:
            self._release()
        f = self._stack[-1]
        if not f.attached:
            self._attach()
        if f.obj:
            f.c[f.name] = v
        else:
            f.c.append(v)

    def _set_string(self, text: str) -> None:
        """The string in progress has grown: put it in its container (the first time, insert
        it: a string joins the document with its first text, or its done if empty)."""
        if not self._sattached:
            self._sattached = True
            self._put(text)
            return
        if not self._stack:
            self._root = text
            return
        if self._shared:
            self._release()
        f = self._stack[-1]
        if f.obj:
            f.c[f.name] = text
        else:
            f.c[-1] = text

    def _emit(
        self,
        events: list[Event],
        key: str,
        idx: list[int],
        path: tuple[str | int, ...],
        kind: Literal["delta", "done", "start"],
        delta: Any,
        value: Any,
    ) -> None:
        ev: Event = {
            "key": key,
            "indexes": idx.copy(),
            "path": path,
            "event": kind,
            "delta": delta,
            "value": value,
            "is_complete": kind == "done",
            "complete_value": self._root,
        }
        if self.multiple:
            ev["document"] = self._doc
        events.append(ev)

    def _value(self, buf: str, pos: int, c: str, events: list[Event]) -> int:
        if c == '"' or c == "'" and not self.strict:
            self._skey, self._sidx, self._spath = self._where()
            self._sattached = False  # in the document from its first text on
            self._text = ""
            self._begin_string(c)
            self._state = STRING
            return pos + 1
        if c == "{" or c == "[":
            if len(buf) - pos >= bulk.MIN_LENGTH and self._bulk_budget > 0:
                end = bulk.take(self, buf, pos, events)
                if end >= 0:
                    self._after_value()
                    return end
            return self._open(pos, c == "{", events)
        if c in "-0123456789" or c in "+." and not self.strict:
            m = sc.NUMBER(buf, pos)
            if m is not None:
                end = m.end()
                if end < len(buf) and buf[end] not in sc.NUMBER_CHARS:
                    if end - pos > self.max_number_length:
                        self._check_length(buf[pos:end], pos)
                    self._scalar(self._convert(buf[pos:end], m.lastindex == 1, pos), events)
                    return end
            self._num = ""
            self._nst = 0
            self._num_start = self._base + pos
            self._state = NUMBER
            return pos
        if c.isalpha() or c == "_":
            self._word = ""
            self._state = WORD
            return pos
        if c == "]" and self._closer_ok and self._stack and not self._stack[-1].obj:
            return self._close_container(pos, events)
        raise Fail(pos, self._expected(buf, pos))

    def _begin_string(self, quote: str) -> None:
        self._quote = quote
        if self.strict:
            self._runre = sc.RUN_STRICT
        else:
            self._runre = sc.RUN_DOUBLE if quote == '"' else sc.RUN_SINGLE

    def _string(self, buf: str, pos: int, events: list[Event]) -> int:
        end, outcome, esc = sc.scan_string(buf, pos, self._runre, self._quote, self.strict)
        if outcome >= sc.BAD_CONTROL:
            # the text before the bad character is parsed: it is not lost (SPEC 5)
            good = end if outcome == sc.BAD_CONTROL else buf.rfind("\\", pos, end)
            if good > pos:
                piece = buf[pos:good]
                self._string_delta(
                    sc.decode(piece, self._quote == '"') if esc else piece, events, True
                )
            raise Fail(end, self._bad_string(buf, end, outcome))
        piece = sc.decode(buf[pos:end], self._quote == '"') if esc else buf[pos:end]
        if outcome == sc.MORE:
            self._string_delta(piece, events, False)
            if end < len(buf):
                raise Hold(end)
            return end
        self._string_delta(piece, events, True)
        self._string_done(events)
        return end + 1

    def _string_done(self, events: list[Event]) -> None:
        """The open string ends (its text is all out): its done event."""
        if not self._sattached:  # an empty string joins the document now
            self._set_string(self._text)
        self._emit(events, self._skey, self._sidx, self._spath, "done", "", self._text)
        self._after_value()

    def _string_delta(self, piece: str, events: list[Event], final: bool) -> None:
        """Add text to the open string and emit its delta.

        Each delta's ``value`` is a new string of the whole text so far, so a string of n
        characters costs O(n) per delta. Past ``LONG`` characters deltas are batched until
        the new text is 1/``BATCH`` of the text so far (always flushed when the string
        ends), which keeps the total cost of even a gigantic string linear.
        """
        if self._tail or (len(self._text) >= LONG and not final):
            self._tail.append(piece)
            self._tail_len += len(piece)
            if not final and self._tail_len * BATCH < len(self._text):
                return
            piece = "".join(self._tail)
            self._tail = []
            self._tail_len = 0
        if piece:
            self._text = text = self._text + piece
            self._set_string(text)
            self._emit(events, self._skey, self._sidx, self._spath, "delta", piece, text)

    def _key_string(self, buf: str, pos: int) -> int:
        end, outcome, esc = sc.scan_string(buf, pos, self._runre, self._quote, self.strict)
        if outcome >= sc.BAD_CONTROL:
            raise Fail(end, self._bad_string(buf, end, outcome))
        self._keytext += sc.decode(buf[pos:end], self._quote == '"') if esc else buf[pos:end]
        if outcome == sc.MORE:
            if end < len(buf):
                raise Hold(end)
            return end
        self._stack[-1].name = self._keytext
        self._state = COLON
        return end + 1

    def _bad_string(self, buf: str, pos: int, outcome: int) -> str:
        if outcome == sc.BAD_CONTROL:
            return f"unescaped control character U+{ord(buf[pos]):04X} in a string"
        return f"invalid escape in a string: found {sc.describe(buf, pos)}"

    def _number(self, buf: str, pos: int, events: list[Event]) -> int:
        start = pos
        pos, st, outcome = sc.scan_number(buf, pos, self._nst, not self.strict)
        self._nst = st
        self._num += buf[start:pos]
        if len(self._num) > self.max_number_length:
            self._check_length(self._num, pos - len(self._num))
        if outcome == sc.NUM_MORE:
            return pos
        if outcome == sc.NUM_BAD:
            if st == 1 and buf[pos] in "IN" and not self.strict:
                self._word = self._num  # -Infinity, +NaN, ...
                self._state = WORD
                return pos
            found = sc.describe(buf, pos)
            raise Fail(pos, f"invalid number: expected {_NUMBER_EXPECTED[st]}, found {found}")
        self._scalar(self._number_value(), events)
        return pos

    def _number_value(self) -> Any:
        """The value of the complete number in ``_num`` (failures point at its start)."""
        at = self._num_start - self._base
        if self._nst == 11:  # JSON5 hexadecimal: a hook sees it in decimal
            value = int(self._num, 16)
            if self._parse_int is int:
                return value
            try:
                text = str(value)
            except ValueError as e:  # more decimal digits than CPython converts
                raise Fail(
                    at, f"cannot convert the number {self._num[:20]!r}: {e}", "limit"
                ) from None
            return self._convert(text, True, at)
        return self._convert(self._num, self._nst in sc.NUMBER_IS_INT, at)

    def _check_length(self, text: str, start: int) -> None:
        """Refuse a number of more than ``max_number_length`` characters, sign not counted
        (for an integer: its digits, CPython's int-string limit)."""
        limit = self.max_number_length + (text[:1] == "-")
        if len(text) > limit:
            message = f"number longer than max_number_length={self.max_number_length}"
            raise Fail(start + limit, message, "limit")

    def _convert(self, text: str, is_int: bool, pos: int) -> Any:
        try:
            return self._parse_int(text) if is_int else self._parse_float(text)
        except Exception as e:  # int()'s digit limit, or an error in a user's hook
            # either way the text is a well-formed number: never a reason to look elsewhere
            raise Fail(pos, f"cannot convert the number {text[:20]!r}: {e}", "limit") from None

    def _literal(self, buf: str, pos: int, events: list[Event]) -> int:
        end = sc.WORD(buf, pos).end()  # type: ignore[union-attr]
        before = len(self._word)
        word = self._word + buf[pos:end]
        bad = sc.bad_word_index(word, self._prefixes, before + 1)
        if bad >= 0:
            raise Fail(pos + bad - before, self._bad_literal(buf, pos + bad - before))
        self._word = word
        if end == len(buf):
            return end
        if word in self._literals:
            self._scalar(self._literals[word], events)
            return end
        raise Fail(end, self._bad_literal(buf, end))

    def _bad_literal(self, buf: str, pos: int) -> str:
        names = ", ".join(w for w in self._literals if w[0] not in "+-")  # not the signed forms
        return f"expected a value ({names} or JSON), found {sc.describe(buf, pos)}"

    def _comment(self, buf: str, pos: int) -> int:
        if self._block_comment:
            i = buf.find("*/", pos)
            if i < 0:
                n = len(buf)
                if n - 1 >= pos and buf[n - 1] == "*":
                    raise Hold(n - 1)
                return n
            end = i + 2
        else:
            m = sc.LINE_END(buf, pos)  # JSON5's line terminators
            if m is None:
                return len(buf)
            end = m.end()
        self._state = self._after_comment
        return end

    def _scalar(self, v: Any, events: list[Event]) -> None:
        key, idx, path = self._where()
        self._put(v)
        self._emit(events, key, idx, path, "done", v, v)
        self._after_value()

    def _open(self, pos: int, obj: bool, events: list[Event]) -> int:
        if len(self._stack) >= self.max_depth:
            raise Fail(pos, f"nesting deeper than max_depth={self.max_depth}", "limit")
        key, idx, path = self._where()
        c: Any = {} if obj else []
        ckey = (key + "." if key else "") if obj else (key + ".[]" if key else "[]")
        root = not self._stack
        if root:
            self._root = c
        # it joins its parent with its first event (State._attach); the root at once
        self._stack.append(Frame(c, obj, key, path, idx, ckey, root))
        if self.emit_start:
            if not root:
                self._attach()
            self._emit(events, key, idx, path, "start", None, {} if obj else [])
        self._state = KEY if obj else VALUE
        self._closer_ok = True
        return pos + 1

    def _close_container(self, pos: int, events: list[Event]) -> int:
        if not self._stack[-1].attached:
            self._attach()
        f = self._stack.pop()
        self._emit(events, f.key, f.idx, f.path, "done", f.c, f.c)
        self._after_value()
        return pos + 1

    def _after_value(self) -> None:
        if self._stack:
            self._state = AFTER
            return
        if self._kind != DOC:  # a root scalar or mid-sentence candidate: what follows decides
            if self._kind == TENT and self._is_notation():
                self._kind = NOTE
            self._state = TAIL
            return
        # the root is complete: this document ends here
        self._fallback = None
        self._values.append(self._root)
        self._doc += 1
        self._new_document()
        self._state = END
