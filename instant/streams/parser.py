"""The stream parser: raw chunks in, events out (sans-I/O), the reply and each tool call apart.

:class:`StreamParser` reads each raw chunk with :class:`~.chunks.ChunkReader` (text of the
reply, fragments of tool-call arguments) and feeds one :class:`~instant.Parser` for the reply
text and one per tool call. It does no I/O: :mod:`._pump` puts it on a source.

Cost: the reply text goes straight to its parser (a ``str`` chunk costs one type check);
an SDK chunk costs reading its shape once (:mod:`.chunks`).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from .._core.parser import Parser
from ..errors import ParseError, RefusalError, _add_note
from ..events import Event, ToolCallInfo
from ..options import ParserOptions, Unpack
from .chunks import CallPiece, ChunkReader, Finish, Refusal
from .wire import WIRES, Decoded, Decoder, Sniffer, Wire, decoder_for

_TEXT = (str, bytes, bytearray, memoryview)

__all__ = ["StreamParser", "ToolCall"]


@dataclass(eq=False)
class ToolCall:
    """One tool call of the stream: who is called, and its arguments as they arrive.

    ``index`` numbers the calls 0, 1, ... in the order they first appear; ``id`` and
    ``name`` are the API's; ``arguments`` the raw argument text so far, ``value`` the
    arguments parsed so far (the final ``dict`` once the stream has ended).
    """

    index: int
    id: str | None
    name: str | None
    parser: Parser = field(repr=False)
    _parts: list[str] = field(default_factory=list, repr=False)
    closed: bool = False

    @property
    def arguments(self) -> str:
        return "".join(self._parts)

    @property
    def value(self) -> Any:
        return self.parser.value


class StreamParser:
    """Raw chunks in, events out (sans-I/O): the reply text and each tool call parsed apart.

    ``select`` and ``options`` apply to every document: the reply text and the arguments
    of each call (those get ``expect="object"`` unless told otherwise). Events of a tool
    call carry ``tool_call = {"index", "id", "name"}``. A reply with no JSON at all (prose,
    or prose around tool calls) is a normal reply: :attr:`value` stays ``None`` and the
    reply is in :attr:`text`. One-shot calls that need a value (``instant.parse``,
    ``stream_model``) raise ``ParseError`` (kind ``no_json``) for it.

    ``wire`` says what text chunks are: ``"text"`` the reply itself, ``"sse"`` a provider's
    raw server-sent events, ``"ndjson"`` its JSON lines (each event decoded and read like
    the SDK's chunk), ``"auto"`` (the default) tells them apart from the first characters
    (:class:`~.wire.Sniffer`); :attr:`wire` says what it found.
    """

    def __init__(self, *, wire: Wire = "auto", **options: Unpack[ParserOptions]) -> None:
        if wire not in WIRES:
            raise ValueError(f"wire must be one of {', '.join(map(repr, WIRES))}, not {wire!r}")
        self._options = options
        self._reader = ChunkReader()
        # while sniffing: the Sniffer and the text chunks held; then the decoder, if any
        self._wire: Sniffer | Decoder | None = decoder_for(wire)
        if wire == "auto":
            self._wire = Sniffer(ndjson=not options.get("multiple"))
        self.wire: str | None = None if wire == "auto" else wire
        self._held: list[Any] = []
        self._sniff_bytes: codecs.IncrementalDecoder | None = None
        self.parser = Parser(**options)
        self.tool_calls: list[ToolCall] = []
        self._text: list[str] = []
        self._decoder: codecs.IncrementalDecoder | None = None
        self.chunk_text = ""  # the reply text the last chunk brought
        self.last_chunk: Any = None
        self.finish_reason: str | None = None  # normalised (chunks.finish_reason)
        self.raw_finish_reason: Any = None  # as the provider wrote it
        self._refusal: list[str] = []
        self.no_json: ParseError | None = None  # the reply held no JSON (said at close)

    @property
    def text(self) -> str:
        """All reply text so far (tool-call arguments are in :attr:`tool_calls`)."""
        return "".join(self._text)

    @property
    def value(self) -> Any:
        """The reply's document so far (``None`` if there is none yet)."""
        return self.parser.value

    @property
    def refusal(self) -> str | None:
        """The refusal text so far, if the model refused (OpenAI ``refusal``)."""
        return "".join(self._refusal) if self._refusal else None

    def feed(self, chunk: Any) -> list[Event]:
        """Events for one raw chunk. Raises ParseError (with ``.events``) on bad input."""
        self.last_chunk = chunk
        if chunk.__class__ is str and self._wire is None:  # the common case (see stepper())
            self.chunk_text = chunk
            if not chunk:
                return []
            self._text.append(chunk)
            return self.parser.feed(chunk)
        events: list[Event] = []
        texts: list[str] = []
        if self._wire is None:
            self._read(chunk, events, texts)
        elif isinstance(self._wire, Sniffer):
            self._sniff(chunk, events, texts)
        else:
            self._decode(chunk, events, texts)
        self.chunk_text = "".join(texts)
        if self.chunk_text:
            self._text.append(self.chunk_text)
        return events

    def stepper(self, on_error: Callable[[ParseError], NoReturn]) -> Callable[[Any], list[Event]]:
        """:meth:`feed` as one function for a pump's loop (see :mod:`._pump`), which calls
        ``on_error(err)`` (it raises) for a ``ParseError``.

        A text chunk, once the wire is known to be the reply itself, goes straight to the
        reply's parser from this function: the common chunk costs one call besides the
        parser's. It does not keep :attr:`chunk_text` and :attr:`last_chunk` (a driver that
        reads them calls :meth:`feed`).
        """
        parser_feed = self.parser.feed
        texts = self._text
        feed = self.feed

        def step(chunk: Any) -> list[Event]:
            if chunk.__class__ is str and self._wire is None:  # feed()'s fast path
                if not chunk:  # (the parser would refuse one inside a UTF-8 sequence)
                    return []
                texts.append(chunk)
                try:
                    return parser_feed(chunk)
                except ParseError as err:
                    on_error(err)
            try:
                return feed(chunk)
            except ParseError as err:
                on_error(err)

        return step

    def _read(self, chunk: Any, events: list[Event], texts: list[str]) -> None:
        """Feed the pieces of one chunk (text, an SDK object, a decoded event)."""
        try:
            pieces = self._reader.read(chunk)
        except ParseError as err:  # Vertex partialArgs out of order, a bad Bedrock chunk
            err.events = events + err.events
            raise
        for piece in pieces:
            if isinstance(piece, CallPiece):
                self._feed_call(piece, events)
                continue
            if isinstance(piece, Finish):
                self.finish_reason, self.raw_finish_reason = piece.reason, piece.raw
                continue
            if isinstance(piece, Refusal):
                self._refusal.append(piece.text)
                continue
            if isinstance(piece, bytes):
                if self._decoder is None:
                    self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
                texts.append(self._decoder.decode(piece))
            else:
                texts.append(piece)
            self._feed(self.parser, piece, events, None)

    # -- raw server-sent events and JSON lines --------------------------------------------

    def _sniff(self, chunk: Any, events: list[Event], texts: list[str]) -> None:
        """Hold text chunks until their first characters say what they are."""
        assert isinstance(self._wire, Sniffer)
        if isinstance(chunk, _TEXT):
            self._held.append(chunk)
            if isinstance(chunk, str):
                text = chunk
            else:
                if self._sniff_bytes is None:
                    self._sniff_bytes = codecs.getincrementaldecoder("utf-8")("replace")
                text = self._sniff_bytes.decode(bytes(chunk))
            found = self._wire.push(text)
            if found is not None:
                self._decided(found, events, texts)
            return
        # an SDK object: nothing to decode (text chunks before it were the reply's)
        self._decided("text" if self._held else "objects", events, texts)
        self._read(chunk, events, texts)

    def _decided(self, found: str, events: list[Event], texts: list[str]) -> None:
        """What the stream is: "text", "sse", "ndjson" or "objects"; read what was held."""
        self.wire = found
        self._wire = decoder_for(found)
        held, self._held = self._held, []
        for chunk in held:
            if self._wire is None:
                self._read(chunk, events, texts)
            else:
                self._decode(chunk, events, texts)

    def _decode(self, chunk: Any, events: list[Event], texts: list[str]) -> None:
        """One chunk of raw SSE / JSON lines: read each event it completes."""
        if not isinstance(chunk, _TEXT):  # an SDK object among the lines: read it as such
            self._read(chunk, events, texts)
            return
        assert self._wire is not None and not isinstance(self._wire, Sniffer)
        self._read_decoded(self._wire.feed(chunk), events, texts)

    def _read_decoded(self, decoded: list[Decoded], events: list[Event], texts: list[str]) -> None:
        for item in decoded:
            if item.error is not None:  # the stream is broken here: what came before is read
                item.error.events = events + item.error.events
                raise item.error
            try:
                self._read(item.value, events, texts)
            except TypeError as err:  # an event of no shape we know
                raise self._unknown_event(item, err, events) from None

    @staticmethod
    def _unknown_event(item: Decoded, err: TypeError, events: list[Event]) -> ParseError:
        shown = repr(item.value)
        error = ParseError(
            f"the event at line {item.line} is not one instant can read ({err})",
            offset=item.offset,
            line=item.line,
            column=item.column,
            excerpt=shown[:60],
            pointer=0,
        )
        error.events = events
        return error

    def close(self) -> list[Event]:
        """The stream ended: finish every document, reply text first, then the calls.

        Raises :class:`~instant.RefusalError` if the model refused and wrote no JSON.
        """
        events: list[Event] = []
        texts: list[str] = []
        if isinstance(self._wire, Sniffer):
            self._decided(self._wire.finish(), events, texts)
        if self._wire is not None and not isinstance(self._wire, Sniffer):
            self._read_decoded(self._wire.close(), events, texts)
        # the reply text that only the end told (held while its first characters said
        # nothing, or an event without the blank line after it)
        self.chunk_text = "".join(texts)
        if self.chunk_text:
            self._text.append(self.chunk_text)
        if self._refusal and self.parser.value is None and not self.tool_calls:
            raise RefusalError(self.refusal or "")
        try:
            events.extend(self.parser.close())
        except ParseError as err:
            if err.kind != "no_json":  # a reply that is only prose is a normal reply
                err.events = events + err.events
                raise
            self.no_json = err
            events.extend(err.events)
        for call in self.tool_calls:
            self._close_call(call, events)
        return events

    # -- tool calls ---------------------------------------------------------------------

    def _feed_call(self, piece: CallPiece, events: list[Event]) -> None:
        if piece.index == len(self.tool_calls):
            options: ParserOptions = {"expect": "object", **self._options}
            parser = Parser(**options)
            self.tool_calls.append(ToolCall(piece.index, piece.id, piece.name, parser))
        call = self.tool_calls[piece.index]
        if piece.id and not call.id:
            call.id = piece.id
        if piece.name and not call.name:
            call.name = piece.name
        if piece.arguments and not call.closed:
            call._parts.append(piece.arguments)
            self._feed(call.parser, piece.arguments, events, call)
        if piece.end:
            self._close_call(call, events)

    def _close_call(self, call: ToolCall, events: list[Event]) -> None:
        if call.closed:
            return
        call.closed = True
        if not call._parts:  # a call without arguments (a tool with no parameters)
            call._parts.append("{}")
            self._feed(call.parser, "{}", events, call)
        mark = len(events)
        try:
            events.extend(call.parser.close())
        except ParseError as err:
            _tag(err.events, call)
            err.events = events + err.events
            _add_note(err, f"in the arguments of tool call {call.index} ({call.name})")
            raise
        _tag(events, call, mark)

    @staticmethod
    def _feed(
        parser: Parser, text: str | bytes, events: list[Event], call: ToolCall | None
    ) -> None:
        try:
            new = parser.feed(text)
        except ParseError as err:
            if call is not None:
                _tag(err.events, call)
                _add_note(err, f"in the arguments of tool call {call.index} ({call.name})")
            err.events = events + err.events
            raise
        if call is not None:
            _tag(new, call)
        events.extend(new)


def _tag(events: list[Event], call: ToolCall, start: int = 0) -> None:
    """Say which call the events belong to: each event its own dict, as of that event (an
    id or name that arrives later does not change what earlier events say)."""
    index, id, name = call.index, call.id, call.name
    for i in range(start, len(events)):
        info: ToolCallInfo = {"index": index, "id": id, "name": name}
        events[i]["tool_call"] = info
