"""Streaming a reply into a pydantic model: partials while it is written, the model at the end.

:class:`ModelStream` is the sans-I/O part (text in, partials out, then the validated model);
:func:`stream_model` and :func:`astream_model` put it on a sync or async source, reading one
chunk at a time and closing the source if the consumer stops early.
"""

from __future__ import annotations

import json
import typing
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, Generic, Literal

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError, core_schema

from .._core.parser import Parser
from ..errors import ParseError, _add_note
from ..options import ParserOptions, Unpack, check
from ..streams._pump import Source, apump, chunks_of, pump
from ..streams.chunks import CallPiece, ChunkReader
from .mirror import Mirror
from .partial import ModelT, Partial, construct, partial_model
from .partial import _set_private as set_private

__all__ = [
    "ModelDriver",
    "ModelStream",
    "ModelValidationError",
    "astream_model",
    "schema_prompt",
    "stream_model",
]

_OWN_OPTIONS = ("multiple", "select", "emit_start", "snapshots")
_KNOWN_ERRORS = frozenset(typing.get_args(core_schema.ErrorType))


class ModelValidationError(ValidationError):
    """The finished document does not validate as the model: nothing it held is lost.

    A :class:`pydantic.ValidationError` (same errors, same message), raised after the last
    partial, that also carries ``value`` (the document as parsed), ``partial`` (the last
    partial handed out), ``truncated`` (the reply was cut off and completed by the parser)
    and ``validation_error`` (pydantic's original error).
    """

    value: Any
    partial: Any
    truncated: bool
    validation_error: ValidationError


def _rewrap(
    err: ValidationError, value: Any, partial: Any, truncated: bool, json_mode: bool
) -> ValidationError:
    """``err`` as a :class:`ModelValidationError` with the document attached."""
    details: list[Any] = []
    for e in err.errors(include_url=False):
        known = e["type"] in _KNOWN_ERRORS
        d: dict[str, Any] = {
            "type": e["type"] if known else PydanticCustomError(e["type"], e["msg"]),
            "loc": e["loc"],
            "input": e["input"],
        }
        if known and "ctx" in e:
            d["ctx"] = e["ctx"]
        details.append(d)
    new: ValidationError
    try:
        new = ModelValidationError.from_exception_data(
            err.title, details, input_type="json" if json_mode else "python"
        )
    except Exception:  # pragma: no cover - an error pydantic cannot rebuild: keep the original
        new = err
    new.value = value  # type: ignore[attr-defined]
    new.partial = partial  # type: ignore[attr-defined]
    new.truncated = truncated  # type: ignore[attr-defined]
    new.validation_error = err  # type: ignore[attr-defined]
    cut = " (the reply was cut off; the parser completed it)" if truncated else ""
    _add_note(new, f"instant: the document the model wrote is attached as .value{cut}")
    return new


def _expect(model: type[BaseModel]) -> Literal["object", "array"] | None:
    shape = partial_model(model)[1]
    if shape.obj is not None and shape.arr is None:
        return "object"
    if shape.arr is not None and shape.obj is None:
        return "array"
    return None


class ModelStream(Generic[ModelT]):
    """Sans-I/O core of :func:`stream_model`: ``feed`` text, get a partial or ``None``.

    ``on="chunk"``: a partial whenever the document visibly changed; ``on="field"``: only
    when some value completed. ``result()`` validates the finished document.
    """

    def __init__(
        self, model: type[ModelT], *, on: Literal["chunk", "field"] = "chunk", **options: Any
    ) -> None:
        if on not in ("chunk", "field"):
            raise ValueError(f"on must be 'chunk' or 'field', not {on!r}")
        for name in _OWN_OPTIONS:
            if name in options:
                raise TypeError(f"stream_model() sets {name}= itself")
        self.model = model
        self.partial_class, shape = partial_model(model)
        options.setdefault("expect", _expect(model))
        self.parser = Parser(emit_start=True, snapshots=False, **options)
        self.mirror = Mirror(shape)
        self.on_field = on == "field"
        self.last: Any = None  # the last partial handed out

    def feed(self, chunk: str | bytes) -> Partial[ModelT] | None:
        """Parse a chunk; the new partial if there is one to hand out.

        On a :class:`~instant.ParseError` the events before it are applied first, so that
        :meth:`pending` gives the partial they make.
        """
        try:
            events = self.parser.feed(chunk)
        except ParseError as err:
            self.mirror.apply(err.events)
            raise
        self.mirror.apply(events)
        return self.pending()

    def close(self) -> Partial[ModelT] | None:
        """End of input: the parser finishes the document; the last partial if any."""
        try:
            events = self.parser.close()
        except ParseError as err:
            self.mirror.apply(err.events)
            raise
        self.mirror.apply(events)
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
            p = construct(type(p), p.__dict__.copy(), set(p.__pydantic_fields_set__))
        set_private(p, {"_completed": tuple(m.completed)})
        m.completed.clear()
        self.last = p
        return p  # type: ignore[no-any-return]

    def result(self) -> ModelT:
        """The finished document validated as the model (as ``model_validate_json`` would).

        Raises :class:`ModelValidationError` (a :class:`pydantic.ValidationError`) with the
        document attached.
        """
        value = self.parser.value
        try:
            text = json.dumps(value)
        except (TypeError, ValueError):  # e.g. Decimal from a parse_float hook
            text = None
        try:
            if text is None:
                return self.model.model_validate(value)
            return self.model.model_validate_json(text)
        except ValidationError as err:
            raise _rewrap(err, value, self.last, self.parser.truncated, text is not None) from None


class _Texts:
    """The text of each raw chunk: ``str``/``bytes`` as they are, SDK chunks read by shape
    (:class:`~instant.chunks.ChunkReader`), either the reply text or, with ``tool_call``
    (a call's 0-based number or its name), the arguments of that tool call."""

    def __init__(self, tool_call: int | str | None) -> None:
        self.reader = ChunkReader()
        self.tool_call = tool_call
        self.names: dict[int, str | None] = {}

    def __call__(self, chunk: Any) -> list[str | bytes]:
        if self.tool_call is None and isinstance(chunk, (str, bytes)):
            return [chunk]
        out: list[str | bytes] = []
        for piece in self.reader.read(chunk):
            if isinstance(piece, (str, bytes)):
                if self.tool_call is None:
                    out.append(piece)
                continue
            if not isinstance(piece, CallPiece):
                continue  # a finish reason or a refusal: only text becomes the model
            if piece.name:
                self.names.setdefault(piece.index, piece.name)
            wanted = self.tool_call
            if piece.arguments and (
                piece.index == wanted
                if isinstance(wanted, int)
                else self.names.get(piece.index) == wanted
            ):
                out.append(piece.arguments)
        return out


class ModelDriver(Generic[ModelT]):
    """:class:`ModelStream` as a pump driver: raw chunks in, partials then the model out."""

    stopped = False

    def __init__(self, run: ModelStream[ModelT], tool_call: int | str | None) -> None:
        self.run = run
        self.texts = _Texts(tool_call)

    def begin(self) -> list[Any]:
        return []

    def feed(self, chunk: Any) -> tuple[list[Any], BaseException | None]:
        out: list[Any] = []
        run = self.run
        for text in self.texts(chunk):
            try:
                partial = run.feed(text)
            except ParseError as err:
                partial = run.pending()  # the partial of what preceded the error
                if partial is not None:
                    out.append(partial)
                return out, err
            if partial is not None:
                out.append(partial)
        return out, None

    def close(self) -> tuple[list[Any], BaseException | None]:
        run = self.run
        out: list[Any] = []
        try:
            partial = run.close()
        except ParseError as err:
            partial = run.pending()
            return ([partial] if partial is not None else []), err
        if partial is not None:
            out.append(partial)
        try:
            out.append(run.result())
        except ValidationError as err:
            return out, err
        return out, None

    def fail(self, exc: BaseException) -> list[Any]:
        return []


def stream_model(
    model: type[ModelT],
    source: Iterable[Any] | str | bytes,
    *,
    on: Literal["chunk", "field"] = "chunk",
    tool_call: int | str | None = None,
    **options: Unpack[ParserOptions],
) -> Iterator[Partial[ModelT] | ModelT]:
    """Yield a ``Partial[model]`` as the reply fills it in, then the validated ``model``.

    ``source`` is any iterable of chunks that :func:`instant.stream` reads: ``str``/``bytes``
    (a whole ``str`` is one chunk) or SDK chunk objects; ``tool_call`` (a call's 0-based
    number or its name) reads the arguments of that tool call instead of the reply text.
    With ``on="chunk"`` a partial comes after every chunk that visibly changed the document
    (never two equal ones in a row); with ``on="field"`` only after a chunk that completed a
    value. ``partial.completed_paths`` names the values completed since the previous
    partial. ``options`` go to :class:`~instant.Parser` (``expect`` comes from the model).
    A :class:`~instant.ParseError` is raised after the partial of what preceded it; a final
    value that does not validate raises :class:`ModelValidationError`.
    """
    where = "instant.stream_model()"
    check(where, options)
    run = ModelStream(model, on=on, **options)
    source = chunks_of(source, where)
    if hasattr(source, "__aiter__"):
        raise TypeError(f"{where} reads a sync source; for an async one use astream_model()")
    return pump(Source(source), ModelDriver(run, tool_call))


def astream_model(
    model: type[ModelT],
    source: AsyncIterable[Any] | Iterable[Any] | str | bytes,
    *,
    on: Literal["chunk", "field"] = "chunk",
    tool_call: int | str | None = None,
    **options: Unpack[ParserOptions],
) -> AsyncIterator[Partial[ModelT] | ModelT]:
    """:func:`stream_model` for an async iterable of chunks (a sync iterable works too)."""
    where = "instant.astream_model()"
    check(where, options)
    run = ModelStream(model, on=on, **options)
    return apump(Source(chunks_of(source, where)), ModelDriver(run, tool_call))


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
