"""until=, max_items= and tap on the real openai and anthropic SDK streams.

The SDKs talk HTTP to tests/sse_server.py (the "long" scenario: a JSON array of 400 small
objects, one per server-sent event). Stopping early must close the SDK stream at once (the
server sees the client hang up before the end) after reading no more events than needed:
as many as a full run needs to reach the stopping event.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import instant
from tests.sse_server import LONG_ITEMS, SSEServer
from tests.test_sdk_streams import APIS, TIMEOUT, http_response, open_async, open_sync, run


@pytest.fixture(scope="module")
def server() -> Iterator[SSEServer]:
    with SSEServer() as srv:
        yield srv


class Pulled:
    """An SDK stream, counting the events pulled from it; closing it closes the SDK stream."""

    def __init__(self, sdk: Any) -> None:
        self.sdk = sdk
        self.it: Any = None
        self.pulled = 0

    def __iter__(self) -> Pulled:
        self.it = iter(self.sdk)
        return self

    def __next__(self) -> Any:
        chunk = next(self.it)
        self.pulled += 1
        return chunk

    def close(self) -> None:
        self.sdk.close()


class APulled(Pulled):
    def __aiter__(self) -> APulled:
        self.it = self.sdk.__aiter__()
        return self

    async def __anext__(self) -> Any:
        chunk = await self.it.__anext__()
        self.pulled += 1
        return chunk

    async def aclose(self) -> None:
        await self.sdk.close()


def needed(server: SSEServer, api: str, path: tuple[Any, ...]) -> int:
    """How many SDK events a full run reads before the done event at ``path``."""
    with open_sync(server, api, "long") as s:
        src = Pulled(s)
        for event in instant.stream(src):
            if event["event"] == "done" and event["path"] == path:
                return src.pulled
    raise AssertionError(f"no done at {path}")


@pytest.mark.parametrize("api", APIS)
def test_until_closes_the_sdk_stream_after_the_fewest_events_sync(
    server: SSEServer, api: str
) -> None:
    minimum = needed(server, api, (2,))
    before = server.disconnects
    with open_sync(server, api, "long") as s:
        src = Pulled(s)
        events = instant.stream(src, until="[]?2")
        got = list(events)
        assert got[-1]["path"] == (2,) and events.stopped_early
        assert src.pulled == minimum
        assert http_response(s).is_closed  # closed by instant, before the SDK's `with`
        assert events.value == [{"i": 0}, {"i": 1}, {"i": 2}]
    assert server.wait_for_disconnects(before + 1)


@pytest.mark.parametrize("api", APIS)
def test_until_closes_the_sdk_stream_after_the_fewest_events_async(
    server: SSEServer, api: str
) -> None:
    minimum = needed(server, api, (2,))
    before = server.disconnects

    async def main() -> None:
        async with open_async(server, api, "long") as s:
            src = APulled(s)
            events = instant.stream(src, until="[]?2")
            got = [e async for e in events]
            assert got[-1]["path"] == (2,) and events.stopped_early
            assert src.pulled == minimum
            assert http_response(s).is_closed

    run(main())
    assert server.wait_for_disconnects(before + 1)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("api", ["chat", "messages.stream"])
def test_max_items_closes_the_sdk_stream(server: SSEServer, api: str, mode: str) -> None:
    minimum = needed(server, api, (3,))
    before = server.disconnects
    if mode == "sync":
        with open_sync(server, api, "long") as s:
            src = Pulled(s)
            items = instant.items(src, "[]", max_items=4)
            assert list(items) == [{"i": i} for i in range(4)]
            assert src.pulled == minimum and items.stopped_early and http_response(s).is_closed
    else:

        async def main() -> None:
            async with open_async(server, api, "long") as s:
                src = APulled(s)
                items = instant.aitems(src, "[].i", max_items=4)
                assert [i async for i in items] == [0, 1, 2, 3]
                assert src.pulled == needed(server, api, (3, "i"))
                assert items.stopped_early and http_response(s).is_closed

        run(main())
    assert server.wait_for_disconnects(before + 1)


@pytest.mark.parametrize("api", ["chat", "responses", "messages"])
def test_tap_on_an_sdk_stream(server: SSEServer, api: str) -> None:
    before = server.disconnects

    async def main() -> None:
        async with open_async(server, api, "long") as s:
            async with instant.tap(s) as t:
                third = t.value("[]?2")
                firsts = [x async for x in t.items("[].i?0:3")]  # ends at item 2's done
                assert firsts == [0, 1, 2]
                assert await third == {"i": 2}
                assert not http_response(s).is_closed  # still open: more may be asked
            assert http_response(s).is_closed  # the tap's `async with` closed it

    run(main())
    assert server.wait_for_disconnects(before + 1)

    async def to_the_end() -> None:
        async with open_async(server, api, "long") as s:
            t = instant.tap(s)
            assert len(await t.document()) == LONG_ITEMS
            assert http_response(s).is_closed and t.closed

    run(to_the_end())


def test_tap_until_on_an_sdk_stream(server: SSEServer) -> None:
    before = server.disconnects
    minimum = needed(server, "chat", (1,))

    async def main() -> None:
        async with open_async(server, "chat", "long") as s:
            src = APulled(s)
            t = instant.tap(src, until="[]?1")
            assert [x async for x in t.items("[]")] == [{"i": 0}, {"i": 1}]
            assert t.stopped_early and src.pulled == minimum and http_response(s).is_closed

    run(main())
    assert server.wait_for_disconnects(before + 1)


def test_tap_sync_on_an_sdk_stream(server: SSEServer) -> None:
    before = server.disconnects
    with open_sync(server, "chat", "long") as s:
        with instant.tap_sync(s) as t:
            assert t.value("[].i?5") == 5
        assert http_response(s).is_closed
    assert server.wait_for_disconnects(before + 1, timeout=TIMEOUT)
