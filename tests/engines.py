"""Both engines, side by side in one process, and a trace of everything a consumer can observe.

With the C engine built (``instant.ENGINE == "c"``), :data:`PythonEngine` is ``instant.Parser``
with the Python engine's ``feed`` (``Parser._feed_python``, which runs ``FastLoop._loop`` and the
machine: every line of the pure-Python engine) on the same storage, so the two engines can be fed
the same inputs in the same process. (The storage -- a C struct or an object's ``__dict__`` -- is
not what is compared: CI also runs the whole suite with ``INSTANT_PURE_PYTHON=1``.)

:func:`trace` feeds one engine and records, call by call: every event (all its fields and their
order, values with their exact types, and which containers are the same object: within the
call, and across calls for what the consumer kept), the error (type, kind, offset, line,
column, message, excerpt, pointer and its events), which open containers the call copied (the
copy-on-write decision), and at the end ``value``, ``values`` and ``truncated``. Two engines
agree when their traces are equal (:func:`difference` says where they are not).

A *consumer policy* says what the consumer keeps between calls, which is what decides the copies:
``drop`` (nothing), ``last`` (the last event, as ``for e in parser.feed(c)`` does), ``all`` (every
event), ``pieces`` (some containers pulled out of the snapshots).
"""

from __future__ import annotations

import decimal
import math
import random
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import instant
from instant._core import parser as _parser

ENGINE = instant.ENGINE
POLICIES = ("drop", "last", "all", "pieces")

if ENGINE == "c":

    class PythonEngine(_parser.Parser):
        """``instant.Parser`` running the Python engine's feed (see the module docstring)."""

        feed = _parser.Parser._feed_python  # type: ignore[attr-defined]


def engines() -> dict[str, Callable[..., instant.Parser]]:
    """The engines to compare: {"c": ..., "python": ...} (only "python" without the C one)."""
    if ENGINE == "c":
        return {"c": instant.Parser, "python": PythonEngine}
    return {"python": instant.Parser}


# -- options -----------------------------------------------------------------------------------


def _as_text(s: str) -> str:
    return "int:" + s


OPTION_SETS: list[dict[str, Any]] = [
    {},
    {"strict": True},
    {"multiple": True},
    {"snapshots": False},
    {"expect": "object"},
    {"expect": "array", "multiple": True},
    {"strict": True, "multiple": True, "snapshots": False},
    {"max_depth": 3},
    {"max_number_length": 4},
    {"parse_float": decimal.Decimal, "parse_int": _as_text},
    {"emit_start": True},
    {"max_size": 40},
]


# -- the trace ---------------------------------------------------------------------------------


class Labels:
    """Canonical names for containers: the same object gets the same label."""

    def __init__(self) -> None:
        self.ids: dict[int, int] = {}
        self.keep: list[Any] = []  # so that no labelled object's id is reused meanwhile
        self.own: dict[int, int] = {}  # references the engine keeps in its spares (see below)

    def canon(self, v: Any, depth: int = 0) -> Any:
        t = type(v)
        if t is dict or t is list:
            label = self.ids.get(id(v))
            if label is not None:
                return ("same", label)
            label = self.ids[id(v)] = len(self.ids)
            refs = sys.getrefcount(v) - self.own.get(id(v), 0)  # (before the label keeps it)
            self.keep.append(v)
            if depth > 200:  # deep nesting: identity only (the value is compared at the end)
                return (t.__name__, label, refs)
            if t is dict:
                items = [(k, self.canon(x, depth + 1)) for k, x in v.items()]
                return ("dict", label, refs, items)
            return ("list", label, refs, [self.canon(x, depth + 1) for x in v])
        if t is float:
            return ("float", "nan" if math.isnan(v) else repr(v))
        if t is tuple:
            # a path: its reference count too (not the empty tuple's, a shared singleton)
            refs = sys.getrefcount(v) if v else 0
            return ("tuple", refs, [self.canon(x, depth + 1) for x in v])
        return (t.__name__, v if t in (str, int, bool, type(None)) else repr(v))


def _events(events: Sequence[Any], labels: Labels) -> list[Any]:
    """Each event: its reference count, then its fields in order (see :class:`Labels`)."""
    return [
        [sys.getrefcount(e), *((k, labels.canon(v)) for k, v in e.items())]
        if isinstance(e, dict)
        else repr(e)
        for e in events
    ]


@dataclass
class Trace:
    calls: list[Any] = field(default_factory=list)
    end: Any = None


def _spare_refs(parser: Any, before: list[tuple[Any, int]]) -> dict[int, int]:
    """The references the C engine keeps for itself in its spares, by ``id``.

    A frame's ``spare`` (C engine only) is the version of its open container the consumer was
    last handed; the engine brings it up to date and reuses it once the consumer has let go of
    it, instead of copying the container again. The frame's reference to it is the engine's own,
    like the frame's reference to its container; so is every reference held by what only the
    engine holds (a spare nobody else holds, and what only such spares hold), while a spare the
    consumer still holds is the Python engine's copy that the consumer holds just the same. The
    Python engine has no spares: these references are left out of the counts compared."""
    own: dict[int, int] = {}
    objs: dict[int, Any] = {}  # one reference to each: counted below
    # the frames open now, and those open before the call (`before` still holds them)
    frames = {id(f): f for f in [*parser._stack, *(f for f, _ in before)]}
    for f in frames.values():
        spare = getattr(f, "spare", None)
        if spare is not None:
            own[id(spare)] = own.get(id(spare), 0) + 1
            objs[id(spare)] = spare
    spare = None
    expanded: set[int] = set()
    grew = True
    while grew:
        grew = False
        for i in list(objs):
            # held only by the engine (and `objs`, and getrefcount's argument): what it holds is too
            if i in expanded or sys.getrefcount(objs[i]) - 2 != own[i]:
                continue
            expanded.add(i)
            grew = True
            for m in _members(objs[i]):
                if type(m) is dict or type(m) is list:
                    own[id(m)] = own.get(id(m), 0) + 1
                    objs.setdefault(id(m), m)
            m = None
    return own


def _members(c: Any) -> list[Any]:
    return list(c.values()) if type(c) is dict else list(c)


def _copies(parser: Any, before: list[tuple[Any, int]]) -> list[bool]:
    """For each open container before the call still open after it: was it copied? (A copy
    is made while the original is alive, so it always has another id.)"""
    open_now = {id(f): f for f in parser._stack}
    return [id(f.c) != old for f, old in before if id(f) in open_now and open_now[id(f)] is f]


def trace(
    make: Callable[..., Any],
    chunks: Sequence[Any],
    options: dict[str, Any],
    policy: str = "last",
    seed: int = 0,
) -> Trace:
    """Feed ``chunks`` then close, as a consumer with ``policy`` would; record what it sees."""
    rng = random.Random(seed)
    out = Trace()
    parser = make(**options)
    kept: list[Any] = []
    run_labels = Labels()  # "all": everything is kept, so identities hold across calls
    failed: Any = None  # the first ParseError raised, and its events
    failed_events: Any = None
    for i in range(len(chunks) + 1):
        labels = run_labels if policy == "all" else Labels()
        before = [(f, id(f.c)) for f in parser._stack]
        error: Any = None
        try:
            events = parser.feed(chunks[i]) if i < len(chunks) else parser.close()
        except instant.ParseError as e:
            # the traceback's frames (more of them in Python) hold the events: let them go
            e.__traceback__ = e.__context__ = e.__cause__ = None
            if e is failed:
                # SPEC: later calls raise the same error, whose events (the failing call's) were
                # recorded then; recording them again on every call costs the events times the
                # document's depth per call (one input of the long run took 24 GB that way)
                again = ("the same error again", e.events is failed_events, str(e))
                out.calls.append((None, again, _copies(parser, before)))
                continue
            if failed is None:
                failed, failed_events = e, e.events
            events = e.events
            error = (
                type(e).__name__,
                e.kind,
                e.offset,
                e.line,
                e.column,
                e.msg,
                e.excerpt,
                e.pointer,
                str(e),
            )
        except (TypeError, ValueError) as e:
            events = []
            error = (type(e).__name__, str(e))
        labels.own = _spare_refs(parser, before)
        out.calls.append((_events(events, labels), error, _copies(parser, before)))
        if policy == "drop":
            kept = []
        elif policy == "last":
            kept = list(events[-1:])
        elif policy == "all":
            kept.append(events)
        else:  # "pieces": some open containers out of the snapshots, not their events
            kept = [p for e in events for p in _pieces(e.get("complete_value"), rng)]
        del events
    final = Labels()
    final.own = _spare_refs(parser, before)
    try:
        value = parser.value
    except Exception as e:  # pragma: no cover - would itself be a difference
        value = e
    out.end = (
        final.canon(value),
        final.canon(parser.values),
        parser.truncated,
    )
    return out


def _pieces(value: Any, rng: random.Random) -> list[Any]:
    out = []
    stack = [value]
    while stack:
        v = stack.pop()
        if type(v) is dict or type(v) is list:
            if rng.random() < 0.3:
                out.append(v)
            stack.extend(v.values() if type(v) is dict else v)
    return out


def difference(a: Trace, b: Trace) -> str | None:
    """Where two traces first differ (``None``: they are equal)."""
    for n, (x, y) in enumerate(zip(a.calls, b.calls)):
        if x != y:
            what = ["events", "error", "copies"]
            parts = [what[k] for k in range(3) if x[k] != y[k]]
            return f"call {n}: {', '.join(parts)} differ:\n  {x!r:.2000}\n  {y!r:.2000}"
    if len(a.calls) != len(b.calls):
        return f"{len(a.calls)} calls against {len(b.calls)}"
    if a.end != b.end:
        return f"value/values/truncated differ:\n  {a.end!r:.2000}\n  {b.end!r:.2000}"
    return None


def compare(
    chunks: Sequence[Any], options: dict[str, Any], policy: str = "last", seed: int = 0
) -> str | None:
    """Feed every engine the same chunks; the first difference between them, or ``None``."""
    made = {name: trace(make, chunks, options, policy, seed) for name, make in engines().items()}
    if len(made) < 2:
        return None
    diff = difference(made["c"], made["python"])
    if diff is None:
        return None
    return (
        f"C and Python engines differ ({options}, policy {policy}, chunks {chunks!r:.500}): {diff}"
    )


# -- chunkings -----------------------------------------------------------------------------------


def chunkings(text: str, rng: random.Random, exhaustive: int = 64) -> Iterator[list[Any]]:
    """``text`` cut many ways: whole, 1 character, every cut in two (texts up to
    ``exhaustive`` characters), random pieces of 1-9 characters, and UTF-8 bytes (1 byte
    each, and random cuts)."""
    yield [text]
    if len(text) > 1:
        yield list(text)
    if len(text) <= exhaustive:
        for k in range(1, len(text)):
            yield [text[:k], text[k:]]
    for _ in range(3):
        pieces, i = [], 0
        while i < len(text):
            k = rng.randint(1, 9)
            pieces.append(text[i : i + k])
            i += k
        yield pieces
    data = text.encode("utf-8", "surrogatepass")
    if data.decode("utf-8", "ignore") == text:
        if len(data) <= exhaustive:
            yield [data[i : i + 1] for i in range(len(data))]
        cuts = (
            sorted(rng.sample(range(1, len(data)), min(len(data) - 1, 5))) if len(data) > 1 else []
        )
        yield [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
