"""When is a selector "done"? Early stop (``until=``) and the ends of ``items`` handles.

``until=`` on :func:`instant.stream`, :func:`instant.items`, :func:`instant.tap` and the
generators takes a selector or a callable on events. This module decides, event by event,
when it holds (sans-I/O); the drivers stop there and the pump closes the source.

**A selector is done** when every one of its terms is done, in one document (the reply's
JSON, one tool call's arguments, or one document of ``multiple=True``; each is judged on
its own, so ``until="city"`` stops at the first document whose ``city`` is done). A term
names a set of paths; it is done when none of the values it names can still change or
appear:

- the term's **fixed part** is its steps up to the first open one: keys, and ``[]`` with a
  *finite* index spec (``?2``, ``?0|2``, ``?0:3``). ``*``, ``**``, a ``[]`` with no spec
  (or ``_``) or an open range (``?3:``) are open steps;
- a term with no open step names the finitely many paths of its fixed part
  (``steps.[].title?0:2`` names ``steps[0].title`` and ``steps[1].title``); a term with an
  open step names everything under the paths of its fixed part (``steps.[]`` names every
  item of ``steps``; ``orders.[].lines.[]`` every line of every order);
- a named path is *settled* when its value or a container holding it (below the document
  root) has had its ``done`` event: then it is complete, or it will never come (a key
  missing when its object closes, an index past the array's end);
- the term is done when every path of its fixed part is settled. So ``steps.[]`` is done
  when ``steps`` is (no more items can come), ``steps.[]?0`` when the first item is, and
  ``answer`` when ``answer`` is. ``$delta``/``$done`` on a term change nothing here.

The end of a document settles nothing: a document ends, the stream goes on (to the next
document or tool call) or ends normally, and ``stopped_early`` stays ``False``. A term whose
fixed part is empty (``**.url``, ``*``, ``[]`` at the root) could only be done at the end
of the document, which is no early stop: ``until=`` rejects it (``ValueError``).

A **callable** ``until=`` is called with every event of every document (the parser's own,
before ``select=`` or the item paths narrow them); the stream stops after the first event
for which it returns true.

**On the way out** the consumer gets what the chunk brought up to and including the
stopping event (events, pairs or items; nothing after it), the source is closed before they
are handed out, nothing is completed (no truncation completion: ``value`` is the document
as far as it was read, ``truncated`` stays ``False``) and ``stopped_early`` is ``True``.

Cost: with a selector, the parser is asked (``select=``) for the done events of the fixed
parts' paths only; each costs a set insertion and a check of the unsettled terms, which
looks at one path first (the last index of each finite spec: arrays fill in order).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..events import Event, key_segment
from ..selector import _ANY_KEY, _ANY_PATH, _ARRAY, Selector, _build_term, _parser, compile_selector

__all__ = [
    "DocKey",
    "Fixed",
    "Settle",
    "Until",
    "UntilSpec",
    "done_only",
    "doc_key",
    "fixed_parts",
    "make_until",
    "union",
]

#: what ``until=`` accepts: a selector, or a function of an event
UntilSpec = str | Selector | Callable[[Event], object]

Step = str | range | frozenset[int]  # a key, or the finite set of indexes of a `[]`
DocKey = tuple[int, int]  # (tool call index + 1, or 0 for the reply; document number)


@dataclass(frozen=True)
class _TermInfo:
    segments: tuple[str | int, ...]
    kind: str | None
    specs: tuple[range | frozenset[int] | None, ...]


@functools.lru_cache(maxsize=256)
def _terms(expression: str) -> tuple[_TermInfo, ...]:
    """The terms of a (valid) selector expression, as the selector module builds them."""
    tree = _parser().parse(expression)
    out = []
    for child in tree.children:
        if isinstance(child, str):  # the `instant:` prefix token
            continue
        term = _build_term(expression, child)
        out.append(_TermInfo(term.segments, term.kind, term.specs))
    return tuple(out)


def _finite(spec: range | frozenset[int] | None) -> bool:
    return spec is not None and not (isinstance(spec, range) and spec.stop >= sys.maxsize)


def _segment_text(seg: str | int) -> str:
    if isinstance(seg, str):
        return key_segment(seg)
    return {_ARRAY: "[]", _ANY_KEY: "*", _ANY_PATH: "**"}[seg]


def _spec_text(spec: range | frozenset[int] | None) -> str:
    if spec is None:
        return "_"
    if isinstance(spec, frozenset):
        return "|".join(str(i) for i in sorted(spec))
    if len(spec) == 1:
        return str(spec.start)
    if spec.stop >= sys.maxsize:
        return f"{spec.start}:"
    return f"{spec.start}:{spec.stop}"


def _term_text(
    segments: Sequence[str | int], kind: str | None, specs: Sequence[range | frozenset[int] | None]
) -> str:
    text = ".".join(_segment_text(s) for s in segments)
    if kind:
        text += ".$" + kind
    if specs:
        text += "?" + ",".join(_spec_text(s) for s in specs)
    return text


def done_only(selector: str | Selector, where: str) -> Selector:
    """``selector`` restricted to ``done`` events (``.$done`` on each term).

    A term written with ``.$delta`` selects no ``done`` event: ``ValueError`` (naming
    ``where``), rather than a selector that silently never matches.
    """
    sel = compile_selector(selector)
    texts = []
    for term, written in zip(_terms(sel.expression), sel.terms):
        if term.kind == "delta":
            raise ValueError(
                f"{where}: the term {written!r} selects only deltas; items are whole values, "
                "taken at their done (drop '.$delta')"
            )
        texts.append(_term_text(term.segments, "done", term.specs))
    return compile_selector(" & ".join(texts))


def union(selectors: Sequence[Selector]) -> Selector:
    """One selector selecting what any of ``selectors`` selects."""
    if len(selectors) == 1:
        return selectors[0]
    texts = [t for s in selectors for t in s.terms]
    return compile_selector(" & ".join(dict.fromkeys(texts)))


# ------------------------------------------------------------------------------ fixed parts


@dataclass(frozen=True)
class Fixed:
    """A term's fixed part: its steps up to the first open one (see the module)."""

    text: str  # the term as written
    steps: tuple[Step, ...]
    closed: bool  # no open step: the term names exactly the paths of its steps


def fixed_parts(selector: str | Selector) -> tuple[Fixed, ...]:
    """The fixed part of each term of ``selector``."""
    sel = compile_selector(selector)
    out = []
    for term, written in zip(_terms(sel.expression), sel.terms):
        steps: list[Step] = []
        arrays = 0
        closed = True
        for seg in term.segments:
            if isinstance(seg, str):
                steps.append(seg)
                continue
            if seg == _ARRAY:
                spec = term.specs[arrays] if arrays < len(term.specs) else None
                arrays += 1
                if _finite(spec):
                    assert spec is not None
                    steps.append(spec)
                    continue
            closed = False
            break
        out.append(Fixed(written, tuple(steps), closed))
    return tuple(out)


def _needs(parts: Sequence[Fixed]) -> Selector:
    """The done events that can settle the paths of ``parts``: each prefix of each part."""
    texts: dict[str, None] = {}
    for part in parts:
        for n in range(1, len(part.steps) + 1):
            segments: list[str | int] = []
            specs: list[range | frozenset[int] | None] = []
            for step in part.steps[:n]:
                if isinstance(step, str):
                    segments.append(step)
                else:
                    segments.append(_ARRAY)
                    specs.append(step)
            texts[_term_text(segments, "done", specs)] = None
    return compile_selector(" & ".join(texts))


def doc_key(event: Mapping[str, Any]) -> DocKey:
    """Which document an event belongs to: the reply's (by ``document``) or a tool call's."""
    call = event.get("tool_call")
    return (0 if call is None else call["index"] + 1, event.get("document", 0))


def _settled(steps: tuple[Step, ...], done: set[tuple[Any, ...]], prefix: tuple[Any, ...]) -> bool:
    """Whether every path of ``steps`` under ``prefix`` is settled, given the done paths."""
    if prefix and prefix in done:
        return True
    if not steps:
        return False
    step, rest = steps[0], steps[1:]
    if isinstance(step, str):
        return _settled(rest, done, (*prefix, step))
    # arrays fill in order: the last index is the one to settle last, so look at it first
    last = step[-1] if isinstance(step, range) else max(step)
    if not _settled(rest, done, (*prefix, last)):
        return False
    return all(_settled(rest, done, (*prefix, i)) for i in step if i != last)


class Settle:
    """Which terms of a selector are done, per document (sans-I/O).

    Feed it the ``done`` events that :attr:`needs` selects (others are ignored);
    :meth:`seen` says whether, after this one, every term is done in its document.
    """

    def __init__(self, parts: Sequence[Fixed]) -> None:
        self.parts = tuple(parts)
        self.needs = _needs([p for p in self.parts if p.steps])
        self._matches = self.needs.matches
        self._docs: dict[DocKey, tuple[set[tuple[Any, ...]], list[Fixed]]] = {}

    def seen(self, event: Mapping[str, Any]) -> bool:
        """Record a done event; True when, in its document, every term is done."""
        if event["event"] != "done" or not self._matches(event):
            return False
        return self._record(event)

    def first(self, events: list[Event]) -> int:
        """The index of the first event after which :meth:`seen` would say True, or -1
        (the same, with the selector's cached decision inlined: one dict lookup an event)."""
        sel = self.needs
        get, learn = sel._cache.get, sel._learn
        for i, event in enumerate(events):
            if event["event"] != "done":
                continue
            d = get(event["key"])
            if d is None:
                d = learn(event)
            if (d is True or (d is not False and d(event))) and self._record(event):
                return i
        return -1

    def _record(self, event: Mapping[str, Any]) -> bool:
        key = doc_key(event)
        state = self._docs.get(key)
        if state is None:
            state = self._docs[key] = (set(), [p for p in self.parts if p.steps])
        done, pending = state
        done.add(event["path"])
        pending[:] = [p for p in pending if not _settled(p.steps, done, ())]
        return not pending


class Until:
    """An ``until=`` condition: :meth:`check` finds the event at which a chunk stops."""

    def __init__(self, where: str, spec: UntilSpec) -> None:
        self.settle: Settle | None = None
        self.fn: Callable[[Event], object] | None = None
        if isinstance(spec, (str, Selector)):
            parts = fixed_parts(spec)
            for part in parts:
                if not part.steps:
                    raise ValueError(
                        f"{where}: until={spec if isinstance(spec, str) else spec.expression!r}: "
                        f"the term {part.text!r} names values anywhere in the document, so it "
                        "is done only when the document ends, which is no early stop; name the "
                        "container that holds them (e.g. 'steps.[]' is done when 'steps' is)"
                    )
            self.settle = Settle(parts)
        elif callable(spec):
            self.fn = spec
        else:
            raise TypeError(
                f"{where}: until must be a selector (str or Selector) or a function of an "
                f"event, not {type(spec).__name__}"
            )

    @property
    def needs(self) -> Selector | None:
        """The events the condition must see (``None``: every event, for a callable)."""
        return None if self.settle is None else self.settle.needs

    def hit(self, event: Event) -> bool:
        """Whether the condition holds once ``event`` is seen (events in order, each once)."""
        if self.settle is not None:
            return self.settle.seen(event)
        assert self.fn is not None
        return bool(self.fn(event))

    def check(self, events: list[Event]) -> int:
        """The index of the event at which the condition holds, or -1."""
        if self.settle is not None:
            return self.settle.first(events)
        fn = self.fn
        assert fn is not None
        for i, event in enumerate(events):
            if fn(event):
                return i
        return -1


def make_until(where: str, spec: UntilSpec | None) -> Until | None:
    return None if spec is None else Until(where, spec)


class Gate:
    """What a driver hands out of each chunk's events when ``until=`` is given (and the
    parser was asked for more events than the consumer selected): the events up to the
    stopping one, filtered by the consumer's own selector."""

    __slots__ = ("until", "keep", "stopped")

    def __init__(self, until: Until | None, keep: Selector | None) -> None:
        self.until = until
        self.keep = keep
        self.stopped = False

    def __call__(self, events: list[Event]) -> list[Event]:
        if self.until is not None and events:
            i = self.until.check(events)
            if i >= 0:
                self.stopped = True
                events = events[: i + 1]
        if self.keep is not None:
            return self.keep.filter(events)
        return events

    def kept(self, events: list[Event]) -> list[Event]:
        """The consumer's events among ``events`` (at the end: no stopping there)."""
        return events if self.keep is None else self.keep.filter(events)


def plan(
    where: str, options: Mapping[str, Any], until: UntilSpec | None
) -> tuple[dict[str, Any], Gate | None]:
    """The parser's options and the gate for a stream with ``until=``.

    Without ``until`` the options are unchanged and there is no gate. With a selector,
    the parser's ``select`` (if any) is widened by the done events the condition needs and
    the gate filters back to the consumer's selection; with a callable, the parser selects
    nothing (the callable sees every event) and the gate applies ``select``.
    """
    cond = make_until(where, until)
    if cond is None:
        return dict(options), None
    opts = dict(options)
    select = opts.pop("select", None)
    keep = compile_selector(select) if select is not None else None
    needs = cond.needs
    if keep is not None and needs is not None:
        opts["select"] = union([keep, needs])
    return opts, Gate(cond, keep)
