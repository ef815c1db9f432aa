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
from typing import Any, Literal, NoReturn

from ..errors import ErrorKind, ParseError
from ..events import Event
from ..options import check
from ..selector import Selector, compile_selector
from . import scanner as sc
from .bulk import BUDGET
from .fastloop import FastLoop
from .state import (
    _NO_EVENTS,
    BAREKEY,
    CLOSED,
    COLON,
    COMMENT,
    KEY,
    KEYSTR,
    LONG,
    NUMBER,
    PROSE,
    STRING,
    VALUE,
    WORD,
    Fail,
    Hold,
)

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
        return object.__new__(cls)

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
                ev["indexes"] = self._sidx[:]  # each event its own list
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
        """End of input: finish a truncated document and return the last events."""
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
            self._raise(NO_JSON, len(self._held), self._held, events, "no_json")
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
                if self.strict or f.fatal or not self._abandon(events):
                    self._raise(f.message, f.pos, buf, events, f.kind)
                pos = f.pos  # the search for a document goes on from the failing character
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
        )
        self._template = None
        if self._has_root and not self._committed:
            if any(e["event"] != "start" for e in events[self._cand_idx :]):
                self._committed = True
            else:  # keep an uncommitted candidate's start events until it commits
                self._held_events = events[self._cand_idx :]
                del events[self._cand_idx :]
        # the events handed out hold the document: a later change copies what they still hold
        if self.snapshots and (events or self._held_events):
            self._shared = True
        self._events_now = _NO_EVENTS
        return events

    def _abandon(self, events: list[Event]) -> bool:
        """Drop a candidate document that failed before producing any event."""
        if self._committed or not self._has_root:
            return False
        if any(e["event"] != "start" for e in events[self._cand_idx :]):
            return False
        del events[self._cand_idx :]
        self._new_document()
        self._state = PROSE
        return True

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
        try:
            # a number or literal ended by the end of input is complete, not truncated
            if state == NUMBER and self._nst in sc.NUMBER_ACCEPTING:
                self._scalar(self._convert(self._num, self._nst in sc.NUMBER_IS_INT, 0), events)
            elif state == WORD and self._word in self._literals:
                self._scalar(self._literals[self._word], events)
            elif self.strict and self._has_root:
                raise Fail(0, self._expected("", 0))
            elif state == STRING:
                self._string_delta(sc.finish_escape(held), events, True)
                self._string_done(events)
                self.truncated = True
            elif state == NUMBER or state == WORD:
                self.truncated = True  # half a number or literal is dropped
            elif state in (VALUE, KEY, COLON, KEYSTR, BAREKEY) and self._stack:
                self.truncated = True
            if self.strict and self._has_root:
                raise Fail(0, self._expected("", 0))
            while self._stack:
                self.truncated = True
                if not self._stack[-1].attached:
                    self._attach()
                f = self._stack.pop()
                self._emit(events, f.key, f.idx, f.path, "done", f.c, f.c)
                self._after_value()
        except Fail as f:
            self._raise(f.message, len(held), held, events, f.kind)
        self._events_now = _NO_EVENTS
        self._state = CLOSED
        return events


class SelectingParser(Parser):
    """A :class:`Parser` built with ``select=``: parsing is the same, only the events the
    selector selects come out of ``feed`` and ``close`` (and ``ParseError.events``)."""

    selector: Selector

    def feed(self, chunk: str | bytes) -> list[Event]:
        """:meth:`Parser.feed`, returning only the selected events (the others are dropped
        at once, so they hold no snapshot: a later change copies nothing for them)."""
        selector = self.selector
        try:
            events = Parser.feed(self, chunk)
        except ParseError as err:
            err.events = selector.filter(err.events)
            raise
        if not events:
            return events
        return selector.filter(events)

    def close(self) -> list[Event]:
        """:meth:`Parser.close`, returning only the selected events."""
        selector = self.selector
        try:
            return selector.filter(Parser.close(self))
        except ParseError as err:
            err.events = selector.filter(err.events)
            raise
