"""The sans-I/O parser: text chunks in, events out.

:class:`Parser` is the public face: it decodes bytes, carries the few undecided characters
from one chunk to the next, takes a fast path for chunks that lie wholly inside a string,
turns failures into :class:`~instant.ParseError` with offset, line, column and excerpt,
abandons candidate documents in prose that fail before producing an event, and finishes a
truncated document at :meth:`Parser.close`. The grammar itself lives in
:mod:`.machine` (general form) and :mod:`.fastloop` (hot path); all state is a
:class:`~.state.State`'s.

Each ``feed`` works on ``held + chunk``, where ``held`` is at most a few characters that
could not be decided yet (part of an escape, a literal, a comment opener, a tag or a fence),
so every character is examined a bounded number of times and a stream costs time linear in
its length whatever its chunking. Consumed text is not kept, except the last 30 characters
for error excerpts; strings, numbers and keys that span chunks accumulate their own text.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from ..errors import ErrorKind, ParseError, TruncatedError
from ..events import Event, key_segment
from ..options import check
from ..selector import Selector, compile_selector
from . import scanner as sc
from . import state
from .bulk import BUDGET, MIN_LENGTH
from .fastloop import FastLoop
from .machine import merge_deltas
from .state import (
    _NO_EVENTS,
    BAREKEY,
    CLOSED,
    COLON,
    COMMENT,
    DOC,
    ENGINE,
    KEY,
    KEYSTR,
    LONG,
    MID,
    NOTE,
    NUMBER,
    PROSE,
    SCALAR,
    STRING,
    TAIL,
    TENT,
    VALUE,
    WORD,
    Fail,
    Hold,
    speedups,
)

__all__ = ["ENGINE", "NO_JSON", "Parser", "SelectingParser"]

NO_JSON = "no JSON value found in the input"


class Parser(FastLoop):
    """Incremental, lenient JSON parser for model output (sans-I/O).

    ``feed(chunk)`` returns the events that the chunk completed, ``close()`` finishes the
    stream (completing a truncated document). ``strict=True`` accepts exactly RFC 8259.
    The README documents the events, the leniencies and the limits; the options are
    :class:`instant.ParserOptions`, checked here (bad ones raise ``TypeError`` or
    ``ValueError`` naming the option). With ``select``, ``feed`` and ``close`` return only
    the selected events (the instance is then a :class:`SelectingParser`).
    """

    selector: Selector | None = None

    def __new__(cls, *, select: str | Selector | None = None, **options: Any) -> Parser:
        check("Parser()", options if select is None else {**options, "select": select})
        if select is not None and cls is Parser:
            cls = SelectingParser
        return super().__new__(cls)  # (the C engine's storage is allocated there)

    def __init__(
        self,
        *,
        strict: bool = False,
        multiple: bool = False,
        expect: Literal["object", "array"] | None = None,
        emit_start: bool = False,
        snapshots: bool = True,
        max_depth: int = 1000,
        max_number_length: int = 4300,
        max_size: int | None = None,
        parse_float: Callable[[str], Any] | None = None,
        parse_int: Callable[[str], Any] | None = None,
        select: str | Selector | None = None,
    ) -> None:
        # the options were checked by __new__ (unknown names land there too)
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
        if select is not None:
            self.selector = compile_selector(select)

    @property
    def value(self) -> Any:
        """The document so far (with ``multiple=True``, the latest one); ``None`` before."""
        if self._has_root and (self._committed or self.strict):
            return self._root
        return self._values[-1] if self._values else None

    @property
    def values(self) -> list[Any]:
        """The value of every document finished so far (for ``multiple=True``)."""
        return list(self._values)

    # -- input --------------------------------------------------------------------------

    def feed(self, chunk: str | bytes) -> list[Event]:
        """Parse the next chunk (``str``, or UTF-8 ``bytes`` split anywhere)."""
        if self._in_string and chunk.__class__ is str:
            # Fast path, the common case: the chunk lies wholly inside the open string.
            q = self._quote
            if (
                chunk
                and q not in chunk
                and "\\" not in chunk
                and "\n" not in chunk
                and (not self.strict or self._runre(chunk, 0).end() == len(chunk))  # type: ignore
            ):
                self._base += len(chunk)
                self._text = value = self._text + chunk
                if len(value) >= LONG:
                    self._in_string = False  # from now on deltas are batched (_string_delta)
                if self._shared:
                    self._release()
                if self._template is None:
                    self._fast_setup()
                self._slot[self._slot_key] = value
                root = self._root if self._stack else value
                self._root = root
                ev = self._template.copy()  # type: ignore[union-attr]
                ev["indexes"] = self._sidx.copy()  # each event its own list
                ev["delta"] = chunk
                ev["value"] = value
                ev["complete_value"] = root
                self._shared = self.snapshots
                if self._committed:
                    return [ev]
                self._committed = True
                events, self._held_events = self._held_events, []
                events.append(ev)
                return events
        if self._error is not None:
            raise self._error
        if self._state == CLOSED:
            self._raise("input after close()", len(self._held), self._held, [])
        if isinstance(chunk, str):
            if self._decoder is not None and self._decoder.getstate()[0]:
                self._raise("text inside an incomplete UTF-8 sequence", 0, "", [], "encoding")
            text = chunk
        elif isinstance(chunk, (bytes, bytearray, memoryview)):
            text = self._decode(bytes(chunk), False)
            if self._decoder.getstate()[0]:  # type: ignore[union-attr]
                self._in_string = False  # a str chunk now must meet the check above
        else:
            raise TypeError(f"feed() takes str or bytes, not {type(chunk).__name__}")
        if not text:
            return []
        if self.max_size is not None:
            room = self.max_size - self._base - len(self._held)
            if len(text) > room:
                events = self._feed_text(self._held + text[:room]) if room > 0 else []
                self._raise(
                    f"input longer than max_size={self.max_size} characters",
                    len(self._held),
                    self._held,
                    events,
                    "limit",
                )
        return self._feed_text(self._held + text if self._held else text)

    def close(self) -> list[Event]:
        """End of input: finish a truncated document and return the last events.

        Raises :class:`~instant.ParseError` (kind ``no_json``) if the input held no JSON
        document; ``truncated`` then says whether a document had to be completed.
        """
        if self._error is not None:
            raise self._error
        if self._state == CLOSED:
            return []
        if self._decoder is not None and self._decoder.getstate()[0]:
            if self.strict:
                self._decode(b"", True)
            self.truncated = True
        events = self._finish()
        if not self._values:
            why = f" (what looked like JSON is not: {self._why})" if self._why else ""
            self._raise(NO_JSON + why, len(self._held), self._held, events, "no_json")
        return events

    def _decode(self, data: bytes, final: bool) -> str:
        if self._decoder is None:
            self._decoder = codecs.getincrementaldecoder("utf-8")()
        waiting = self._decoder.getstate()[0]
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError as e:
            at = self._bytes_in - len(waiting) + e.start
            good = (waiting + data)[: e.start].decode("utf-8")
            events = self._feed_text(self._held + good) if good else []
            if e.reason.startswith("unexpected end"):
                msg = f"incomplete UTF-8 sequence at byte offset {at}"
            else:
                msg = f"invalid UTF-8 byte 0x{(waiting + data)[e.start]:02x} at byte offset {at}"
            self._raise(msg, len(self._held), self._held, events, "encoding")
        self._bytes_in += len(data)
        return text

    # -- errors and stream position -----------------------------------------------------

    def _sync_recent(self) -> None:
        """Bring the excerpt tail up to date after feed()'s fast path.

        The fast path skips this bookkeeping; what it consumed has no escapes, so it is
        exactly the end of the open string's text.
        """
        gap = self._base - self._recent_end
        if gap > 0:
            self._recent = (self._recent + self._text[-gap:])[-30:]
        self._recent_end = self._base

    def _raise(
        self, message: str, pos: int, buf: str, events: list[Event], kind: ErrorKind = "syntax"
    ) -> NoReturn:
        """Record and raise a ParseError for ``buf[pos]`` (``buf`` starts at ``_base``)."""
        self._sync_recent()
        offset = self._base + pos
        if pos < 0:  # in text already consumed (a number's start): no newline lies between
            recent = self._recent
            err = ParseError(
                message,
                offset=offset,
                line=self._lines + 1,
                column=offset - self._last_nl,
                excerpt=(before := recent[:pos][-30:]) + (recent[pos:] + buf)[:30],
                pointer=len(before),
                kind=kind,
            )
            err.events = events
            self._error = err
            self._in_string = False
            raise err
        nl = buf.rfind("\n", 0, pos)
        err = ParseError(
            message,
            offset=offset,
            line=self._lines + buf.count("\n", 0, pos) + 1,
            column=pos - nl if nl >= 0 else offset - self._last_nl,
            excerpt=(before := (self._recent + buf[:pos])[-30:]) + buf[pos : pos + 30],
            pointer=len(before),
            kind=kind,
        )
        err.events = events
        self._events_now = _NO_EVENTS
        self._error = err
        self._in_string = False
        raise err

    # -- the main loop ------------------------------------------------------------------

    def _fast_setup(self) -> None:
        """Where feed()'s fast path writes the open string, and its event's fixed fields."""
        if self._stack:
            f = self._stack[-1]
            self._slot = f.c
            self._slot_key = f.name if f.obj else -1
        else:
            self._slot, self._slot_key = {}, 0  # a root string lives in _root only
        self._template = {
            "key": self._skey,
            "indexes": self._sidx,
            "path": self._spath,
            "event": "delta",
            "delta": "",
            "value": "",
            "is_complete": False,
            "complete_value": None,
        }
        if self.multiple:
            self._template["document"] = self._doc

    def _feed_text(self, buf: str) -> list[Event]:
        self._bulk_budget = BUDGET
        if self._recent_end != self._base:
            self._sync_recent()
        events = self._held_events
        if events:
            self._held_events = []
        else:
            events = []
        self._events_now = events  # _release points them at its copy
        self._cand_idx = 0
        pos = 0
        while True:
            try:
                pos = self._loop(buf, pos, events)
                break
            except Hold as h:
                pos = h.pos
                break
            except Fail as f:
                pos = self._resume(f, buf, events)
        self._held = held = buf[pos:]
        if pos:  # forget buf[:pos], keeping its newline count and a short tail for excerpts
            if "\n" in buf:
                lines = buf.count("\n", 0, pos)
                if lines:
                    self._lines += lines
                    self._last_nl = self._base + buf.rfind("\n", 0, pos)
            if pos >= 30:
                self._recent = buf[pos - 30 : pos]
            else:
                recent = self._recent + buf[:pos]
                self._recent = recent if len(recent) <= 60 else recent[-30:]
            self._base += pos
            self._recent_end = self._base
        self._in_string = (
            self._state == STRING
            and self._sattached
            and not held
            and self.max_size is None
            and len(self._text) < LONG
            and (self._committed or self._kind == DOC)
        )
        self._template = None
        if self._has_root and not self._committed and self._hold(events):
            return []
        # the events handed out hold the document: a later change copies what they still hold
        if self.snapshots and (events or self._held_events):
            self._shared = True
        self._events_now = _NO_EVENTS
        return events

    def _resume(self, f: Fail, buf: str, events: list[Event]) -> int:
        """After ``f``: where the search for a document resumes (the candidate is dropped),
        or the :class:`~instant.ParseError` if the failure stands."""
        resume = -1 if self.strict or f.fatal else self._abandon(events, buf, f)
        if resume < 0:
            if self._has_root and not self._committed and not self.strict:
                del events[self._cand_idx :]  # a candidate's events never leak
            self._raise(f.message, f.pos, buf, events, f.kind)
        return resume  # the search for a document goes on after the candidate

    def _hold(self, events: list[Event]) -> bool:
        """After a call, for a candidate not committed yet: commit it (SPEC 2) or hold its
        events back until it does; whether none of ``events`` go out."""
        if self._commits(events):
            self._committed = True
            self._fallback = None
            return False
        if self._cand_idx == 0:  # hold the candidate's events until it commits
            self._held_events = events
            return True
        self._held_events = events[self._cand_idx :]
        del events[self._cand_idx :]
        return False

    def _commits(self, events: list[Event]) -> bool:
        """Has the uncommitted candidate become the document? (SPEC 2)

        A ``DOC`` candidate has once it produced an event other than ``start`` or
        completed a key; a tentative one or a root scalar only in ``TAIL``.
        """
        if self._kind != DOC:
            return False
        if self._key_done():
            return True
        return any(e["event"] != "start" for e in events[self._cand_idx :])

    def _key_done(self) -> bool:
        """Has the candidate completed an object key (a quoted one at its closing quote,
        an unquoted one at its ':')?

        Until it commits, a candidate's stack only grows (a container that closes emits
        its done event), so the frames below the top are checked once each
        (``_lists`` counts those known to be arrays): an object frame below the top holds
        the container it opened after a complete key.
        """
        stack = self._stack
        top = len(stack) - 1
        k = self._lists
        while k < top:
            if stack[k].obj:
                return True
            k += 1
        self._lists = k
        if top < 0 or not stack[top].obj:
            return False
        if stack[top].c:
            return True
        # a value began after the key (a string or container joins the object only with its
        # first event, so the object may still look empty)
        state = self._after_comment if self._state == COMMENT else self._state
        return state in (VALUE, NUMBER, WORD, STRING) or state == COLON and not self._bare

    def _abandon(self, events: list[Event], buf: str, f: Fail) -> int:
        """Drop a candidate that failed before it committed; return where the search for
        a document resumes (``-1``: the candidate had committed, the failure stands).

        The search resumes at the failing character, or after it if that is a bracket:
        the brackets of a failed candidate are never candidates themselves.
        """
        if self._committed or not self._has_root:
            return -1
        if self._commits(events):
            self._committed = True  # what it parsed is the value the error leaves
            self._fallback = None
            return -1
        pos = f.pos
        if self._kind == DOC and not self._why:  # said if no document is found at all
            nl = buf.rfind("\n", 0, pos)
            line = self._lines + buf.count("\n", 0, pos) + 1
            column = pos - nl if nl >= 0 else self._base + pos - self._last_nl
            self._why = f"{f.message} at line {line}, column {column}"
        del events[self._cand_idx :]
        self._new_document()
        self._state = PROSE
        self._ctx = MID
        return pos + 1 if buf[pos] in "{[" else pos

    def _finish(self) -> list[Event]:
        """Complete whatever is open, as far as the text allows (SPEC 2, truncation)."""
        events, self._held_events = self._held_events, []
        self._events_now = events
        self._cand_idx = 0
        held = self._held  # stays in _held: errors at the end point past it (see _raise)
        self._in_string = False
        state = self._state
        if state == COMMENT:
            state = self._state = self._after_comment
            if state == TAIL and self._block_comment:
                self._drop(events, False)  # an unterminated comment after a root scalar
                state = PROSE
        kind = self._kind
        if (
            self._has_root
            and state != TAIL
            and (kind == TENT or kind == SCALAR and state == STRING)
        ):
            self._drop(events, False)  # a mid-sentence candidate the reply cut off, or "'Tis"
            state = PROSE
        end = len(held)
        try:
            # a number or literal ended by the end of input is complete (at the root);
            # inside a container the reply was cut there (trailing digits are kept, but
            # "1." is half of "1.5" there, not JSON5's "1.")
            if state == NUMBER and self._nst in self._num_ok and self._nst != 4:
                if self._stack:
                    self.truncated = True
                self._scalar(self._number_value(), events)
            elif state == WORD and self._word in self._literals:
                self._scalar(self._literals[self._word], events)
            elif self.strict and self._has_root:
                raise Fail(end, self._expected("", 0))
            elif state == STRING:
                self._string_delta(sc.finish_escape(held), events, True)
                self._string_done(events)
                self.truncated = True
            elif state == NUMBER or state == WORD:
                self.truncated = True  # half a number or literal is dropped
            elif state in (VALUE, KEY, COLON, KEYSTR, BAREKEY) and self._stack:
                self.truncated = True
            if self.strict and self._has_root:
                raise Fail(end, self._expected("", 0))
            while self._stack:
                self.truncated = True
                if not self._stack[-1].attached:
                    self._attach()
                f = self._stack.pop()
                self._emit(events, f.key, f.idx, f.path, "done", f.c, f.c)
                self._after_value()
            if self._state == TAIL:
                if held or self._kind == NOTE:  # "42 /": not blanks after all; "[1]"
                    self._drop(events, self._kind == TENT)
                else:
                    self._commit_tail(events)
        except Fail as f:
            if self._has_root and not self._committed and not self.strict:
                del events[self._cand_idx :]
            self._raise(f.message, f.pos, held, events, f.kind)
        if not self._values and self._fallback is not None:
            # nothing committed: the last complete mid-sentence candidate is the document
            value, taken = self._fallback
            self._fallback = None
            mark = len(events)
            events.extend(taken)
            merge_deltas(events, mark)
            self._values.append(value)
        self._events_now = _NO_EVENTS
        self._state = CLOSED
        return events

    if speedups is not None and not TYPE_CHECKING:
        # The C engine: feed() is the extension's, which takes the common path in C and hands
        # everything else to this Python feed() (see _speedups.c); the events are the same.
        _feed_python = feed
        feed = speedups.Core.feed

    def _truncated_error(self) -> TruncatedError:
        """A :class:`~instant.TruncatedError` for the reply that ``close()`` completed,
        pointing at its end (where it was cut), with the completed value attached."""
        self._sync_recent()
        end = self._base + len(self._held)
        held = self._held
        nl = held.rfind("\n")
        return TruncatedError(
            "the reply was cut off before its JSON document ended (the model hit its "
            "token limit?); pass allow_truncated=True to accept the completed value",
            value=self.values if self.multiple else self.value,
            offset=end,
            line=self._lines + held.count("\n") + 1,
            column=len(held) - nl if nl >= 0 else end - self._last_nl,
            excerpt=(self._recent + held)[-30:],
            pointer=len((self._recent + held)[-30:]),
        )


class SelectingParser(Parser):
    """A :class:`Parser` built with ``select=``: parsing is the same, only the events the
    selector selects come out of ``feed`` and ``close`` (and ``ParseError.events``)."""

    selector: Selector
    _selected_error: ParseError | None = None  # the error whose events were selected

    def feed(self, chunk: str | bytes) -> list[Event]:
        """:meth:`Parser.feed`, returning only the selected events (the others are dropped
        at once, so they hold no snapshot: a later change copies nothing for them)."""
        try:
            events = Parser.feed(self, chunk)
        except ParseError as err:
            self._select_once(err)
            raise
        if not events:
            return events
        return self.selector.filter(events)

    def close(self) -> list[Event]:
        """:meth:`Parser.close`, returning only the selected events."""
        try:
            return self.selector.filter(Parser.close(self))
        except ParseError as err:
            self._select_once(err)
            raise

    def _select_once(self, err: ParseError) -> None:
        """Keep only the selected events of ``err``: once, when it is first raised (a failed
        parser raises the very same error again on every later call)."""
        if err is not self._selected_error:
            err.events = self.selector.filter(err.events)
            self._selected_error = err


if speedups is not None:  # what the C code needs from the Python engine, handed over once
    speedups.configure(
        Hold=Hold,
        Fail=Fail,
        NO_EVENTS=_NO_EVENTS,
        key_segment=key_segment,
        RUN_STRICT=sc.RUN_STRICT,
        RUN_DOUBLE=sc.RUN_DOUBLE,
        BUDGET=BUDGET,
        MIN_LENGTH=MIN_LENGTH,
        LONG=LONG,
        RELIABLE_REFCOUNTS=int(state.RELIABLE_REFCOUNTS),
        **{
            name: getattr(state, name)
            for name in (
                "START VALUE KEY COLON AFTER STRING KEYSTR NUMBER WORD BAREKEY COMMENT END "
                "CLOSED TAIL PROSE THINK DOC TENT SCALAR NOTE"
            ).split()
        },
    )
