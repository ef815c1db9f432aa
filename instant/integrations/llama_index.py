"""LlamaIndex Workflows: a step streams a model's reply to the workflow's event stream.

Install with ``pip install "instant-json[llama-index]"`` (the ``llama-index-workflows``
package; ``llama_index.core.workflow`` re-exports the same classes). Inside a step::

    reply = await stream_to_context(ctx, model_stream, progress=ProgressEvent)

writes one :class:`InstantEvent` per parsed event with ``ctx.write_event_to_stream`` (so a
client of ``handler.stream_events()`` sees the reply take shape) and, with ``progress``,
one ``ProgressEvent(msg=text)`` per chunk of reply text, as LlamaIndex's own streaming
example does; it returns a :class:`StreamResult`: the reply text, the parsed value (``None``
for a reply without JSON, plain prose), whether it was truncated, and the finish reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass
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
from ..options import ParserOptions, Unpack, check
from ..streams._pump import Source, apump, chunks_of, pump
from ..streams.generators import Item, PairsDriver
from ..streams.parser import StreamParser

__all__ = ["InstantEvent", "StreamResult", "stream_to_context"]


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


@dataclass(frozen=True)
class StreamResult:
    """What :func:`stream_to_context` read: the whole reply ``text`` (prose and fences
    included), its parsed ``value`` (``None`` if the reply held no JSON), ``truncated``
    (the document was cut off and completed at the end) and the provider's
    ``finish_reason`` (``"stop"``, ``"length"``, ...; ``None`` if it did not say)."""

    text: str
    value: Any
    truncated: bool
    finish_reason: str | None


async def stream_to_context(
    ctx: Context[Any],
    source: Iterable[Any] | AsyncIterable[Any],
    *,
    progress: type[WorkflowEvent] | None = None,
    progress_field: str = "msg",
    **options: Unpack[ParserOptions],
) -> StreamResult:
    """Parse ``source`` as :func:`instant.stream` does, write each event to ``ctx``'s event
    stream as an :class:`InstantEvent`, and return a :class:`StreamResult`.

    ``progress`` names a workflow event class: each chunk that brings reply text also
    writes ``progress(**{progress_field: text})`` (``ProgressEvent(msg=delta)``), before
    that chunk's parsed events. ``options`` are the parser's (``select=`` to write only
    some events, ``expect=``, ...). A reply with no JSON (prose) is a normal reply: its
    progress events are written and the result's ``value`` is ``None``.

    ``source`` is an async iterable (an async SDK stream) or an iterable. A synchronous
    source is read in the event loop's thread, so use one only if it does not block (a
    list, a replay); after each event the step yields to the loop so the events reach
    ``handler.stream_events()`` as they come. The source is closed on every way out (the
    end, an error, a cancellation).
    """
    where = "stream_to_context()"
    check(where, options)
    source = chunks_of(source, where)
    core = StreamParser(**options)
    driver = PairsDriver(core, False)
    write = ctx.write_event_to_stream

    def emit(item: Item) -> None:
        name, data = item
        if name == "instant":
            write(InstantEvent.from_event(data))
        elif name == "response:delta" and progress is not None:
            write(progress(**{progress_field: data}))

    if hasattr(source, "__aiter__"):
        items = apump(Source(source), driver)
        try:
            async for item in items:
                emit(item)
        finally:
            await items.aclose()
    else:
        sync_items = pump(Source(source), driver)
        try:
            for item in sync_items:
                emit(item)
                await asyncio.sleep(0)
        finally:
            sync_items.close()
    return StreamResult(core.text, core.value, core.parser.truncated, core.finish_reason)
