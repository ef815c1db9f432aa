"""A family of pydantic models, and hypothesis strategies that build valid instances of them.

Used by ``tests/test_models.py``: the instances are dumped to JSON and streamed back through
``instant.stream_model``. The models cover nested models, ``list[Model]``, ``dict[str,
Model]``, ``Optional``, a discriminated union, ``Literal``, enums, dates and datetimes,
``Annotated`` constraints, aliases, ``default_factory``, a ``RootModel`` of a list and a
self-referencing model.
"""

from __future__ import annotations

import datetime
import enum
from typing import Annotated, Any, Literal

from hypothesis import strategies as st
from pydantic import BaseModel, Field, RootModel


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

FAMILY: list[tuple[type[BaseModel], st.SearchStrategy[Any]]] = [
    (Person, people),
    (Tree, trees),
    (Addresses, address_lists),
    (Address, addresses),
]
instances = st.sampled_from(FAMILY).flatmap(lambda pair: st.tuples(st.just(pair[0]), pair[1]))
