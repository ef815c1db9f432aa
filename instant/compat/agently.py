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

from typing import Any

from ..events import Event
from ..options import ParserOptions, Unpack, check
from ..streams._pump import Mapped, Source, apump, chunks_of, pump
from ..streams.eventstream import EventDriver
from ..streams.generators import Item, PairsDriver
from ..streams.parser import StreamParser

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


def _pair_to_v3(item: Item) -> Item | None:
    name, data = item
    if name != "instant":
        return item
    v3 = to_v3(data)
    return None if v3 is None else (name, v3)


def _run(where: str, source: Any, driver: Any) -> Any:
    source = chunks_of(source, where)
    if hasattr(source, "__aiter__"):
        return apump(Source(source), driver)
    return pump(Source(source), driver)


def instant_generator(source: Any, **options: Unpack[ParserOptions]) -> Any:
    """The stream's events in v3 shape (an async generator for an async iterable)."""
    where = "instant.compat.agently.instant_generator()"
    check(where, options)
    return _run(where, source, Mapped(EventDriver(StreamParser(**options)), to_v3))


def instant_keys_generator(source: Any, expr: str, **options: Unpack[ParserOptions]) -> Any:
    """The selected events in v3 shape (``expr`` may use v3's ``key.$delta`` form)."""
    where = "instant.compat.agently.instant_keys_generator()"
    check(where, options)
    selected: ParserOptions = {**options, "select": expr}
    driver = EventDriver(StreamParser(**selected))
    return _run(where, source, Mapped(driver, to_v3))


def generator(source: Any, **options: Unpack[ParserOptions]) -> Any:
    """``(event, data)`` pairs as :func:`instant.generator`, with ``instant`` data in v3 shape."""
    where = "instant.compat.agently.generator()"
    check(where, options)
    driver = Mapped(PairsDriver(StreamParser(**options), False), _pair_to_v3)
    return _run(where, source, driver)
