r"""A family of pydantic models, and hypothesis strategies that build valid instances of them.

Used by ``tests/test_models.py`` and ``tests/test_partial_types.py``: the instances are
dumped to JSON and streamed back through ``instant.stream_model``. The models cover nested
models, ``list[Model]``, ``dict[str, Model]``, ``Optional``, discriminated unions,
``Literal``, enums, dates and datetimes, ``Annotated`` constraints, aliases,
``default_factory``, a ``RootModel`` of a list, self-referencing models, sets and frozensets,
fixed and variable tuples, stdlib and pydantic dataclasses, ``TypedDict``\ s,
``extra="allow"``, and every streaming policy (``Done``, ``NotNull``, ``WithState``, on
fields and as a model's default).
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
from typing import Annotated, Any, Literal

import pydantic
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, RootModel
from typing_extensions import NotRequired, TypedDict

import instant


class Color(str, enum.Enum):
    red = "red"
    green = "green"
    blue = "blue"


class Size(enum.Enum):
    small = 1
    large = 2


class Address(BaseModel):
    street: str
    city: str
    zip: str | None = None


class Tag(BaseModel):
    name: str
    weight: float


class Cat(BaseModel):
    kind: Literal["cat"]
    name: str
    lives: int


class Dog(BaseModel):
    kind: Literal["dog"]
    name: str
    good: bool


Pet = Annotated[Cat | Dog, Field(discriminator="kind")]


class Person(BaseModel):
    name: str
    nick: str = Field(alias="nickName")
    age: int
    score: float
    active: bool
    color: Color
    size: Size
    mood: Literal["happy", "sad"]
    born: datetime.date
    seen: datetime.datetime | None = None
    code: Annotated[str, Field(max_length=8)]
    home: Address | None = None
    tags: list[Tag] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    scores: dict[str, int] = Field(default_factory=dict)
    friends: dict[str, Address] = Field(default_factory=dict)
    pets: list[Pet] = Field(default_factory=list)
    ratio: int | str | None = None


class Tree(BaseModel):
    label: str
    weight: int = 0
    children: list[Tree] = Field(default_factory=list)


class Addresses(RootModel[list[Address]]):
    pass


# -- strategies: plain dicts (by alias) that validate, turned into instances ----------------

text = st.text(st.characters(codec="utf-8"), max_size=12)
floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
ints = st.integers(-(10**12), 10**12)
dates = st.dates(datetime.date(1, 1, 1), datetime.date(9999, 12, 31))
datetimes = st.datetimes(datetime.datetime(1900, 1, 1), datetime.datetime(2200, 1, 1))


def _model(model: type[BaseModel], **fields: Any) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(fields).map(model.model_validate)


addresses = st.fixed_dictionaries(
    {"street": text, "city": text}, optional={"zip": st.one_of(st.none(), text)}
).map(Address.model_validate)
tags = _model(Tag, name=text, weight=floats)
pets = st.one_of(
    _model(Cat, kind=st.just("cat"), name=text, lives=ints),
    _model(Dog, kind=st.just("dog"), name=text, good=st.booleans()),
)
people = st.fixed_dictionaries(
    {
        "name": text,
        "nickName": text,
        "age": ints,
        "score": floats,
        "active": st.booleans(),
        "color": st.sampled_from(Color),
        "size": st.sampled_from(Size),
        "mood": st.sampled_from(["happy", "sad"]),
        "born": dates,
        "code": st.text(st.characters(codec="utf-8"), max_size=8),
    },
    optional={
        "seen": st.one_of(st.none(), datetimes),
        "home": st.one_of(st.none(), addresses),
        "tags": st.lists(tags, max_size=3),
        "notes": st.lists(text, max_size=3),
        "scores": st.dictionaries(text, ints, max_size=3),
        "friends": st.dictionaries(text, addresses, max_size=2),
        "pets": st.lists(pets, max_size=3),
        "ratio": st.one_of(st.none(), ints, text),
    },
).map(Person.model_validate)
trees = st.recursive(
    _model(Tree, label=text, weight=ints),
    lambda kids: _model(Tree, label=text, weight=ints, children=st.lists(kids, max_size=3)),
    max_leaves=8,
)
address_lists = st.lists(addresses, max_size=4).map(Addresses.model_validate)


# -- the second family: containers that are not models, and streaming policies -------------


class Kind(str, enum.Enum):
    sketch = "sketch"
    final = "final"


@dataclasses.dataclass
class Point:
    x: int
    y: float
    label: str = ""


@pydantic.dataclasses.dataclass
class Span:
    start: datetime.date
    end: datetime.date | None = Field(default=None, alias="until")


class Meta(TypedDict):
    source: str
    tags: NotRequired[list[str]]
    where: NotRequired[Point]


class Circle(BaseModel):
    shape: Annotated[Literal["circle"], instant.NotNull]
    r: float
    center: Point


class Rect(BaseModel):
    shape: Annotated[Literal["rect"], instant.NotNull()]  # called: the same policy
    corners: tuple[Point, Point]
    label: Annotated[str, instant.Done] = ""


Figure = Annotated[Circle | Rect, Field(discriminator="shape")]


class Drawing(BaseModel):
    model_config = ConfigDict(extra="allow")

    title: Annotated[str, instant.WithState]
    summary: Annotated[str, instant.Done]
    figures: list[Figure] = Field(default_factory=list)
    palette: set[str] = Field(default_factory=set)
    ids: frozenset[int] = frozenset()
    size: tuple[int, int] = (0, 0)
    grid: tuple[float, ...] = ()
    meta: Meta | None = None
    span: Span | None = None
    kind: Kind = Kind.sketch
    level: Literal[1, 2, 3] = 1
    notes: Annotated[list[str], instant.WithState, instant.Done] = Field(default_factory=list)
    lookup: dict[str, Annotated[Point, instant.Done]] = Field(default_factory=dict)
    parent: Drawing | None = None


class Settled(BaseModel):
    """Every field is Done unless it says otherwise (the model's default)."""

    model_config = instant.stream_config(instant.Done)

    name: str
    tags: list[Tag] = Field(default_factory=list)
    hint: Annotated[str, instant.WithState] = ""  # its own policy replaces the default
    where: Point | None = None


_ints = st.integers(-1000, 1000)
points = st.builds(Point, x=_ints, y=floats, label=text)
spans = st.fixed_dictionaries(
    {"start": dates}, optional={"until": st.one_of(st.none(), dates)}
).map(lambda d: Span(**d))
metas = st.fixed_dictionaries(
    {"source": text}, optional={"tags": st.lists(text, max_size=3), "where": points}
)
figures = st.one_of(
    st.builds(lambda r, c: {"shape": "circle", "r": r, "center": c}, floats, points),
    st.builds(
        lambda a, b, label: {"shape": "rect", "corners": (a, b), "label": label},
        points,
        points,
        text,
    ),
)
_extra_keys = st.text("xyzw_", min_size=1, max_size=4).map(lambda k: "x_" + k)
_extra_values = st.recursive(
    st.one_of(st.none(), st.booleans(), _ints, text),
    lambda kids: st.one_of(st.lists(kids, max_size=3), st.dictionaries(text, kids, max_size=3)),
    max_leaves=5,
)


def _drawing(parent: st.SearchStrategy[Any] | None) -> st.SearchStrategy[Any]:
    optional: dict[str, st.SearchStrategy[Any]] = {
        "figures": st.lists(figures, max_size=3),
        "palette": st.sets(text, max_size=3),
        "ids": st.frozensets(_ints, max_size=3),
        "size": st.tuples(_ints, _ints),
        "grid": st.lists(floats, max_size=3).map(tuple),
        "meta": st.one_of(st.none(), metas),
        "span": st.one_of(st.none(), spans),
        "kind": st.sampled_from(Kind),
        "level": st.sampled_from([1, 2, 3]),
        "notes": st.lists(text, max_size=3),
        "lookup": st.dictionaries(text, points, max_size=2),
    }
    if parent is not None:
        optional["parent"] = st.one_of(st.none(), parent)
    fields = st.fixed_dictionaries({"title": text, "summary": text}, optional=optional)
    extras = st.dictionaries(_extra_keys, _extra_values, max_size=2)
    return st.tuples(fields, extras).map(lambda p: Drawing(**p[0], **p[1]))


drawings = _drawing(_drawing(None))
settled = st.fixed_dictionaries(
    {"name": text},
    optional={
        "tags": st.lists(tags, max_size=2),
        "hint": text,
        "where": st.one_of(st.none(), points),
    },
).map(lambda d: Settled(**d))

FAMILY: list[tuple[type[BaseModel], st.SearchStrategy[Any]]] = [
    (Person, people),
    (Tree, trees),
    (Addresses, address_lists),
    (Address, addresses),
    (Drawing, drawings),
    (Settled, settled),
]
instances = st.sampled_from(FAMILY).flatmap(lambda pair: st.tuples(st.just(pair[0]), pair[1]))
