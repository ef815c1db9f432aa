"""A real browser: headless Chromium loads the relay demo's pages while a model stream replays.

The demo app (``instant.relay.demo``) runs under uvicorn on loopback with a replayed model
reply that stops at a gate inside the third list item. Debian's Chromium
(``/usr/bin/chromium``), driven by Playwright (``executable_path``: no browser is ever
downloaded), loads a page; the test waits until the page has applied everything sent before
the gate and checks the DOM against the parser's own account of that moment (the partial
document, the two items done), opens the gate, and checks the exact final value. Both the
patch stream (``append`` and RFC-strict forms) and the text stream. Then ``instant-patch.js``
itself, in the page, against the Python side on drawn documents.

Chromium missing fails the test under ``CI`` (``.ci/run`` installs it: ``apt-get install -y
chromium``); elsewhere it skips, saying how to install it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from instant.relay import json_patch, text
from instant.relay.demo import create_app
from instant.relay.text import TextEncoder
from instant.strategies import json_keys, json_scalars
from tests.relay_serve import WAIT, GatedReply, serve
from tests.test_relay_encoders import cuts, events_of

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if path is None:
        message = f"Debian's chromium is not installed ({CHROMIUM}): apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message + " (under CI this test fails instead)")
    return path


@pytest.fixture(scope="module")
def reply() -> GatedReply:
    return GatedReply()


@pytest.fixture(scope="module")
def server(reply: GatedReply) -> Iterator[str]:
    with serve(create_app(reply)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    with sync_playwright() as playwright:
        # Playwright gives the browser a fresh, temporary profile (user data directory)
        launched = playwright.chromium.launch(executable_path=path, headless=True, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any, reply: GatedReply) -> Iterator[Any]:
    reply.reset()
    tab = browser.new_page()
    tab.set_default_timeout(WAIT * 1000)
    try:
        yield tab
    finally:
        reply.gate.set()  # never leave a server stream waiting
        tab.close()


def items_shown(tab: Any) -> list[Any]:
    shown = tab.eval_on_selector_all("#items li", "els => els.map(e => e.dataset.json)")
    return [json.loads(item) for item in shown]


@pytest.mark.parametrize("append", [True, False], ids=["append", "rfc6902"])
def test_the_patch_page_shows_the_document_filling_in_and_each_item_when_done(
    page: Any, server: str, reply: GatedReply, append: bool
) -> None:
    before = reply.before
    done_items = [e["value"] for e in before if e["key"] == "items.[]" and e["event"] == "done"]
    assert len(done_items) == 2 and before[-1]["path"][:2] == ("items", 2)  # the gate's place

    page.goto(server + ("/" if append else "/?append=false"))
    # one SSE message per event: wait until the page has applied all sent before the gate
    page.wait_for_function("n => document.body.dataset.messages === String(n)", arg=len(before))
    partial = before[-1]["complete_value"]
    assert json.loads(page.text_content("#json")) == partial
    assert partial["items"][2]["verdict"] == before[-1]["value"]  # mid-string, really
    assert items_shown(page) == done_items  # the third item is still being written
    assert page.get_attribute("body", "data-state") is None
    assert page.text_content("#status") == "streaming…"

    reply.gate.set()
    page.wait_for_function("() => document.body.dataset.state === 'done'")
    assert json.loads(page.text_content("#json")) == reply.value
    assert items_shown(page) == reply.value["items"]
    total = len(reply.before) + len(reply.after)
    assert page.get_attribute("body", "data-messages") == str(total)


def test_the_text_page_shows_the_canonical_text_growing_then_the_value(
    page: Any, server: str, reply: GatedReply
) -> None:
    writer = TextEncoder()  # the events before the gate, and no end: nothing closed yet
    so_far = "".join(piece for event in reply.before for piece in writer.feed(event))
    final = "".join(text(reply.before + reply.after))
    assert final.startswith(so_far) and len(so_far) < len(final)

    page.goto(server + "/text")
    page.wait_for_function("t => document.getElementById('text').textContent === t", arg=so_far)
    assert page.get_attribute("body", "data-state") is None
    assert page.text_content("#value") == ""

    reply.gate.set()
    page.wait_for_function("() => document.body.dataset.state === 'done'")
    assert page.text_content("#text") == final
    assert json.loads(page.text_content("#value")) == reply.value
    assert final == json.dumps(reply.value, ensure_ascii=False, separators=(",", ":"))


# -- instant-patch.js in the browser, against the Python side ----------------------------

APPLY = """async (payload) => {
  const m = await import("/instant-patch.js");
  const done = [];
  const doc = new m.PatchDocument({ onDone: (path, value) => done.push([path, value]) });
  for (const ops of JSON.parse(payload)) doc.apply(ops);
  doc.finish();
  return JSON.stringify({ value: doc.value, done });
}"""

SAFE_INT = 2**53  # beyond it a JavaScript number is not exact


def js_values() -> st.SearchStrategy[Any]:
    """JSON values a browser holds exactly (no big ints), with keys JavaScript treats specially."""
    keys = st.one_of(
        json_keys(), st.sampled_from(["__proto__", "constructor", "toString", "0", "-"])
    )
    leaves = json_scalars().filter(lambda v: not isinstance(v, int) or abs(v) <= SAFE_INT)
    strings = st.text(st.characters(codec="utf-8"), min_size=5, max_size=30)
    return st.recursive(
        st.one_of(leaves, strings),
        lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(keys, c, max_size=4)),
        max_leaves=12,
    ).map(lambda v: {"doc": v})


@pytest.fixture(scope="module")
def module_page(browser: Any, server: str) -> Iterator[Any]:
    tab = browser.new_page()
    tab.goto(server + "/instant-patch.js")  # any page of the app's origin can import it
    yield tab
    tab.close()


@given(value=js_values(), data=st.data(), append=st.booleans())
def test_instant_patch_js_rebuilds_the_document_and_reports_each_value_done_in_order(
    module_page: Any, value: Any, data: st.DataObject, append: bool
) -> None:
    events = events_of(data.draw(cuts(json.dumps(value, ensure_ascii=data.draw(st.booleans())))))
    payload = json.dumps(list(json_patch(events, append=append)))
    # JavaScript has one number type and writes 6.7e16 as 67088816052319090: read numbers
    # back as floats (exact for every value drawn: ints stay within 2**53)
    got = json.loads(module_page.evaluate(APPLY, payload), parse_int=float)
    assert got["value"] == value
    # a value is done when an operation lands outside it: exactly instant's done events
    assert got["done"] == [[list(e["path"]), e["value"]] for e in events if e["event"] == "done"]


def test_instant_patch_js_refuses_what_is_not_a_patch(module_page: Any) -> None:
    script = """async (ops) => {
      const m = await import("/instant-patch.js");
      try { m.applyPatch({"a": 1}, ops); return "applied"; } catch (e) { return e.message; }
    }"""
    assert "unsupported operation" in module_page.evaluate(script, [{"op": "move", "path": "/a"}])
    assert "no member" in module_page.evaluate(
        script, [{"op": "append", "path": "/b", "value": "x"}]
    )
    assert "not a string" in module_page.evaluate(
        script, [{"op": "append", "path": "/a", "value": "x"}]
    )
    assert "index out of range" in module_page.evaluate(
        script,
        [{"op": "add", "path": "/l", "value": []}, {"op": "add", "path": "/l/1", "value": 0}],
    )


def test_keys_javascript_treats_specially_are_plain_members(module_page: Any) -> None:
    value = {"__proto__": {"polluted": True}, "constructor": "c", "toString": ["s"]}
    events = events_of([json.dumps(value)])
    payload = json.dumps(list(json_patch(events)))
    got = json.loads(module_page.evaluate(APPLY, payload))
    assert got["value"] == value
    assert module_page.evaluate("() => ({}).polluted === undefined")
