"""Models for the type-checking tests (tests/test_typing.py): small, and fully typed."""

from __future__ import annotations

import dataclasses
import datetime
import enum
from typing import Annotated, Literal

from pydantic import BaseModel, Field, RootModel
from typing_extensions import NotRequired, TypedDict

import instant


class Pace(enum.Enum):
    slow = "slow"
    fast = "fast"


@dataclasses.dataclass
class Coords:
    lat: float
    lon: float


class Notes(TypedDict):
    text: str
    pinned: NotRequired[bool]


class Stop(BaseModel):
    kind: Annotated[Literal["stop"], instant.NotNull] = "stop"
    name: str
    minutes: int
    where: Coords | None = None
    label: Annotated[str, instant.WithState()] = ""  # called: the same policy
    detours: Annotated[list[Stop], instant.WithState] = Field(default_factory=list)


class Trip(BaseModel):
    city: str
    title: Annotated[str, instant.WithState]
    stops: list[Stop]
    pace: Pace = Pace.slow
    day: datetime.date | None = None
    tags: set[str] = Field(default_factory=set)
    size: tuple[int, int] = (0, 0)
    notes: Notes | None = None
    scores: dict[str, float] = Field(default_factory=dict)
    alias_field: str = Field(default="", alias="aliasField")
    next: Trip | None = None


class Stops(RootModel[list[Stop]]):
    pass


class Settings(BaseModel):
    """Fields default to WithState (the model's config); ``level`` says otherwise."""

    model_config = instant.stream_config(instant.WithState, frozen=True)

    name: str
    level: Annotated[int, instant.Done] = 0
