"""instant.integrations.llama_index in a real LlamaIndex Workflow (llama-index-workflows).

Three steps: the first reports progress, the second streams a model's JSON reply into the
workflow's event stream with ``stream_to_context``, the third reports and stops with the
parsed reply. ``handler.stream_events()`` must show the InstantEvents in order between the
other steps' progress events, and ``await handler`` the final value. Async code runs under
``asyncio.run`` (no pytest-asyncio) with a timeout.
"""

from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from typing import Any

import openai
import pytest
from workflows import Context, Workflow, step
from workflows.events import Event, StartEvent, StopEvent

import instant
from instant.integrations.llama_index import InstantEvent, stream_to_context
from tests.sse_server import TOOL_CALLS, TOOLS_TEXT_PIECES, TOOLS_TEXT_VALUE, SSEServer

TIMEOUT = 20.0
REPLY = [
    "Here is your plan:\n```json\n",
    '{"city": "Lis',
    'bon", "days": [{"day": 1, "see": ["Bel',
    'ém", "Alfama"]}, {"day": 2, "see": ["Sin',
    'tra"]}], "budget_eur": 3',
    "20}\n```",
]
VALUE = {
    "city": "Lisbon",
    "days": [{"day": 1, "see": ["Belém", "Alfama"]}, {"day": 2, "see": ["Sintra"]}],
    "budget_eur": 320,
}


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, TIMEOUT))


class Progress(Event):
    message: str


class Planned(Event):
    city: str


class Answered(Event):
    plan: Any


class TripWorkflow(Workflow):
    """Plan -> ask the model (streamed) -> finish."""

    def __init__(self, reply: Callable[[], Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reply = reply  # makes the model's stream (a fresh one per run)

    @step
    async def plan(self, ctx: Context, ev: StartEvent) -> Planned:
        ctx.write_event_to_stream(Progress(message="planning"))
        return Planned(city=ev.city)

    @step
    async def ask_model(self, ctx: Context, ev: Planned) -> Answered:
        source = self.reply()
        if asyncio.iscoroutine(source):
            source = await source
        reply = await stream_to_context(ctx, source)
        return Answered(plan=reply.value)

    @step
    async def finish(self, ctx: Context, ev: Answered) -> StopEvent:
        ctx.write_event_to_stream(Progress(message="done"))
        return StopEvent(result=ev.plan)


async def run_workflow(reply: Callable[[], Any]) -> tuple[list[Any], Any]:
    handler = TripWorkflow(reply, timeout=TIMEOUT).run(city="Lisbon")
    streamed = [ev async for ev in handler.stream_events()]
    result = await handler
    return streamed, result


async def agen(chunks: Iterable[str]) -> AsyncIterator[str]:
    for chunk in chunks:
        await asyncio.sleep(0)
        yield chunk


def check_stream(streamed: list[Any], expected: list[dict[str, Any]]) -> None:
    """progress(planning), the InstantEvents exactly as instant.stream gives them,
    progress(done), and the StopEvent last."""
    assert isinstance(streamed[0], Progress) and streamed[0].message == "planning"
    assert isinstance(streamed[-2], Progress) and streamed[-2].message == "done"
    assert isinstance(streamed[-1], StopEvent)
    middle = streamed[1:-2]
    assert all(isinstance(ev, InstantEvent) for ev in middle)
    assert [ev.to_event() for ev in middle] == expected


@pytest.mark.parametrize("kind", ["list", "async generator"])
def test_three_step_workflow_streams_the_reply(kind: str) -> None:
    expected = list(instant.stream(REPLY))
    if kind == "list":
        streamed, result = run(run_workflow(lambda: list(REPLY)))
    else:
        streamed, result = run(run_workflow(lambda: agen(REPLY)))
    check_stream(streamed, expected)
    assert result == VALUE
    assert streamed[-1].result == VALUE
    # attribute access to the event fields
    first = streamed[1]
    assert (first.key, first.event, first.delta, first.is_complete) == (
        "city",
        "delta",
        "Lis",
        False,
    )
    root = streamed[-3]
    assert (root.key, root.path, root.event, root.value) == ("", (), "done", VALUE)
    assert root.tool_call is None and root.document is None


def test_workflow_streams_an_sdk_reply_with_tool_calls() -> None:
    """The middle step streams a real AsyncOpenAI chat completion (local server)."""

    async def main(server: SSEServer) -> tuple[list[Any], Any]:
        async with openai.AsyncOpenAI(
            base_url=server.openai_base_url, api_key="test", max_retries=0, timeout=TIMEOUT
        ) as client:

            async def reply() -> Any:
                return await client.chat.completions.create(
                    model="tools", messages=[{"role": "user", "content": "weather?"}], stream=True
                )

            return await run_workflow(reply)

    with SSEServer() as server:
        streamed, result = run(main(server))
    assert result == TOOLS_TEXT_VALUE
    middle = [ev for ev in streamed if isinstance(ev, InstantEvent)]
    text = [ev.to_event() for ev in middle if ev.tool_call is None]
    assert text == list(instant.stream(TOOLS_TEXT_PIECES))
    for index, call in enumerate(TOOL_CALLS):
        done = [ev for ev in middle if ev.tool_call and ev.tool_call["index"] == index]
        assert done[-1].key == "" and done[-1].value == call.value
        assert done[-1].tool_call == {"index": index, "id": call.call_id, "name": call.name}


def test_select_and_parser_options_pass_through() -> None:
    expected = list(instant.stream(REPLY, select="days.[].see.[].$done"))
    assert [e["value"] for e in expected] == ["Belém", "Alfama", "Sintra"]

    class SelectWorkflow(Workflow):
        @step
        async def only(self, ctx: Context, ev: StartEvent) -> StopEvent:
            reply = await stream_to_context(ctx, REPLY, select="days.[].see.[].$done")
            return StopEvent(result=reply.value)

    async def main() -> tuple[list[Any], Any]:
        handler = SelectWorkflow(timeout=TIMEOUT).run()
        streamed = [ev async for ev in handler.stream_events()]
        return streamed, await handler

    streamed, result = run(main())
    assert [ev.to_event() for ev in streamed if isinstance(ev, InstantEvent)] == expected
    assert result == VALUE


def test_an_error_in_the_source_fails_the_step_after_the_events_before_it() -> None:
    class ModelDown(Exception):
        pass

    async def broken() -> AsyncIterator[str]:
        yield REPLY[0]
        yield REPLY[1]
        raise ModelDown("connection reset")

    class BrokenWorkflow(Workflow):
        @step
        async def only(self, ctx: Context, ev: StartEvent) -> StopEvent:
            return StopEvent(result=(await stream_to_context(ctx, broken())).value)

    async def main() -> list[Any]:
        handler = BrokenWorkflow(timeout=TIMEOUT).run()
        # the event stream ends (with a WorkflowFailedEvent); awaiting the run raises
        streamed = [ev async for ev in handler.stream_events()]
        with pytest.raises(ModelDown, match="connection reset"):
            await handler
        return streamed

    streamed = run(main())
    got = [ev.to_event() for ev in streamed if isinstance(ev, InstantEvent)]
    parser = instant.Parser()
    assert got == parser.feed(REPLY[0]) + parser.feed(REPLY[1])


def test_instant_event_round_trips_through_the_workflow_serializer() -> None:
    from workflows.context.serializers import JsonSerializer

    event = list(instant.stream(REPLY))[-1]
    wrapped = InstantEvent.from_event(event)
    serializer = JsonSerializer()
    back = serializer.deserialize(serializer.serialize(wrapped))
    assert isinstance(back, InstantEvent)
    assert back.to_event() == event


def test_importing_instant_does_not_import_workflows() -> None:
    code = "import sys, instant; assert 'workflows' not in sys.modules, 'workflows imported'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_missing_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "workflows" or m.startswith("workflows.")]:
        monkeypatch.setitem(sys.modules, name, None)  # type: ignore[arg-type]
    monkeypatch.setitem(sys.modules, "workflows", None)  # type: ignore[arg-type]
    monkeypatch.delitem(sys.modules, "instant.integrations.llama_index")
    with pytest.raises(ImportError, match=r'pip install "instant-json\[llama-index\]"'):
        importlib.import_module("instant.integrations.llama_index")
