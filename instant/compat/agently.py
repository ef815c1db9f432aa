"""Events in Agently v3's "instant" shape, for code written against Agently v3.

Agently v3 handed out ``{"key", "indexes", "delta", "value", "complete_value"}`` dicts:
a string's new text under ``key + ".$delta"`` (``"answer.$delta"``; a root string:
``"$delta"``), and one completion event per value under its plain key whose ``delta``
equals its ``value`` (strings, numbers, objects and arrays alike). instant's own events
say the same with ``event: "delta" | "done"`` and add ``path`` and ``is_complete``;
:func:`to_v3` converts one, the generators convert a whole stream.

=======================================  ==============================================
Agently v3                               instant
=======================================  ==============================================
``event["key"] == "answer.$delta"``      ``event["event"] == "delta"`` and
                                         ``event["key"] == "answer"``
``event["key"] == "answer"``             ``event["event"] == "done"``
(completion, ``delta == value``)         (``value`` is the final value)
``event["delta"]`` on completion         ``event["value"]`` (``delta`` is ``""`` for a
                                         string's ``done``)
``agent.get_instant_generator()``        ``instant.stream(source)``
``agent.get_instant_keys_generator(k)``  ``instant.stream(source, select=k)``
``agent.get_generator()``                ``instant.generator(source)``
=======================================  ==============================================
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from ..events import Event
from ..generators import generator as _generator
from ..streams import stream

V3Event = dict[str, Any]


def to_v3(event: Event) -> V3Event | None:
    """The Agently v3 form of one event (``None`` for ``start`` events, which v3 lacked)."""
    kind = event["event"]
    if kind == "delta":
        key = event["key"] + ".$delta" if event["key"] else "$delta"
        delta = event["delta"]
    elif kind == "done":
        key = event["key"]
        delta = event["value"]
    else:
        return None
    return {
        "key": key,
        "indexes": event["indexes"],
        "delta": delta,
        "value": event["value"],
        "complete_value": event["complete_value"],
    }


def instant_generator(source: Any, **options: Any) -> Any:
    """The stream's events in v3 shape (an async generator for an async iterable)."""
    events = stream(source, **options)
    if hasattr(events, "__aiter__"):
        return _aconvert(events)
    return _convert(events)


def instant_keys_generator(source: Any, expr: str, **options: Any) -> Any:
    """The selected events in v3 shape (``expr`` may use v3's ``key.$delta`` form)."""
    return instant_generator(source, select=expr, **options)


def generator(source: Any, **options: Any) -> Any:
    """``(event, data)`` pairs as :func:`instant.generator`, with ``instant`` data in v3 shape."""
    pairs = _generator(source, **options)
    if hasattr(pairs, "__aiter__"):
        return _apairs(pairs)
    return _pairs(pairs)


def _convert(events: Iterator[Event]) -> Iterator[V3Event]:
    for event in events:
        v3 = to_v3(event)
        if v3 is not None:
            yield v3


async def _aconvert(events: AsyncIterator[Event]) -> AsyncIterator[V3Event]:
    async for event in events:
        v3 = to_v3(event)
        if v3 is not None:
            yield v3


def _pairs(pairs: Iterator[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
    for name, data in pairs:
        if name == "instant":
            data = to_v3(data)
            if data is None:
                continue
        yield name, data


async def _apairs(pairs: AsyncIterator[tuple[str, Any]]) -> AsyncIterator[tuple[str, Any]]:
    async for name, data in pairs:
        if name == "instant":
            data = to_v3(data)
            if data is None:
                continue
        yield name, data
