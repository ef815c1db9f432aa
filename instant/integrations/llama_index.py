"""LlamaIndex Workflows: a step streams a model's JSON reply to the workflow's event stream.

Install with ``pip install "instant-json[llama-index]"`` (the ``llama-index-workflows``
package; ``llama_index.core.workflow`` re-exports the same classes). Inside a step::

    plan = await stream_to_context(ctx, model_stream)

writes one :class:`InstantEvent` per parsed event with ``ctx.write_event_to_stream`` (so a
client of ``handler.stream_events()`` sees the reply take shape) and returns the final value.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Iterable
from typing import Any, cast

try:
    from workflows import Context
    from workflows.events import Event as WorkflowEvent
except ImportError as err:  # pragma: no cover - exercised by a test that hides the package
    raise ImportError(
        "instant.integrations.llama_index needs the llama-index-workflows package: "
        'pip install "instant-json[llama-index]"'
    ) from err

from ..events import Event
from ..selector import Selector
from ..streams import AsyncEventStream, stream

__all__ = ["InstantEvent", "stream_to_context"]


class InstantEvent(WorkflowEvent):
    """One :class:`instant.Event` as a workflow event: the same fields, as attributes.

    ``tool_call`` is set (``{"index", "id", "name"}``) on the events of a tool call's
    arguments, ``document`` with ``multiple=True``; both are ``None`` otherwise.
    """

    key: str
    indexes: list[int]
    path: tuple[str | int, ...]
    event: str
    delta: Any = None
    value: Any = None
    is_complete: bool
    complete_value: Any = None
    document: int | None = None
    tool_call: dict[str, Any] | None = None

    @classmethod
    def from_event(cls, event: Event) -> InstantEvent:
        """Wrap one event of :func:`instant.stream`."""
        return cls(**cast("dict[str, Any]", event))

    def to_event(self) -> Event:
        """The plain event dict again (without ``document``/``tool_call`` when unset)."""
        out: dict[str, Any] = {
            "key": self.key,
            "indexes": self.indexes,
            "path": self.path,
            "event": self.event,
            "delta": self.delta,
            "value": self.value,
            "is_complete": self.is_complete,
            "complete_value": self.complete_value,
        }
        if self.document is not None:
            out["document"] = self.document
        if self.tool_call is not None:
            out["tool_call"] = self.tool_call
        return out  # type: ignore[return-value]


async def stream_to_context(
    ctx: Context[Any],
    source: Iterable[Any] | AsyncIterable[Any],
    *,
    select: str | Selector | None = None,
    **parser_options: Any,
) -> Any:
    """Parse ``source`` with :func:`instant.stream`, write each event to ``ctx``'s event
    stream as an :class:`InstantEvent`, and return the final value of the reply text.

    ``source`` is what :func:`instant.stream` takes: an async iterable (an async SDK
    stream) or an iterable. A synchronous source is read in the event loop's thread, so
    use one only if it does not block (a list, a replay); after each event the step
    yields to the loop so the events reach ``handler.stream_events()`` as they come.
    The source is closed if the step stops early (an error, a cancellation).
    """
    events = stream(source, select=select, **parser_options)
    if isinstance(events, AsyncEventStream):
        async with events:
            async for event in events:
                ctx.write_event_to_stream(InstantEvent.from_event(event))
        return events.value
    with events:
        for event in events:
            ctx.write_event_to_stream(InstantEvent.from_event(event))
            await asyncio.sleep(0)
    return events.value
