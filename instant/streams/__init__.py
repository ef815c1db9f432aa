"""The stream edge: model streams in, events (or pairs, partials, items) out.

A chunk travels down this folder in one direction::

    source ─▶ _pump ─▶ driver ─▶ parser.StreamParser ─▶ chunks.ChunkReader ─▶ instant.Parser
                                         │ (raw SSE / JSON lines: wire)

- :mod:`.chunks` reads a raw chunk by its shape (text, SDK objects, dicts), no SDK imported;
  each provider's shapes are in :mod:`.providers`;
- :mod:`.wire` decodes a provider's raw stream (server-sent events, JSON lines) into the
  JSON of its events, and tells it from a model's reply;
- :mod:`.parser` (:class:`StreamParser`) feeds the reply text and each tool call's arguments
  to their own :class:`~instant.Parser`, with no I/O;
- :mod:`._pump` is the only code that reads a source, sync or async, and closes it on every
  way out; each consumer is a sans-I/O *driver* on it: :mod:`.eventstream` (events),
  :mod:`.generators` (Agently-style pairs), :mod:`.items` (each value at a path, at its
  done), :mod:`.tap` (handles awaited before their value is written),
  :mod:`instant.models` (partial models), ...;
- :mod:`.until`: when a selector is "done" (``until=`` early stops, the end of an items
  handle);
- :mod:`.simple`: ``parse`` and ``iter_events``.
"""

from .eventstream import AsyncEventStream, EventStream, stream
from .parser import StreamParser, ToolCall

__all__ = ["AsyncEventStream", "EventStream", "StreamParser", "ToolCall", "stream"]
