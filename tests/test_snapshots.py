"""``complete_value`` snapshots: never changed after they are handed out, whatever a consumer
keeps, and copied only when someone still holds them (SPEC 3, the README's "Snapshots").

* the events of one ``feed()``/``close()`` call share one snapshot: the document as of that
  call's last event (tests/test_properties.py rebuilds it from the events for every chunking);
* a consumer may keep anything it was given -- every event, some events, only pieces of a
  snapshot (an open list pulled out of ``complete_value``) -- and none of it ever changes;
* a consumer that keeps nothing costs no copy at all (the document is changed in place), one
  that keeps the last event costs one copy of the open containers per call, never per event.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import instant
from instant.strategies import chunkings, json_texts
from tests.chunking import first_difference


def open_pieces(value: Any, rng: random.Random) -> list[Any]:
    """Some containers inside ``value`` (a consumer pulling pieces out of a snapshot)."""
    out = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (dict, list)):
            if rng.random() < 0.3:
                out.append(v)
            stack.extend(v.values() if isinstance(v, dict) else v)
    return out


@given(
    text=json_texts(),
    data=st.data(),
    policy=st.sampled_from(["all", "none", "last", "pieces", "random"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_nothing_a_consumer_kept_ever_changes(
    text: str, data: st.DataObject, policy: str, seed: int
) -> None:
    rng = random.Random(seed)
    chunks = data.draw(chunkings(text), label="chunks")
    parser = instant.Parser()
    kept: list[tuple[Any, Any]] = []  # (object handed out, deep copy taken when handed out)

    def take(events: list[Any]) -> None:
        if policy == "all":
            chosen = events
        elif policy == "last":
            chosen = events[-1:]
        elif policy == "random":
            chosen = [e for e in events if rng.random() < 0.5]
        elif policy == "pieces":
            chosen = []
            for e in events:
                kept.extend((p, copy.deepcopy(p)) for p in open_pieces(e["complete_value"], rng))
        else:
            chosen = []
        kept.extend((e, copy.deepcopy(e)) for e in chosen)

    for chunk in chunks:
        take(parser.feed(chunk))
    take(parser.close())
    for obj, then in kept:
        diff = first_difference(obj, then)
        assert diff is None, f"a kept object changed after it was handed out: {diff}"
    assert first_difference(parser.value, json.loads(text)) is None


@given(
    text=json_texts(),
    data=st.data(),
    what=st.sampled_from(["last", "events", "pieces"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_nothing_kept_for_a_while_then_dropped_ever_changes_meanwhile(
    text: str, data: st.DataObject, what: str, seed: int
) -> None:
    """A consumer that keeps what it was given for a few calls, then lets go of it: the C
    engine reuses a version nobody holds any more instead of copying again (its spare), and
    must never touch one somebody still holds."""
    rng = random.Random(seed)
    chunks = data.draw(chunkings(text), label="chunks")
    parser = instant.Parser()
    kept: list[tuple[Any, Any, int]] = []  # (object, deep copy when handed out, last call kept)

    def take(call: int, events: list[Any]) -> None:
        if what == "last":
            chosen: list[Any] = events[-1:]
        elif what == "events":
            chosen = [e for e in events if rng.random() < 0.3]
        else:
            chosen = [p for e in events[-1:] for p in open_pieces(e["complete_value"], rng)]
        kept.extend((o, copy.deepcopy(o), call + rng.choice([1, 1, 1, 2, 3])) for o in chosen)

    def check(call: int) -> None:
        for obj, then, _ in kept:
            diff = first_difference(obj, then)
            assert diff is None, f"a kept object changed after it was handed out: {diff}"
        kept[:] = [k for k in kept if k[2] > call]

    for call, chunk in enumerate(chunks):
        events = parser.feed(chunk)
        check(call)
        take(call, events)
        del events
    events = parser.close()
    check(len(chunks))
    take(len(chunks), events)
    check(len(chunks) + 10)
    assert first_difference(parser.value, json.loads(text)) is None


@pytest.mark.c_engine
def test_a_consumer_that_keeps_the_last_event_costs_no_copy_after_the_first() -> None:
    """The plain loop holds the last event of each call while the next one runs: the version
    it held before is free again, and the C engine brings it up to date instead of copying
    the open containers again (the Python engine copies them)."""
    text = "{" + ", ".join(f'"k{i}": "value {i}"' for i in range(2000)) + "}"
    parser = instant.Parser()
    pairs = []
    event = None
    for i in range(0, len(text) - 64, 64):  # (the root stays open)
        for event in parser.feed(text[i : i + 64]):  # noqa: B007 (the loop under test)
            pass
        assert event is not None and event["complete_value"] is parser.value
        # both alive (the parser's document and the version it keeps): their ids are theirs
        pairs.append(frozenset((id(parser.value), id(parser._stack[0].spare))))
    parser.feed(text[i + 64 :])
    assert len(pairs) > 400 and len(set(pairs[2:])) == 1  # the same two objects, taking turns
    parser.close()
    assert parser.value == json.loads(text)


def test_a_consumer_that_keeps_nothing_costs_no_copy() -> None:
    text = "{" + ", ".join(f'"k{i}": "value {i}"' for i in range(2000)) + "}"
    parser = instant.Parser()
    parser.feed(text[:10])
    # Identity, not a reference (holding the root would be holding a snapshot): a copy is
    # made while the original is alive, so any copy between two looks changes the id.
    root = id(parser.value)
    for i in range(10, len(text), 64):
        for _ in parser.feed(text[i : i + 64]):
            pass
        del _  # the loop variable would hold the last event
        assert id(parser.value) == root  # changed in place all along
    parser.close()
    assert id(parser.value) == root


def test_a_consumer_that_keeps_the_last_event_gets_a_copy_per_call() -> None:
    parser = instant.Parser()
    first = parser.feed('{"a": [1, 2, ')
    root = first[-1]["complete_value"]
    assert root == {"a": [1, 2]}
    second = parser.feed("3, 4, ")
    assert root == {"a": [1, 2]}  # the kept snapshot did not change ...
    assert second[0]["complete_value"] is second[-1]["complete_value"]  # ... one per call
    assert second[-1]["complete_value"] == {"a": [1, 2, 3, 4]}
    assert second[-1]["complete_value"] is not root


def test_a_piece_kept_without_its_event_is_copied_alone() -> None:
    parser = instant.Parser()
    events = parser.feed('{"a": [1, 2, ')
    root = id(parser.value)
    items = events[-1]["complete_value"]["a"]  # an open list, pulled out of the snapshot
    del events
    parser.feed("3, ")
    assert items == [1, 2]  # kept as it was
    assert id(parser.value) == root  # nobody held the root: it was changed in place
    assert parser.value["a"] == [1, 2, 3] and parser.value["a"] is not items


def test_closed_containers_are_shared_between_snapshots() -> None:
    parser = instant.Parser()
    first = parser.feed('{"done": [1, 2], "open": [')
    second = parser.feed("3, ")
    assert first[-1]["complete_value"]["done"] is second[-1]["complete_value"]["done"]


def test_a_value_joins_the_document_with_its_first_event() -> None:
    parser = instant.Parser()
    events = parser.feed('{"a": 1, "b": [{"c": "')
    # "b", its object and "c" have had no event yet: no snapshot and no value shows them
    assert events[-1]["complete_value"] == {"a": 1} == parser.value
    events = parser.feed("x")
    assert events[-1]["complete_value"] == {"a": 1, "b": [{"c": "x"}]}
    events = parser.feed('"}, [], {}, ""')
    assert events[-1]["complete_value"] == {"a": 1, "b": [{"c": "x"}, [], {}, ""]}


def test_snapshots_false_hands_out_the_live_document() -> None:
    parser = instant.Parser(snapshots=False)
    first = parser.feed('{"a": [1, ')
    parser.feed("2]}")
    assert first[0]["complete_value"] is parser.value == {"a": [1, 2]}
