"""The hot loop: the common steps of the state machine, inlined.

Inside a container, the transitions that make up almost all of a document — separators,
keys, strings that close within the buffer, numbers, literals, opening and closing
containers — are handled here with the state in a local variable and no method calls;
anything else (and anything at the root) goes through :meth:`.Machine._step`, which does
the same work in general form. Chunk invariance holds because both paths implement one grammar:
the inline path only ever takes a token that is complete in the buffer.

Event dicts are written out as literals here (and in :mod:`instant.bulk`) rather than built
by a helper: a function call per event would cost about a tenth of the hot path.
"""

from __future__ import annotations

from typing import Any

from ..events import Event, key_segment
from . import bulk
from . import scanner as sc
from .machine import Machine
from .state import AFTER, COLON, END, KEY, KEYSTR, STRING, VALUE, Fail, Frame

_NOTHING: Any = object()
_BULK_MIN, _take = bulk.MIN_LENGTH, bulk.take
_NUMBER, _NUMBER_CHARS, _WORD, _SKIP_WS = sc.NUMBER, sc.NUMBER_CHARS, sc.WORD, sc.skip_ws


class FastLoop(Machine):
    def _loop(self, buf: str, pos: int, events: list[Event]) -> int:
        """Consume ``buf`` from ``pos``; return where undecided text begins.

        The common transitions inside a container (separators, keys, strings that close
        in this buffer, numbers, literals, opening and closing containers) are handled
        inline here with the state in a local variable; everything else goes through
        :meth:`_step`, which does the same work in general form.
        """
        n = len(buf)
        strict, lenient, multiple, inline, dq_run, literals, segs = self._consts
        number, number_chars, word, skip_ws = _NUMBER, _NUMBER_CHARS, _WORD, _SKIP_WS
        member, first_member = self._members
        stack = self._stack
        state = self._state
        ev: Event
        while pos < n:
            c = buf[pos]
            if c in " \t\n\r" and (
                state <= AFTER or state == END and not (self._on_ignored and lenient)
            ):  # (the _on_ignored hook gets the whitespace after a document too)
                pos = skip_ws(buf, pos).end()  # type: ignore[union-attr]
                if pos >= n:
                    break
                c = buf[pos]
            if stack and inline:
                top = stack[-1]
                if state == AFTER:
                    if top.obj:
                        m = member(buf, pos) if n - pos > 6 else None
                        if m is not None:  # ', "key":' in one go, then the value below
                            top.name = m.group(1)
                            pos = m.end()
                            state = VALUE
                            self._closer_ok = False
                            if pos >= n:
                                break
                            c = buf[pos]
                    elif c == ",":
                        pos = skip_ws(buf, pos + 1).end()  # type: ignore[union-attr]
                        state = VALUE
                        self._closer_ok = lenient
                        if pos >= n:
                            break
                        c = buf[pos]
                    if state == AFTER:
                        if c == ",":
                            state = KEY if top.obj else VALUE
                            self._closer_ok = lenient
                            pos += 1
                            continue
                        if c == ("}" if top.obj else "]"):
                            stack.pop()
                            ev = {
                                "key": top.key,
                                "indexes": top.idx.copy(),
                                "path": top.path,
                                "event": "done",
                                "delta": top.c,
                                "value": top.c,
                                "is_complete": True,
                                "complete_value": self._root,
                            }
                            if multiple:
                                ev["document"] = self._doc
                            events.append(ev)
                            pos += 1
                            if not stack:
                                self._after_value()
                                stack = self._stack
                                state = self._state
                            continue
                elif state == KEY:
                    m = first_member(buf, pos) if n - pos > 5 else None
                    if m is not None:
                        top.name = m.group(1)
                        pos = m.end()
                        state = VALUE
                        self._closer_ok = False
                        if pos >= n:
                            break
                        c = buf[pos]
                    elif c == '"':
                        end = dq_run(buf, pos + 1).end()  # type: ignore[union-attr]
                        name: Any = _NOTHING
                        if end >= n:  # the key goes on in the next chunk
                            self._keytext = buf[pos + 1 : end]
                            self._quote = '"'
                            self._runre = dq_run
                            self._state = KEYSTR
                            return n
                        if buf[end] == '"':
                            name = buf[pos + 1 : end]
                            end += 1
                        elif buf[end] == "\\":
                            try:  # the C decoder: exactly json.loads' semantics
                                name, end = sc.scanstring(buf, pos + 1, strict)
                            except ValueError:  # unterminated, or a lenient escape
                                pass
                        if name is not _NOTHING:
                            top.name = name
                            pos = end
                            if pos < n and buf[pos] == ":":
                                state = VALUE
                                self._closer_ok = False
                                pos += 1
                            else:
                                state = COLON
                            continue
                elif state == COLON:
                    if c == ":":
                        state = VALUE
                        self._closer_ok = False
                        pos += 1
                        continue
                if state == VALUE:
                    v: Any = _NOTHING
                    open_string = False
                    if c == '"':
                        end = dq_run(buf, pos + 1).end()  # type: ignore[union-attr]
                        if end >= n:  # the string goes on in the next chunk
                            v = buf[pos + 1 : n]
                            open_string = True
                        elif buf[end] == '"':
                            v = buf[pos + 1 : end]
                            end += 1
                        elif buf[end] == "\\":
                            try:  # the C decoder: exactly json.loads' semantics
                                v, end = sc.scanstring(buf, pos + 1, strict)
                            except ValueError:  # unterminated, or a lenient escape
                                pass
                    elif c in "-0123456789":
                        m = number(buf, pos)
                        if m is not None:
                            end = m.end()
                            if end < n and buf[end] not in number_chars:
                                if end - pos > self.max_number_length:
                                    self._check_length(buf[pos:end], pos)
                                v = self._convert(buf[pos:end], m.lastindex == 1, pos)
                    elif c in "tfnTFN":
                        end = word(buf, pos).end()  # type: ignore[union-attr]
                        if end < n:
                            v = literals.get(buf[pos:end], _NOTHING)
                    elif c == "{" or c == "[":
                        if n - pos >= _BULK_MIN and self._bulk_budget > 0:
                            end = _take(self, buf, pos, events)
                            if end >= 0:  # the whole container, parsed in C and replayed
                                pos = end
                                state = AFTER
                                continue
                        if len(stack) >= self.max_depth:
                            raise Fail(
                                pos, f"nesting deeper than max_depth={self.max_depth}", "limit"
                            )
                        v = {} if c == "{" else []
                        end = pos + 1
                    if v is not _NOTHING:
                        # where the value goes: its key, indexes and path
                        if top.obj:
                            entry = segs.get(top.name)
                            if entry is None:
                                entry = (top.name, key_segment(top.name))
                                if len(segs) < 4096:
                                    segs[top.name] = entry
                            name, seg = entry
                            top.name = name
                            key = top.ckey + seg
                            idx = top.idx.copy()  # its own list: its last event takes it
                            path = top.path + (name,)
                        else:
                            i = len(top.c)
                            key = top.ckey
                            idx = top.idx + [i]
                            path = top.path + (i,)
                        # A container, or a string with no text yet, joins the document
                        # with its first event (State._attach); everything else now.
                        if c == "{":
                            stack.append(
                                Frame(v, True, key, path, idx, key + "." if key else "", False)
                            )
                            state = KEY
                            self._closer_ok = True
                            pos = end
                            continue
                        if c == "[":
                            stack.append(
                                Frame(v, False, key, path, idx, key + ".[]" if key else "[]", False)
                            )
                            state = VALUE
                            self._closer_ok = True
                            pos = end
                            continue
                        if open_string and not v:
                            self._skey, self._sidx, self._spath = key, idx, path
                            self._text = ""
                            self._sattached = False
                            self._quote = '"'
                            self._runre = dq_run
                            self._state = STRING
                            return n
                        if self._shared:
                            self._release()
                        if not top.attached:
                            self._attach()
                        if top.obj:
                            top.c[name] = v
                        else:
                            top.c.append(v)
                        root = self._root
                        if c == '"':
                            if v:
                                ev = {
                                    "key": key,
                                    "indexes": idx.copy(),
                                    "path": path,
                                    "event": "delta",
                                    "delta": v,
                                    "value": v,
                                    "is_complete": False,
                                    "complete_value": root,
                                }
                                if multiple:
                                    ev["document"] = self._doc
                                events.append(ev)
                            if open_string:  # its text so far is out, more comes later
                                self._skey, self._sidx, self._spath = key, idx, path
                                self._text = v
                                self._sattached = True
                                self._quote = '"'
                                self._runre = dq_run
                                self._state = STRING
                                return n
                            ev = {
                                "key": key,
                                "indexes": idx,
                                "path": path,
                                "event": "done",
                                "delta": "",
                                "value": v,
                                "is_complete": True,
                                "complete_value": root,
                            }
                        else:
                            ev = {
                                "key": key,
                                "indexes": idx,
                                "path": path,
                                "event": "done",
                                "delta": v,
                                "value": v,
                                "is_complete": True,
                                "complete_value": root,
                            }
                        if multiple:
                            ev["document"] = self._doc
                        events.append(ev)
                        state = AFTER
                        pos = end
                        continue
                elif state == STRING or state == KEYSTR:
                    end = self._runre(buf, pos).end()  # type: ignore[union-attr]
                    if end < n and buf[end] == self._quote:
                        piece = buf[pos:end]
                        pos = end + 1
                        if state == KEYSTR:
                            top.name = self._keytext + piece
                            state = COLON
                            continue
                        if self._tail:
                            piece = "".join(self._tail) + piece
                            self._tail = []
                            self._tail_len = 0
                        value = self._text
                        if piece or not self._sattached:
                            self._text = value = value + piece
                            if self._shared:
                                self._release()
                            if self._sattached:
                                if top.obj:
                                    top.c[top.name] = value
                                else:
                                    top.c[-1] = value
                            else:  # the string's first text (or, empty, its done)
                                if not top.attached:
                                    self._attach()
                                if top.obj:
                                    top.c[top.name] = value
                                else:
                                    top.c.append(value)
                                self._sattached = True
                        if piece:
                            ev = {
                                "key": self._skey,
                                "indexes": self._sidx.copy(),
                                "path": self._spath,
                                "event": "delta",
                                "delta": piece,
                                "value": value,
                                "is_complete": False,
                                "complete_value": self._root,
                            }
                            if multiple:
                                ev["document"] = self._doc
                            events.append(ev)
                        ev = {
                            "key": self._skey,
                            "indexes": self._sidx.copy(),
                            "path": self._spath,
                            "event": "done",
                            "delta": "",
                            "value": value,
                            "is_complete": True,
                            "complete_value": self._root,
                        }
                        if multiple:
                            ev["document"] = self._doc
                        events.append(ev)
                        state = AFTER
                        continue
            self._state = state
            try:
                pos = self._step(buf, pos, c, state, events)
            finally:
                state = self._state
                stack = self._stack
        self._state = state
        return pos
