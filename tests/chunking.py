"""Shared helpers for the example-based tests: chunkings and event comparison."""

from __future__ import annotations

import decimal
import math
import random
from collections.abc import Iterator
from typing import Any

import instant


def chunkings(text: str, seeds: int = 12) -> Iterator[list[str] | list[bytes]]:
    """The same text cut many ways: whole, 1 char, random, and as UTF-8 bytes 1 byte each."""
    yield [text]
    yield list(text)
    data = text.encode("utf-8", "surrogatepass")
    if data.decode("utf-8", "ignore") == text:  # no lone surrogates: bytes can carry it
        yield [data[i : i + 1] for i in range(len(data))]
        rng = random.Random(len(text))
        cuts = (
            sorted(rng.sample(range(1, len(data)), min(len(data) - 1, 6))) if len(data) > 1 else []
        )
        yield [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
    for seed in range(seeds):
        rng = random.Random(seed)
        pieces, i = [], 0
        while i < len(text):
            k = rng.randint(1, 9)
            pieces.append(text[i : i + k])
            i += k
        yield pieces


def feed_all(chunks: list[Any], **options: Any) -> tuple[list[dict[str, Any]], instant.Parser]:
    parser = instant.Parser(**options)
    events: list[dict[str, Any]] = []
    for chunk in chunks:
        events += parser.feed(chunk)
    events += parser.close()
    return events, parser


def merged(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events without snapshots, consecutive deltas of one string joined into one."""
    out: list[dict[str, Any]] = []
    for e in events:
        e = {k: v for k, v in e.items() if k != "complete_value"}
        last = out[-1] if out else None
        if last and e["event"] == "delta" == last["event"] and e["path"] == last["path"]:
            last["delta"] += e["delta"]
            last["value"] = e["value"]
        else:
            out.append(e)
    return out


def parse_every_way(text: str, **options: Any) -> Any:
    """Parse ``text`` in many chunkings; assert they agree; return the value and events."""
    first_events, parser = feed_all([text], **options)
    reference = merged(first_events)
    for chunks in chunkings(text):
        events, other = feed_all(chunks, **options)
        assert merged(events) == reference, f"chunking changed the events: {chunks!r}"
        assert other.truncated == parser.truncated
    return parser.values if options.get("multiple") else parser.value


def first_difference(a: Any, b: Any) -> str | None:
    """``None`` if ``a`` and ``b`` are identical JSON-like data, else where they first differ.

    Stricter than ``==``: types must match exactly (``1`` vs ``1.0``, ``True`` vs ``1``, list vs
    tuple), dict key order must match, ``-0.0`` differs from ``0.0``; NaN equals NaN.
    """
    stack: list[tuple[Any, Any, str]] = [(a, b, "")]
    while stack:
        x, y, where = stack.pop()
        at = where or "<top>"
        if type(x) is not type(y):
            return f"{at}: {type(x).__name__} {x!r:.100} != {type(y).__name__} {y!r:.100}"
        if isinstance(x, dict):
            if list(x) != list(y):
                return f"{at}: keys {list(x)!r:.200} != {list(y)!r:.200}"
            for k in reversed(list(x)):
                stack.append((x[k], y[k], f"{where}[{k!r}]"))
        elif isinstance(x, (list, tuple)):
            if len(x) != len(y):
                return f"{at}: length {len(x)} != {len(y)}: {x!r:.200} != {y!r:.200}"
            for i in reversed(range(len(x))):
                stack.append((x[i], y[i], f"{where}[{i}]"))
        elif isinstance(x, float):
            if math.isnan(x) and math.isnan(y):
                continue
            if x != y or math.copysign(1.0, x) != math.copysign(1.0, y):
                return f"{at}: {x!r} != {y!r}"
        elif isinstance(x, decimal.Decimal):
            if x.is_nan() and y.is_nan():
                continue
            if x != y:
                return f"{at}: {x!r} != {y!r}"
        elif x != y:
            return f"{at}: {x!r:.200} != {y!r:.200}"
    return None


class Outcome:
    """What parsing a text gave: the value (``values`` with ``multiple=True``), whether it
    was truncated, the ParseError if one was raised, and every event handed out (those of
    the failing call included, from ``err.events``), merged as :func:`merged` merges them."""

    def __init__(self, chunks: list[Any], **options: Any) -> None:
        parser = instant.Parser(**options)
        events: list[dict[str, Any]] = []
        self.error: instant.ParseError | None = None
        try:
            for chunk in chunks:
                events += parser.feed(chunk)
            events += parser.close()
        except instant.ParseError as err:
            self.error = err
            events += err.events
        self.parser = parser
        self.value = parser.values if options.get("multiple") else parser.value
        self.truncated = parser.truncated
        self.raw = events
        self.events = merged(events)

    def key(self) -> tuple[Any, ...]:
        """Everything that must not depend on the chunking."""
        err = self.error
        where = None if err is None else (err.kind, err.offset, err.line, err.column, err.msg)
        return (repr(self.value), self.truncated, where, repr(self.events))


def outcome_every_way(text: str, **options: Any) -> Outcome:
    """Parse ``text`` in every chunking of :func:`chunkings` (whole, one character, one byte,
    random bytes, random pieces); assert that all give the same outcome; return it."""
    reference = Outcome([text], **options)
    for chunks in chunkings(text, seeds=6):
        other = Outcome(chunks, **options)
        assert other.key() == reference.key(), f"the chunking {chunks!r} changed the outcome"
    return reference
