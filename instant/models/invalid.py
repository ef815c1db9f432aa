"""What is wrong with a model's document: the final error, and a sub-model found invalid.

* :class:`ModelValidationError` -- the ``pydantic.ValidationError`` that ``stream_model``
  raises, with the document (and the last partial) attached.
* :class:`InvalidSubtree` -- a sub-model that closed invalid (``validate="subtree"``).
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError, core_schema

from ..errors import _add_note
from .shapes import Path

__all__ = ["InvalidSubtree", "ModelValidationError", "rewrap"]

_KNOWN_ERRORS = frozenset(typing.get_args(core_schema.ErrorType))


class ModelValidationError(ValidationError):
    """The document does not validate as the model: nothing it held is lost.

    A :class:`pydantic.ValidationError` (same errors, same message), raised after the last
    partial, that also carries ``value`` (the document as parsed), ``partial`` (the last
    partial handed out), ``truncated`` (the reply was cut off and completed by the parser)
    and ``validation_error`` (pydantic's original error). With ``validate="subtree"`` and
    ``on_invalid="raise"`` it is raised as soon as a sub-model closes invalid: ``value`` is
    then the document so far and the errors' ``loc`` start at the document's root.
    """

    value: Any
    partial: Any
    truncated: bool
    validation_error: ValidationError


@dataclass(frozen=True)
class InvalidSubtree:
    """A sub-model that closed and does not validate (``validate="subtree"``).

    ``path`` is where it is in the partial (attribute names, indexes, dict keys, as
    ``completed_paths`` writes them: ``("items", 3)`` is ``partial.items[3]``), ``loc``
    where it is in the document (JSON keys), ``value`` the JSON it holds, ``errors``
    pydantic's errors, their ``loc`` relative to it (those inside a sub-model reported
    before are left out), ``error`` the :class:`pydantic.ValidationError` itself.
    """

    path: Path
    loc: Path
    value: Any
    errors: list[ErrorDetails]
    error: ValidationError = field(repr=False)


def _details(errors: list[ErrorDetails], prefix: Path = ()) -> list[Any]:
    out: list[Any] = []
    for e in errors:
        known = e["type"] in _KNOWN_ERRORS
        d: dict[str, Any] = {
            "type": e["type"] if known else PydanticCustomError(e["type"], e["msg"]),
            "loc": (*prefix, *e["loc"]),
            "input": e["input"],
        }
        if known and "ctx" in e:
            d["ctx"] = e["ctx"]
        out.append(d)
    return out


def rewrap(
    err: ValidationError,
    value: Any,
    partial: Any,
    truncated: bool,
    json_mode: bool,
    errors: list[ErrorDetails] | None = None,
    prefix: Path = (),
    title: str | None = None,
) -> ValidationError:
    """``err`` as a :class:`ModelValidationError` with the document attached."""
    details = _details(err.errors(include_url=False) if errors is None else errors, prefix)
    new: ValidationError
    try:
        new = ModelValidationError.from_exception_data(
            title or err.title, details, input_type="json" if json_mode else "python"
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
