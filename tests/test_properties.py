"""Property tests: any JSON text, in any chunking, gives json.loads' value and a sound event stream.

The texts are generated from arbitrary JSON values (unicode, escapes, surrogate pairs, big ints,
floats, empty containers, nesting), serialised compactly / indented / with odd whitespace /
ASCII-escaped, and fed whole, one character at a time, at random split points, or as UTF-8 bytes
split anywhere (including inside a code point).  The oracle is always ``json.loads(text)``.

Checked against SPEC.md sections 1, 3 and 4:

* the final value (``Parser.value`` after ``close()``, ``instant.parse``) equals ``json.loads``,
  with the same types (``1`` is not ``1.0``) and the same key order;
* each string's deltas are non-empty, at most one per string per ``feed`` call, ``value`` is the
  text so far, and they add up to the final text carried by exactly one ``done``;
* exactly one ``done`` per value, in post-order, the root's (key ``""``) last;
* ``key``/``indexes``/``path`` agree, the event dict has its keys in the documented order;
* merging consecutive deltas of a string, every chunking gives the whole-text feed's events
  (``complete_value`` aside: it depends on where the calls end);
* a kept event's ``complete_value`` never changes afterwards (snapshot semantics), and every
  event of one call holds the document as of that call's last event: exactly the document its
  events have described so far, rebuilt from them here.
"""

from __future__ import annotations

import collections
import decimal
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import instant
from instant.strategies import chunkings, json_texts, split_at
from tests.chunking import first_difference

EVENT_KEYS = ["key", "indexes", "path", "event", "delta", "value", "is_complete", "complete_value"]
_BARE = re.compile(r"[\w-]+")


# --------------------------------------------------------------------------------------------
# Helpers (all iterative: deep documents must not hit the recursion limit in the tests either)
# --------------------------------------------------------------------------------------------


def assert_same(got: Any, expected: Any, what: str = "value") -> None:
    diff = first_difference(got, expected)
    assert diff is None, f"{what} differs (got vs expected) at {diff}"


def deep_copy(x: Any) -> Any:
    """Iterative deep copy of dicts and lists (tuples and scalars are immutable here)."""
    holder: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(x, holder, 0)]
    while stack:
        src, dst, slot = stack.pop()
        if isinstance(src, dict):
            new_d: dict[Any, Any] = {}
            dst[slot] = new_d
            for k, v in src.items():
                new_d[k] = v
                if isinstance(v, (dict, list)):
                    stack.append((v, new_d, k))
        elif isinstance(src, list):
            new_l = list(src)
            dst[slot] = new_l
            for i, v in enumerate(src):
                if isinstance(v, (dict, list)):
                    stack.append((v, new_l, i))
        else:
            dst[slot] = src
    return holder[0]


def key_segment(name: str) -> str:
    return name if _BARE.fullmatch(name) else json.dumps(name, ensure_ascii=False)


def key_of(path: Sequence[str | int]) -> str:
    return ".".join("[]" if isinstance(s, int) else key_segment(s) for s in path)


def post_order(value: Any) -> list[tuple[tuple[str | int, ...], Any]]:
    """(path, value) of every value in ``value``, children before their container."""
    out: list[tuple[tuple[str | int, ...], Any]] = []
    stack: list[tuple[Any, tuple[str | int, ...], bool]] = [(value, (), False)]
    while stack:
        v, path, expanded = stack.pop()
        if isinstance(v, (dict, list)) and not expanded:
            stack.append((v, path, True))
            children = list(v.items()) if isinstance(v, dict) else list(enumerate(v))
            for k, child in reversed(children):
                stack.append((child, (*path, k), False))
        else:
            out.append((path, v))
    return out


def at_path(doc: Any, path: Sequence[str | int]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


class Run:
    """One parser run: the events of each call, live and as deep copies taken on return."""

    def __init__(self, chunks: Iterable[str | bytes], *, copy: bool = True, **opts: Any) -> None:
        self.copy = copy  # copy=False: ``snapshots`` are the live events (cheap, deep documents)
        self.parser = instant.Parser(**opts)
        self.calls: list[list[dict[str, Any]]] = []
        self.snapshots: list[dict[str, Any]] = []
        for chunk in chunks:
            self._keep(self.parser.feed(chunk))
        self._keep(self.parser.close())
        self.events = [e for call in self.calls for e in call]

    def _keep(self, events: list[dict[str, Any]]) -> None:
        assert isinstance(events, list), f"feed/close must return a list, got {type(events)}"
        self.calls.append(events)
        self.snapshots.extend(deep_copy(e) if self.copy else e for e in events)


def merge_deltas(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge consecutive delta events of the same string into one (the last one's fields)."""
    out: list[dict[str, Any]] = []
    for e in events:
        prev = out[-1] if out else None
        if (
            e["event"] == "delta"
            and prev is not None
            and prev["event"] == "delta"
            and prev["path"] == e["path"]
        ):
            merged = dict(e)
            merged["delta"] = prev["delta"] + e["delta"]
            out[-1] = merged
        else:
            out.append(dict(e))
    return out


def describe(chunks: list[Any]) -> str:
    return f"{len(chunks)} chunks: {chunks!r:.2000}"


# --------------------------------------------------------------------------------------------
# Checks shared by the properties
# --------------------------------------------------------------------------------------------


def check_final_value(run: Run, text: str) -> None:
    expected = json.loads(text)
    assert run.parser.truncated is False
    assert_same(run.parser.value, expected, "Parser.value after close()")
    assert run.events, "no events at all"
    last = run.events[-1]
    assert (last["key"], last["path"], last["event"]) == ("", (), "done"), (
        f"last event: {last!r:.300}"
    )
    assert_same(last["value"], expected, "root done value")


def check_event_shapes(run: Run) -> None:
    for e in run.snapshots:
        assert type(e) is dict
        assert list(e) == EVENT_KEYS, f"event keys/order: {list(e)}"
        path = e["path"]
        assert type(path) is tuple, f"path must be a tuple: {path!r}"
        assert all(type(s) in (str, int) for s in path), f"path: {path!r}"
        assert e["key"] == key_of(path), f"key {e['key']!r} for path {path!r}"
        assert type(e["indexes"]) is list
        assert e["indexes"] == [s for s in path if type(s) is int], f"{e['indexes']} for {path!r}"
        assert e["event"] in ("delta", "done"), e["event"]
        assert e["is_complete"] is (e["event"] == "done")


def check_string_deltas(run: Run) -> None:
    texts: dict[tuple[Any, ...], str] = {}
    done: set[tuple[Any, ...]] = set()
    for e in run.snapshots:
        path = e["path"]
        assert path not in done, f"event after the done of {path!r}: {e!r:.300}"
        if e["event"] == "delta":
            assert type(e["delta"]) is str and e["delta"] != "", f"bad delta: {e!r:.300}"
            so_far = texts.get(path, "") + e["delta"]
            texts[path] = so_far
            assert e["value"] == so_far, f"delta value {e['value']!r} != text so far {so_far!r}"
        else:
            done.add(path)
            if type(e["value"]) is str:
                assert e["delta"] == "", f"string done must have delta '': {e!r:.300}"
                assert texts.get(path, "") == e["value"], (
                    f"deltas of {path!r} add up to {texts.get(path, '')!r}, done says {e['value']!r}"
                )
            else:
                assert path not in texts, f"delta events for a non-string at {path!r}"
                assert_same(e["delta"], e["value"], f"done delta vs value at {path!r}")
    assert set(texts) <= done, f"strings without a done: {set(texts) - done}"
    for i, call in enumerate(run.calls):
        counts = collections.Counter(e["path"] for e in call if e["event"] == "delta")
        many = {p: n for p, n in counts.items() if n > 1}
        assert not many, f"call {i} returned several deltas for one string: {many}"


def check_post_order(run: Run, text: str) -> None:
    expected = post_order(json.loads(text))
    got = [(e["path"], e["value"]) for e in run.snapshots if e["event"] == "done"]
    assert [p for p, _ in got] == [p for p, _ in expected], "done events' paths (post-order)"
    for (path, value), (_, want) in zip(got, expected):
        assert_same(value, want, f"done value at {path!r}")


def put_at(doc: Any, path: Sequence[str | int], value: Any) -> Any:
    """``doc`` with ``value`` at ``path``, creating the containers the path goes through
    (their kind is known from the next step: an index is a list, a key an object)."""
    if not path:
        return value
    if doc is None:
        doc = [] if isinstance(path[0], int) else {}
    parent = doc
    for step, nxt in zip(path[:-1], path[1:]):
        fresh: Any = [] if isinstance(nxt, int) else {}
        if isinstance(step, int):
            assert step in (len(parent) - 1, len(parent)), f"index {step} in {parent!r:.100}"
            if step == len(parent):
                parent.append(fresh)
        elif step not in parent:
            parent[step] = fresh
        parent = parent[step]
    last = path[-1]
    if isinstance(last, int) and last == len(parent):
        parent.append(value)
    else:
        parent[last] = value
    return doc


def check_snapshots(run: Run) -> None:
    """Handed-out snapshots never change, and every event of one call holds the document as
    of that call's last event (of its document): exactly what the events have said so far."""
    for kept, live in zip(run.snapshots, run.events):
        assert_same(live, kept, f"event at {kept['path']!r} changed after it was returned")
    docs: dict[int, Any] = {}  # each document as its events describe it
    start = 0
    for call in run.calls:
        kept = run.snapshots[start : start + len(call)]
        start += len(call)
        last: dict[int, Any] = {}
        for e in kept:
            d = e.get("document", 0)
            value = deep_copy(e["value"]) if e["event"] != "start" else e["value"]
            docs[d] = put_at(docs.get(d), e["path"], value)
            last[d] = deep_copy(docs[d])
        for e in kept:
            want = last[e.get("document", 0)]
            assert_same(e["complete_value"], want, f"complete_value of the event at {e['path']!r}")


def without_snapshots(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k != "complete_value"} for e in events]


def check_chunk_invariance(run: Run, text: str, **opts: Any) -> None:
    """The same events in every chunking (deltas of a string merged); ``complete_value``,
    the document as of each call's last event, is checked by :func:`check_snapshots`."""
    whole = Run([text], **opts)
    got = without_snapshots(merge_deltas(run.snapshots))
    want = without_snapshots(merge_deltas(whole.snapshots))
    for i, (g, w) in enumerate(zip(got, want)):
        assert_same(g, w, f"merged event {i} (chunked vs whole)")
    assert len(got) == len(want), f"{len(got)} merged events, whole feed gives {len(want)}"


def check_all(text: str, chunks: list[Any], **opts: Any) -> Run:
    run = Run(chunks, **opts)
    check_final_value(run, text)
    check_event_shapes(run)
    check_string_deltas(run)
    check_post_order(run, text)
    check_snapshots(run)
    check_chunk_invariance(run, text, **opts)
    return run


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------


@given(text=json_texts(), data=st.data(), strict=st.booleans())
def test_final_value_equals_json_loads(text: str, data: st.DataObject, strict: bool) -> None:
    chunks = data.draw(chunkings(text), label="chunks")
    run = Run(chunks, strict=strict)
    check_final_value(run, text)
    expected = json.loads(text)
    assert_same(instant.parse(text, strict=strict), expected, "instant.parse(str)")
    assert_same(instant.parse(text.encode(), strict=strict), expected, "instant.parse(bytes)")


@given(text=json_texts(), data=st.data(), strict=st.booleans())
def test_string_deltas_add_up(text: str, data: st.DataObject, strict: bool) -> None:
    chunks = data.draw(chunkings(text), label="chunks")
    run = Run(chunks, strict=strict)
    check_event_shapes(run)
    check_string_deltas(run)


@given(text=json_texts(), data=st.data(), strict=st.booleans())
def test_one_done_per_value_in_post_order(text: str, data: st.DataObject, strict: bool) -> None:
    chunks = data.draw(chunkings(text), label="chunks")
    run = Run(chunks, strict=strict)
    check_post_order(run, text)


@given(text=json_texts(), data=st.data(), strict=st.booleans())
def test_chunk_invariance_after_merging_deltas(
    text: str, data: st.DataObject, strict: bool
) -> None:
    chunks = data.draw(
        chunkings(text, ["chars", "random", "bytes", "bytes_inside"]), label="chunks"
    )
    check_chunk_invariance(Run(chunks, strict=strict), text, strict=strict)


@given(text=json_texts(), data=st.data(), strict=st.booleans())
def test_kept_complete_value_never_changes(text: str, data: st.DataObject, strict: bool) -> None:
    chunks = data.draw(chunkings(text), label="chunks")
    check_snapshots(Run(chunks, strict=strict))  # snapshots=True is the default


@given(text=json_texts(), data=st.data())
def test_snapshots_false_changes_only_complete_value(text: str, data: st.DataObject) -> None:
    chunks = data.draw(chunkings(text, ["chars", "random", "bytes"]), label="chunks")
    fast, safe = Run(chunks, snapshots=False), Run(chunks)
    assert_same(fast.parser.value, json.loads(text), "Parser.value with snapshots=False")
    strip = [{k: v for k, v in e.items() if k != "complete_value"} for e in fast.snapshots]
    want = [{k: v for k, v in e.items() if k != "complete_value"} for e in safe.snapshots]
    assert_same(strip, want, "events (without complete_value), snapshots=False vs True")


# Lone surrogates can only travel as \uXXXX escapes (they cannot be encoded as UTF-8), so these
# texts are ASCII-escaped; json.loads keeps a lone surrogate as one (and pairs adjacent ones).
lone_surrogate_strings = st.text(
    st.one_of(
        st.characters(categories=["Cs"]),
        st.sampled_from('\ud800\udbff\udc00\udfff\ud83d\ude00a\\"\U0001f600'),
    ),
    max_size=8,
)
lone_surrogate_values = st.recursive(
    st.one_of(lone_surrogate_strings, st.integers(), st.none()),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        # Plain keys: a key with surrogates could collide with another after json.loads.
        st.dictionaries(st.from_regex(r"[a-z]{0,3}", fullmatch=True), children, max_size=4),
    ),
    max_leaves=12,
)


@given(
    text=json_texts(lone_surrogate_values, ascii_only=True), data=st.data(), strict=st.booleans()
)
def test_lone_surrogates_decode_like_json_loads(
    text: str, data: st.DataObject, strict: bool
) -> None:
    chunks = data.draw(chunkings(text, ["whole", "chars", "random", "bytes"]), label="chunks")
    check_all(text, chunks, strict=strict)


# Number spellings json.dumps never writes: exponents with E/e/+/-, leading "-0", long
# fractions, big integers.  Exponents are kept to two digits (no overflow to inf here).
number_texts = st.from_regex(
    r"-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,2})?", fullmatch=True
)


@given(
    numbers=st.lists(number_texts, min_size=1, max_size=8),
    root=st.booleans(),
    data=st.data(),
    strict=st.booleans(),
)
def test_number_spellings(
    numbers: list[str], root: bool, data: st.DataObject, strict: bool
) -> None:
    text = numbers[0] if root else "[" + ", ".join(numbers) + "]"
    chunks = data.draw(chunkings(text, ["whole", "chars", "random"]), label="chunks")
    check_all(text, chunks, strict=strict)
    hooks = {"parse_float": decimal.Decimal, "parse_int": decimal.Decimal}
    want = json.loads(text, **hooks)
    assert_same(Run(chunks, strict=strict, **hooks).parser.value, want, "value with Decimal hooks")
    assert_same(instant.parse(text, strict=strict, **hooks), want, "parse() with Decimal hooks")


@given(text=json_texts(), data=st.data(), strict=st.booleans())
def test_iter_events_matches_feed_and_close(text: str, data: st.DataObject, strict: bool) -> None:
    chunks = data.draw(chunkings(text), label="chunks")
    got = [deep_copy(e) for e in instant.iter_events(iter(chunks), strict=strict)]
    assert_same(got, Run(chunks, strict=strict).snapshots, "iter_events vs feed/close events")


@given(text=json_texts(), data=st.data(), strict=st.booleans())
def test_everything_at_once(text: str, data: st.DataObject, strict: bool) -> None:
    """All the checks on one run (catches interactions the single-purpose properties miss)."""
    chunks = data.draw(chunkings(text), label="chunks")
    check_all(text, chunks, strict=strict)


# --------------------------------------------------------------------------------------------
# Explicit examples
# --------------------------------------------------------------------------------------------

DEPTH = 500


def nested(kind: str, depth: int = DEPTH) -> tuple[str, Any]:
    """``depth`` nested containers around a scalar, as text and value, built without recursion."""
    value: Any = "leaf"
    for i in range(depth):
        if kind == "array":
            value = [value]
        elif kind == "object":
            value = {"k": value}
        else:  # mixed
            value = [value, i] if i % 2 else {"a.b": value, "n": i}
    opens = {"array": "[", "object": '{"k":'}
    if kind in opens:
        text = opens[kind] * depth + '"leaf"' + ("]" if kind == "array" else "}") * depth
    else:
        text = json.dumps(value)  # C encoder; fine at this depth
    return text, value


@pytest.mark.parametrize("chunking", ["whole", "chars"])
@pytest.mark.parametrize("kind", ["array", "object", "mixed"])
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_deep_nesting(kind: str, chunking: str, strict: bool) -> None:
    text, value = nested(kind)
    chunks = [text] if chunking == "whole" else list(text)
    run = Run(chunks, copy=False, strict=strict)
    assert_same(run.parser.value, value, f"{DEPTH}-deep {kind}")
    done = [e for e in run.events if e["event"] == "done"]
    expected = post_order(value)
    assert [e["path"] for e in done] == [p for p, _ in expected]
    assert done[-1]["key"] == "" and done[-1] is run.events[-1]
    deepest = max(done, key=lambda e: len(e["path"]))
    assert len(deepest["path"]) == DEPTH and deepest["value"] == "leaf"
    assert deepest["key"] == key_of(deepest["path"])
    assert deepest["indexes"] == [s for s in deepest["path"] if type(s) is int]
    assert_same(instant.parse(text, strict=strict), value, "instant.parse")


SPLIT_TEXTS = [
    '{"k\\u00e9y": "a\\u00e9\\n\\ud83d\\ude00b\\\\", "n": [12, -7, 3.5e-2, 1E+3, 0, -0.0], '
    '"t": true, "f": false, "z": null, "e": {}, "a": []}',
    '["\\ud83d\\ude00", "\\u00e9x", "\\"", 123456789012345678901234567890, 1.5e300, "\\udc00"]',
    '  "root string with \\t escape \\/"  ',
    "-12.5e-3",
    "true",
    '[[[]], {"": {"a.b": [null, false]}}]',
    '{"é😀名": ["ü", "😀😀", "\\u0000\\u001f"]}',
]


@pytest.mark.parametrize("text", SPLIT_TEXTS, ids=range(len(SPLIT_TEXTS)))
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_every_split_point(text: str, strict: bool) -> None:
    """Every 2-chunk split (str and bytes), and every 3-chunk split of short texts."""
    data = text.encode("utf-8")
    splittings: list[list[Any]] = [split_at(text, [i]) for i in range(len(text) + 1)]
    splittings += [split_at(data, [i]) for i in range(len(data) + 1)]
    if len(text) <= 40:
        n = len(text)
        splittings += [split_at(text, [i, j]) for i in range(n + 1) for j in range(i, n + 1)]
    for chunks in splittings:
        try:
            check_all(text, chunks, strict=strict)
        except AssertionError as exc:
            raise AssertionError(f"{describe(chunks)}\n{exc}") from exc


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_empty_chunks_change_nothing(strict: bool) -> None:
    text = '{"a": ["x\\u00e9", 1, 2.5, "\u00fc"]}'
    as_str: list[Any] = []
    for ch in text:
        as_str += ["", ch, ""]
    check_all(text, as_str, strict=strict)
    as_bytes: list[Any] = []
    for b in text.encode("utf-8"):
        as_bytes += [b"", bytes([b]), b""]
    check_all(text, as_bytes, strict=strict)
