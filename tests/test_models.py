"""Pydantic partial models: ``Partial[Model]``, ``stream_model``/``astream_model``, errors, prompt."""

from __future__ import annotations

import asyncio
import datetime
import json
from typing import Any

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

import instant
from instant.models import ModelStream, Partial, PartialModel, astream_model, stream_model
from instant.strategies import chunkings
from tests.chunking import chunkings as every_chunking
from tests.model_family import (
    Address,
    Addresses,
    Cat,
    Color,
    Dog,
    Person,
    Size,
    Tag,
    Tree,
    instances,
)

ADA = (
    '{"name": "Ada Lovelace", "nickName": "Ada", "age": 36, "score": 9.5, "active": true, '
    '"color": "blue", "size": 2, "mood": "happy", "born": "1815-12-10", "code": "AL", '
    '"home": {"street": "St James Sq", "city": "London"}, '
    '"tags": [{"name": "math", "weight": 1.0}, {"name": "poetry", "weight": 0.5}], '
    '"notes": ["engine", "notes"], "scores": {"a": 1}, '
    '"friends": {"charles": {"street": "Dorset St", "city": "London", "zip": "W1"}}, '
    '"pets": [{"kind": "cat", "name": "Puss", "lives": 9}, {"kind": "dog", "name": "Rex", "good": true}], '
    '"ratio": "1:2"}'
)


def pieces(text: str, n: int) -> list[str]:
    return [text[i : i + n] for i in range(0, len(text), n)]


def run(model: type[BaseModel], chunks: Any, **options: Any) -> tuple[list[Any], Any]:
    out = list(stream_model(model, chunks, **options))
    return out[:-1], out[-1]


def partials_of(model: type[BaseModel], chunks: Any, **options: Any) -> list[Any]:
    """The partials of a document the final model rejects (a required field is missing)."""
    out: list[Any] = []
    with pytest.raises(instant.ModelValidationError):
        for p in stream_model(model, chunks, **options):
            out.append(p)
    return out


# -- Partial[Model] ----------------------------------------------------------------------------


def test_partial_is_generated_once_and_every_field_is_optional() -> None:
    P = Partial[Person]
    assert P is Partial[Person] and issubclass(P, PartialModel) and P.__name__ == "PartialPerson"
    empty = P()
    assert all(getattr(empty, name) is None for name in P.model_fields)
    assert all(not f.is_required() for f in P.model_fields.values())
    # constraints and required-ness belong to the final model
    p = P.model_validate({"code": "far too long for max_length=8", "nickName": "x"})
    assert p.code == "far too long for max_length=8" and p.nick == "x"
    with pytest.raises(pydantic.ValidationError):
        Person.model_validate({"code": "far too long for max_length=8"})


def test_partial_recurses_through_nested_types() -> None:
    P = Partial[Person]
    p = P.model_validate(
        {
            "home": {"city": "London"},
            "tags": [{"name": "m"}, None],
            "friends": {"x": {}},
            "pets": [{"kind": "dog"}],
            "born": "2020-01-02",
        }
    )
    assert isinstance(p.home, Partial[Address]) and p.home.street is None
    assert isinstance(p.tags[0], Partial[Tag]) and p.tags[1] is None
    assert isinstance(p.friends["x"], Partial[Address])
    assert isinstance(p.pets[0], Partial[Dog])
    assert p.born == datetime.date(2020, 1, 2)
    # self-reference terminates, and validates nested levels
    t = Partial[Tree].model_validate({"children": [{"children": [{"label": "x"}]}]})
    assert t.children[0].children[0].label == "x" and t.children[0].label is None
    # RootModel of a list
    r = Partial[Addresses].model_validate([{"city": "Paris"}])
    assert isinstance(r, pydantic.RootModel) and r.root[0].city == "Paris"
    assert Partial[Addresses]().root is None


def test_partial_rejects_what_is_not_a_model() -> None:
    with pytest.raises(TypeError):
        Partial[int]


# -- stream_model --------------------------------------------------------------------------


def test_stream_model_fills_in_and_ends_with_the_validated_model() -> None:
    partials, final = run(Person, pieces(ADA, 5))
    assert final == Person.model_validate_json(ADA) and type(final) is Person
    assert all(isinstance(p, Partial[Person]) for p in partials)
    # the document commits at its first key (SPEC 2): an empty partial, then "Ada L"
    names = [p.name for p in partials]
    assert names[:4] == [None, "Ada L", "Ada Lovela", "Ada Lovelace"]
    colors = {p.color for p in partials}
    assert colors == {None, Color.blue}  # an enum appears only once complete
    last = partials[-1]
    assert last.pets[0] == Partial[Cat](kind="cat", name="Puss", lives=9)
    assert last.friends["charles"].zip == "W1" and last.nick == "Ada"


def test_no_two_equal_partials_in_a_row_and_empty_chunks_yield_nothing() -> None:
    chunks = [c for piece in pieces(ADA, 3) for c in (piece, "")]
    partials, _ = run(Person, chunks)
    assert all(a != b for a, b in zip(partials, partials[1:]))
    # a chunk that only adds whitespace or a key changes nothing visible: no partial
    stream = ModelStream(Person)
    assert stream.feed('{"name": "A') is not None
    assert stream.feed('"') is None  # the string closed: same text
    assert stream.feed(', "age"') is None
    assert stream.feed(": 3") is None  # a number is not complete before its delimiter
    assert stream.feed(",").age == 3  # type: ignore[union-attr]


def test_partials_handed_out_never_change_and_unchanged_parts_are_shared() -> None:
    stream = list(stream_model(Person, pieces(ADA, 4)))
    partials = stream[:-1]
    dumps = [p.model_dump() for p in partials]
    assert [p.model_dump() for p in partials] == dumps  # nothing changed afterwards
    # identity: a sub-object that did not change is the same object in the next partial
    shared = 0
    for a, b in zip(partials, partials[1:]):
        if a.home is not None and b.home is not None and a.home == b.home:
            assert a.home is b.home
            shared += 1
        if a.tags and b.tags and len(b.tags) > 1 and a.tags[0] == b.tags[0]:
            assert a.tags[0] is b.tags[0]
    assert shared > 5


def test_yields_once_per_chunk_that_changed_something() -> None:
    source = iter(['{"name": "A', "da", '"}'])
    it = stream_model(Person, source)
    first = next(it)
    assert first.name == "A"
    assert next(source) == "da"  # no read-ahead: the generator took one chunk at a time


def test_on_field_yields_when_values_complete_and_names_them() -> None:
    text = '{"home": {"street": "Main", "city": "Oslo"}, "tags": [{"name": "a", "weight": 1}], "nickName": "N"}'
    partials = partials_of(Person, pieces(text, 7), on="field")
    paths = [p.completed_paths for p in partials]
    assert all(paths)  # every partial completed something
    flat = [path for step in paths for path in step]
    assert flat == [
        ("home", "street"),
        ("home", "city"),
        ("home",),
        ("tags", 0, "name"),
        ("tags", 0, "weight"),
        ("tags", 0),
        ("tags",),
        ("nick",),  # attribute names, not the JSON alias
    ]
    # in chunk mode the paths are reported too, with the partial after they completed
    chunk_paths = [path for p in partials_of(Person, pieces(text, 7)) for path in p.completed_paths]
    assert set(chunk_paths) <= set(flat)


def test_on_field_copies_rather_than_reusing_a_handed_out_partial() -> None:
    out = partials_of(Person, ['{"name": "Ab', 'c"', ', "age": 1}'], on="field")
    a, b = out[0], out[1]
    assert a.completed_paths == (("name",),) and b.completed_paths == (("age",),)
    stream = ModelStream(Person, on="field")
    assert stream.feed('{"name": "Ab') is None
    p1 = stream.feed('c", "code": "x')
    assert p1 is not None and p1.completed_paths == (("name",),)
    p2 = stream.feed('"')  # completes code without changing what is visible
    assert p2 is not None and p2 is not p1 and p2.completed_paths == (("code",),)
    assert p1.completed_paths == (("name",),) and p2.code == p1.code == "x"


def test_leaves_convert_once_complete_and_invalid_ones_stay_none() -> None:
    stream = ModelStream(Person)
    p = stream.feed('{"color": "gre')
    assert p is not None and p.color is None
    p = stream.feed('en", "born": "2020-01-02", "seen": "not a date", "size": 1, ')
    assert p is not None and p.color is Color.green and p.born == datetime.date(2020, 1, 2)
    assert p.seen is None and p.size is Size.small


def test_union_branches_by_tag_and_by_keys() -> None:
    class Untagged(BaseModel):
        pet: Cat | Dog

    # Cat and Dog share a Literal field "kind": found as the tag even when not declared;
    # until it is complete only keys that fit one branch decide
    partials, final = run(Untagged, list('{"pet": {"name": "Rex", "good": true, "kind": "dog"}}'))
    assert isinstance(final.pet, Dog)
    seen = [type(p.pet).__name__ for p in partials]
    undecided = seen.index("PartialDog")  # decided by "good"
    assert set(seen[:undecided]) == {"NoneType"} and set(seen[undecided:]) == {"PartialDog"}

    class A(BaseModel):
        name: str
        x: int = 0

    class B(BaseModel):
        name: str
        y: int = 0

    class Plain(BaseModel):
        item: A | B

    partials, final = run(Plain, list('{"item": {"name": "n", "y": 1}}'))
    seen = [type(p.item).__name__ for p in partials]
    assert seen[0] == "NoneType"  # committed at its first key, before "item" opens
    assert seen[1] == "PartialA" and seen[-1] == "PartialB"  # no tag: switched on "y"
    assert partials[-1].item.name == "n" and isinstance(final.item, B)
    # a tagged union is None until its tag (or its keys) decides the branch, then only grows
    partials = partials_of(
        Person, list('{"pets": [{"kind": "dog", "name": "R"}, {"lives": 1, "kind": "cat"}]}')
    )
    pets = [p.pets for p in partials if p.pets]
    assert all(p[0] is None or type(p[0]).__name__ == "PartialDog" for p in pets)
    assert pets[0] == [None] and pets[-1][0].name == "R" and pets[-1][1].lives == 1
    partials = partials_of(Person, ['{"pets": [{"kind": "dog", "na', 'me": "R"}]}'])
    assert isinstance(partials[-1].pets[0], Partial[Dog]) and partials[-1].pets[0].name == "R"
    # scalar unions keep the JSON type (smart mode)
    assert partials_of(Person, ['{"ratio": "3"}'])[-1].ratio == "3"
    assert partials_of(Person, ['{"ratio": 3}'])[-1].ratio == 3


def test_root_model_of_a_list_and_self_reference() -> None:
    text = '[{"street": "a", "city": "b"}, {"city": "c", "street": "d"}]'
    partials, final = run(Addresses, pieces(text, 4))
    assert [type(p).__name__ for p in partials] == ["PartialAddresses"] * len(partials)
    assert partials[-1].root[1].city == "c" and partials[-1].completed_paths
    assert final == Addresses.model_validate_json(text)
    tree = '{"label": "root", "children": [{"label": "a", "children": [{"label": "b"}]}]}'
    partials, final = run(Tree, pieces(tree, 6))
    assert final == Tree.model_validate_json(tree)
    assert partials[-1].children[0].children[0].label == "b"


def test_aliases_default_factory_and_constraints() -> None:
    partials, final = run(Person, [ADA.replace('"code": "AL"', '"code": "AL"')])
    assert final.nick == "Ada" and partials[-1].nick == "Ada"
    text = json.dumps(
        {
            "name": "x",
            "nickName": "y",
            "age": 1,
            "score": 1,
            "active": False,
            "color": "red",
            "size": 1,
            "mood": "sad",
            "born": "2000-01-01",
            "code": "c",
        }
    )
    partials, final = run(Person, pieces(text, 9))
    assert final.tags == [] and partials[-1].tags is None  # the factory runs for the final model
    bad = text.replace('"code": "c"', '"code": "123456789"')
    with pytest.raises(pydantic.ValidationError):
        run(Person, pieces(bad, 9))


def test_lenient_reply_with_prose_fence_and_bytes() -> None:
    reply = "Sure! ```json\n" + ADA + "\n``` Anything else?"
    _, final = run(Person, [c.encode() for c in pieces(reply, 11)])
    assert final == Person.model_validate_json(ADA)
    _, final = run(Person, reply)  # a whole str is one chunk
    assert final.name == "Ada Lovelace"


def test_unknown_keys_are_ignored() -> None:
    partials, final = run(Address, ['{"street": "s", "x": {"y": [1, {"z": "w"}]}, "city": "c"}'])
    assert final == Address(street="s", city="c")
    # (equality of partials also compares completed_paths: compare the fields)
    assert partials[-1].model_dump() == Partial[Address](street="s", city="c").model_dump()


# -- errors ----------------------------------------------------------------------------------


def test_invalid_final_raises_validation_error_with_the_document() -> None:
    text = '{"street": "s", "city": 5, "zip": "1"}'
    stream = stream_model(Address, pieces(text, 4))
    partials = []
    with pytest.raises(pydantic.ValidationError) as info:
        for p in stream:
            partials.append(p)
    err = info.value
    assert isinstance(err, instant.ModelValidationError)
    assert err.value == json.loads(text) and err.partial is partials[-1]
    assert err.errors()[0]["loc"] == ("city",) and err.error_count() == 1
    assert "city" in str(err) and not err.truncated
    assert isinstance(err.validation_error, pydantic.ValidationError)
    assert any(".value" in note for note in err.__notes__)
    assert partials and all(isinstance(p, Partial[Address]) for p in partials)


def test_truncated_reply_raises_unless_allowed() -> None:
    text = '{"street": "Main\n St'
    for chunks in every_chunking(text):
        with pytest.raises(instant.TruncatedError) as info:
            list(stream_model(Address, chunks))
        err = info.value
        assert isinstance(err, instant.ParseError) and err.kind == "truncated"
        assert err.value == {"street": "Main\n St"}
        assert (err.offset, err.line, err.column) == (len(text), 2, 4)  # where it was cut
    # allowed: the completed value is validated (here it lacks a field)
    with pytest.raises(instant.ModelValidationError) as invalid:
        list(stream_model(Address, ['{"street": "Main', " St"], allow_truncated=True))
    assert invalid.value.truncated and invalid.value.value == {"street": "Main St"}
    out = list(stream_model(Address, ['{"street": "Main", "city": "Ri'], allow_truncated=True))
    assert out[-1] == Address(street="Main", city="Ri")
    # a number cut off is not taken as final either
    with pytest.raises(instant.TruncatedError) as info:
        list(stream_model(Tag, ['{"name": "a", "weight": 12']))
    assert info.value.value == {"name": "a", "weight": 12}
    # a whole document with trailing prose cut off is not truncated
    out = list(
        stream_model(
            Address, ['{"street": "a", "city": "b"} and then I ran out of'], allow_truncated=False
        )
    )
    assert out[-1] == Address(street="a", city="b")


def test_custom_validator_errors_are_kept() -> None:
    class Checked(BaseModel):
        n: int

        @pydantic.field_validator("n")
        @classmethod
        def odd(cls, n: int) -> int:
            if n % 2 == 0:
                raise pydantic_core_error()
            return n

    def pydantic_core_error() -> Exception:
        from pydantic_core import PydanticCustomError

        return PydanticCustomError("even", "{n} is even, want {what}", {"n": 2, "what": "odd"})

    with pytest.raises(instant.ModelValidationError) as info:
        list(stream_model(Checked, ['{"n": 2}']))
    assert info.value.errors()[0]["type"] == "even"
    assert "2 is even, want odd" in str(info.value)


def test_parse_error_comes_after_the_partials() -> None:
    out: list[Any] = []
    with pytest.raises(instant.ParseError):
        for p in stream_model(Address, ['{"street": "a"', ', "city": "b" "zip": 1}']):
            out.append(p)
    assert out and out[-1].city == "b"  # what came before the error was handed out
    with pytest.raises(instant.ParseError):
        list(stream_model(Address, ["no json here"]))


def _chat(delta: dict[str, Any]) -> dict[str, Any]:
    return {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]}


def test_sdk_chunks_and_tool_call_arguments() -> None:
    text = '{"street": "Rua Augusta", "city": "Lisbon"}'
    # reply text from OpenAI chat chunks (as dicts: the same shapes as the SDK's objects)
    partials, final = run(Address, [_chat({"content": p}) for p in pieces(text, 7)])
    assert final == Address.model_validate_json(text)
    assert [p.street for p in partials[:2]] == ["Ru", "Rua Augus"]
    # the arguments of one of two interleaved tool calls, by name or by number
    calls = [
        _chat(
            {
                "tool_calls": [
                    {"index": 0, "id": "a", "function": {"name": "noise", "arguments": ""}}
                ]
            }
        ),
        _chat(
            {"tool_calls": [{"index": 1, "id": "b", "function": {"name": "save", "arguments": ""}}]}
        ),
    ]
    for i, part in enumerate(pieces(text, 9)):
        calls.append(_chat({"tool_calls": [{"index": 1, "function": {"arguments": part}}]}))
        calls.append(
            _chat(
                {"tool_calls": [{"index": 0, "function": {"arguments": "[1, " if i == 0 else "2"}}]}
            )
        )
    assert run(Address, calls, tool_call="save")[1] == final
    assert run(Address, calls, tool_call=1)[1] == final
    # Anthropic events, async
    events = [
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}
        for p in pieces(text, 4)
    ]

    async def collect() -> Any:
        async def source() -> Any:
            for e in events:
                yield e

        return [p async for p in astream_model(Address, source())][-1]

    assert asyncio.run(collect()) == final


def test_options() -> None:
    with pytest.raises(TypeError):
        list(stream_model(Address, ["{}"], select="street"))
    with pytest.raises(ValueError):
        list(stream_model(Address, ["{}"], on="never"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        list(stream_model(Address, [{"not": "text"}]))
    # expect="object" comes from the model: a bracket in prose is not the document
    _, final = run(Address, ['See [1]: {"street": "a", "city": "b"}'])
    assert final.city == "b"


# -- sources ---------------------------------------------------------------------------------


class Source:
    """An iterator with close(), counting what was read."""

    def __init__(self, chunks: list[str]) -> None:
        self.chunks = iter(chunks)
        self.read = 0
        self.closed = False

    def __iter__(self) -> Source:
        return self

    def __next__(self) -> str:
        self.read += 1
        return next(self.chunks)

    def close(self) -> None:
        self.closed = True


def test_stopping_early_closes_the_source() -> None:
    src = Source(pieces(ADA, 10))
    for p in stream_model(Person, src):
        if p.name:
            break
    assert src.closed and src.read == 2
    src = Source(pieces(ADA, 10))
    list(stream_model(Person, src))
    assert src.closed  # read to the end: closed too (an SDK stream releases its response)


def test_astream_model() -> None:
    closed = []

    async def chunks() -> Any:
        try:
            for c in pieces(ADA, 6):
                yield c
                await asyncio.sleep(0)
        finally:
            closed.append(True)

    async def collect(stop: bool) -> list[Any]:
        out = []
        agen = astream_model(Person, chunks())
        async for p in agen:
            out.append(p)
            if stop and len(out) == 3:
                await agen.aclose()
                break
        return out

    out = asyncio.run(collect(False))
    assert out[-1] == Person.model_validate_json(ADA)
    assert [p.model_dump() for p in out[:-1]] == [
        p.model_dump() for p in list(stream_model(Person, pieces(ADA, 6)))[:-1]
    ]
    closed.clear()
    assert len(asyncio.run(collect(True))) == 3 and closed == [True]
    out = asyncio.run(collect_sync())
    assert out[-1].city == "b"


async def collect_sync() -> list[Any]:
    return [p async for p in astream_model(Address, ['{"street": "a",', ' "city": "b"}'])]


# -- schema_prompt -----------------------------------------------------------------------------


def test_schema_prompt() -> None:
    prompt = instant.schema_prompt(Person)
    schema = json.dumps(Person.model_json_schema(), separators=(",", ":"), ensure_ascii=False)
    assert schema in prompt and "Reply with only the JSON" in prompt
    assert "JSON object" in prompt and "JSON array" in instant.schema_prompt(Addresses)
    assert len(prompt.splitlines()) == 3
    reply = Person.model_validate_json(ADA).model_dump_json(by_alias=True)
    _, final = run(Person, pieces(reply, 3))
    assert final == Person.model_validate_json(ADA)


# -- properties ----------------------------------------------------------------------------------


def grows(a: Any, b: Any) -> bool:
    """``b`` only adds to ``a``: strings by appending, lists by items, dicts by keys."""
    if isinstance(a, dict) and set(a) == {"value", "state"}:  # a WithState field
        return grows(a["value"], b["value"] if isinstance(b, dict) and "state" in b else b)
    if a is None:
        return True
    if isinstance(a, str) and isinstance(b, str) and type(a) is str:
        return b.startswith(a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(b) >= len(a) and all(grows(x, y) for x, y in zip(a, b))
    if isinstance(a, (set, frozenset)) and isinstance(b, (set, frozenset)):
        return a <= b
    if isinstance(a, dict) and isinstance(b, dict):
        return all(k in b and grows(v, b[k]) for k, v in a.items())
    return bool(a == b)


@given(pair=instances, data=st.data())
def test_streamed_instances_fill_in_and_end_equal(pair: Any, data: Any) -> None:
    model, instance = pair
    text = instance.model_dump_json(by_alias=True)
    if data.draw(st.booleans(), label="indent"):
        text = json.dumps(json.loads(text), indent=1, ensure_ascii=False)
    chunks = data.draw(chunkings(text), label="chunks")
    out = list(stream_model(model, chunks))
    partials, final = out[:-1], out[-1]
    assert final == model.model_validate_json(text) == instance
    P = Partial[model]
    dumps = []
    for p in partials:
        assert isinstance(p, P)
        P.model_validate(p.model_dump())  # a valid partial
        dumps.append(p.model_dump())
    for a, b in zip(dumps, dumps[1:]):
        assert a != b
        assert grows(a, b), (a, b)
    assert [p.model_dump() for p in partials] == dumps  # handed-out partials never change
    if partials:
        assert grows(dumps[-1], final.model_dump())


@given(pair=instances, data=st.data())
def test_invalid_final_data_raises_with_the_document(pair: Any, data: Any) -> None:
    model, instance = pair
    value = json.loads(instance.model_dump_json(by_alias=True))
    bad: Any = {"root": 5} if isinstance(value, dict) else [5]  # a required field missing / wrong
    if model is Tree:
        bad = {"children": value.get("children", [])}
    elif model is Address:
        bad = {k: v for k, v in value.items() if k != "city"}
    elif model is Person:
        bad = dict(value, age="not a number")
    text = json.dumps(bad)
    with pytest.raises(instant.ModelValidationError) as info:
        list(stream_model(model, data.draw(chunkings(text), label="chunks")))
    assert info.value.value == bad
    assert isinstance(info.value, pydantic.ValidationError)
