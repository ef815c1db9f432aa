"""until=: early stop on instant.stream, the generators (items and tap have their own tests).

The rule (instant/streams/until.py): a selector is done when every term is done in one
document; a term names the paths of its fixed part (keys, and [] with a finite index spec),
or everything under them if it goes on with an open step; a path is settled by its own done
event or a container's (below the root). The stream then closes the source before handing
out the events up to the stopping one, and ends with ``stopped_early``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import instant
from instant.strategies import chunkings, json_texts, json_values
from tests.sources import ACounting, Counting, run
from tests.test_items import post_order, selector_for

DOC = {
    "title": "Lisbon",
    "steps": [{"n": 1, "tags": ["a", "b"]}, {"n": 2, "tags": []}, {"n": 3, "tags": ["c"]}],
    "meta": {"lang": "en", "score": 0.5},
    "note": "end",
}
TEXT = json.dumps(DOC)
CHUNKS = [TEXT[i : i + 5] for i in range(0, len(TEXT), 5)]


def full_run(chunks: list[Any], **options: Any) -> list[tuple[int, dict[str, Any]]]:
    """(chunks read, event) for every event of a run without until=."""
    src = Counting(chunks)
    return [(src.pulled, e) for e in instant.stream(src, **options)]


def stop_point(chunks: list[Any], path: tuple[Any, ...], **options: Any) -> int:
    """Index (in the full run) of the done event at ``path``."""
    for i, (_, e) in enumerate(full_run(chunks, **options)):
        if e["event"] == "done" and e["path"] == path:
            return i
    raise AssertionError(f"no done at {path}")


@pytest.mark.parametrize(
    ("until", "stops_at"),
    [
        ("title", ("title",)),
        ("steps.[]?0", ("steps", 0)),  # a finite spec: the first step
        ("steps.[]?0:2", ("steps", 1)),  # the first two
        ("steps.[]?5", ("steps",)),  # no step 5: settled when steps closes
        ("steps.[]", ("steps",)),  # every step: when no more can come
        ("steps.[].tags.[]?_,0", ("steps",)),  # every step's first tag: an open []
        ("steps.[].tags.[]?1,0", ("steps", 1, "tags")),  # no tag 0: settled when tags closes
        ("steps.[].n?2", ("steps", 2, "n")),
        ("meta.*", ("meta",)),
        ("meta.**", ("meta",)),
        ("meta.lang & title", ("meta", "lang")),  # every term: the later one
        ("title.$delta", ("title",)),  # the kind changes nothing: a value's done
        ("instant:note", ("note",)),
    ],
)
def test_until_stops_where_every_named_path_is_done(until: str, stops_at: tuple[Any, ...]) -> None:
    full = full_run(CHUNKS)
    i = stop_point(CHUNKS, stops_at)
    src = Counting(CHUNKS)
    events = instant.stream(src, until=until)
    got = list(events)
    assert got == [e for _, e in full[: i + 1]]  # the events up to the stopping one
    assert src.pulled == full[i][0]  # no chunk more than needed
    assert src.closed == 1 and events.stopped_early
    assert events.text == "".join(CHUNKS[: src.pulled])
    assert not events.truncated  # nothing completed: the document as far as it was read
    parser = instant.Parser()
    parser.feed("".join(CHUNKS[: src.pulled]))
    assert events.value == parser.value


def test_the_source_is_closed_before_the_last_events_are_handed_out() -> None:
    src = Counting(CHUNKS)
    for event in instant.stream(src, until="steps.[]?0"):
        if event["key"] == "steps.[]":
            assert src.closed == 1  # already: no token is paid for while we look at it
            break
    else:
        raise AssertionError("no step")


def test_a_path_never_written_never_stops_the_stream() -> None:
    src = Counting(CHUNKS)
    events = instant.stream(src, until="missing & title")
    assert len(list(events)) == len(full_run(CHUNKS))
    assert not events.stopped_early and src.pulled == len(CHUNKS) and src.closed == 1


def test_a_callable_until_sees_every_event() -> None:
    src = Counting(CHUNKS)
    seen: list[str] = []

    def until(event: Any) -> bool:
        seen.append(event["key"])
        return event["event"] == "done" and event["value"] == 2

    events = instant.stream(src, select="title", until=until)
    assert [e["key"] for e in events] == ["title", "title", "title"]
    assert "steps.[].n" in seen and events.stopped_early
    assert src.pulled == full_run(CHUNKS)[stop_point(CHUNKS, ("steps", 1, "n"))][0]


def test_until_with_select_hands_out_only_the_selection() -> None:
    src = Counting(CHUNKS)
    events = instant.stream(src, select="steps.[].n", until="steps.[]?1")
    assert [e["value"] for e in events] == [1, 2]
    assert events.stopped_early
    assert src.pulled == full_run(CHUNKS)[stop_point(CHUNKS, ("steps", 1))][0]


def test_an_error_after_the_stopping_event_is_not_raised() -> None:
    src = Counting(['{"a": 1, "b": 2 "c": 3}'])
    events = instant.stream(src, until="a")
    assert [e["key"] for e in events] == ["a"]
    assert events.stopped_early and src.closed == 1
    with pytest.raises(instant.ParseError):  # but one before it is
        list(instant.stream(['{"a": [1 2]}'], until="a"))


def test_each_document_on_its_own() -> None:
    # JSON Lines: the first document whose id is done
    lines = ['{"x": 1}\n{"id', '": 7}\n{"id": 8}\n']
    events = instant.stream(Counting(lines), multiple=True, until="id")
    assert [e["value"] for e in events][-1] == 7 and events.stopped_early
    # two terms must be done in the same document
    lines = ['{"a": 1}\n', '{"b": 2}\n', '{"a": 3, "b": 4}\n']
    events = instant.stream(Counting(lines), multiple=True, until="a & b")
    assert [e["value"] for e in events if e["key"] == "b"] == [2, 4] and events.stopped_early

    # tool calls: the reply text's document and each call's arguments
    def call(index: int, args: str, name: str = "") -> dict[str, Any]:
        tool: dict[str, Any] = {"index": index, "function": {"arguments": args}}
        if name:
            tool.update(id=f"c{index}", function={"name": name, "arguments": args})
        return {"choices": [{"index": 0, "delta": {"tool_calls": [tool]}}]}

    chunks: list[Any] = [
        {"choices": [{"index": 0, "delta": {"content": '{"cities": ["Paris"]}'}}]},
        call(0, '{"ci', "weather"),
        call(0, 'ty": "Paris"'),
        call(0, ', "unit": "c"}'),
    ]
    src = Counting(chunks)
    events = instant.stream(src, until="city")
    last = list(events)[-1]
    assert last["key"] == "city" and last["tool_call"]["name"] == "weather"
    assert src.pulled == 3 and events.stopped_early


def test_until_is_checked_before_anything_is_read() -> None:
    src = Counting(CHUNKS)
    for bad in ("**", "**.n", "*", "[]", "[].a"):
        with pytest.raises(ValueError, match="no early stop"):
            instant.stream(src, until=bad)
    with pytest.raises(instant.SelectorError):
        instant.stream(src, until="a.")
    with pytest.raises(TypeError, match="until must be"):
        instant.stream(src, until=["a"])  # type: ignore[call-overload]
    assert instant.stream(src, until="[]?0")  # a finite index at the root is a fixed part
    assert src.pulled == 0


def test_until_async() -> None:
    async def main() -> None:
        src = ACounting(CHUNKS)
        events = instant.stream(src, until="steps.[]?0")
        got = [e async for e in events]
        i = stop_point(CHUNKS, ("steps", 0))
        assert got == [e for _, e in full_run(CHUNKS)[: i + 1]]
        assert src.pulled == full_run(CHUNKS)[i][0] and src.closed == 1 and events.stopped_early

    run(main())


# --- the generators ------------------------------------------------------------------------


@pytest.mark.parametrize("asynchronous", [False, True])
def test_generators_end_as_usual_after_the_stopping_event(asynchronous: bool) -> None:
    src: Any = ACounting(CHUNKS) if asynchronous else Counting(CHUNKS)
    pairs = instant.complete_generator(src, until="steps.[]?0")
    if asynchronous:

        async def main() -> list[Any]:
            return [p async for p in pairs]

        got = run(main())
    else:
        got = list(pairs)
    n = full_run(CHUNKS)[stop_point(CHUNKS, ("steps", 0))][0]
    read = "".join(CHUNKS[:n])
    assert src.pulled == n and src.closed == 1 and pairs.stopped_early
    assert got[-4][0] == "instant" and got[-4][1]["key"] == "steps.[]"
    assert got[-3:] == [
        ("response:done_origin", CHUNKS[n - 1]),
        ("response:done", read),
        ("response:finally", None),
    ]
    assert "".join(d for name, d in got if name == "response:delta") == read


def test_the_other_generators_take_until() -> None:
    src = Counting(CHUNKS)
    pairs = instant.generator(src, until="title")
    assert [name for name, _ in pairs][-2:] == ["instant", "response:done"]
    assert pairs.stopped_early and src.closed == 1
    keys = instant.instant_keys_generator(Counting(CHUNKS), "steps.[].n", until="steps.[]?1")
    assert [e["value"] for e in keys] == [1, 2] and keys.stopped_early
    events = instant.instant_generator(Counting(CHUNKS), until="title")
    assert list(events)[-1]["key"] == "title" and events.stopped_early

    async def main() -> None:
        apairs = instant.agenerator(ACounting(CHUNKS), until="title")
        assert [n async for n, _ in apairs][-1] == "response:done" and apairs.stopped_early
        aevents = instant.ainstant_keys_generator(ACounting(CHUNKS), "note", until="meta")
        assert [e async for e in aevents] == [] and aevents.stopped_early
        aall = instant.ainstant_generator(ACounting(CHUNKS), until="meta")
        assert [e async for e in aall][-1]["key"] == "meta"
        acomplete = instant.acomplete_generator(ACounting(CHUNKS), until="meta")
        assert [n async for n, _ in acomplete][-1] == "response:finally"

    run(main())


def test_without_until_nothing_changes() -> None:
    pairs = instant.generator(CHUNKS)
    assert not pairs.stopped_early
    assert [n for n, _ in pairs][-1] == "response:done" and not pairs.stopped_early


# --- property: the stop is where the rule says, for any document and chunking -------------


@given(
    value=st.dictionaries(st.sampled_from("abc"), json_values(max_leaves=12), min_size=1),
    data=st.data(),
)
def test_until_stops_at_the_first_event_where_the_rule_holds(
    value: dict[str, Any], data: st.DataObject
) -> None:
    text = data.draw(json_texts(value))
    chunks = data.draw(chunkings(text))
    paths = [p for p, _ in post_order(value) if p]
    terms, stops = [], []
    for _ in range(data.draw(st.integers(1, 2))):
        path = data.draw(st.sampled_from(paths))
        wild = data.draw(st.lists(st.booleans(), min_size=len(path), max_size=len(path)))
        terms.append(selector_for(path, wild))
        # the fixed part: up to the first [] written with `_`
        fixed = next((path[:k] for k, p in enumerate(path) if isinstance(p, int) and wild[k]), path)
        stops.append(fixed)
    full = full_run(chunks)
    i = max(stop_point(chunks, p) for p in stops)
    src = Counting(chunks)
    events = instant.stream(src, until=" & ".join(terms))
    assert list(events) == [e for _, e in full[: i + 1]]
    assert src.pulled == full[i][0] and events.stopped_early and src.closed == 1
