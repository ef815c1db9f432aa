"""One-call conveniences: the value of a whole reply, the events of an iterable of chunks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .._core.parser import Parser
from ..events import Event
from ..options import ParserOptions, Unpack, check
from .eventstream import EventStream, open_stream
from .wire import Sniffer, Wire

__all__ = ["iter_events", "parse"]


def parse(
    text: str | bytes | Iterable[Any],
    *,
    wire: Wire = "auto",
    allow_truncated: bool = False,
    **options: Unpack[ParserOptions],
) -> Any:
    """The final value of a whole model reply (``multiple=True``: the list of documents).

    ``text`` is the reply (``str`` or UTF-8 ``bytes``), or a sync stream of chunks (an SDK
    stream, a list of pieces), read to its end. A provider's raw stream (server-sent events,
    JSON lines) is decoded as :func:`instant.stream` does (``wire``, by default told from
    the first characters). Lenient by default: finds the JSON inside prose, fences and think
    blocks. Raises :class:`~instant.ParseError` on bad input (kind ``no_json`` for a reply
    without JSON), :class:`~instant.TruncatedError` for a reply cut off before its document
    ended (``allow_truncated=True``: return the value the parser completed instead),
    :class:`~instant.RefusalError` for a stream whose model refused. ``options`` are
    :class:`~instant.Parser`'s (``select`` changes nothing here: the value is always the
    whole document). No event is kept, so snapshots are off unless asked for.
    """
    check("instant.parse()", options)
    if allow_truncated.__class__ is not bool:
        raise TypeError(
            f"instant.parse(): allow_truncated must be True or False, not {allow_truncated!r}"
        )
    options.setdefault("snapshots", False)
    if isinstance(text, (bytearray, memoryview)):
        text = bytes(text)
    if isinstance(text, (str, bytes)) and wire != "text":
        if wire == "auto":
            sniffer = Sniffer(ndjson=not options.get("multiple"))
            head = text[:65536]
            sniffer.push(head if isinstance(head, str) else head.decode("utf-8", "replace"))
            found = sniffer.finish()
        else:
            found = wire
        if found != "text":
            text = (text,)
    if isinstance(text, (str, bytes)):
        parser = Parser(**options)
        parser.feed(text)
        parser.close()
    else:
        if hasattr(text, "__aiter__"):
            raise TypeError(
                "instant.parse() reads a sync source; for an async one use "
                "`async for event in instant.stream(source)` and then its .value"
            )
        events = open_stream("instant.parse()", text, options, wire=wire)
        assert isinstance(events, EventStream)
        for _ in events:
            pass
        if events._core.no_json is not None:
            raise events._core.no_json
        parser = events.parser
    if parser.truncated and not allow_truncated:
        raise parser._truncated_error()
    return parser.values if parser.multiple else parser.value


def iter_events(
    chunks: Iterable[Any] | str | bytes, **options: Unpack[ParserOptions]
) -> Iterator[Event]:
    """Events for a sync iterable of chunks (or one whole text), as each chunk arrives.

    The same as iterating :func:`instant.stream` over ``chunks`` (which also takes async
    sources and tells the value, text and tool calls).
    """
    if hasattr(chunks, "__aiter__"):
        raise TypeError(
            "instant.iter_events() reads a sync source; for an async one use instant.stream()"
        )
    events = open_stream("instant.iter_events()", chunks, options)
    assert isinstance(events, EventStream)
    return iter(events)
