"""instant.items / instant.aitems: each value at a selector's paths, the moment it is done."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

import instant
from instant.events import key_segment
from instant.strategies import chunkings, json_texts, json_values
from tests.sources import ACounting, Counting, done_at, run

ORDERS = {
    "customer": "Ada",
    "orders": [
        {"id": "A1", "lines": [{"sku": "tea", "qty": 2}, {"sku": "cup", "qty": 1}]},
        {"id": "B2", "lines": [{"sku": "pot", "qty": "one"}, {"sku": "lid", "qty": 3}]},
        {"id": "C3", "lines": []},
    ],
    "note": "leave at the door",
}
TEXT = json.dumps(ORDERS)
CHUNKS = [TEXT[i : i + 7] for i in range(0, len(TEXT), 7)]
LINES = [line for order in ORDERS["orders"] for line in order["lines"]]


class Line(BaseModel):
    sku: str
    qty: int


def drain(stream: Any) -> list[Any]:
    if hasattr(stream, "__aiter__"):

        async def main() -> list[Any]:
            return [x async for x in stream]

        out: list[Any] = run(main())
        return out
    return list(stream)


# --- when items come ---------------------------------------------------------------------


def test_nested_items_arrive_at_their_done_before_the_rest_is_read() -> None:
    src = Counting(CHUNKS)
    seen = [(src.pulled, line) for line in instant.items(src, "orders.[].lines.[]")]
    expected = done_at(CHUNKS, "orders.[].lines.[]")
    assert seen == expected
    assert [line for _, line in seen] == LINES
    # each line is handed out in the chunk that closes it: the first long before the end
    assert seen[0][0] < len(CHUNKS) // 2
    assert src.closed == 1


def test_nested_items_async_arrive_at_their_done() -> None:
    src = ACounting(CHUNKS)

    async def main() -> list[tuple[int, Any]]:
        return [(src.pulled, line) async for line in instant.aitems(src, "orders.[].lines.[]")]

    assert run(main()) == done_at(CHUNKS, "orders.[].lines.[]")
    assert src.closed == 1


def test_items_over_an_async_source_are_an_async_iterator() -> None:
    src = ACounting(CHUNKS)
    stream = instant.items(src, "orders.[].id")
    assert isinstance(stream, instant.AsyncItems)
    assert drain(stream) == ["A1", "B2", "C3"]
    # aitems also reads a sync iterable, in the event loop's thread
    assert drain(instant.aitems(CHUNKS, "orders.[].id")) == ["A1", "B2", "C3"]


def test_the_parser_hands_python_only_the_item_events() -> None:
    stream = instant.items(CHUNKS, "orders.[].lines.[]")
    assert stream.parser.selector is not None
    assert stream.parser.selector.expression == "orders.[].lines.[].$done"
    # and the events it returns are exactly the items' done events
    parser = instant.Parser(select=stream.parser.selector)
    events = [e for c in CHUNKS for e in parser.feed(c)] + parser.close()
    assert [e["value"] for e in events] == LINES


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("orders.[].lines.[].sku", ["tea", "cup", "pot", "lid"]),
        ("orders.[].lines.[]?_,1", [LINES[1], LINES[3]]),
        ("orders.[].lines.[]?1", LINES[2:4]),  # specs go outermost first: order 1's lines
        ("orders.[].id?0|2", ["A1", "C3"]),
        ("orders.[].lines", [o["lines"] for o in ORDERS["orders"]]),
        ("*", ["Ada", ORDERS["orders"], "leave at the door"]),
        ("**.qty", [2, 1, "one", 3]),
        ("instant:customer & note", ["Ada", "leave at the door"]),
        ("orders.[].id.$done", ["A1", "B2", "C3"]),
        ("missing", []),
    ],
)
def test_any_selector(selector: str, expected: list[Any]) -> None:
    assert list(instant.items(CHUNKS, selector)) == expected
    assert drain(instant.aitems(CHUNKS, selector)) == expected


def test_a_mapping_of_selectors_yields_selector_and_item_in_document_order() -> None:
    wanted = {"orders.[].id": None, "orders.[].lines.[]": Line, "**.sku": None}
    got = list(instant.items(CHUNKS, wanted, on_invalid="skip"))
    assert got == [
        ("orders.[].id", "A1"),
        ("**.sku", "tea"),
        ("orders.[].lines.[]", Line(sku="tea", qty=2)),
        ("**.sku", "cup"),
        ("orders.[].lines.[]", Line(sku="cup", qty=1)),
        ("orders.[].id", "B2"),
        ("**.sku", "pot"),  # the pot's line is invalid: skipped, its sku still comes
        ("**.sku", "lid"),
        ("orders.[].lines.[]", Line(sku="lid", qty=3)),
        ("orders.[].id", "C3"),
    ]
    # one value two selectors select comes once for each
    both = list(instant.items(['{"a": [1]}'], {"a.[]": None, "**": None}))
    assert both == [("a.[]", 1), ("**", 1), ("**", [1]), ("**", {"a": [1]})]
    # a Selector works as a key and comes back as given
    sel = instant.compile_selector("orders.[].id")
    assert list(instant.items(CHUNKS, {sel: None}))[0] == (sel, "A1")


# --- typed items ---------------------------------------------------------------------------


def test_typed_items_are_validated_as_they_complete() -> None:
    src = Counting(CHUNKS)
    got = []
    with pytest.raises(instant.ItemValidationError) as info:
        for line in instant.items(src, "orders.[].lines.[]", Line):
            got.append(line)
    assert got == [Line(sku="tea", qty=2), Line(sku="cup", qty=1)]
    err = info.value
    assert isinstance(err, ValueError)
    assert err.path == ("orders", 1, "lines", 0)
    assert err.key == "orders.[].lines.[]"
    assert err.value == {"sku": "pot", "qty": "one"}
    assert err.model is Line and err.selector == "orders.[].lines.[]"
    assert err.errors()[0]["loc"] == ("qty",)
    assert "orders[1].lines[0] is not a valid Line" in str(err)
    # raised as soon as the invalid line is done: the source is closed there
    assert src.pulled == done_at(CHUNKS, "orders.[].lines.[]")[2][0]
    assert src.closed == 1


def test_on_invalid_skip_and_yield_error() -> None:
    skipped = list(instant.items(CHUNKS, "orders.[].lines.[]", Line, on_invalid="skip"))
    assert skipped == [Line(sku="tea", qty=2), Line(sku="cup", qty=1), Line(sku="lid", qty=3)]
    mixed = list(instant.items(CHUNKS, "orders.[].lines.[]", Line, on_invalid="yield_error"))
    assert [type(x).__name__ for x in mixed] == ["Line", "Line", "ItemValidationError", "Line"]
    assert mixed[2].value == {"sku": "pot", "qty": "one"}
    # the same, async
    amixed = drain(instant.aitems(CHUNKS, "orders.[].lines.[]", Line, on_invalid="yield_error"))
    assert amixed == mixed


def test_any_type_a_type_adapter_takes() -> None:
    assert list(instant.items(['{"a": [[1, "2"], [3]]}'], "a.[]", list[int])) == [[1, 2], [3]]
    assert list(instant.items(['{"a": ["x", 1]}'], "a.[]", int | str)) == ["x", 1]


def test_a_truncated_reply_completes_and_validates_its_last_item() -> None:
    cut = TEXT[: TEXT.index('"cup"') + 3]  # inside the second line's sku
    stream = instant.items([cut], "orders.[].lines.[]", Line, on_invalid="yield_error")
    out = list(stream)
    assert out[0] == Line(sku="tea", qty=2)
    assert isinstance(out[1], instant.ItemValidationError) and out[1].value == {"sku": "cu"}
    assert stream.truncated and not stream.stopped_early


# --- stopping early ----------------------------------------------------------------------


@pytest.mark.parametrize("asynchronous", [False, True])
def test_max_items_stops_reading_and_closes_the_source(asynchronous: bool) -> None:
    src: Any = ACounting(CHUNKS) if asynchronous else Counting(CHUNKS)
    stream = instant.items(src, "orders.[].lines.[]", max_items=2)
    assert drain(stream) == LINES[:2]
    assert src.pulled == done_at(CHUNKS, "orders.[].lines.[]")[1][0]  # the minimum
    assert src.closed == 1 and stream.stopped_early
    # everything read is kept, nothing completed
    assert stream.value["orders"][0]["lines"] == LINES[:2]
    assert not stream.truncated
    assert stream.text == "".join(CHUNKS[: src.pulled])


def test_max_items_counts_items_not_skipped_ones() -> None:
    got = list(instant.items(CHUNKS, "orders.[].lines.[]", Line, on_invalid="skip", max_items=3))
    assert [line.sku for line in got] == ["tea", "cup", "lid"]
    got = list(
        instant.items(CHUNKS, "orders.[].lines.[]", Line, on_invalid="yield_error", max_items=3)
    )
    assert len(got) == 4 and isinstance(got[2], instant.ItemValidationError)


def test_max_items_reached_at_the_end_is_not_an_early_stop() -> None:
    stream = instant.items(CHUNKS, "orders.[].id", max_items=3)
    assert list(stream) == ["A1", "B2", "C3"]
    assert stream.stopped_early  # the third id is done before the reply ends
    whole = instant.items(["[1, 2, 3"], "[]", max_items=3)  # the 3 is done only at the end
    assert list(whole) == [1, 2, 3] and not whole.stopped_early


@pytest.mark.parametrize("asynchronous", [False, True])
def test_until_on_items(asynchronous: bool) -> None:
    src: Any = ACounting(CHUNKS) if asynchronous else Counting(CHUNKS)
    stream = instant.items(src, "orders.[].lines.[].sku", until="orders.[]?0")
    assert drain(stream) == ["tea", "cup"]
    assert src.pulled == done_at(CHUNKS, "orders.[]")[0][0]
    assert stream.stopped_early and src.closed == 1
    # a callable sees every event, not only the items'
    src = Counting(CHUNKS)
    stream = instant.items(src, "orders.[].id", until=lambda e: e["value"] == "pot")
    assert list(stream) == ["A1", "B2"] and stream.stopped_early
    assert src.pulled == done_at(CHUNKS, "orders.[].lines.[].sku")[2][0]


# --- errors --------------------------------------------------------------------------------


def test_items_before_a_parse_error_come_first() -> None:
    bad = ['{"a": [1, 2', ", 3 4]}"]
    src = Counting(bad)
    got = []
    with pytest.raises(instant.ParseError):
        for x in instant.items(src, "a.[]"):
            got.append(x)
    assert got == [1, 2, 3] and src.closed == 1


def test_bad_arguments_are_rejected_before_reading() -> None:
    src = Counting(CHUNKS)
    with pytest.raises(TypeError, match="unexpected option 'strikt'"):
        instant.items(src, "a", strikt=True)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="not select="):
        instant.items(src, "a", select="b")
    with pytest.raises(ValueError, match="only deltas"):
        instant.items(src, "a.$delta")
    with pytest.raises(instant.SelectorError):
        instant.items(src, "a..b")
    with pytest.raises(ValueError, match="on_invalid"):
        instant.items(src, "a", Line, on_invalid="ignore")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="max_items"):
        instant.items(src, "a", max_items=0)
    with pytest.raises(TypeError, match="give each its model"):
        instant.items(src, {"a": None}, Line)
    with pytest.raises(TypeError, match="a selector is a str"):
        instant.items(src, {1: None})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="until="):
        instant.items(src, "a", until="**")
    with pytest.raises(TypeError, match="until must be"):
        instant.items(src, "a", until=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        instant.items(42, "a")  # type: ignore[call-overload]
    assert src.pulled == 0


def test_strict_and_other_parser_options_apply() -> None:
    with pytest.raises(instant.ParseError):
        list(instant.items(["Sure: [1]"], "[]", strict=True))
    assert list(instant.items(["[1.5]"], "[]", parse_float=str)) == ["1.5"]
    docs = list(instant.items(['{"a": 1}\n{"a": 2}'], "a", multiple=True))
    assert docs == [1, 2]


def test_close_and_with_close_the_source() -> None:
    src = Counting(CHUNKS)
    with instant.items(src, "orders.[].id") as stream:
        assert next(stream) == "A1"
    assert src.closed == 1
    src = Counting(CHUNKS)
    instant.items(src, "x").close()  # never iterated
    assert src.closed == 1

    async def main() -> None:
        asrc = ACounting(CHUNKS)
        async with instant.aitems(asrc, "orders.[].id") as astream:
            assert await astream.__anext__() == "A1"
        assert asrc.closed == 1

    run(main())


def test_items_of_tool_call_arguments() -> None:
    def call(args: str) -> dict[str, Any]:
        tool = {"index": 0, "id": "c1", "function": {"name": "plan", "arguments": args}}
        return {"choices": [{"index": 0, "delta": {"tool_calls": [tool]}}]}

    chunks = [call('{"stops": [{"n'), call('ame": "Belém"}, {"name": "Alf'), call('ama"}]}')]
    assert list(instant.items(chunks, "stops.[].name")) == ["Belém", "Alfama"]


# --- property: items are the document's values, whatever the chunking --------------------


def post_order(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            out += post_order(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += post_order(v, (*path, i))
    out.append((path, value))
    return out


def done_event(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    return {
        "key": ".".join("[]" if isinstance(p, int) else key_segment(p) for p in path),
        "indexes": [p for p in path if isinstance(p, int)],
        "path": path,
        "event": "done",
    }


def selector_for(path: tuple[Any, ...], wild: list[bool]) -> str:
    """A selector naming ``path``: each index as ``[]`` (with an index spec unless wild)."""
    segs, specs = [], []
    for p, w in zip(path, wild):
        if isinstance(p, int):
            segs.append("[]")
            specs.append("_" if w else str(p))
        else:
            segs.append(key_segment(p))
    return ".".join(segs) + ("?" + ",".join(specs) if specs else "")


@given(
    value=st.one_of(
        st.dictionaries(st.sampled_from("abc"), json_values(max_leaves=12), min_size=1),
        st.lists(json_values(max_leaves=12), min_size=1),
    ),
    data=st.data(),
)
def test_items_are_the_documents_values_in_done_order(value: Any, data: st.DataObject) -> None:
    text = data.draw(json_texts(value))
    chunks = data.draw(chunkings(text))
    paths = [p for p, _ in post_order(value) if p]
    path = data.draw(st.sampled_from(paths))
    wild = data.draw(st.lists(st.booleans(), min_size=len(path), max_size=len(path)))
    selector = data.draw(st.sampled_from([selector_for(path, wild), "**", "*.**"]))
    matches = instant.compile_selector(selector).matches
    expected = [v for p, v in post_order(value) if matches(done_event(p, v))]
    assert list(instant.items(chunks, selector)) == expected
    assert drain(instant.aitems(chunks, selector)) == expected
