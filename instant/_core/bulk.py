"""The bulk path: a container that is complete in the buffer, parsed by C and replayed.

When a whole model reply (or a large chunk) arrives at once, tokenizing it in Python costs
more than building its events. So when a ``{`` or ``[`` starts with plenty of text after
it, the C scanner behind ``json.loads`` is asked for the whole container. If it succeeds,
the parsed value is replayed through the parser's own frames, copy-on-write and event
shapes, giving exactly the events the tokenizer would have given (objects arrive as lists
of pairs, so key order and duplicate keys are kept). If it fails — the container goes on in
the next chunk, or uses a leniency such as a comment, or hits a limit — nothing has
happened and the tokenizer takes over, where errors get their precise position.

A failed attempt costs a scan up to the point of failure, so each ``feed`` allows only a
few (:data:`BUDGET`); the work stays linear in the input.
"""

from __future__ import annotations

import json.decoder
import sys
from collections.abc import Callable
from typing import Any

from ..events import Event, key_segment
from . import scanner as sc
from .state import Frame, State

MIN_LENGTH = 256  # try only when at least this much text follows the opening bracket
BUDGET = 4  # failed attempts allowed per feed()
SAFE_RECURSION = 20_000  # above this recursion limit the C scanner could overflow the C stack


class _Pairs(list):  # type: ignore[type-arg]
    """An object as the C scanner hands it over: its (key, value) pairs in order."""

    __slots__ = ()


class _Number:
    """A number a user's ``parse_float``/``parse_int`` hook made: its type says nothing."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _checked(
    hook: Callable[[str], Any] | None, convert: Callable[[str], Any], limit: int | None
) -> Callable[[str], Any] | None:
    """A number hook for the C scanner: the length limit, then the user's hook (marked)."""
    if hook is None:
        if limit is None:
            return None  # the C scanner's own conversion and limit agree with the tokenizer

        def plain(text: str) -> Any:
            if len(text) - (text[:1] == "-") > limit:
                raise ValueError("number too long")  # the tokenizer will say where
            return convert(text)

        return plain

    def marked(text: str) -> Any:
        if limit is not None and len(text) - (text[:1] == "-") > limit:
            raise ValueError("number too long")
        return _Number(hook(text))

    return marked


class _TooDeep(Exception):
    pass


def _reject_constant(name: str) -> Any:
    raise ValueError(name)  # strict: NaN and Infinity are not JSON


def make_scanner(
    strict: bool,
    parse_float: Callable[[str], Any] | None,
    parse_int: Callable[[str], Any] | None,
    max_number_length: int,
) -> Callable[[str, int], tuple[Any, int]]:
    """``scan_once(text, index) -> (value, end)``, agreeing with the tokenizer's rules.

    Floats go through a hook that enforces ``max_number_length``; integers keep the C fast
    path when CPython's own int-string limit is the same number (the default), since the
    C scanner then refuses exactly what the tokenizer refuses.
    """
    int_limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
    limit = max_number_length
    decoder = json.decoder.JSONDecoder(
        object_pairs_hook=_Pairs,
        parse_float=_checked(parse_float, float, limit),
        parse_int=_checked(parse_int, int, None if int_limit == limit else limit),
        # NaN and Infinity: not JSON in strict mode; otherwise the very objects the tokenizer uses
        parse_constant=_reject_constant if strict else sc.LENIENT_LITERALS.__getitem__,
        strict=strict,  # control characters in strings
    )
    return decoder.scan_once  # type: ignore[attr-defined, no-any-return]


def take(m: State, buf: str, pos: int, events: list[Event]) -> int:
    """Parse the container at ``buf[pos]`` in one go; return its end, or -1 to tokenize."""
    if sys.getrecursionlimit() > SAFE_RECURSION:
        return -1  # the C scanner recurses as deep as Python allows: only with a sane limit
    try:
        value, end = m._scan_once(buf, pos)
    except Exception:  # incomplete, not strict JSON, too deep for C, or a hook's error
        m._bulk_budget -= 1
        return -1
    mark = len(events)
    stack = m._stack
    depth = len(stack)
    if depth >= m.max_depth:
        return -1
    parent = stack[-1] if stack else None
    slot = parent.name if parent is not None and parent.obj else None
    old = parent.c.get(slot, _Pairs) if parent is not None and parent.obj else None
    try:
        _replay(m, value, events)
    except _TooDeep:  # undo, and let the tokenizer find where max_depth is exceeded
        del events[mark:]
        del stack[depth:]
        if parent is None:
            m._root = None
        elif not parent.obj:
            parent.c.pop()
        elif old is _Pairs:
            del parent.c[slot]
        else:
            parent.c[slot] = old
        return -1
    if parent is not None and not parent.attached:
        m._attach()  # its content came with events: the open containers around it join now
    return end


def _replay(m: State, value: Any, events: list[Event]) -> None:
    """Emit the events of a parsed container, in document order, building the tree."""
    stack = m._stack
    base = len(stack)
    multiple = m.multiple
    emit_start = m.emit_start
    max_depth = m.max_depth
    segs = m._segs
    doc = m._doc
    key, idx, path = m._where()
    iters: list[Any] = []
    src: Any = value
    while True:
        # open `src` at key/idx/path
        if len(stack) >= max_depth:
            raise _TooDeep
        obj = type(src) is _Pairs
        c: Any = {} if obj else []
        if m._shared:
            m._release()
        if stack:
            top = stack[-1]
            if top.obj:
                top.c[top.name] = c
            else:
                top.c.append(c)
        else:
            m._root = c
        ckey = (key + "." if key else "") if obj else (key + ".[]" if key else "[]")
        stack.append(Frame(c, obj, key, path, idx, ckey, True))
        iters.append(iter(src))
        if emit_start:
            ev: Event = {
                "key": key,
                "indexes": idx.copy(),
                "path": path,
                "event": "start",
                "delta": None,
                "value": {} if obj else [],
                "is_complete": False,
                "complete_value": m._root,
            }
            if multiple:
                ev["document"] = doc
            events.append(ev)
        # its members or items, until one is a container (descend) or it ends (close)
        while True:
            top = stack[-1]
            tc = top.c
            for item in iters[-1]:
                if top.obj:
                    name, v = item
                    entry = segs.get(name)
                    if entry is None:
                        entry = (name, key_segment(name))
                        if len(segs) < 4096:
                            segs[name] = entry
                    name, seg = entry
                    top.name = name
                    key = top.ckey + seg
                    idx = top.idx.copy()  # its own list: its last event takes it
                    path = top.path + (name,)
                else:
                    v = item
                    i = len(tc)
                    key = top.ckey
                    idx = top.idx + [i]
                    path = top.path + (i,)
                t = type(v)
                if t is _Pairs or t is list:
                    src = v
                    break
                if t is _Number:
                    v = v.value
                    t = _Number
                if m._shared:
                    m._release()
                    tc = top.c
                if top.obj:
                    tc[name] = v
                else:
                    tc.append(v)
                root = m._root
                if t is str:
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
                            ev["document"] = doc
                        events.append(ev)
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
                    ev["document"] = doc
                events.append(ev)
            else:  # the container ends
                stack.pop()
                iters.pop()
                ev = {
                    "key": top.key,
                    "indexes": top.idx.copy(),
                    "path": top.path,
                    "event": "done",
                    "delta": top.c,
                    "value": top.c,
                    "is_complete": True,
                    "complete_value": m._root,
                }
                if multiple:
                    ev["document"] = doc
                events.append(ev)
                if len(stack) == base:
                    return
                continue
            break  # descend into src
