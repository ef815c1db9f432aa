"""Pydantic partial models: typed objects that fill in as the model writes.

* :class:`Partial` -- ``Partial[Model]``, the generated model with every field optional;
  :class:`PartialModel` is the base of every such class (``completed_paths``).
* :func:`stream_model` / :func:`astream_model` -- partials while the reply streams, then
  the validated model; :class:`ModelStream` is their sans-I/O core.
* :class:`ModelValidationError` -- the final ``pydantic.ValidationError``, document attached.
* :func:`schema_prompt` -- an instruction with the model's JSON schema.
"""

from .partial import Partial, PartialModel
from .stream import ModelStream, ModelValidationError, astream_model, schema_prompt, stream_model

__all__ = [
    "ModelStream",
    "ModelValidationError",
    "Partial",
    "PartialModel",
    "astream_model",
    "schema_prompt",
    "stream_model",
]
