"""How a field streams: policies written as ``Annotated`` metadata on plain pydantic fields.

BAML's semantic streaming (``@stream.done``, ``@stream.not_null``, ``@stream.with_state``)
on ordinary pydantic models, with no DSL and no code generation:

* :data:`Done` -- the field appears only when its value is complete (a string never shows
  half its text, a list or a nested model appears whole). Numbers, booleans, enums,
  literals, dates and every value converted by pydantic always behave so.
* :data:`NotNull` -- the object holding this field is withheld (``None`` in its parent)
  until this field is done: for discriminators, so that a partial object is never shown
  without the value that says what it is.
* :data:`WithState` -- the partial field is a :class:`Streaming` holding ``value`` and
  ``state`` (``"pending"``: not started, ``"streaming"``: started, ``"done"``: complete).

Each is written bare (``Annotated[str, instant.Done]``) or called (``instant.Done()``,
the same object), and several combine (``Annotated[str, instant.Done, instant.WithState]``).
A model's default for the fields that carry none of their own goes in its
``model_config`` under ``"instant_stream"``, most easily through :func:`stream_config`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from ..options import Unpack

__all__ = [
    "CONFIG_KEY",
    "Done",
    "NotNull",
    "Policy",
    "Streaming",
    "StreamState",
    "WithState",
    "policies_in",
    "stream_config",
]

CONFIG_KEY: Final = "instant_stream"  # model_config key of a model's default policies
T = TypeVar("T")
StreamState = Literal["pending", "streaming", "done"]


class Policy:
    """A streaming policy marker. Calling one returns itself, so bare and called are alike."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self) -> Policy:
        return self

    def __repr__(self) -> str:
        return f"instant.{self.name}"

    def __reduce__(self) -> str:
        return self.name  # pickles as the module-level singleton


Done: Final = Policy("Done")
NotNull: Final = Policy("NotNull")
WithState: Final = Policy("WithState")


class Streaming(BaseModel, Generic[T]):
    """A ``WithState`` field of a partial: its ``value`` so far and where it stands.

    ``state`` is ``"pending"`` before the field's value starts, ``"streaming"`` while it is
    written (``value`` shows what the field's other policies let through: the text so far of
    a string, ``None`` for a ``Done`` field), ``"done"`` once it is complete (``value`` is
    then the final partial value; ``None`` if the JSON was ``null`` or not valid for the
    field). Instances never change: each partial gets its own when the state moves on.
    """

    model_config = ConfigDict(frozen=True)

    value: T | None = None
    state: StreamState = "pending"


def policies_in(metadata: Iterable[Any]) -> frozenset[Policy]:
    """The policy markers among ``Annotated`` metadata (or a config value)."""
    return frozenset(m for m in metadata if isinstance(m, Policy))


def stream_config(*policies: Policy, **config: Unpack[ConfigDict]) -> ConfigDict:
    """A ``model_config`` whose fields default to ``policies`` (pydantic ``config`` kept).

    ``model_config = instant.stream_config(instant.Done, extra="allow")`` makes every field
    of the model that names no policy of its own stream as ``Done``. The same as
    ``ConfigDict(extra="allow", instant_stream=(instant.Done,))``, but typed.
    """
    for p in policies:
        if not isinstance(p, Policy):
            raise TypeError(
                f"instant.stream_config() takes instant.Done, NotNull or WithState, not {p!r}"
            )
    out: dict[str, Any] = dict(config)
    out[CONFIG_KEY] = tuple(policies)
    return out  # type: ignore[return-value]


def config_policies(config: Any) -> frozenset[Policy]:
    """The default policies a model's (or dataclass's, TypedDict's) config names."""
    value = config.get(CONFIG_KEY) if isinstance(config, dict) else None
    if value is None:
        return frozenset()
    items = (value,) if isinstance(value, Policy) else value
    try:
        found = policies_in(items)
    except TypeError:
        found = frozenset()
    if not found or len(found) != len(tuple(items)):
        raise TypeError(
            f"model_config[{CONFIG_KEY!r}] takes instant.Done, NotNull or WithState "
            f"(one, or a tuple of them), not {value!r}"
        )
    return found
