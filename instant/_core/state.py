"""The engine's state: what a parser remembers between two characters, and nothing else.

Everything the engine knows lives on one :class:`State` object (its attributes are listed
and explained below), so the layers above it -- :mod:`.bulk`, :mod:`.machine`,
:mod:`.fastloop`, :mod:`.parser` -- are plain code over plain data. Each module imports
only the ones to its left::

    scanner  <-  state  <-  bulk  <-  machine  <-  fastloop  <-  parser

(:mod:`.scanner` recognises characters and knows no parser; :mod:`.bulk` works on a State.)

The state machine, as h11 writes its connection states: where the parser is (``_state``),
what may come next, and which state each input moves it to. ``*`` marks a state that may
span chunks (its partial token is kept on the State, never re-read).

==========  ======================================  ==========================================
state       waiting for                             then
==========  ======================================  ==========================================
START       the first character of a document       VALUE (a value may begin here), else PROSE
PROSE *     a place where a document may begin      VALUE, THINK (``<think>``), START (fence)
TAIL *      what follows a root scalar or a         END (it is the document), PROSE (it was
            mid-sentence candidate                  prose after all)
THINK *     ``</think>``                            START
VALUE       a value (or ``]`` where allowed)        STRING, NUMBER, WORD, KEY (``{``), VALUE
                                                    (``[``), AFTER/END (a scalar completed)
KEY         a key (or ``}`` where allowed)          KEYSTR, BAREKEY, AFTER/END (``}``)
KEYSTR *    the rest of a quoted key                COLON
BAREKEY *   the rest of an unquoted key             COLON
COLON       ``:``                                   VALUE
STRING *    the rest of a string                    AFTER/END
NUMBER *    the rest of a number                    AFTER/END
WORD *      the rest of a literal                   AFTER/END
AFTER       ``,`` or the container's closer         KEY/VALUE, AFTER/END
COMMENT *   the end of a comment                    the state before it (``_after_comment``)
END         nothing (a single document), or the     START (``multiple=True``)
            next document
CLOSED      nothing: ``close()`` was called         --
==========  ======================================  ==========================================

A step that cannot decide yet raises :class:`Hold` (``buf[pos:]`` waits for the next
chunk: at most a few characters, see :mod:`.scanner`); a character that cannot be accepted
raises :class:`Fail`. Both are internal signals, never seen outside the engine: the parser
turns a ``Fail`` into :class:`~instant.ParseError`.

Where the document is (SPEC 2) is decided by the *candidate* being parsed, ``_kind``:

- ``DOC``: a container or string that begins the reply (after a fence opener or think
  block), a line, or follows a colon. It commits -- becomes *the* document, its events
  handed out, any later failure a ``ParseError`` -- at its first event other than ``start``
  or its first completed key. A failure before that makes it prose.
- ``TENT``: a ``{`` or ``[`` in the middle of a sentence. Its events are held until it
  closes and the line or the reply ends (``TAIL``); prose after it on the same line
  abandons it, remembered as the fallback taken at ``close()`` if nothing commits.
  One that closes as prose notation -- an empty container, or (unless
  ``expect="array"``) an array of numbers only: a citation ``[1]``, an interval
  ``[0, 255]`` -- becomes a ``NOTE``: never the document.
- ``SCALAR``: a number, literal or single-quoted string that begins the reply. It is
  the document only if nothing but blanks, complete comments, the fence it began in
  closing or (``multiple=True``) the next document follows it (``TAIL``). A fence that
  opens after it makes it prose, kept as the fallback.

An abandoned candidate's text is prose: the search resumes at the character where it
failed (or after it, when that is itself a bracket), never inside it.

Limits (``max_depth``, ``max_number_length``, ``max_size``) are checked where the thing
they bound grows, and exceeding one is a fatal ``Fail`` (``kind="limit"``), never a reason
to search the prose for another document.

The engine (:data:`ENGINE`, decided once, at import): with the C extension
(``_speedups.c``, built by ``pip install`` when a compiler is there) a State keeps its hot
attributes in the extension's ``Core`` struct, as member descriptors under these same names
(and :class:`Frame` is its C twin), so every layer above reads and writes them unchanged and
``Parser.feed`` takes the common path in C; without it (or with ``INSTANT_PURE_PYTHON`` set to
anything but ``""`` or ``"0"``) a State is a plain object and everything runs in Python.
"""

from __future__ import annotations

import codecs
import os
import re
import sys
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from ..errors import ErrorKind, ParseError
from ..events import Event, key_segment
from . import scanner as sc

# parser states (see the table above)
# (the states up to AFTER are those where whitespace between tokens is skipped)
START, VALUE, KEY, COLON, AFTER = range(5)
STRING, KEYSTR, NUMBER, WORD, BAREKEY, COMMENT, END, CLOSED, TAIL, PROSE, THINK = range(5, 16)
# the kind of candidate document being parsed (see above)
DOC, TENT, SCALAR, NOTE = range(4)
# what the prose just before a candidate says about it: the candidate opens a line,
# follows a colon, or stands in the middle of a sentence
LINE, AFTER_COLON, MID = range(3)

LONG = 1 << 16  # past this many characters a string's deltas are batched ...
BATCH = 16  # ... until the new text is 1/16 of the text so far


class Fail(Exception):
    """Internal: the character at ``pos`` of the current buffer cannot be accepted."""

    def __init__(self, pos: int, message: str, kind: ErrorKind = "syntax") -> None:
        self.pos = pos
        self.message = message
        self.kind = kind  # "limit": never retried as prose

    @property
    def fatal(self) -> bool:
        return self.kind != "syntax"


class Hold(Exception):
    """Internal: stop here; ``buf[pos:]`` is undecided and waits for the next chunk."""

    def __init__(self, pos: int) -> None:
        self.pos = pos


def _load_speedups() -> ModuleType | None:
    """The C extension, unless ``INSTANT_PURE_PYTHON`` asks for Python or it is not built."""
    if os.environ.get("INSTANT_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        from . import _speedups
    except ImportError:  # not built (no compiler at install time), or built for another Python
        return None
    return _speedups


speedups = _load_speedups()
ENGINE: Literal["c", "python"] = "python" if speedups is None else "c"

if TYPE_CHECKING:
    _Storage = object
else:
    _Storage = object if speedups is None else speedups.Core


class Frame:
    """An open container on the stack (with the C engine, ``_speedups.Frame``: the same)."""

    __slots__ = ("c", "obj", "key", "path", "idx", "ckey", "name", "attached")

    def __init__(
        self,
        c: Any,
        obj: bool,
        key: str,
        path: tuple[str | int, ...],
        idx: list[int],
        ckey: str,
        attached: bool,
    ) -> None:
        self.c = c  # the dict or list being built
        self.obj = obj
        self.key = key  # Agently key of the container itself
        self.path = path
        self.idx = idx
        self.ckey = ckey  # dict: prefix of its members' keys; list: the key of every item
        self.name = ""  # dict: the member being parsed
        # In its parent yet? A container (or string) joins the document with its first
        # event, so a snapshot never shows a value no event has announced (see _attach).
        self.attached = attached


if speedups is not None and not TYPE_CHECKING:
    Frame = speedups.Frame  # noqa: F811 - the C twin: the fields the C loop reads directly


class State(_Storage):
    """All that a parser remembers. The layers above add behaviour, never attributes."""

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
        # -- options (validated by instant.options before they get here)
        self.strict = strict
        self.multiple = multiple
        self.expect = expect
        self.emit_start = emit_start
        self.snapshots = snapshots
        self.max_depth = max_depth
        self.max_number_length = max_number_length
        self.max_size = max_size
        self._parse_float: Callable[[str], Any] = parse_float or float
        self._parse_int: Callable[[str], Any] = parse_int or int
        # -- what the options decide once
        self._literals = sc.STRICT_LITERALS if strict else sc.LENIENT_LITERALS
        self._prefixes = sc.STRICT_PREFIXES if strict else sc.LENIENT_PREFIXES
        self._num_ok = sc.NUMBER_ACCEPTING if strict else sc.LENIENT_NUMBER_ACCEPTING
        openers = {"object": "{", "array": "["}.get(expect or "", "{[")
        self._starts = openers if expect else '{["-0123456789'  # what may begin a document
        # lenient: what begins a candidate at the start of the reply (a container or a
        # string), and what begins a root scalar there (a number, a literal, or a
        # single-quoted string: prose such as "'Tis" begins with a quote too)
        self._doc_starts = openers if expect else '{["'
        self._scalar_starts = "" if expect else "'-+.0123456789" + "".join(sc.WORD_START)
        self._prose = re.compile("[" + re.escape(openers) + "<`]").search  # ... in prose
        # Separator and key in one match: the common object member costs one regex call
        # before its value.
        ws = r"[ \t\n\r]*"
        ctl = "\\x00-\\x1f" if strict else ""
        key = rf'"([^"\\{ctl}]*)"{ws}:{ws}'
        self._members = (re.compile(ws + "," + ws + key).match, re.compile(ws + key).match)
        # object key -> (one shared str for it, its segment in event keys): repeated keys
        # (the same field in every item) share one string, as json.loads' memo does
        self._segs: dict[str, tuple[str, str]] = {}
        # the hot loop's constants, unpacked into locals once per call
        self._consts = (
            strict,
            not strict,
            multiple,
            not emit_start,
            sc.RUN_STRICT if strict else sc.RUN_DOUBLE,
            self._literals,
            self._segs,
        )
        # the bulk path's C scanner (set by the machine) and its per-feed budget
        self._scan_once: Callable[[str, int], tuple[Any, int]] = _unset_scanner
        self._bulk_budget = 0
        # -- the verdict
        self.truncated = False  # close() completed a document the input left open
        # -- package-internal hook: with neither strict nor multiple, the text after the
        # document is ignored; when set, this is called with every piece of it, whitespace
        # included (the CLI counts the documents there, to say --multiple would parse them)
        self._on_ignored: Callable[[str], None] | None = None
        # -- feed()'s fast path for a chunk wholly inside an open string
        self._in_string = False  # the fast path may be taken
        self._template: Event | None = None  # its event's fixed fields
        self._slot: Any = None  # the container the open string lives in ...
        self._slot_key: Any = None  # ... and its key or index there
        # -- stream position, for offsets, lines and excerpts
        self._base = 0  # stream offset of the current buffer's first character
        self._lines = 0  # newlines before _base
        self._last_nl = -1  # stream offset of the last newline before _base
        self._recent = ""  # the last characters consumed
        self._recent_end = 0  # stream offset where _recent ends
        self._held = ""  # undecided characters carried over to the next chunk
        self._decoder: codecs.IncrementalDecoder | None = None  # bytes input
        self._bytes_in = 0
        self._error: ParseError | None = None  # raised again by every later call
        self._events_now: list[Event] = _NO_EVENTS  # the events the current call is making
        # -- where the machine is
        self._state = START
        self._after_comment = START
        self._block_comment = False
        self._closer_ok = False  # may the current container close here (after '[', '{', ',')
        self._fence = False  # a fence opener was just read: a candidate beginning now is fenced
        self._doc = 0  # number of the current document
        self._values: list[Any] = []  # the values of the finished documents
        self._ctx = LINE  # what the prose before the next candidate says (LINE, ...)
        # the last complete mid-sentence candidate that prose followed: (value, events)
        self._fallback: tuple[Any, list[Event]] | None = None
        self._num_start = 0  # stream offset of the number in progress
        self._why = ""  # why the first candidate that began a line or the reply failed
        self._new_document()

    def _new_document(self) -> None:
        """Forget the document that ended (or was abandoned); keep the stream position."""
        self._stack: list[Frame] = []
        self._root: Any = None
        self._has_root = False  # a candidate document has begun
        self._committed = False  # ... and has produced an event
        self._kind = DOC  # what kind of candidate it is (DOC, TENT, SCALAR)
        self._fenced = False  # it began right after a fence opener (a fence after it closes)
        self._lists = 0  # its bottom frames known to be arrays (see Parser._key_done)
        self._bare = False  # the key awaiting its ':' is unquoted
        self._cand_idx = 0  # where its events begin in the current events list
        self._held_events: list[Event] = []  # start events of an uncommitted candidate
        self._shared = False  # events that may hold the open containers were handed out
        # the string, number, literal or key in progress
        self._text = ""
        self._tail: list[str] = []  # batched text of a very long string (_string_delta)
        self._tail_len = 0
        self._sattached = True  # the open string is in its container (see Frame.attached)
        self._quote = '"'
        self._runre = sc.RUN_STRICT
        self._skey = ""
        self._sidx: list[int] = []
        self._spath: tuple[str | int, ...] = ()
        self._num = ""
        self._nst = 0
        self._word = ""
        self._keytext = ""

    # -- the two state operations every layer needs

    def _where(self) -> tuple[str, list[int], tuple[str | int, ...]]:
        """Key, indexes and path of a value that begins at the current position."""
        if not self._stack:
            return "", [], ()
        f = self._stack[-1]
        if f.obj:
            entry = self._segs.get(f.name)
            if entry is None:
                entry = (f.name, key_segment(f.name))
                if len(self._segs) < 4096:
                    self._segs[f.name] = entry
            name, seg = entry
            f.name = name
            return f.ckey + seg, f.idx, f.path + (name,)
        i = len(f.c)
        return f.ckey, f.idx + [i], f.path + (i,)

    def _attach(self) -> None:
        """Put the open containers no event has announced yet into their parents.

        A value joins the document with its first event: an opened container, or a string
        whose text has not begun, waits on the stack (``attached`` False). So the document --
        and every snapshot -- never shows a value no event has announced, and the snapshot
        shared by the events of one ``feed()`` is exactly the document as of its last event.
        Unattached frames are always the top of the stack (the root never waits).
        """
        if self._shared:
            self._release()
        stack = self._stack
        i = len(stack) - 1
        while i > 0 and not stack[i - 1].attached:
            i -= 1
        for j in range(i, len(stack)):
            f, parent = stack[j], stack[j - 1]
            if parent.obj:
                parent.c[parent.name] = f.c
            else:
                parent.c.append(f.c)
            f.attached = True

    def _release(self) -> None:
        """Copy-on-write, decided once per call: the events handed out by earlier calls hold
        the open containers (``complete_value``); copy those someone still holds.

        Called before the first change in a ``feed()``/``close()`` that follows one which
        handed out events (``_shared``; every site that changes the document checks it). An
        open container is copied only if a reference other than the parser's own exists
        (:func:`sys.getrefcount`: the events, or a consumer that kept a piece of a snapshot),
        and then so is every open container below it; one nobody else holds is changed in
        place. So a consumer that drops its events costs no copy at all, and one that keeps
        them costs one copy of the open path per call, never one per event. Events this call
        made before the change (a container's done) are pointed at the copy: every event of
        a call holds the same document. Without reliable reference counts (another Python, a
        free-threaded build) every open container is copied.
        """
        self._shared = False
        frames = iter(self._stack)
        parent: Frame | None = None
        f: Frame | None = None
        if RELIABLE_REFCOUNTS:
            # No local may refer to an open container while they are counted (not even the
            # root: the events' own references are counted from self._root).
            own = _OWN_REFS
            if self._events_now:  # this call's events hold the root: not handed out yet
                for e in self._events_now:
                    if e["complete_value"] is self._root:
                        own += 1
            rc = sys.getrefcount
            for f in frames:
                if not f.attached:
                    return  # nothing from here down is in the document yet
                # the fast path keeps the top container (_slot) between calls: its own too
                if rc(f.c) > (own + 1 if self._slot is f.c else own):
                    break  # held elsewhere: copy it, and every open container below it
                own = _OWN_REFS
                parent = f
            else:
                return  # nobody else holds any of them: change them in place
        else:
            f = next(frames, None)
        old = self._root
        while f is not None and f.attached:
            c = f.c.copy()
            if self._slot is f.c:
                self._slot = c  # the fast path writes to the copy (its template still holds)
            f.c = c
            if parent is None:
                self._root = f.c
            elif parent.obj:
                parent.c[parent.name] = f.c
            else:
                parent.c[-1] = f.c
            parent = f
            f = next(frames, None)
        if self._root is not old:
            new = self._root
            for e in self._events_now:
                if e["complete_value"] is old:
                    e["complete_value"] = new


def _unset_scanner(text: str, index: int) -> tuple[Any, int]:  # pragma: no cover - replaced
    raise ValueError("no bulk scanner")


_NO_EVENTS: list[Event] = []  # no call in progress (never appended to)


def _calibrate() -> int:
    """How many references to an open container are the parser's own (its frame's and its
    parent's slot) as :meth:`State._release` counts them: measured once by running it on a
    container nobody else holds, so no interpreter's way of counting can fool the check."""
    global _OWN_REFS
    for own in range(1, 16):
        _OWN_REFS = own
        state = State(
            strict=False,
            multiple=False,
            expect=None,
            emit_start=False,
            snapshots=True,
            max_depth=8,
            max_number_length=8,
            max_size=None,
            parse_float=None,
            parse_int=None,
        )
        state._root = {}
        state._stack = [Frame(state._root, True, "", (), [], "", True)]
        before = id(state._root)
        state._release()
        if id(state._root) == before:  # not copied: nobody else holds it at this count
            return own
    raise RuntimeError("cannot calibrate reference counts")  # pragma: no cover


_OWN_REFS = 0
RELIABLE_REFCOUNTS = (
    sys.implementation.name == "cpython" and getattr(sys, "_is_gil_enabled", lambda: True)()
)
if RELIABLE_REFCOUNTS:
    _OWN_REFS = _calibrate()
