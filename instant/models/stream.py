"""Streaming a reply into a pydantic model: partials while it is written, the model at the end.

:class:`ModelStream` is the sans-I/O part (chunks in, partials out, then the validated
model); :func:`stream_model` and :func:`astream_model` put it on a sync or async source
through the pump (:mod:`instant.streams._pump`), which reads one chunk at a time and closes
the source on every way out.

Chunks are read by :class:`~instant.streams.chunks.ChunkReader`, the one place where SDK
shapes, tool calls, refusals and finish reasons are read. Not through
:class:`~instant.streams.StreamParser`: that parses every document of the stream (the reply
text and each tool call), while a model is one document, and the arguments of another tool
call -- or prose around the calls -- must not be able to fail the model's stream.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, Generic, Literal, overload

from pydantic import BaseModel, ValidationError

from .._core.parser import Parser
from ..errors import ParseError, RefusalError, TruncatedError
from ..options import ParserOptions, Unpack, check
from ..streams._pump import Source, apump, chunks_of, pump
from ..streams.chunks import CallPiece, ChunkReader, Finish, Refusal
from .invalid import InvalidSubtree, ModelValidationError, rewrap
from .mirror import Mirror
from .partial import ModelT, Partial, partial_model
from .shapes import Path, adapter, construct
from .shapes import _set_extra as set_extra
from .shapes import _set_private as set_private

__all__ = [
    "InvalidSubtree",
    "ModelDriver",
    "ModelStream",
    "ModelValidationError",
    "astream_model",
    "schema_prompt",
    "stream_model",
]

_OWN_OPTIONS = ("multiple", "select", "emit_start", "snapshots")
Validate = Literal["final", "subtree"]
OnInvalid = Literal["item", "raise"]


def _expect(model: type[BaseModel]) -> Literal["object", "array"] | None:
    shape = partial_model(model)[1]
    if shape.obj is not None and shape.arr is None:
        return "object"
    if shape.arr is not None and shape.obj is None:
        return "array"
    return None


def _validate(annotation: Any, value: Any) -> Any:
    """``value`` validated the way ``model_validate_json`` validates its JSON text."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):  # e.g. Decimal from a parse_float hook
        return adapter(annotation).validate_python(value)
    return adapter(annotation).validate_json(text)


class ModelStream(Generic[ModelT]):
    """Sans-I/O core of :func:`stream_model`: ``feed`` chunks, get a partial or ``None``.

    A chunk is a ``str``/``bytes`` or an SDK chunk (read as :func:`instant.stream` reads
    it; ``tool_call`` picks a tool call's arguments instead of the reply text).
    ``on="chunk"``: a partial whenever the document visibly changed; ``on="field"``: only
    when some value completed. With ``validate="subtree"`` each sub-model is validated as
    it closes and the invalid ones collect in :attr:`invalid`. :meth:`close` ends the
    input, :meth:`result` validates the finished document.
    """

    def __init__(
        self,
        model: type[ModelT],
        *,
        on: Literal["chunk", "field"] = "chunk",
        tool_call: int | str | None = None,
        validate: Validate = "final",
        allow_truncated: bool = False,
        **options: Any,
    ) -> None:
        if on not in ("chunk", "field"):
            raise ValueError(f"on must be 'chunk' or 'field', not {on!r}")
        if validate not in ("final", "subtree"):
            raise ValueError(f"validate must be 'final' or 'subtree', not {validate!r}")
        if allow_truncated.__class__ is not bool:
            raise TypeError(f"allow_truncated must be True or False, not {allow_truncated!r}")
        if tool_call is not None and (
            tool_call.__class__ is bool or not isinstance(tool_call, (int, str))
        ):
            raise TypeError(f"tool_call must be a call's number or name, not {tool_call!r}")
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"stream_model() takes a pydantic model class, not {model!r}")
        for name in _OWN_OPTIONS:
            if name in options:
                raise TypeError(f"stream_model() sets {name}= itself")
        self.model = model
        self.partial_class, shape = partial_model(model)
        options.setdefault("expect", _expect(model))
        self.parser = Parser(emit_start=True, snapshots=False, **options)
        self._closed: list[Any] | None = [] if validate == "subtree" else None
        self.mirror = Mirror(shape, self._closed)
        self.on_field = on == "field"
        self.allow_truncated = allow_truncated
        self.tool_call = tool_call
        self.last: Any = None  # the last partial handed out
        self.invalid: list[InvalidSubtree] = []  # sub-models found invalid, not yet taken
        self._reported: list[Path] = []  # JSON paths of the sub-models found invalid
        self.finish_reason: str | None = None  # normalised (see instant.stream)
        self.raw_finish_reason: Any = None
        self._refusal: list[str] = []
        self._reader: ChunkReader | None = None
        self._names: dict[int, str | None] = {}
        self._call_seen = False
        self._decoder: codecs.IncrementalDecoder | None = None
        # where the input ends, for a TruncatedError: characters, newlines, the last one
        self._chars = 0
        self._lines = 0
        self._last_nl = -1
        self._tail = ""

    @property
    def refusal(self) -> str | None:
        """The refusal text so far, if the model refused (OpenAI ``refusal``)."""
        return "".join(self._refusal) if self._refusal else None

    @property
    def truncated(self) -> bool:
        """Whether the document was cut off (known at :meth:`close`)."""
        return bool(self.parser.truncated)

    # -- input -----------------------------------------------------------------------------

    def _texts(self, chunk: Any) -> list[str | bytes]:
        """The text of one raw chunk meant for the model: the reply, or the tool call's
        arguments; refusals and finish reasons are recorded on the way."""
        if self._reader is None:
            self._reader = ChunkReader()
        out: list[str | bytes] = []
        wanted = self.tool_call
        for piece in self._reader.read(chunk):
            if isinstance(piece, (str, bytes)):
                if wanted is None:
                    out.append(piece)
            elif isinstance(piece, CallPiece):
                if piece.name:
                    self._names.setdefault(piece.index, piece.name)
                if wanted is not None and (
                    piece.index == wanted
                    if isinstance(wanted, int)
                    else self._names.get(piece.index) == wanted
                ):
                    self._call_seen = True
                    if piece.arguments:
                        out.append(piece.arguments)
            elif isinstance(piece, Finish):
                self.finish_reason, self.raw_finish_reason = piece.reason, piece.raw
            elif isinstance(piece, Refusal):
                self._refusal.append(piece.text)
        return out

    def _count(self, data: str | bytes) -> None:
        """Keep where the input ends (characters, lines, the last few characters)."""
        if isinstance(data, str):
            text = data
        else:
            if self._decoder is None:
                self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
            text = self._decoder.decode(data)
        self._chars += len(text)
        if "\n" in text:
            self._newlines(text)
        tail = self._tail + text
        self._tail = tail[-30:] if len(tail) > 90 else tail

    def _newlines(self, text: str) -> None:
        self._lines += text.count("\n")
        self._last_nl = self._chars - len(text) + text.rfind("\n")

    def _parse(self, text: str | bytes, last: bool = False) -> None:
        try:
            events = self.parser.close() if last else self.parser.feed(text)
        except ParseError as err:
            self.mirror.apply(err.events)
            self._check()
            raise
        self.mirror.apply(events)
        if self._closed:
            self._check()

    def feed(self, chunk: Any) -> Partial[ModelT] | None:
        """Parse a chunk; the new partial if there is one to hand out.

        On a :class:`~instant.ParseError` the events before it are applied first, so that
        :meth:`pending` gives the partial they make.
        """
        if chunk.__class__ is str and self.tool_call is None:  # the common case, inlined
            self._chars += len(chunk)
            if "\n" in chunk:
                self._newlines(chunk)
            tail = self._tail + chunk
            self._tail = tail[-30:] if len(tail) > 90 else tail
            try:
                events = self.parser.feed(chunk)
            except ParseError as err:
                self.mirror.apply(err.events)
                self._check()
                raise
            self.mirror.apply(events)
            if self._closed:
                self._check()
        else:
            for text in self._texts(chunk):
                self._count(text)
                self._parse(text)
        return self.pending()

    def _end(self, message: str, kind: Any, **extra: Any) -> dict[str, Any]:
        """Where the input ends, as the keyword arguments of a ParseError there."""
        return {
            "offset": self._chars,
            "line": self._lines + 1,
            "column": self._chars - self._last_nl,
            "excerpt": self._tail[-30:],
            "pointer": len(self._tail[-30:]),
            "kind": kind,
            **extra,
        }

    def close(self) -> Partial[ModelT] | None:
        """End of input: the parser finishes the document; the last partial if any.

        Raises :class:`~instant.RefusalError` if the model refused, and
        :class:`~instant.ParseError` (kind ``no_json``) if there is no document.
        """
        if self._refusal:
            raise RefusalError(self.refusal or "")
        if self.tool_call is not None and not self._call_seen:
            raise ParseError(
                f"no tool call {self.tool_call!r} in the stream", **self._end("", "no_json")
            )
        if self.tool_call is not None and self._chars == 0:
            self._parse("{}")  # a call without arguments (a tool with no parameters)
        self._parse("", last=True)
        return self.pending()

    def pending(self) -> Partial[ModelT] | None:
        """The partial to hand out now (``None``: nothing new), with its completed paths."""
        m = self.mirror
        if not (m.completed if self.on_field else m.changed):
            return None
        p = m.build() if m.changed else self.last
        if p is None:
            return None
        if p is self.last:  # nothing visible changed: a copy, the handed-out one stays as it is
            extra = p.__pydantic_extra__
            p = construct(type(p), p.__dict__.copy(), set(p.__pydantic_fields_set__))
            set_extra(p, extra)
        set_private(p, {"_completed": tuple(m.completed)})
        m.completed.clear()
        self.last = p
        return p  # type: ignore[no-any-return]

    # -- validation -------------------------------------------------------------------------

    def _check(self) -> None:
        """Validate the sub-models that closed; the invalid ones go to :attr:`invalid`."""
        closed = self._closed
        if not closed:
            return
        for path, attrs, shape, value in closed:
            try:
                _validate(shape.check, value)
            except ValidationError as err:
                errors = [
                    e
                    for e in err.errors(include_url=False)
                    if not self._covered((*path, *e["loc"]))
                ]
                self._reported.append(path)
                if errors:
                    self.invalid.append(InvalidSubtree(attrs, path, value, errors, err))
        closed.clear()

    def _covered(self, loc: tuple[Any, ...]) -> bool:
        return any(loc[: len(r)] == r for r in self._reported)

    def invalid_error(self, item: InvalidSubtree) -> ValidationError:
        """``item`` as the :class:`ModelValidationError` that ``on_invalid="raise"`` raises."""
        return rewrap(
            item.error,
            self.parser.value,
            self.last,
            False,
            True,
            item.errors,
            item.loc,
            self.model.__name__,
        )

    def result(self) -> ModelT:
        """The finished document validated as the model (as ``model_validate_json`` would).

        Raises :class:`~instant.TruncatedError` if the reply was cut off (unless
        ``allow_truncated``), else :class:`ModelValidationError` (a
        :class:`pydantic.ValidationError`) with the document attached.
        """
        value = self.parser.value
        truncated = self.truncated
        if truncated and not self.allow_truncated:
            why = f" (finish reason {self.finish_reason!r})" if self.finish_reason else ""
            raise TruncatedError(
                f"the reply was cut off before its JSON ended{why}; the completed value is "
                "attached as .value (pass allow_truncated=True to validate it)",
                value=value,
                **self._end("", "truncated"),
            )
        try:
            text = json.dumps(value)
        except (TypeError, ValueError):  # e.g. Decimal from a parse_float hook
            text = None
        try:
            if text is None:
                return self.model.model_validate(value)
            return self.model.model_validate_json(text)
        except ValidationError as err:
            raise rewrap(err, value, self.last, truncated, text is not None) from None


class ModelDriver(Generic[ModelT]):
    """:class:`ModelStream` as a pump driver: raw chunks in, partials then the model out
    (and, with ``validate="subtree"``, :class:`InvalidSubtree` items after the partial of
    the chunk that closed them, or their error with ``on_invalid="raise"``)."""

    stopped = False

    def __init__(self, run: ModelStream[ModelT], on_invalid: OnInvalid = "item") -> None:
        self.run = run
        self.raise_invalid = on_invalid == "raise"

    def begin(self) -> list[Any]:
        return []

    def _invalid(self, out: list[Any]) -> BaseException | None:
        run = self.run
        if not run.invalid:
            return None
        if self.raise_invalid:
            return run.invalid_error(run.invalid[0])
        out.extend(run.invalid)
        run.invalid.clear()
        return None

    def feed(self, chunk: Any) -> tuple[list[Any], BaseException | None]:
        run = self.run
        try:
            partial = run.feed(chunk)
        except ParseError as err:
            partial = run.pending()  # the partial of what preceded the error
            out = [partial] if partial is not None else []
            return out, self._invalid(out) or err
        out = [partial] if partial is not None else []
        return out, self._invalid(out)

    def close(self) -> tuple[list[Any], BaseException | None]:
        run = self.run
        out: list[Any] = []
        try:
            partial = run.close()
        except ParseError as err:
            partial = run.pending()
            if partial is not None:
                out.append(partial)
            return out, self._invalid(out) or err
        except RefusalError as err:
            return out, err
        if partial is not None:
            out.append(partial)
        error = self._invalid(out)
        if error is not None:
            return out, error
        try:
            out.append(run.result())
        except (ValidationError, ParseError) as err:
            return out, err
        return out, None

    def fail(self, exc: BaseException) -> list[Any]:
        return []


def _checked(where: str, on_invalid: Any, options: Mapping[str, Any]) -> None:
    check(where, options)
    if on_invalid not in ("item", "raise"):
        raise ValueError(f"{where}: on_invalid must be 'item' or 'raise', not {on_invalid!r}")


@overload
def stream_model(
    model: type[ModelT],
    source: Iterable[Any] | str | bytes,
    *,
    on: Literal["chunk", "field"] = "chunk",
    tool_call: int | str | None = None,
    validate: Literal["final"] = "final",
    on_invalid: OnInvalid = "item",
    allow_truncated: bool = False,
    **options: Unpack[ParserOptions],
) -> Iterator[Partial[ModelT] | ModelT]: ...


@overload
def stream_model(
    model: type[ModelT],
    source: Iterable[Any] | str | bytes,
    *,
    on: Literal["chunk", "field"] = "chunk",
    tool_call: int | str | None = None,
    validate: Literal["subtree"],
    on_invalid: Literal["raise"],
    allow_truncated: bool = False,
    **options: Unpack[ParserOptions],
) -> Iterator[Partial[ModelT] | ModelT]: ...


@overload
def stream_model(
    model: type[ModelT],
    source: Iterable[Any] | str | bytes,
    *,
    on: Literal["chunk", "field"] = "chunk",
    tool_call: int | str | None = None,
    validate: Validate,
    on_invalid: OnInvalid = "item",
    allow_truncated: bool = False,
    **options: Unpack[ParserOptions],
) -> Iterator[Partial[ModelT] | ModelT | InvalidSubtree]: ...


def stream_model(
    model: type[ModelT],
    source: Iterable[Any] | str | bytes,
    *,
    on: Literal["chunk", "field"] = "chunk",
    tool_call: int | str | None = None,
    validate: Validate = "final",
    on_invalid: OnInvalid = "item",
    allow_truncated: bool = False,
    **options: Unpack[ParserOptions],
) -> Iterator[Partial[ModelT] | ModelT | InvalidSubtree]:
    """Yield a ``Partial[model]`` as the reply fills it in, then the validated ``model``.

    ``source`` is any iterable of chunks that :func:`instant.stream` reads: ``str``/``bytes``
    (a whole ``str`` is one chunk) or SDK chunk objects; ``tool_call`` (a call's 0-based
    number or its name) reads the arguments of that tool call instead of the reply text.
    With ``on="chunk"`` a partial comes after every chunk that visibly changed the document
    (never two equal ones in a row); with ``on="field"`` only after a chunk that completed a
    value. ``partial.completed_paths`` names the values completed since the previous
    partial. ``validate="subtree"`` validates each sub-model as it closes and yields an
    :class:`InvalidSubtree` for an invalid one (``on_invalid="raise"``: raises
    :class:`ModelValidationError` at once). ``options`` go to :class:`~instant.Parser`
    (``expect`` comes from the model).

    Raised after the partial of what preceded: :class:`~instant.ParseError` for bad JSON or
    none at all (kind ``no_json``), :class:`~instant.TruncatedError` for a reply cut off
    before its JSON ended (unless ``allow_truncated=True``), :class:`~instant.RefusalError`
    when the model refused, :class:`ModelValidationError` when the document is not valid.
    """
    where = "instant.stream_model()"
    _checked(where, on_invalid, options)
    run = ModelStream(
        model,
        on=on,
        tool_call=tool_call,
        validate=validate,
        allow_truncated=allow_truncated,
        **options,
    )
    source = chunks_of(source, where)
    if hasattr(source, "__aiter__"):
        raise TypeError(f"{where} reads a sync source; for an async one use astream_model()")
    return pump(Source(source), ModelDriver(run, on_invalid))


@overload
def astream_model(
    model: type[ModelT],
    source: AsyncIterable[Any] | Iterable[Any] | str | bytes,
    *,
    on: Literal["chunk", "field"] = "chunk",
    tool_call: int | str | None = None,
    validate: Literal["final"] = "final",
    on_invalid: OnInvalid = "item",
    allow_truncated: bool = False,
    **options: Unpack[ParserOptions],
) -> AsyncIterator[Partial[ModelT] | ModelT]: ...


@overload
def astream_model(
    model: type[ModelT],
    source: AsyncIterable[Any] | Iterable[Any] | str | bytes,
    *,
    on: Literal["chunk", "field"] = "chunk",
    tool_call: int | str | None = None,
    validate: Literal["subtree"],
    on_invalid: Literal["raise"],
    allow_truncated: bool = False,
    **options: Unpack[ParserOptions],
) -> AsyncIterator[Partial[ModelT] | ModelT]: ...


@overload
def astream_model(
    model: type[ModelT],
    source: AsyncIterable[Any] | Iterable[Any] | str | bytes,
    *,
    on: Literal["chunk", "field"] = "chunk",
    tool_call: int | str | None = None,
    validate: Validate,
    on_invalid: OnInvalid = "item",
    allow_truncated: bool = False,
    **options: Unpack[ParserOptions],
) -> AsyncIterator[Partial[ModelT] | ModelT | InvalidSubtree]: ...


def astream_model(
    model: type[ModelT],
    source: AsyncIterable[Any] | Iterable[Any] | str | bytes,
    *,
    on: Literal["chunk", "field"] = "chunk",
    tool_call: int | str | None = None,
    validate: Validate = "final",
    on_invalid: OnInvalid = "item",
    allow_truncated: bool = False,
    **options: Unpack[ParserOptions],
) -> AsyncIterator[Partial[ModelT] | ModelT | InvalidSubtree]:
    """:func:`stream_model` for an async iterable of chunks (a sync iterable works too)."""
    where = "instant.astream_model()"
    _checked(where, on_invalid, options)
    run = ModelStream(
        model,
        on=on,
        tool_call=tool_call,
        validate=validate,
        allow_truncated=allow_truncated,
        **options,
    )
    return apump(Source(chunks_of(source, where)), ModelDriver(run, on_invalid))


def schema_prompt(model: type[BaseModel]) -> str:
    """An instruction asking for exactly this model's JSON, with its compact JSON schema.

    For replies without a provider's structured-output mode; the reply parses with
    :func:`stream_model` (which also skips prose or a fence if the model adds them).
    """
    kind = {"object": "a JSON object", "array": "a JSON array"}.get(
        _expect(model) or "", "a JSON value"
    )
    schema = json.dumps(model.model_json_schema(), separators=(",", ":"), ensure_ascii=False)
    return (
        f"Answer with {kind} that conforms to this JSON Schema:\n{schema}\n"
        "Reply with only the JSON: no prose, no code fence, no comments."
    )
