"""A provider's raw stream as text: server-sent events and JSON lines, decoded (sans-I/O).

What ``curl -N`` prints of a streaming API is either **server-sent events** (OpenAI,
Anthropic, Gemini's ``?alt=sse``, Mistral: ``event:`` and ``data: {...}`` lines, a blank
line after each event, ``data: [DONE]`` at the end of some) or **JSON lines** (Ollama: one
JSON object per line). :class:`SSEDecoder` and :class:`NDJSONDecoder` take that text split
anywhere (``str``, or ``bytes`` split inside UTF-8 sequences) and hand out the JSON value
of each event as it completes, with the line it came from; :class:`Sniffer` tells from the
first characters of a text stream whether it is one of them or a model's reply itself.

Cost: each character is looked at once by a regular expression that finds line ends, and
each event's data once by ``json.loads``; nothing is kept but the unfinished line and the
data lines of the unfinished event.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import ParseError

Wire = Literal["auto", "text", "sse", "ndjson"]
WIRES: tuple[Wire, ...] = ("auto", "text", "sse", "ndjson")

_EOL = re.compile(r"\r\n|\r|\n")
_FIELDS = frozenset({"data", "event", "id", "retry"})


@dataclass(slots=True)
class Decoded:
    """One event's JSON value, and where its text began in the stream (for errors); or, as
    the last item a decoder hands out, the ``error`` that stops the stream there (so the
    events decoded before it in the same chunk are read first)."""

    value: Any
    line: int
    column: int
    offset: int
    error: ParseError | None = None


Line = tuple[str, int, int]  # the text of a line, its 1-based number, the offset of its start


class _Lines:
    """Text or UTF-8 split anywhere in, whole lines out (``\n``, ``\r\n`` or ``\r``)."""

    def __init__(self) -> None:
        self._rest: list[str] = []  # the unfinished line, in the pieces it came in
        self._cr = False  # the last line ended with "\r": a "\n" that follows belongs to it
        self._pending = b""  # the start of a UTF-8 sequence that the next bytes complete
        self._bytes_seen = 0
        self.line = 0  # lines completed (the 0-based number of the unfinished one)
        self.offset = 0  # characters before the unfinished line

    def split(
        self, chunk: str | bytes | bytearray | memoryview
    ) -> tuple[list[Line], ParseError | None]:
        """The lines ``chunk`` completes, and the error that stops the stream in it (bytes
        that are not UTF-8): the lines before the error are handed out with it."""
        bad: tuple[int, int] | None = None  # (the byte, its position in the stream)
        if isinstance(chunk, str):
            text = chunk
        else:
            data = self._pending + bytes(chunk)
            try:
                text = data.decode("utf-8")
                self._pending = b""
            except UnicodeDecodeError as err:
                text = data[: err.start].decode("utf-8")
                if err.reason == "unexpected end of data":  # completed by the next bytes
                    self._pending = data[err.start :]
                else:
                    bad = (data[err.start], self._bytes_seen + err.start)
            self._bytes_seen += len(data) - len(self._pending)
        lines = self._lines(text)
        if bad is None:
            return lines, None
        rest = "".join(self._rest)  # the good start of the line the bad byte is in
        return lines, ParseError(
            f"the stream is not UTF-8: byte 0x{bad[0]:02x} at byte {bad[1]}",
            offset=self.offset + len(rest),
            line=self.line + 1,
            column=len(rest) + 1,
            excerpt=rest[-30:],
            pointer=len(rest[-30:]),
            kind="encoding",
        )

    def _lines(self, text: str) -> list[Line]:
        if self._cr and text.startswith("\n"):
            text = text[1:]
            self.offset += 1
        self._cr = False
        if not text:
            return []
        if "\n" not in text and "\r" not in text:  # no line ends: keep it, scan nothing
            self._rest.append(text)
            return []
        if self._rest:
            self._rest.append(text)
            text = "".join(self._rest)
            self._rest = []
        out: list[Line] = []
        start = 0
        for m in _EOL.finditer(text):
            self.line += 1
            out.append((text[start : m.start()], self.line, self.offset))
            self.offset += m.end() - start
            start = m.end()
            self._cr = m.group() == "\r" and start == len(text)
        if start < len(text):
            self._rest.append(text[start:])
        return out

    def flush(self) -> tuple[list[Line], ParseError | None]:
        """The unfinished line, at the end of the stream (an error if it ended inside a
        UTF-8 sequence)."""
        rest, self._rest = "".join(self._rest), []
        error = None
        if self._pending:
            error = ParseError(
                "the stream ended inside a UTF-8 sequence",
                offset=self.offset + len(rest),
                line=self.line + 1,
                column=len(rest) + 1,
                excerpt=rest[-30:],
                pointer=len(rest[-30:]),
                kind="encoding",
            )
        if not rest:
            return [], error
        self.line += 1
        return [(rest, self.line, self.offset)], error


def _json(data: str, starts: list[tuple[int, int, int]], what: str) -> Any:
    """``json.loads(data)``, or a ParseError at the line, column and offset in the stream
    of the bad character (``starts``: where each of the data's lines begins)."""
    try:
        return json.loads(data)
    except json.JSONDecodeError as err:
        line, column, offset = starts[min(err.lineno, len(starts)) - 1]
        bad = data.split("\n")[err.lineno - 1]
        at = err.colno - 1
        start = max(0, at - 30)
        raise ParseError(
            f"{what} is not JSON: {err.msg}",
            offset=offset + at,
            line=line,
            column=column + at,
            excerpt=bad[start : at + 30],
            pointer=at - start,
        ) from None


class _Decoder:
    """Lines in, decoded items out; the first error ends the items (and the stream)."""

    def __init__(self) -> None:
        self._lines = _Lines()
        self._error: ParseError | None = None

    def feed(self, chunk: str | bytes | bytearray | memoryview) -> list[Decoded]:
        """The events ``chunk`` completes, in order; the last item may be an error."""
        if self._error is not None:
            return [Decoded(None, 0, 0, 0, self._error)]
        lines, error = self._lines.split(chunk)
        return self._run(lines, error, end=False)

    def close(self) -> list[Decoded]:
        """The end of the stream: what the unfinished line and event still hold."""
        if self._error is not None:
            return [Decoded(None, 0, 0, 0, self._error)]
        lines, error = self._lines.flush()
        return self._run(lines, error, end=True)

    def _run(self, lines: list[Line], error: ParseError | None, end: bool) -> list[Decoded]:
        out: list[Decoded] = []
        try:
            for text, line, offset in lines:
                self._line(text, line, offset, out)
            if error is None and end:
                self._end(out)
        except ParseError as err:
            error = err
        if error is not None:
            self._error = error
            out.append(Decoded(None, error.line, error.column, error.offset, error))
        return out

    def _line(self, text: str, line: int, offset: int, out: list[Decoded]) -> None:
        raise NotImplementedError

    def _end(self, out: list[Decoded]) -> None:
        pass


class SSEDecoder(_Decoder):
    """Server-sent events in, the JSON value of each event's ``data`` out.

    ``data: [DONE]`` (OpenAI's, Mistral's end marker) gives nothing; comment lines (``:
    ping``) and ``id:``/``retry:`` fields are skipped; an event without the blank line after
    it is handed out at the end. A line that is no SSE field at all is an error: it means
    the input is not server-sent events (``wire="text"`` reads it as a reply). An ``error``
    event whose data names no type is handed out as ``{"error": data}``, which the reader
    raises as a StreamError.
    """

    def __init__(self) -> None:
        super().__init__()
        self._data: list[str] = []
        self._event = ""
        self._where: list[tuple[int, int, int]] = []  # line, column, offset of each data line

    def _line(self, text: str, line: int, offset: int, out: list[Decoded]) -> None:
        if not text:
            self._end(out)
            return
        if text[0] == ":":  # a comment
            return
        name, colon, value = text.partition(":")
        if name not in _FIELDS:
            raise ParseError(
                f"not a server-sent event line: {text[:60]!r} (expected data:, event:, id:, "
                "retry:, a ': comment' or a blank line)",
                offset=offset,
                line=line,
                column=1,
                excerpt=text[:60],
                pointer=0,
            )
        skip = len(name) + len(colon)
        if value.startswith(" "):
            value, skip = value[1:], skip + 1
        if name == "data":
            self._where.append((line, skip + 1, offset + skip))
            self._data.append(value)
        elif name == "event":
            self._event = value

    def _end(self, out: list[Decoded]) -> None:
        """Dispatch the event whose lines were read (a blank line, or the end)."""
        data, event, where = self._data, self._event, self._where
        self._data, self._event, self._where = [], "", []
        if not data:
            return
        text = "\n".join(data)
        if text.strip() == "[DONE]":
            return
        line, column, offset = where[0]
        value = _json(text, where, f"the data of the event at line {line}")
        if event == "error" and isinstance(value, dict) and "type" not in value:
            if "error" not in value:
                value = {"error": value}
        out.append(Decoded(value, line, column, offset))


class NDJSONDecoder(_Decoder):
    """JSON lines in (Ollama's stream: one object per line), each line's value out; blank
    lines are skipped."""

    def _line(self, text: str, line: int, offset: int, out: list[Decoded]) -> None:
        if text.strip():
            value = _json(text, [(line, 1, offset)], f"line {line}")
            out.append(Decoded(value, line, 1, offset))


Decoder = SSEDecoder | NDJSONDecoder


def decoder_for(wire: str) -> Decoder | None:
    """The decoder of a wire format ("sse", "ndjson"); None for text and SDK objects."""
    if wire == "sse":
        return SSEDecoder()
    if wire == "ndjson":
        return NDJSONDecoder()
    return None


# -- telling what a text stream is ---------------------------------------------------------

_SNIFF_LIMIT = 65536  # undecided after this much text: it is a reply
_OLLAMA = '{"model":"'
_BLANKS = " \t\r\n\ufeff"


class Sniffer:
    """Tells from the first characters of a text stream what it is: ``"sse"``, ``"ndjson"``
    or ``"text"`` (a model's reply, the default).

    - server-sent events: the first line that is not blank or a ``:`` comment is
      ``data:`` followed by ``{``, ``[`` (``[DONE]`` too), or ``event:`` with a ``data:`` line
      right after it;
    - JSON lines: the first line is an Ollama stream line (it begins ``{"model":"``, parses
      as an object with ``done`` and ``message`` or ``response``) and another line follows
      that begins with ``{`` (one such object alone is a JSON document: it is read as one).
      Not with ``multiple=True``: JSON lines are then the documents.

    Nothing else is held back: a reply is told from these after its first non-blank
    character (a ``{`` after a few more), except one that begins ``{"model":"``, which
    waits for its first line to end.
    """

    def __init__(self, ndjson: bool = True) -> None:
        self._ndjson = ndjson
        self._parts: list[str] = []
        self._size = 0
        self._need_line = False  # undecided until a line ends: skip the scan until then

    def push(self, text: str) -> str | None:
        """The decision once the text so far tells, else None (send more)."""
        self._parts.append(text)
        self._size += len(text)
        if self._need_line and "\n" not in text and "\r" not in text:
            return "text" if self._size > _SNIFF_LIMIT else None
        decision = self._decide("".join(self._parts), final=False)
        if decision is None and self._size > _SNIFF_LIMIT:
            return "text"
        return decision

    def finish(self) -> str:
        """The decision at the end of the stream."""
        return self._decide("".join(self._parts), final=True) or "text"

    def _decide(self, text: str, final: bool) -> str | None:
        self._need_line = False
        i, n = 0, len(text)
        while True:
            while i < n and text[i] in _BLANKS:
                i += 1
            if i == n:
                return None
            if text[i] != ":":
                break
            end = _line_end(text, i)  # an SSE comment line: what comes after it decides
            if end < 0:
                self._need_line = True
                return None
            i = end
        rest = text[i:]
        if rest.startswith("data:"):
            j = 5
            while j < len(rest) and rest[j] == " ":
                j += 1
            if j == len(rest):
                return None
            return "sse" if rest[j] in "{[" else "text"
        if rest.startswith("event:"):
            end = _line_end(text, i)
            if end < 0:
                self._need_line = True
                return None
            after = text[end:]
            if after.startswith("data:"):
                return "sse"
            return None if "data:".startswith(after) and not final else "text"
        if len(rest) < 6 and ("data:".startswith(rest) or "event:".startswith(rest)):
            return None if not final else "text"
        if self._ndjson and rest[0] == "{":
            if len(rest) < len(_OLLAMA):
                return None if _OLLAMA.startswith(rest) and not final else "text"
            if not rest.startswith(_OLLAMA):
                return "text"
            end = _line_end(text, i)
            if end < 0:
                self._need_line = True
                return None
            try:
                first = json.loads(text[i:end])
            except ValueError:
                return "text"
            if not (isinstance(first, dict) and "done" in first):
                return "text"
            if not ("message" in first or "response" in first):
                return "text"
            after = text[end:].lstrip(_BLANKS)
            if not after:
                return None
            return "ndjson" if after[0] == "{" else "text"
        return "text"


def _line_end(text: str, start: int) -> int:
    """The index just past the line end after ``start`` (``\\r\\n`` whole), or -1."""
    m = _EOL.search(text, start)
    if m is None:
        return -1
    if m.group() == "\r" and m.end() == len(text):
        return -1  # a "\n" may follow
    return m.end()
