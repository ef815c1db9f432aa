"""``instant parse`` on a provider's raw stream: server-sent events or JSON lines, as
``curl -N`` prints them, decoded event by event and read like the SDK's chunks.

:func:`sniff` reads the first bytes and says what the input is (``--wire auto``);
:func:`parse_wire` then decodes each read's complete events (:mod:`instant.streams.wire`),
feeds them to a :class:`~instant.StreamParser` and writes the events of the reply (and of
tool-call arguments, marked ``tool_call``) at once. Errors in the stream itself (a line that
is not an event, data that is not JSON, an event of no known shape) are reported at their
line in the input; errors in the reply, at their line in the reply's text.
"""

from __future__ import annotations

import argparse
import codecs
import os
import sys

from ..errors import ParseError, RefusalError, StreamError
from ..streams.parser import StreamParser
from ..streams.wire import Decoded, NDJSONDecoder, Sniffer, SSEDecoder
from .output import Output, error_report, formatter

_OK, _PARSE_ERROR = 0, 1  # instant parse's exit statuses (see parse.py)
_READ_SIZE = 65536


def sniff(fd: int, wire: str, multiple: bool) -> tuple[list[bytes], str]:
    """The reads it took to tell what the input is, and what it is: "text", "sse" or
    "ndjson" (``wire`` when it is not "auto")."""
    if wire != "auto":
        return [], wire
    sniffer = Sniffer(ndjson=not multiple)
    text = codecs.getincrementaldecoder("utf-8")("replace")
    held: list[bytes] = []
    while True:
        data = os.read(fd, _READ_SIZE)
        if not data:
            return held, sniffer.finish()
        held.append(data)
        found = sniffer.push(text.decode(data))
        if found is not None:
            return held, found


class _Failed(Exception):
    """A ParseError, and the name to report it under."""

    def __init__(self, where: str, error: ParseError) -> None:
        super().__init__(where)
        self.where = where
        self.error = error


def parse_wire(
    fd: int, held: list[bytes], wire: str, args: argparse.Namespace, out: Output, name: str
) -> int:
    """Decode the stream on ``fd`` (``held``: what was read already) and print its events."""
    decoder = SSEDecoder() if wire == "sse" else NDJSONDecoder()
    core = StreamParser(
        wire="text",
        strict=args.strict,
        multiple=args.multiple,
        expect=args.expect,
        select=args.select,
        snapshots=args.full,
    )
    write = formatter(args.format, args.select is not None, args.full)

    def read(decoded: list[Decoded]) -> None:
        for item in decoded:
            if item.error is not None:  # the stream's own text: at its line in the input
                raise _Failed(name, item.error)
            try:
                events = core.feed(item.value)
            except ParseError as err:
                raise _Failed(f"{name} (the reply)", err) from None
            except TypeError as err:
                raise _Failed(name, _unknown(item, err)) from None
            if events:
                out.write(write(events))

    try:
        for data in held:
            read(decoder.feed(data))
        while data := os.read(fd, _READ_SIZE):
            read(decoder.feed(data))
        read(decoder.close())
        try:
            events = core.close()
        except ParseError as err:
            raise _Failed(f"{name} (the reply)", err) from None
        if events:
            out.write(write(events))
    except _Failed as failed:
        if failed.error.events:
            out.write(write(failed.error.events))
        sys.stderr.write(error_report(failed.where, failed.error))
        return _PARSE_ERROR
    except (StreamError, RefusalError) as err:
        sys.stderr.write(f"instant parse: {name}: {err}\n")
        return _PARSE_ERROR
    _warn(core, name)
    return _OK


def _unknown(item: Decoded, err: TypeError) -> ParseError:
    shown = repr(item.value)[:60]
    return ParseError(
        f"the event at line {item.line} is not one instant can read ({err})",
        offset=item.offset,
        line=item.line,
        column=item.column,
        excerpt=shown,
        pointer=0,
    )


def _warn(core: StreamParser, name: str) -> None:
    """Say on stderr what the stream says went wrong with the reply."""
    if core.parser.truncated:
        sys.stderr.write(
            f"instant parse: {name}: the reply ended inside the JSON; "
            "completed what was there (truncated)\n"
        )
    for call in core.tool_calls:
        if call.parser.truncated:
            sys.stderr.write(
                f"instant parse: {name}: the arguments of tool call {call.index} "
                f"({call.name}) ended inside the JSON (truncated)\n"
            )
    if core.finish_reason in ("length", "content_filter"):
        sys.stderr.write(
            f"instant parse: {name}: the provider says the reply was cut off "
            f"(finish_reason {core.finish_reason!r}, {core.raw_finish_reason!r})\n"
        )


__all__ = ["parse_wire", "sniff"]
