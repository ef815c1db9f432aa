"""``instant.stream()``: the events of a model stream, sync or async, as they are parsed.

:class:`EventDriver` is the sans-I/O consumer (a :class:`~.parser.StreamParser` whose
errors are handed over as values); :class:`EventStream` and :class:`AsyncEventStream` put it
on a source with :func:`~._pump.pump` / :func:`~._pump.apump`, which read one chunk only when
the consumer wants the next event and close the source on every way out. ``until=`` stops the
stream early (see :mod:`.until`): the driver cuts the chunk's events after the stopping one
and says ``stopped``, and the pump closes the source at once.

Cost: over :meth:`StreamParser.feed`, one driver call per chunk and one generator resume per
event; nothing is buffered beyond the events of one chunk.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from types import TracebackType
from typing import Any, NoReturn, Protocol, overload

from .._core.parser import Parser
from ..errors import ParseError, RefusalError
from ..events import Event
from ..options import ParserOptions, Unpack, check
from ._pump import Source, Step, Stop, apump, chunks_of, pump
from .parser import StreamParser, ToolCall
from .until import Gate, UntilSpec, plan
from .wire import Wire

__all__ = ["AsyncEventStream", "EventDriver", "EventStream", "open_stream", "stream"]


class EventDriver:
    """A :class:`StreamParser` as a pump driver: events out, a ``ParseError`` as a value.

    The events the failing call produced are handed out first and the error's ``events``
    emptied, so a consumer that catches it has seen each event exactly once. With a
    :class:`~.until.Gate` (``until=``), each chunk's events pass through it, and the driver
    is ``stopped`` once it says so (an error after the stopping event is not raised: the
    stream had what it asked for before it).
    """

    def __init__(self, core: StreamParser, gate: Gate | None = None) -> None:
        self.core = core
        self.gate = gate
        self.stopped = False
        # the pump's per-chunk call (see _pump); with a gate, feed() says what happened
        self.step: Step[Event] | None = None if gate is not None else core.stepper(_stop_at)

    def begin(self) -> list[Event]:
        return []

    def feed(self, chunk: Any) -> tuple[list[Event], BaseException | None]:
        gate = self.gate
        if gate is None:
            try:
                return self.core.feed(chunk), None
            except ParseError as err:
                return _handed_over(err)
        try:
            events = gate(self.core.feed(chunk))
        except ParseError as err:
            events, err.events = gate(err.events), []
            self.stopped = gate.stopped
            return events, None if self.stopped else err
        self.stopped = gate.stopped
        return events, None

    def close(self) -> tuple[list[Event], BaseException | None]:
        gate = self.gate
        try:
            events = self.core.close()
        except ParseError as err:
            events, err.events = err.events, []
            return (events if gate is None else gate.kept(events)), err
        except RefusalError as err:
            return [], err
        # the source has ended: nothing to stop (until= looks at what is read, not at the
        # completion of a truncated document)
        return (events if gate is None else gate.kept(events)), None

    def fail(self, exc: BaseException) -> list[Event]:
        return []


def _handed_over(err: ParseError) -> tuple[list[Event], ParseError]:
    """The events the failing call produced, to hand out before ``err`` (which keeps none)."""
    events, err.events = err.events, []
    return events, err


def _stop_at(err: ParseError) -> NoReturn:
    """A step's error: hand out the events the failing call produced, then raise ``err``."""
    raise Stop(*_handed_over(err))


class _Stoppable(Protocol):
    @property
    def stopped(self) -> bool: ...


class _Stream:
    """What both stream classes tell about the stream parsed so far."""

    _core: StreamParser
    _driver: _Stoppable

    @property
    def value(self) -> Any:
        """The reply's document so far (``None`` if there is none yet)."""
        return self._core.value

    @property
    def stopped_early(self) -> bool:
        """Whether ``until=`` stopped the stream (the source was closed before its end)."""
        return bool(self._driver.stopped)

    @property
    def text(self) -> str:
        """All reply text so far (prose and fences included; tool-call arguments apart)."""
        return self._core.text

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls seen so far, in order of appearance."""
        return self._core.tool_calls

    @property
    def truncated(self) -> bool:
        """Whether the reply's document was cut off and completed at the end."""
        return self._core.parser.truncated

    @property
    def finish_reason(self) -> str | None:
        """Why the provider says the reply ended, normalised: ``"stop"``, ``"length"``,
        ``"content_filter"``, ``"tool_calls"``, or its own word; ``None`` if it did not say."""
        return self._core.finish_reason

    @property
    def wire(self) -> str | None:
        """What the source turned out to be: ``"text"`` (the reply), ``"sse"`` or ``"ndjson"``
        (a provider's raw stream, decoded), ``"objects"`` (SDK chunks or dicts); ``None``
        before the first chunk says."""
        return self._core.wire

    @property
    def refusal(self) -> str | None:
        """The model's refusal text, if it refused (then the stream raises RefusalError)."""
        return self._core.refusal

    @property
    def parser(self) -> Parser:
        """The parser of the reply text."""
        return self._core.parser


class EventStream(_Stream):
    """The events of a synchronous source (what :func:`stream` returns for an iterable).

    Iterate it once. After (or during) iteration, :attr:`value`, :attr:`text` and
    :attr:`tool_calls` tell what has been parsed. Leaving a ``for`` loop early closes the
    source once the stream object is dropped; :meth:`close` (or ``with``) does it at once,
    also for a stream that was never iterated.
    """

    def __init__(self, source: Any, core: StreamParser, gate: Gate | None = None) -> None:
        self._core = core
        self._source: Source[Any] = Source(source)
        self._driver = driver = EventDriver(core, gate)
        self._events = pump(self._source, driver)

    def __iter__(self) -> Iterator[Event]:
        return self._events

    def __next__(self) -> Event:
        return next(self._events)

    def close(self) -> None:
        """Stop reading and close the source (if it has a ``close`` method)."""
        self._events.close()
        self._source.close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncEventStream(_Stream):
    """The events of an asynchronous source (what :func:`stream` returns for one).

    ``async for`` over it; :meth:`aclose` (or ``async with``) stops reading and closes the
    source at once, also for a stream that was never iterated; a cancelled consumer closes
    it too. Leaving the loop early without either closes the source when the event loop
    finalises the iterator.
    """

    def __init__(self, source: Any, core: StreamParser, gate: Gate | None = None) -> None:
        self._core = core
        self._source: Source[Any] = Source(source)
        self._driver = driver = EventDriver(core, gate)
        self._events = apump(self._source, driver)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._events

    async def __anext__(self) -> Event:
        return await self._events.__anext__()

    async def aclose(self) -> None:
        """Stop reading and close the source (``aclose()`` or ``close()``, awaited if need be)."""
        await self._events.aclose()
        await self._source.aclose()

    async def __aenter__(self) -> AsyncEventStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


@overload
def stream(
    source: AsyncIterable[Any],
    *,
    wire: Wire = "auto",
    until: UntilSpec | None = None,
    **options: Unpack[ParserOptions],
) -> AsyncEventStream: ...
@overload
def stream(
    source: Iterable[Any] | str | bytes,
    *,
    wire: Wire = "auto",
    until: UntilSpec | None = None,
    **options: Unpack[ParserOptions],
) -> EventStream: ...
def stream(
    source: Iterable[Any] | AsyncIterable[Any] | str | bytes,
    *,
    wire: Wire = "auto",
    until: UntilSpec | None = None,
    **options: Unpack[ParserOptions],
) -> EventStream | AsyncEventStream:
    """The events of a model stream, as they are parsed.

    ``source`` is an iterable (you get an iterator) or an async iterable (you get an async
    iterator) of ``str``/``bytes`` or of SDK chunk objects (see :mod:`instant.streams.chunks`);
    a whole ``str``/``bytes`` is one chunk; a boto3 response (a dict with a ``"stream"``) is
    read as its stream. ``options`` are :class:`~instant.Parser`'s. Tool calls are parsed
    one parser per call and their events carry ``tool_call = {"index", "id", "name"}``.

    Text chunks are the reply itself, or a provider's raw stream as ``curl -N`` prints it:
    ``wire="sse"`` (server-sent events), ``wire="ndjson"`` (JSON lines), ``wire="text"``
    (the reply, never decoded); the default ``"auto"`` tells them apart from the first
    characters (see :class:`~instant.streams.wire.Sniffer`).

    ``until`` (a selector, or a function of an event) stops the stream early: once every
    path it names is done (see :mod:`instant.streams.until`), the stream closes the
    source, hands out the events up to the stopping one and ends, with ``stopped_early``.
    """
    return open_stream("instant.stream()", source, options, wire=wire, until=until)


def open_stream(
    where: str,
    source: Any,
    options: ParserOptions,
    asynchronous: bool = False,
    wire: Wire = "auto",
    until: UntilSpec | None = None,
) -> EventStream | AsyncEventStream:
    """:func:`stream` for the entry points built on it: ``where`` names the caller in
    errors, ``asynchronous`` asks for an :class:`AsyncEventStream` even over a sync source."""
    check(where, options)
    source = chunks_of(source, where)
    opts, gate = plan(where, options, until)
    core = StreamParser(wire=wire, **opts)
    if asynchronous or hasattr(source, "__aiter__"):
        return AsyncEventStream(source, core, gate)
    return EventStream(source, core, gate)
