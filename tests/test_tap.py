"""instant.tap / instant.tap_sync: handles asked for before their value is written."""

from __future__ import annotations

import asyncio
import gc
import json
import threading
import time
import weakref
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

import instant
from instant.strategies import chunkings, json_texts, json_values
from tests.sources import ACounting, Counting, done_at, run
from tests.test_items import done_event, post_order, selector_for

DOC = {
    "title": "Lisbon in three days",
    "steps": [
        {"day": 1, "text": "Belém and the tower"},
        {"day": 2, "text": "Alfama by tram"},
        {"day": 3, "text": "Sintra"},
    ],
    "answer": "Go in spring, when the jacarandas bloom.",
    "budget": {"eur": 600, "per": "person"},
}
TEXT = json.dumps(DOC)
CHUNKS = [TEXT[i : i + 6] for i in range(0, len(TEXT), 6)]


class Step(BaseModel):
    day: int
    text: str


def at(key: str, n: int = 0) -> int:
    """The number of chunks read when the n-th done at ``key`` comes."""
    return done_at(CHUNKS, key)[n][0]


# --- asking before the key appears ---------------------------------------------------------


def test_a_value_resolves_at_its_done_and_nothing_is_read_before() -> None:
    async def main() -> None:
        src = ACounting(CHUNKS)
        t = instant.tap(src)  # no await
        budget = t.value("budget.eur")
        title = t.value("title")
        await asyncio.sleep(0.01)
        assert src.pulled == 0  # nothing is read until a handle is awaited
        assert await title == DOC["title"]
        assert src.pulled == at("title")  # no read-ahead
        assert await budget == 600
        assert src.pulled == at("budget.eur")
        assert not budget.done() or budget.done()  # awaiting twice is fine
        assert await budget == 600
        assert await t.document() == DOC
        assert src.pulled == len(CHUNKS) and src.closed == 1 and t.closed

    run(main())


def test_deltas_come_as_the_string_streams() -> None:
    async def main() -> None:
        src = ACounting(CHUNKS)
        t = instant.tap(src)
        pieces = []
        async for piece in t.deltas("answer"):
            pieces.append((src.pulled, piece))
        parser = instant.Parser()
        expected = [
            (n, e["delta"])
            for n, chunk in enumerate(CHUNKS, 1)
            for e in parser.feed(chunk)
            if e["key"] == "answer" and e["event"] == "delta"
        ]
        assert pieces == expected and len(pieces) > 3  # each in the chunk that brings it
        assert "".join(p for _, p in pieces) == DOC["answer"]
        assert src.pulled == at("answer")  # the loop ends at the string's done

    run(main())


def test_items_come_at_their_done_and_the_loop_ends_when_no_more_can_come() -> None:
    async def main() -> None:
        src = ACounting(CHUNKS)
        t = instant.tap(src)
        got = [(src.pulled, step) async for step in t.items("steps.[]", Step)]
        assert got == [(n, Step(**v)) for n, v in done_at(CHUNKS, "steps.[]")]
        assert src.pulled == at("steps")  # not the end of the reply: when steps closed
        assert await t.value("answer") == DOC["answer"]

    run(main())


def test_handles_asked_late_find_what_was_already_read() -> None:
    async def main() -> None:
        src = ACounting(CHUNKS)
        t = instant.tap(src)
        assert await t.value("answer") == DOC["answer"]
        read = src.pulled
        # all of these were done before they were asked for
        assert await t.value("title") == DOC["title"]
        assert await t.value("steps.[]?1") == DOC["steps"][1]
        assert [s async for s in t.items("steps.[].day")] == [1, 2, 3]
        assert "".join([p async for p in t.deltas("steps.[].text?2")]) == "Sintra"
        assert src.pulled == read  # found in the document: nothing more read
        assert await t.value("budget") == DOC["budget"]

    run(main())


def test_deltas_asked_in_the_middle_of_a_string_start_with_its_text_so_far() -> None:
    async def main() -> None:
        src = ACounting(CHUNKS)
        t = instant.tap(src)
        first = t.deltas("answer")
        assert (await first.__anext__()) and src.pulled < at("answer") - 2
        late = t.deltas("answer")  # the string is half written
        assert "".join([p async for p in late]) == DOC["answer"]

    run(main())


def test_missing_values_raise_key_error_at_the_end() -> None:
    async def main() -> None:
        t = instant.tap(ACounting(CHUNKS))
        with pytest.raises(KeyError, match="no such value"):
            await t.value("nope")
        with pytest.raises(KeyError):
            [p async for p in t.deltas("nope")]
        assert [s async for s in t.items("nope.[]")] == []
        with pytest.raises(TypeError, match="not a string"):
            [p async for p in t.deltas("budget")]

    run(main())


def test_typed_handles() -> None:
    async def main() -> None:
        t = instant.tap(ACounting(CHUNKS))
        assert await t.value("steps.[]?0", Step) == Step(day=1, text="Belém and the tower")
        with pytest.raises(instant.ItemValidationError, match="steps\\[0\\].text"):
            await t.value("steps.[].text?0", int)
        days = [d async for d in t.items("steps.[].text", int, on_invalid="yield_error")]
        assert all(isinstance(d, instant.ItemValidationError) for d in days) and len(days) == 3
        assert [d async for d in t.items("steps.[].text", int, on_invalid="skip")] == []
        with pytest.raises(instant.ItemValidationError):
            [d async for d in t.items("steps.[].text", int)]

    run(main())


# --- several handles, several tasks --------------------------------------------------------


def test_concurrent_handles_from_several_tasks_share_one_reading() -> None:
    async def main() -> None:
        src = ACounting(CHUNKS, delay=0.001)
        t = instant.tap(src)
        arrivals: list[tuple[str, int]] = []

        async def value(sel: str) -> Any:
            v = await t.value(sel)
            arrivals.append((sel, src.pulled))
            return v

        async def steps() -> list[Any]:
            out = []
            async for s in t.items("steps.[]"):
                out.append(s)
                arrivals.append(("step", src.pulled))
            return out

        async def answer() -> str:
            return "".join([p async for p in t.deltas("answer")])

        results = await asyncio.gather(
            value("budget.per"), steps(), answer(), value("title"), steps(), value("steps")
        )
        assert results == [
            "person",
            DOC["steps"],
            DOC["answer"],
            DOC["title"],
            DOC["steps"],
            DOC["steps"],
        ]
        # each chunk read once (ACounting fails on two reads at once), in order, as far as
        # the last handle needed: the end of the source is not read for nobody
        assert src.pulled == at("budget.per") == len(CHUNKS) and src.closed == 0
        await t.aclose()
        assert src.closed == 1
        # each handle got its value in the chunk that completed it
        assert ("title", at("title")) in arrivals
        assert ("budget.per", at("budget.per")) in arrivals
        assert [n for s, n in arrivals if s == "step"] == sorted(
            [n for n, _ in done_at(CHUNKS, "steps.[]")] * 2
        )

    run(main())


def test_cancelling_a_waiting_task_loses_nothing() -> None:
    async def main() -> None:
        src = ACounting(CHUNKS, delay=0.002)
        t = instant.tap(src)
        later = t.items("steps.[].day")
        waiter = asyncio.ensure_future(t.value("answer"))
        while src.pulled < 3:  # the reader is working for the waiter
            await asyncio.sleep(0.001)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert src.closed == 0  # the source is still open, the tap alive
        assert [d async for d in later] == [1, 2, 3]  # every item, none lost
        assert await t.value("answer") == DOC["answer"]
        assert await t.document() == DOC

    run(main())


def test_wait_for_timeout_on_one_handle_leaves_the_others_working() -> None:
    async def main() -> None:
        src = ACounting(CHUNKS, delay=0.002)
        t = instant.tap(src)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(t.value("budget"), 0.005)
        assert await t.value("budget") == DOC["budget"]

    run(main())


# --- lifetime ----------------------------------------------------------------------------


def test_aclose_cancels_the_read_and_closes_the_source() -> None:
    async def main() -> None:
        src = ACounting(CHUNKS, delay=0.002)
        async with instant.tap(src) as t:
            steps = t.items("steps.[]")
            assert await steps.__anext__() == DOC["steps"][0]
            waiting = asyncio.ensure_future(t.value("budget"))
            while src.reading == 0:  # close while the reader is in the middle of a read
                await asyncio.sleep(0)
        assert src.closed == 1 and t.closed and src.reading == 0
        with pytest.raises(KeyError, match="closed"):
            await waiting
        read = src.pulled
        # the items done before the close come, then the loop ends
        done = [v for n, v in done_at(CHUNKS, "steps.[]") if n <= read]
        assert [s async for s in steps] == done[1:]
        with pytest.raises(KeyError, match="closed"):
            await t.value("answer")
        assert src.pulled < len(CHUNKS)

    run(main())


def test_a_dropped_tap_closes_its_source() -> None:
    async def main() -> ACounting:
        src = ACounting(CHUNKS)
        t = instant.tap(src)
        assert await t.value("title") == DOC["title"]
        ref = weakref.ref(t)
        del t
        gc.collect()
        for _ in range(5):
            await asyncio.sleep(0)
        assert ref() is None
        return src

    src = run(main())
    assert src.closed == 1 and src.pulled < len(CHUNKS)


def test_a_dropped_sync_tap_closes_its_source_at_once() -> None:
    src = Counting(CHUNKS)
    t = instant.tap_sync(src)
    assert t.value("title") == DOC["title"]
    del t
    assert src.closed == 1 and src.pulled == at("title")


def test_a_dropped_handle_is_forgotten() -> None:
    async def main() -> None:
        t = instant.tap(ACounting(CHUNKS))
        steps = t.items("steps.[]")
        sub = weakref.ref(steps._sub)
        del steps
        gc.collect()
        assert sub() is None  # the tap held it weakly: its items are kept for nobody
        assert await t.document() == DOC
        assert t._tap.subs == []

    run(main())


def test_errors_reach_every_handle() -> None:
    bad = ['{"title": "x", "steps": [1, 2', " 3]}"]

    async def main() -> None:
        src = ACounting(bad)
        t = instant.tap(src)
        title, steps, rest = t.value("title"), t.items("steps.[]"), t.value("budget")
        assert await title == "x"
        got = []
        with pytest.raises(instant.ParseError):
            async for s in steps:
                got.append(s)
        assert got == [1, 2]
        with pytest.raises(instant.ParseError):
            await rest
        assert src.closed == 1

    run(main())

    class Broken(ACounting):
        async def __anext__(self) -> Any:
            if self.pulled == 2:
                raise ConnectionError("gone")
            return await super().__anext__()

    async def broken() -> None:
        t = instant.tap(Broken(CHUNKS))
        with pytest.raises(ConnectionError):
            await t.value("budget")
        with pytest.raises(ConnectionError):
            await t.document()

    run(broken())


def test_until_on_a_tap() -> None:
    async def main() -> None:
        src = ACounting(CHUNKS)
        t = instant.tap(src, until="steps.[]?0")
        answer = t.value("answer")
        steps = [s async for s in t.items("steps.[]")]
        assert steps == DOC["steps"][:1]
        assert t.stopped_early and src.closed == 1 and src.pulled == at("steps.[]")
        with pytest.raises(KeyError, match="stopped early"):
            await answer
        assert await t.value("title") == DOC["title"]  # read before the stop: kept
        assert (await t.document())["steps"] == DOC["steps"][:1]

    run(main())


def test_tap_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError, match="no select="):
        instant.tap(CHUNKS, select="a")
    with pytest.raises(TypeError, match="unexpected option"):
        instant.tap(CHUNKS, strikt=True)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="tap_sync\\(\\) reads a sync source"):
        instant.tap_sync(ACounting(CHUNKS))  # type: ignore[arg-type]
    t = instant.tap_sync(CHUNKS)
    with pytest.raises(ValueError, match="only deltas"):
        t.value("answer.$delta")
    with pytest.raises(ValueError, match="on_invalid"):
        t.items("steps.[]", on_invalid="drop")  # type: ignore[call-overload]


# --- the sync tap --------------------------------------------------------------------------


def test_tap_sync() -> None:
    src = Counting(CHUNKS)
    t = instant.tap_sync(src)
    answer = t.deltas("answer")  # asked for before its key appears
    assert src.pulled == 0
    assert t.value("title") == DOC["title"] and src.pulled == at("title")
    assert [s["day"] for s in t.items("steps.[]")] == [1, 2, 3]
    assert src.pulled == at("steps")
    assert "".join(answer) == DOC["answer"]
    assert t.value("steps.[]?2", Step) == Step(day=3, text="Sintra")  # asked late
    with pytest.raises(KeyError):
        t.value("nope")
    assert t.document() == DOC and src.closed == 1


def test_tap_sync_until_and_close() -> None:
    src = Counting(CHUNKS)
    with instant.tap_sync(src, until="title") as t:
        assert t.value("title") == DOC["title"]
        with pytest.raises(KeyError, match="stopped early"):
            t.value("budget")
        assert t.stopped_early and src.closed == 1 and src.pulled == at("title")
    src = Counting(CHUNKS)
    with instant.tap_sync(src) as t:
        steps = t.items("steps.[]")
        assert next(steps) == DOC["steps"][0]
    assert src.closed == 1
    assert list(steps) == []  # closed: the loop ends


class SlowCounting(Counting):
    """A sync source whose reads take a while, and that fails on two reads at once."""

    def __init__(self, chunks: Any) -> None:
        super().__init__(chunks)
        self.busy = threading.Lock()

    def __next__(self) -> Any:
        if not self.busy.acquire(blocking=False):
            raise AssertionError("two reads at once")
        try:
            time.sleep(0.0005)
            return super().__next__()
        finally:
            self.busy.release()


def test_tap_sync_from_several_threads() -> None:
    src = SlowCounting(CHUNKS)
    t = instant.tap_sync(src)
    handles = {"steps": t.items("steps.[].text"), "answer": t.deltas("answer")}
    results: dict[str, Any] = {}

    def work(name: str) -> None:
        if name in handles:
            results[name] = list(handles[name])
        else:
            results[name] = t.value(name)

    threads = [
        threading.Thread(target=work, args=(n,)) for n in ["budget", "steps", "answer", "title"]
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join(20)
    assert results["budget"] == DOC["budget"] and results["title"] == DOC["title"]
    assert results["steps"] == [s["text"] for s in DOC["steps"]]
    assert "".join(results["answer"]) == DOC["answer"]
    assert src.pulled == len(CHUNKS) and src.closed == 0
    assert t.document() == DOC and src.closed == 1  # reading on: the end closes it


# --- property: a handle asked at any point gets the document's values ----------------------


@given(
    value=st.dictionaries(st.sampled_from("abcd"), json_values(max_leaves=12), min_size=1),
    data=st.data(),
)
def test_handles_asked_at_any_point_get_the_documents_values(
    value: dict[str, Any], data: st.DataObject
) -> None:
    text = data.draw(json_texts(value))
    chunks = data.draw(chunkings(text))
    entries = [(p, v) for p, v in post_order(value) if p]
    first = data.draw(st.sampled_from(entries))[0]
    strings = [(p, v) for p, v in entries if isinstance(v, str)]
    everything = [v for p, v in post_order(value)]

    async def main() -> None:
        t = instant.tap(ACounting(chunks))
        await t.value(selector_for(first, [False] * len(first)))  # read up to somewhere
        values = [t.value(selector_for(p, [False] * len(p))) for p, _ in entries]
        deltas = [t.deltas(selector_for(p, [False] * len(p))) for p, _ in strings]
        all_items = t.items("**")
        got = await asyncio.gather(*values)
        assert got == [v for _, v in entries]
        for handle, (_, v) in zip(deltas, strings):
            assert "".join([piece async for piece in handle]) == v
        assert [x async for x in all_items] == everything

    run(main())

    t = instant.tap_sync(Counting(chunks))
    t.value(selector_for(first, [False] * len(first)))
    late_items = t.items("**")
    late_deltas = [t.deltas(selector_for(p, [False] * len(p))) for p, _ in strings]
    assert [t.value(selector_for(p, [False] * len(p))) for p, _ in entries] == [
        v for _, v in entries
    ]
    assert list(late_items) == everything
    assert ["".join(d) for d in late_deltas] == [v for _, v in strings]
    matches = instant.compile_selector("*").matches
    assert list(t.items("*")) == [v for p, v in post_order(value) if matches(done_event(p, v))]


def test_handles_over_several_documents_and_tool_calls() -> None:
    # multiple=True: an items handle runs to the end of the stream, across the documents
    t = instant.tap_sync(['{"a": 1}\n{"a": 2, "b": [1]}\n{"b": [3', ", 4]}"], multiple=True)
    assert t.value("b.[]?1") == 4
    assert list(t.items("a")) == [1, 2] and list(t.items("b.[]")) == [1, 3, 4]
    assert t.document() == [{"a": 1}, {"a": 2, "b": [1]}, {"b": [3, 4]}]

    def call(index: int, args: str, name: str = "") -> dict[str, Any]:
        tool: dict[str, Any] = {"index": index, "function": {"arguments": args}}
        if name:
            tool.update(id=f"c{index}", function={"name": name, "arguments": args})
        return {"choices": [{"index": 0, "delta": {"tool_calls": [tool]}}]}

    chunks = [
        {"choices": [{"index": 0, "delta": {"content": '{"cities": ["Paris", "Tokyo"]}'}}]},
        call(0, '{"ci', "weather"),
        call(1, '{"city": "Tok', "time"),
        call(0, 'ty": "Paris"'),
        call(1, 'yo", "hours": [9'),
        call(0, ', "unit": "c"}'),
        call(1, ", 17]}"),
    ]

    async def main() -> None:
        src = ACounting(chunks)
        t = instant.tap(src)
        cities = t.items("city")  # in the tool calls' arguments: ends with the stream
        assert await t.value("cities.[]?1") == "Tokyo" and src.pulled == 1
        assert await t.value("unit") == "c" and src.pulled == 6
        assert [c async for c in cities] == ["Paris", "Tokyo"]
        assert [h async for h in t.items("hours.[]")] == [9, 17]  # asked late
        assert t.tool_calls[1].value == {"city": "Tokyo", "hours": [9, 17]}

    run(main())
