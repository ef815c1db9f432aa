"""The stream layer adds no behaviour of its own: ``instant.stream()`` hands out exactly what a
``StreamParser`` fed the same chunks gives, whatever the chunks are.

The pump reads text chunks through a fast path (the chunk goes to the reply's parser with no
call between, and errors travel as an exception the pump catches) while anything else (bytes,
SDK chunks, the first chunks of a raw SSE stream) goes through ``StreamParser.feed``. Here
random chunk sequences that mix them, valid and broken documents, are read by a sync and an
async stream and by a ``StreamParser`` directly: the events, the error (type, message,
position), the value and the text must be the same, and the source closed once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import instant
from instant.streams import StreamParser

DOCS = [
    'Sure: {"title": "Lisbon", "stops": [{"name": "Belém"}, {"name": "Alfama 🚋"}], "n": 3}',
    '{"a": [1, 2.5, true, null], "b": {"c": "x\\"y\\u00e9"}, "d": "long text here"}',
    '["é", {"k": [[], {}]}, -0.5e3]',
    '{"a": 1, "b": @@}',  # broken: a ParseError after some events
    '{"a": "unterminated',  # truncated: completed at the end
    "no JSON at all, only prose",
]


def chat(text: str) -> dict[str, Any]:
    """An OpenAI chat completions chunk as a dict."""
    return {"choices": [{"index": 0, "delta": {"content": text}}]}


@st.composite
def chunkings(draw: st.DrawFn) -> list[Any]:
    """A document cut anywhere into str, bytes (split inside UTF-8 sequences), empty str and
    SDK chunks, in any mix."""
    text = draw(st.sampled_from(DOCS))
    data = text.encode()
    cuts = sorted(draw(st.sets(st.integers(1, len(data) - 1), max_size=12)))
    chunks: list[Any] = []
    for a, b in zip([0, *cuts], [*cuts, len(data)]):
        piece = data[a:b]
        kind = draw(st.sampled_from(["str", "str", "str", "bytes", "chat"]))
        try:
            as_text = piece.decode()
        except UnicodeDecodeError:
            kind = "bytes"  # only bytes can end inside a character
        if kind == "str":
            chunks.append(as_text)
        elif kind == "chat":
            chunks.append(chat(as_text))
        else:
            chunks.append(piece)
        if draw(st.integers(0, 9)) == 0:
            chunks.append("")
    return chunks


def reference(chunks: list[Any]) -> tuple[list[Any], Any, Any, str]:
    """StreamParser.feed chunk by chunk: the events, the error, the value and the text."""
    core = StreamParser()
    events: list[Any] = []
    try:
        for chunk in chunks:
            events += core.feed(chunk)
        events += core.close()
    except instant.ParseError as err:
        events += err.events
        return events, describe(err), core.value, core.text
    return events, None, core.value, core.text


def describe(err: BaseException | None) -> Any:
    if err is None:
        return None
    return (type(err).__name__, str(err), getattr(err, "offset", None))


class Closed:
    def __init__(self) -> None:
        self.count = 0


def sync_source(chunks: list[Any], closed: Closed) -> Iterator[Any]:
    try:
        yield from chunks
    finally:
        closed.count += 1


async def async_source(chunks: list[Any], closed: Closed) -> AsyncIterator[Any]:
    try:
        for chunk in chunks:
            await asyncio.sleep(0)
            yield chunk
    finally:
        closed.count += 1


def read_sync(chunks: list[Any]) -> tuple[list[Any], Any, Any, str, int]:
    closed = Closed()
    s = instant.stream(sync_source(chunks, closed))
    events: list[Any] = []
    error = None
    try:
        for event in s:
            events.append(event)
    except instant.ParseError as err:
        error = err
    return events, describe(error), s.value, s.text, closed.count


def read_async(chunks: list[Any]) -> tuple[list[Any], Any, Any, str, int]:
    closed = Closed()

    async def main() -> tuple[list[Any], Any, Any, str]:
        s = instant.stream(async_source(chunks, closed))
        events: list[Any] = []
        error = None
        try:
            async for event in s:
                events.append(event)
        except instant.ParseError as err:
            error = err
        return events, describe(error), s.value, s.text

    events, error, value, text = asyncio.run(main())
    return events, error, value, text, closed.count


@given(chunkings())
def test_a_stream_gives_what_the_stream_parser_gives(chunks: list[Any]) -> None:
    expected = reference(chunks)
    for read in (read_sync, read_async):
        events, error, value, text, closed = read(chunks)
        assert (events, error, value, text) == expected, read.__name__
        assert closed == 1


def test_an_empty_chunk_inside_a_utf8_sequence_is_nothing() -> None:
    """An empty str between the two halves of a character sent as bytes adds nothing (the
    parser alone would refuse text there)."""
    chunks: list[Any] = [b'{"a": "\xc3', "", b'\xa9"}']
    for read in (read_sync, read_async):
        events, error, value, text, closed = read(chunks)
        assert error is None and value == {"a": "é"} and text == '{"a": "é"}'
        assert [e["event"] for e in events] == ["delta", "done", "done"]


def test_a_raw_sse_stream_then_the_fast_path_is_not_taken() -> None:
    """Text chunks of a raw SSE stream are decoded, not parsed as the reply, even after the
    stream has been recognised (the fast path is only for the reply's own text)."""
    reply = '{"x": [1, 2]}'
    lines = "".join(
        f"data: {json.dumps(chat(reply[i : i + 3]))}\n\n" for i in range(0, len(reply), 3)
    )
    chunks = [lines[i : i + 7] for i in range(0, len(lines), 7)]
    for read in (read_sync, read_async):
        events, error, value, text, closed = read(chunks)
        assert error is None and value == {"x": [1, 2]} and text == reply
        assert (events, error, value, text) == reference(chunks)[:4]
