"""Fewer, larger messages: merge what a later item extends or supersedes, within an interval.

A model sends a token every few milliseconds; a browser repaints 60 times a second. :func:`throttle`
holds an item that a following one may join, for at most ``interval`` seconds, and merges
consecutive items of one kind:

=====================================  ==================================================
items                                  merged
=====================================  ==================================================
instant ``delta`` events of one string one delta (texts joined, the last ``value``)
:func:`json_patch` lists               one list, :func:`compact`-ed: appends to one string
                                       joined, a ``replace`` superseding the one before
:func:`text` pieces                    joined
AG-UI ``STATE_DELTA``                  one delta, operations compacted
AG-UI ``STATE_SNAPSHOT``               the last
AG-UI ``TOOL_CALL_ARGS`` of one call,  deltas joined
``TEXT_MESSAGE_CONTENT`` of one message
Vercel ``data-*`` parts of one id      the last (the client replaces the part anyway)
Vercel ``tool-input-delta`` of one     deltas joined
call, ``text-delta`` of one id
=====================================  ==================================================

Anything else (a ``done`` event above all, a ``TOOL_CALL_END``, a Vercel ``finish``) is
never held: what was held is sent first, then it, so nothing is dropped or reordered and a
``done`` is never delayed. A held item waits at most ``interval`` seconds, even when the
source is silent (the source is read by a helper thread or task, see ``_timed.py``); when
the source ends or fails, what is held is sent first.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, TypeVar, overload

from ._run import is_async
from ._timed import END, TIMEOUT, TaskReader, ThreadReader
from .patch import compact

__all__ = ["throttle"]

T = TypeVar("T")

_JOINED = {
    "TOOL_CALL_ARGS": ("toolCallId", "delta"),
    "TEXT_MESSAGE_CONTENT": ("messageId", "delta"),
    "tool-input-delta": ("toolCallId", "inputTextDelta"),
    "text-delta": ("id", "delta"),
    "reasoning-delta": ("id", "delta"),
}


def merge_key(item: Any) -> tuple[Any, ...] | None:
    """What an item may merge with: items with equal keys, one after the other; ``None``
    for an item that is never held."""
    if isinstance(item, str):
        return ("text",)
    if isinstance(item, list):
        return ("patch",)
    if not isinstance(item, dict):
        return None
    if "event" in item and "path" in item:  # an instant event
        if item["event"] != "delta":
            return None
        call = item.get("tool_call")
        return ("delta", tuple(item["path"]), item.get("document"), call and call.get("index"))
    kind = item.get("type")
    if not isinstance(kind, str):
        return None
    if kind in ("STATE_DELTA", "STATE_SNAPSHOT"):
        return (kind,)
    if kind in _JOINED:
        return (kind, item.get(_JOINED[kind][0]))
    if kind.startswith("data-") and "id" in item and not item.get("transient"):
        return ("data", kind, item["id"])
    return None


def merge(items: list[Any]) -> Any:
    """Consecutive items with one :func:`merge_key`, as one item (the inputs unchanged)."""
    if len(items) == 1:
        return items[0]
    first, last = items[0], items[-1]
    if isinstance(first, str):
        return "".join(items)
    if isinstance(first, list):
        return compact([op for ops in items for op in ops])
    merged = dict(last)
    if "event" in first:
        merged["delta"] = "".join(item["delta"] for item in items)
        return merged
    kind = first["type"]
    if kind == "STATE_DELTA":
        merged["delta"] = compact([op for item in items for op in item["delta"]])
    elif kind in _JOINED:
        field = _JOINED[kind][1]
        merged[field] = "".join(item[field] for item in items)
    return merged  # a snapshot or a data part: the last supersedes the others


@overload
def throttle(items: AsyncIterable[T], interval: float = 0.05) -> AsyncIterator[T]: ...
@overload
def throttle(items: Iterable[T], interval: float = 0.05) -> Iterator[T]: ...
def throttle(
    items: Iterable[T] | AsyncIterable[T], interval: float = 0.05
) -> Iterator[T] | AsyncIterator[T]:
    """``items`` with consecutive mergeable items merged, each held at most ``interval``
    seconds (see the module docstring). Sync or async, like ``items``; the source is
    closed when the result is closed or runs out."""
    if not interval > 0:
        raise ValueError(f"interval must be a number of seconds > 0, not {interval!r}")
    if is_async(items, "instant.relay.throttle()"):
        return _athrottle(items, interval)  # type: ignore[arg-type]
    return _throttle(items, interval)  # type: ignore[arg-type]


class _Holder:
    """The throttle without I/O: items and timeouts in, what to send out (the two loops
    below only read the source, each with its own timed reader)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.held: list[Any] = []
        self.key: tuple[Any, ...] | None = None
        self.deadline = 0.0

    def timeout(self) -> float | None:
        """How long the reader may wait for the next item (``None``: as long as it takes)."""
        return max(0.0, self.deadline - time.monotonic()) if self.held else None

    def flush(self) -> list[Any]:
        """Send what is held (the interval is up, the source ended or failed)."""
        if not self.held:
            return []
        out, self.held = merge(self.held), []
        return [out]

    def push(self, item: Any) -> list[Any]:
        """One item from the source: what to send now (possibly nothing: it is held)."""
        new = merge_key(item)
        if self.held and new is not None and new == self.key:
            self.held.append(item)
            return []
        out = self.flush()
        if new is None:
            out.append(item)
        else:
            self.held, self.key = [item], new
            self.deadline = time.monotonic() + self.interval
        return out


def _throttle(items: Iterable[Any], interval: float) -> Iterator[Any]:
    reader = ThreadReader(items)
    holder = _Holder(interval)
    try:
        while True:
            try:
                kind, item = reader.get(holder.timeout())
            except Exception:
                yield from holder.flush()
                raise
            if kind == END:
                break
            yield from holder.flush() if kind == TIMEOUT else holder.push(item)
    finally:
        reader.close()
    yield from holder.flush()


async def _athrottle(items: AsyncIterable[Any], interval: float) -> AsyncIterator[Any]:
    reader = TaskReader(items)
    holder = _Holder(interval)
    try:
        while True:
            try:
                kind, item = await reader.get(holder.timeout())
            except Exception:
                for out in holder.flush():
                    yield out
                raise
            if kind == END:
                break
            for out in holder.flush() if kind == TIMEOUT else holder.push(item):
                yield out
    finally:
        await reader.aclose()
    for out in holder.flush():
        yield out
