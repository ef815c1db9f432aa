"""Differential test against ijson: same strict JSON text, same scalars at the same paths.

ijson's ``parse`` yields ``(prefix, event, value)``; its prefix joins object keys with ``.`` and
writes each array level as ``item`` -- the same idea as our ``key`` with ``[]``.  We map our
``path`` to an ijson prefix (``"item"`` for an int) and compare, in order:

* the scalar events (ijson ``string``/``number``/``boolean``/``null``) with our ``done`` events
  whose value is not a dict/list: same prefix, same value, same type;
* the whole ``done`` sequence with ijson's scalar and ``end_map``/``end_array`` events (an
  independent check of the post-order).

Numbers: by default ijson yields ``int`` for integers and ``Decimal`` for everything else, so
that run uses ``parse_float=decimal.Decimal``; with ``use_float=True`` it yields ``float``, which
is compared with our default floats.  Keys are restricted to ``[a-z_]`` names (plus ``item``):
a key containing ``.`` makes ijson prefixes ambiguous.  Lone surrogates are left out: the
yajl2_c backend raises ``UnicodeDecodeError`` on them.

The backend in use is part of each test id (``ijson-yajl2_c``, ``ijson-python``): every
backend that imports here is tested, the default one first.
"""

from __future__ import annotations

import decimal
import json
import math
from typing import Any

import ijson
import pytest
from hypothesis import given, note
from hypothesis import strategies as st

import instant

SCALAR_EVENTS = ("string", "number", "boolean", "null")


def _backends() -> list[Any]:
    found = [ijson]  # the default backend (ijson.backend says which)
    for name in ("yajl2_c", "yajl2_cffi", "yajl2", "python"):
        if name == ijson.backend:
            continue
        try:
            found.append(ijson.get_backend(name))
        except Exception:  # noqa: BLE001 - a backend whose C library is absent
            continue
    return found


BACKENDS = _backends()
BACKEND_IDS = [f"ijson-{b.backend}" + ("-default" if b is ijson else "") for b in BACKENDS]
# ijson.backend: the default is normally "yajl2_c" (C extension); "python" is the pure fallback.
# Here (ijson 3.6) the default is yajl2_c and the python backend is also tested.


def same_scalar(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return bool(a == b)


def prefix_of(path: tuple[str | int, ...]) -> str:
    return ".".join("item" if isinstance(s, int) else s for s in path)


def kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "end_map"
    if isinstance(value, list):
        return "end_array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


# ---- strategies ---------------------------------------------------------------------------

SPECIAL_CHARS = '"\\/\b\f\n\r\t\x00\x1f\x7f\u00e9\u2028\ufeff\uffff\U0001f600\U0010ffff'
strings = st.text(
    st.one_of(st.characters(codec="utf-8"), st.sampled_from(SPECIAL_CHARS)), max_size=10
)
keys = st.one_of(st.from_regex(r"[a-z_]{1,6}", fullmatch=True), st.just("item"))
INT64 = 2**63
big_ints = st.one_of(st.integers(), st.integers(min_value=-(10**60), max_value=10**60))
# yajl parses integers itself when use_float=True and fails with "integer overflow" beyond
# 64 bits (and at -2**63), so those runs only get integers in (-2**63, 2**63).
int64s = st.integers(min_value=-(INT64 - 1), max_value=INT64 - 1)  # yajl rejects -2**63 too


def json_values(ints: st.SearchStrategy[int]) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        ints,
        st.floats(allow_nan=False, allow_infinity=False),
        strings,
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=5), st.dictionaries(keys, children, max_size=5)
        ),
        max_leaves=30,
    )


FORMATS: list[dict[str, Any]] = [{"separators": (",", ":")}, {}, {"indent": 2}]


@st.composite
def documents(draw: st.DrawFn, big: bool = True) -> bytes:
    value = draw(json_values(big_ints if big else int64s))
    text = json.dumps(value, ensure_ascii=draw(st.booleans()), **draw(st.sampled_from(FORMATS)))
    return text.encode("utf-8")


@st.composite
def byte_chunks(draw: st.DrawFn, data: bytes) -> list[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=20)))
    points = [0, *cuts, len(data)]
    return [data[i:j] for i, j in zip(points, points[1:])]


def ours(chunks: list[bytes], use_float: bool) -> list[dict[str, Any]]:
    opts: dict[str, Any] = {"strict": True}
    if not use_float:
        opts["parse_float"] = decimal.Decimal
    p = instant.Parser(**opts)
    events: list[dict[str, Any]] = []
    for chunk in chunks:
        events += p.feed(chunk)
    events += p.close()
    return [e for e in events if e["event"] == "done"]


def theirs(backend: Any, data: bytes, use_float: bool) -> list[tuple[str, str, Any]]:
    return list(backend.parse(data, use_float=use_float))


def compare(got: list[tuple[str, str, Any]], want: list[tuple[str, str, Any]]) -> None:
    for i, (g, w) in enumerate(zip(got, want)):
        assert g[:2] == w[:2] and same_scalar(g[2], w[2]), f"event {i}: ours {g!r} vs ijson {w!r}"
    assert len(got) == len(want), f"ours has {len(got)} events, ijson {len(want)}"


# ---- tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS, ids=BACKEND_IDS)
def test_ijson_backend_behaves_as_assumed(backend: Any) -> None:
    """Guard the assumptions the comparison rests on (prefix notation, number types)."""
    assert backend.backend in ("yajl2_c", "yajl2_cffi", "yajl2", "python")
    data = b'{"a": [1.5, 10000000000000000000000, "x"], "b": {"c": null}}'
    assert list(backend.parse(data)) == [
        ("", "start_map", None),
        ("", "map_key", "a"),
        ("a", "start_array", None),
        ("a.item", "number", decimal.Decimal("1.5")),
        ("a.item", "number", 10**22),
        ("a.item", "string", "x"),
        ("a", "end_array", None),
        ("", "map_key", "b"),
        ("b", "start_map", None),
        ("b", "map_key", "c"),
        ("b.c", "null", None),
        ("b", "end_map", None),
        ("", "end_map", None),
    ]
    assert [v for _, e, v in backend.parse(b"[1.5, 2]", use_float=True) if e == "number"] == [
        1.5,
        2,
    ]


@pytest.mark.parametrize("use_float", [False, True], ids=["decimal", "float"])
@pytest.mark.parametrize("backend", BACKENDS, ids=BACKEND_IDS)
@given(draw=st.data())
def test_scalar_done_events_match_ijson(backend: Any, use_float: bool, draw: st.DataObject) -> None:
    big = not (use_float and backend.backend.startswith("yajl"))
    data = draw.draw(documents(big), label="text")
    chunks = draw.draw(byte_chunks(data), label="chunks")
    note(f"text: {data!r}")
    got = [
        (prefix_of(e["path"]), kind_of(e["value"]), e["value"])
        for e in ours(chunks, use_float)
        if not isinstance(e["value"], (dict, list))
    ]
    want = [ev for ev in theirs(backend, data, use_float) if ev[1] in SCALAR_EVENTS]
    compare(got, want)


@pytest.mark.parametrize("backend", BACKENDS, ids=BACKEND_IDS)
@given(data=documents(), draw=st.data())
def test_done_order_matches_ijson_ends(backend: Any, data: bytes, draw: st.DataObject) -> None:
    chunks = draw.draw(byte_chunks(data), label="chunks")
    note(f"text: {data!r}")
    got = [(prefix_of(e["path"]), kind_of(e["value"])) for e in ours(chunks, use_float=False)]
    want = [
        (prefix, event)
        for prefix, event, _ in theirs(backend, data, use_float=False)
        if event in SCALAR_EVENTS or event in ("end_map", "end_array")
    ]
    assert got == want
