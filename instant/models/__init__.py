"""Pydantic partial models: typed objects that fill in as the model writes.

* :class:`Partial` -- ``Partial[Model]``, the generated model with every field optional;
  :class:`PartialModel` is the base of every such class (``completed_paths``).
* :data:`Done`, :data:`NotNull`, :data:`WithState` -- how a field streams, as ``Annotated``
  metadata; :class:`Streaming` is a ``WithState`` field's partial value;
  :func:`stream_config` a model's default.
* :func:`stream_model` / :func:`astream_model` -- partials while the reply streams, then
  the validated model; :class:`ModelStream` is their sans-I/O core; :class:`InvalidSubtree`
  reports a sub-model that closed invalid (``validate="subtree"``).
* :class:`ModelValidationError` -- the final ``pydantic.ValidationError``, document attached.
* :func:`schema_prompt` -- an instruction with the model's JSON schema.
"""

from .partial import Partial, PartialModel
from .policy import Done, NotNull, Streaming, WithState, stream_config
from .stream import (
    InvalidSubtree,
    ModelStream,
    ModelValidationError,
    astream_model,
    schema_prompt,
    stream_model,
)

__all__ = [
    "Done",
    "InvalidSubtree",
    "ModelStream",
    "ModelValidationError",
    "NotNull",
    "Partial",
    "PartialModel",
    "Streaming",
    "WithState",
    "astream_model",
    "schema_prompt",
    "stream_config",
    "stream_model",
]
