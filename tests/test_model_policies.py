"""Streaming policies, the new partial shapes, subtree validation and the honest verdict of
``stream_model``, by example (the properties are in tests/test_partial_types.py)."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys
from typing import Annotated, Any, Literal

import pydantic
import pytest
from pydantic import BaseModel, ConfigDict, Field, RootModel
from typing_extensions import TypedDict

import instant
from instant.models import ModelStream
from tests.chunking import chunkings


def partials(model: type[BaseModel], chunks: Any, **options: Any) -> tuple[list[Any], Any]:
    out = list(instant.stream_model(model, chunks, **options))
    assert not isinstance(out[-1], instant.PartialModel)
    return out[:-1], out[-1]


def collect(model: type[BaseModel], chunks: Any, **options: Any) -> list[Any]:
    """What the stream hands out before the final model fails to validate."""
    out: list[Any] = []
    with pytest.raises(instant.ModelValidationError):
        for item in instant.stream_model(model, chunks, **options):
            out.append(item)
    return out


# -- policies --------------------------------------------------------------------------------


class Article(BaseModel):
    title: Annotated[str, instant.Done]
    body: Annotated[str, instant.WithState]
    tags: Annotated[list[str], instant.Done()]  # called: the same policy
    lede: str = ""


ARTICLE = '{"title": "Rain", "body": "It rained.", "tags": ["w", "x"], "lede": "Wet"}'


def test_done_fields_appear_whole() -> None:
    for chunks in chunkings(ARTICLE):
        ps, final = partials(Article, chunks)
        assert final == Article.model_validate_json(ARTICLE)
        assert {p.title for p in ps} <= {None, "Rain"}
        assert {tuple(p.tags) if p.tags is not None else None for p in ps} <= {None, ("w", "x")}
    ps, _ = partials(Article, list(ARTICLE))
    ledes = [p.lede for p in ps if p.lede]
    assert ledes[:2] == ["W", "We"]  # a field without a policy streams


def test_with_state_moves_from_pending_to_done() -> None:
    ps, _ = partials(Article, list(ARTICLE))
    states = [(p.body.state, p.body.value) for p in ps]
    assert states[0] == ("pending", None)
    assert ("streaming", "It ra") in states and states[-1] == ("done", "It rained.")
    order = ["pending", "streaming", "done"]
    ranks = [order.index(s) for s, _ in states]
    assert ranks == sorted(ranks)
    assert all(isinstance(p.body, instant.Streaming) for p in ps)
    body = instant.Partial[Article].model_fields["body"]
    assert body.annotation is instant.Streaming[str] and body.default.state == "pending"


class Shape(BaseModel):
    kind: Annotated[Literal["circle", "square"], instant.NotNull]
    size: float


class Canvas(BaseModel):
    shapes: list[Shape]


def test_not_null_withholds_the_object_until_its_field_is_done() -> None:
    text = '{"shapes": [{"size": 2.5, "kind": "circle"}, {"kind": "square", "size": 1}]}'
    for chunks in chunkings(text):
        ps, final = partials(Canvas, chunks)
        assert final == Canvas.model_validate_json(text)
        for p in ps:
            assert all(s is None or s.kind is not None for s in p.shapes or [])
    ps, _ = partials(Canvas, list(text))
    seen = [p.shapes[0] for p in ps if p.shapes]
    assert seen[0] is None and seen[-1] == instant.Partial[Shape](kind="circle", size=2.5)


def test_not_null_at_the_root_holds_every_partial() -> None:
    text = '{"size": 3, "kind": "square"}'
    ps, _ = partials(Shape, list(text), on="field")
    assert [p.model_dump() for p in ps] == [{"kind": "square", "size": 3.0}]
    assert ps[0].completed_paths == (("size",), ("kind",))  # reported when they show


class Quiet(BaseModel):
    """Every field Done, except where a field says otherwise."""

    model_config = instant.stream_config(instant.Done, frozen=True)

    name: str
    note: Annotated[str, instant.WithState] = ""
    items: list[str] = Field(default_factory=list)


class RawConfig(BaseModel):
    model_config = ConfigDict(instant_stream=instant.WithState)  # type: ignore[typeddict-unknown-key]

    name: str


def test_model_default_policies() -> None:
    text = '{"name": "abc", "note": "hello", "items": ["a", "b"]}'
    ps, final = partials(Quiet, list(text))
    assert final.name == "abc" and Quiet.model_config.get("frozen")
    assert {p.name for p in ps} == {None, "abc"}
    assert {tuple(p.items or ()) for p in ps} == {(), ("a", "b")}
    assert ("streaming", "hel") in [(p.note.state, p.note.value) for p in ps]
    ps, _ = partials(RawConfig, list('{"name": "x"}'))
    assert ps[-1].name == instant.Streaming[str](value="x", state="done")


def test_bad_policy_config_and_pickling() -> None:
    class Bad(BaseModel):
        model_config = ConfigDict(instant_stream="Done")  # type: ignore[typeddict-unknown-key]
        x: int

    with pytest.raises(TypeError, match="instant_stream"):
        instant.Partial[Bad]
    with pytest.raises(TypeError, match="stream_config"):
        instant.stream_config("Done")  # type: ignore[arg-type]
    assert pickle.loads(pickle.dumps(instant.Done)) is instant.Done
    assert instant.Done() is instant.Done and repr(instant.NotNull) == "instant.NotNull"


# -- shapes that are not models ---------------------------------------------------------------


@dataclasses.dataclass
class Pixel:
    x: int
    y: int


class Legend(TypedDict):
    text: str
    pixel: Pixel


class Bag(BaseModel):
    model_config = ConfigDict(extra="allow")

    colors: set[str]
    frozen: frozenset[int] = frozenset()
    corner: tuple[int, str]
    pixels: tuple[Pixel, ...] = ()
    legend: Legend | None = None


BAG = (
    '{"colors": ["red", "blue"], "corner": [1, "a"], "pixels": [{"x": 1, "y": 2}], '
    '"legend": {"text": "hi", "pixel": {"x": 3, "y": 4}}, "frozen": [7], "more": {"k": "vee"}}'
)


def test_sets_tuples_dataclasses_typeddicts_and_extra_keys_stream() -> None:
    for chunks in chunkings(BAG):
        ps, final = partials(Bag, chunks)
        assert final == Bag.model_validate_json(BAG)
    ps, _ = partials(Bag, list(BAG))
    colors = [p.colors for p in ps if p.colors is not None]
    assert colors[0] == set() and {"red"} in colors and colors[-1] == {"red", "blue"}
    assert all(c <= {"red", "blue"} for c in colors)  # an item shows once complete
    corners = [p.corner for p in ps if p.corner is not None]
    assert corners[0] == (None, None) and (1, None) in corners and corners[-1] == (1, "a")
    last = ps[-1]
    assert type(last.pixels) is tuple and type(last.pixels[0]) is instant.Partial[Pixel]
    assert type(last.legend) is dict and last.legend["pixel"] == instant.Partial[Pixel](x=3, y=4)
    assert type(last.frozen) is frozenset and last.frozen == {7}
    assert last.model_extra == {"more": {"k": "vee"}}
    assert ({"more": {"k": "v"}}) in [p.model_extra for p in ps]  # extra keys stream too
    field_ps, _ = partials(Bag, list(BAG), on="field")  # copies of a partial keep its extras
    assert all(p.model_extra is not None for p in field_ps)
    assert field_ps[-1].model_extra == {"more": {"k": "vee"}}
    legends = [p.legend for p in ps if p.legend]
    assert legends[0] == {"text": "h"}  # a TypedDict holds the keys seen so far
    assert issubclass(instant.Partial[Pixel], instant.PartialModel)
    assert instant.Partial[Legend].__annotations__["text"] == (str | None)


# -- subtree validation ----------------------------------------------------------------------


class Line(BaseModel):
    sku: str
    qty: int = Field(gt=0)


class Order(BaseModel):
    id: int
    lines: list[Line]
    gift: Line | None = None


BAD_ORDER = '{"id": 1, "lines": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 0}], "gift": {"sku": "c", "qty": "x"}}'


def test_subtree_validation_reports_an_invalid_sub_model_at_once() -> None:
    for chunks in chunkings(BAD_ORDER):
        out: list[Any] = []
        with pytest.raises(instant.ModelValidationError):
            for item in instant.stream_model(Order, chunks, validate="subtree"):
                out.append(item)
        bad = [x for x in out if isinstance(x, instant.InvalidSubtree)]
        assert [(b.path, b.loc, [e["loc"] for e in b.errors]) for b in bad] == [
            (("lines", 1), ("lines", 1), [("qty",)]),
            (("gift",), ("gift",), [("qty",)]),
        ]
        assert bad[0].value == {"sku": "b", "qty": 0} and bad[0].errors[0]["type"] == "greater_than"
        assert isinstance(bad[0].error, pydantic.ValidationError)
    # reported with the partial of the chunk that closed it: before the rest is read
    chunks = [BAD_ORDER[:70], BAD_ORDER[70:]]
    seen: list[Any] = []
    stream = instant.stream_model(Order, iter(chunks), validate="subtree")
    for item in stream:
        seen.append(item)
        if isinstance(item, instant.InvalidSubtree):
            break
    assert len(seen) == 2 and isinstance(seen[0], instant.PartialModel)


def test_subtree_validation_can_raise_and_reports_each_error_once() -> None:
    read: list[str] = []

    def source() -> Any:
        for i in range(0, len(BAD_ORDER), 10):
            read.append(BAD_ORDER[i : i + 10])
            yield read[-1]

    with pytest.raises(instant.ModelValidationError) as info:
        for _ in instant.stream_model(Order, source(), validate="subtree", on_invalid="raise"):
            pass
    err = info.value
    assert [e["loc"] for e in err.errors()] == [("lines", 1, "qty")]  # from the root
    assert len("".join(read)) < len(BAD_ORDER)  # stopped early
    assert err.value["lines"][1] == {"sku": "b", "qty": 0}

    # an outer model is not reported again for an inner one's errors
    class Outer(BaseModel):
        order: Order
        note: int

    text = '{"order": {"id": 1, "lines": [{"sku": "b", "qty": 0}]}, "note": 2}'
    out = collect(Outer, [text], validate="subtree")
    assert [x.loc for x in out if isinstance(x, instant.InvalidSubtree)] == [("order", "lines", 0)]
    with pytest.raises(ValueError, match="on_invalid"):
        instant.stream_model(Order, [BAD_ORDER], on_invalid="ignore")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="validate"):
        list(instant.stream_model(Order, [BAD_ORDER], validate="all"))  # type: ignore[call-overload]


def test_subtree_validation_uses_the_discriminator_and_aliases() -> None:
    class Cat(BaseModel):
        kind: Literal["cat"]
        lives: int

    class Dog(BaseModel):
        kind: Literal["dog"]
        good_boy: bool = Field(alias="goodBoy")

    class Pets(BaseModel):
        pets: list[Annotated[Cat | Dog, Field(discriminator="kind")]]

    text = '{"pets": [{"kind": "dog", "goodBoy": "maybe"}, {"kind": "cat", "lives": 9}]}'
    out = collect(Pets, list(text), validate="subtree")
    bad = [x for x in out if isinstance(x, instant.InvalidSubtree)]
    assert len(bad) == 1 and bad[0].errors[0]["loc"] == ("dog", "goodBoy")
    assert bad[0].path == ("pets", 0) and out[-1].pets[1] == instant.Partial[Cat](
        kind="cat", lives=9
    )


# -- the verdict: truncated, refused, no JSON -------------------------------------------------


def _chat(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": finish}
    return {"object": "chat.completion.chunk", "choices": [choice]}


def test_refusal_raises_refusal_error() -> None:
    chunks = [_chat({"refusal": "I can't "}), _chat({"refusal": "help with that."}, "stop")]
    with pytest.raises(instant.RefusalError) as info:
        list(instant.stream_model(Line, chunks))
    assert info.value.refusal == "I can't help with that."


def test_a_reply_without_json_raises_no_json() -> None:
    for chunks in chunkings("Sorry, I cannot do that."):
        with pytest.raises(instant.ParseError) as info:
            list(instant.stream_model(Line, chunks))
        assert info.value.kind == "no_json"
    calls = [
        _chat(
            {"tool_calls": [{"index": 0, "id": "a", "function": {"name": "x", "arguments": "{}"}}]}
        )
    ]
    with pytest.raises(instant.ParseError, match="no tool call 'save'") as info:
        list(instant.stream_model(Line, calls, tool_call="save"))
    assert info.value.kind == "no_json"

    # a tool with no parameters: its call has no arguments, which are {}
    class Nothing(BaseModel):
        pass

    calls = [_chat({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "ping"}}]})]
    assert list(instant.stream_model(Nothing, calls, tool_call="ping"))[-1] == Nothing()


def test_truncated_reply_names_the_finish_reason() -> None:
    text = '{"sku": "a", "qty": 1'
    chunks = [_chat({"content": text[:9]}), _chat({"content": text[9:]}, "length")]
    with pytest.raises(instant.TruncatedError, match="'length'") as info:
        list(instant.stream_model(Line, chunks))
    assert info.value.value == {"sku": "a", "qty": 1}
    run = ModelStream(Line)
    for c in chunks:
        run.feed(c)
    run.close()
    assert run.finish_reason == "length" and run.raw_finish_reason == "length" and run.truncated
    # the same reply, cut at a place that leaves the JSON complete: a model
    out = list(instant.stream_model(Line, [_chat({"content": text + "}"}, "length")]))
    assert out[-1] == Line(sku="a", qty=1)


def test_expect_comes_from_the_model() -> None:
    class Lines(RootModel[list[Line]]):
        pass

    reply = 'Per {this note} the lines are: [{"sku": "a", "qty": 1}]'
    assert list(instant.stream_model(Lines, [reply]))[-1] == Lines([Line(sku="a", qty=1)])
    run = ModelStream(Lines)
    assert run.parser.expect == "array" and ModelStream(Line).parser.expect == "object"


def test_options_are_checked() -> None:
    with pytest.raises(TypeError, match="allow_truncated"):
        ModelStream(Line, allow_truncated="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tool_call"):
        ModelStream(Line, tool_call=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="pydantic model"):
        ModelStream(Legend)  # type: ignore[type-var]


def test_the_new_names_load_lazily() -> None:
    code = (
        "import sys, instant\n"
        "assert 'pydantic' not in sys.modules, 'pydantic imported'\n"
        "names = ['Done', 'NotNull', 'WithState', 'Streaming', 'InvalidSubtree', 'stream_config']\n"
        "assert all(n in instant.__all__ for n in names)\n"
        "assert [getattr(instant, n).__module__ for n in names[3:]]\n"
        "assert all(hasattr(instant, n) for n in instant.__all__)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
