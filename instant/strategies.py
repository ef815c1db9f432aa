"""Hypothesis strategies for property-testing streaming JSON consumers (``instant``'s and yours).

Needs `hypothesis <https://hypothesis.readthedocs.io>`_ (``pip install "instant-json[test]"``);
``import instant`` never imports it, only ``import instant.strategies`` does.

* :func:`json_values` -- any JSON value (unicode, escapes, astral characters, big ints, floats,
  empty and nested containers).
* :func:`json_texts` -- one value serialised with varied whitespace and indentation, key order
  kept, ASCII-escaped or raw UTF-8.
* :func:`model_outputs` -- ``(text, value)``: a JSON text wrapped the way models wrap it (prose,
  a fence, a think block, comments, trailing commas, single quotes, bare keys, Python literals),
  with the value the default lenient :class:`instant.Parser` must parse it to.
* :func:`chunkings` -- the same text cut into chunks: whole, 1 character, random sizes,
  token-like pieces, UTF-8 bytes split anywhere (also inside a code point).
* :func:`truncations` -- a prefix of a text (a reply cut off by the token limit).

Everything is built from small primitives (booleans, sampled choices, sorted lists of cut
points) so that a failing example shrinks to a small document, plain JSON and few chunks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

try:
    from hypothesis import note
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "instant.strategies needs hypothesis: pip install hypothesis "
        '(or pip install "instant-json[test]")'
    ) from exc

__all__ = [
    "CHUNKINGS",
    "chunkings",
    "deeply_nested",
    "json_keys",
    "json_strings",
    "json_texts",
    "json_values",
    "model_outputs",
    "split_at",
    "truncations",
]

# Characters that stress a JSON string scanner: escapes, controls, quotes, what json.dumps
# escapes, BOM/nonchars, combining marks, and code points above U+FFFF (surrogate pairs when
# ASCII-escaped, 4-byte sequences in UTF-8). No lone surrogates: texts must encode as UTF-8.
SPECIAL_CHARS = (
    '"\\/\b\f\n\r\t\x00\x01\x1f\x7f\x80\u00e9\u0301\u2028\u2029\ufeff\ufffd\uffff'
    "\U00010000\U0001f600\U0010ffff{}[],:'`"
)
KEY_EXAMPLES = ["", "a", "a.b", "$ref", "[]", "item", "x y", "k\u00e9y", "名前", "-", "_", "0"]


def json_strings(max_size: int = 12) -> st.SearchStrategy[str]:
    """Short strings, rich in characters that need escaping or span several UTF-8 bytes."""
    chars = st.one_of(st.characters(codec="utf-8"), st.sampled_from(SPECIAL_CHARS))
    return st.text(chars, max_size=max_size)


def json_keys() -> st.SearchStrategy[str]:
    """Object keys: arbitrary strings and the awkward ones (``""``, ``"a.b"``, ``"$ref"``...)."""
    return st.one_of(json_strings(), st.sampled_from(KEY_EXAMPLES))


def json_scalars() -> st.SearchStrategy[Any]:
    """``None``, booleans, ints (some past 64 bits), finite floats, strings."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=-(10**60), max_value=10**60),
        st.floats(allow_nan=False, allow_infinity=False),
        json_strings(),
    )


def json_values(
    max_leaves: int = 30, max_size: int = 6, keys: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[Any]:
    """Any JSON value (what ``json.loads`` can return, NaN and infinities excluded)."""
    key_strategy = json_keys() if keys is None else keys

    def containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(
            st.lists(children, max_size=max_size),
            st.dictionaries(key_strategy, children, max_size=max_size),
        )

    return st.recursive(json_scalars(), containers, max_leaves=max_leaves)


@st.composite
def deeply_nested(draw: st.DrawFn, inner: st.SearchStrategy[Any] | None = None) -> Any:
    """A value wrapped in up to 60 single-child lists/dicts (built without recursion)."""
    value = draw(json_values() if inner is None else inner)
    kinds = draw(st.lists(st.sampled_from(["list", "dict"]), max_size=60))
    key = draw(json_keys())
    for kind in kinds:
        value = [value] if kind == "list" else {key: value}
    return value


_WS = ["", " ", "\n", "\t", "\r\n", "  ", " \r\n\t "]  # shrinks towards ""
_INDENTS: list[int | str | None] = [None, 2, 0, "\t", 4, " \t"]


@st.composite
def json_texts(
    draw: st.DrawFn,
    value: Any = None,
    *,
    ascii_only: bool | None = None,
) -> str:
    """A JSON text (RFC 8259: ``json.loads`` reads it back) in a drawn style.

    ``value`` is a strategy to draw the value from, or a value to serialise as it is (by
    default :func:`json_values`, sometimes deeply nested). The style varies the whitespace
    around ``,`` and ``:``, the indentation, whitespace around the text, and whether non-ASCII
    characters are ``\\uXXXX``-escaped (``ascii_only=True``/``False`` fixes that choice).
    Key order is kept. (To serialise ``None`` itself, pass ``st.just(None)``.)
    """
    if value is None:
        value = st.one_of(json_values(), deeply_nested())
    if isinstance(value, st.SearchStrategy):
        value = draw(value)
    ws = st.sampled_from(_WS)
    indent = draw(st.sampled_from(_INDENTS))
    item_sep = draw(ws) + "," + (draw(ws) if indent is None else "")
    key_sep = draw(ws) + ":" + draw(ws)
    ensure_ascii = draw(st.booleans()) if ascii_only is None else ascii_only
    body = json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=(item_sep, key_sep)
    )
    return draw(ws) + body + draw(ws)


# -- model output -------------------------------------------------------------------------

# Prose that never starts a JSON value: no quotes, digits, or brackets that hold valid JSON
# ("[1]" in prose *is* a document, see the README); "[the]" and "{braces}" are candidates that
# fail before producing an event, so the search goes on after them.
_PROSE_WORDS = [
    "Sure!", "Here", "is", "the", "JSON", "you", "asked", "for:", "Okay.", "As", "requested",
    "(see", "docs),", "[the]", "{braces}", "answer", "—", "é", "😀", "名前", "Let", "me", "know.",
    "(see {a: b})", "[the docs]", "<b>", "ok", "'quoted'", "Done.",
]  # fmt: skip
_THOUGHTS = ['The user wants {"a": 1}? Or [1, 2].', "plan", "", "Let me think...\n[x"]
_COMMENTS = ["// a comment\n", "/* note */", "/**/", "// é 😀 {[\n", "/* multi\nline */"]
_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS = {"true", "false", "null", "True", "False", "None", "NaN", "Infinity"}
_PY = {True: "True", False: "False", None: "None"}


class _Lenient:
    """Serialises a value the way models write it, each liberty a drawn boolean."""

    def __init__(self, draw: st.DrawFn, ascii_only: bool) -> None:
        self.draw = draw
        self.ascii = ascii_only
        self.out: list[str] = []

    def flag(self, label: str) -> bool:
        return self.draw(st.booleans(), label=label)

    def gap(self) -> None:
        """Whitespace, and sometimes a comment, between tokens."""
        self.out.append(self.draw(st.sampled_from(_WS)))
        if self.flag("comment"):
            self.out.append(self.draw(st.sampled_from(_COMMENTS)))

    def string(self, s: str, key: bool = False) -> None:
        if key and _BARE_KEY.fullmatch(s) and s not in _KEYWORDS and self.flag("bare key"):
            self.out.append(s)
        elif self.flag("single quotes"):
            body = "".join(
                "\\'"
                if c == "'"
                else '"'
                if c == '"'
                else json.dumps(c, ensure_ascii=self.ascii)[1:-1]
                for c in s
            )
            self.out.append("'" + body + "'")
        else:
            self.out.append(json.dumps(s, ensure_ascii=self.ascii))

    def value(self, root: Any) -> None:
        # An explicit stack of work items: ("v", value) or ("t", literal text).
        todo: list[tuple[str, Any]] = [("v", root)]
        while todo:
            kind, item = todo.pop()
            if kind == "t":
                self.out.append(item)
            elif kind == "k":
                self.gap()
                self.string(item, key=True)
                self.gap()
                self.out.append(":")
                self.gap()
            elif kind == "g":
                self.gap()
            elif isinstance(item, str):
                self.string(item)
            elif item is None or isinstance(item, bool):
                py = self.flag("python literal")
                self.out.append(_PY[item] if py else json.dumps(item))
            elif isinstance(item, (int, float)):
                self.out.append(json.dumps(item))
            else:
                is_dict = isinstance(item, dict)
                pieces: list[tuple[str, Any]] = [("t", "{" if is_dict else "[")]
                members = list(item.items()) if is_dict else [(None, v) for v in item]
                for i, (k, v) in enumerate(members):
                    if i:
                        pieces.append(("t", ","))
                    if is_dict:
                        pieces.append(("k", k))
                    else:
                        pieces.append(("g", None))
                    pieces += [("v", v), ("g", None)]
                if members and self.flag("trailing comma"):
                    pieces.append(("t", ","))
                pieces += [("g", None), ("t", "}" if is_dict else "]")]
                todo.extend(reversed(pieces))


def _is_notation(value: Any) -> bool:
    """An empty container or a list of numbers: in the middle of a sentence, prose."""
    if not value:
        return True
    return isinstance(value, list) and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) for x in value
    )


@st.composite
def model_outputs(
    draw: st.DrawFn,
    values: st.SearchStrategy[Any] | None = None,
) -> tuple[str, Any]:
    """``(text, value)``: a model-style reply and the value ``instant.parse(text)`` must give.

    The value is drawn from ``values`` (default: :func:`json_values` with an object or array
    at the top, since a scalar is only found at the very start of a reply). The text writes
    it with drawn liberties -- comments, trailing commas, single quotes, bare keys,
    ``True``/``False``/``None`` -- and wraps it in a drawn ``<think>`` block, prose, a
    ```` ```json ```` fence, and prose after. Each liberty shrinks away, down to plain JSON.
    """
    if values is None:
        inner = json_values(max_leaves=10, max_size=4)
        values = st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(json_keys(), inner, max_size=4)
        )
    value = draw(values)
    ascii_only = draw(st.booleans(), label="ascii only")
    if isinstance(value, str):  # a reply may start with "..." but not with '...'
        body = json.dumps(value, ensure_ascii=ascii_only)
    else:
        writer = _Lenient(draw, ascii_only)
        writer.value(value)
        body = "".join(writer.out)
    container = isinstance(value, (dict, list))
    parts: list[str] = []
    if container and draw(st.booleans(), label="think block"):
        parts.append("<think>" + draw(st.sampled_from(_THOUGHTS)) + "</think>\n")
    if container:
        words = draw(st.lists(st.sampled_from(_PROSE_WORDS), max_size=6), label="prose before")
        if words:
            sep = draw(st.sampled_from([" ", "\n", "\n\n"]))
            if sep == " " and _is_notation(value):
                sep = "\n"  # mid-sentence, "[]" or "[1, 2]" is prose notation, not the answer
            parts.append(" ".join(words) + sep)
    fence = container and draw(st.booleans(), label="fence")
    if fence:
        parts.append(draw(st.sampled_from(["```json\n", "```\n", "```JSON\n"])))
    parts.append(body)
    if fence:
        parts.append("\n```")
    if container or isinstance(value, str):
        after = draw(st.sampled_from(["", "\n", " Let me know!", '\nAlso {"other": 1} and [2].']))
    else:  # a root number or literal is the document only if nothing but blanks follow it
        after = draw(st.sampled_from(["", "\n", "  // done\n"]))
    parts.append(after)
    text = "".join(parts)
    note(f"model output: {text!r}")
    return text, value


# -- chunkings and truncations ------------------------------------------------------------

CHUNKINGS = ("whole", "random", "chars", "tokens", "bytes", "bytes1", "bytes_inside")
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


def split_at(data: Any, cuts: Sequence[int]) -> list[Any]:
    """``data`` (str or bytes) cut at the given offsets (sorted; duplicates give empty chunks)."""
    points = [0, *sorted(cuts), len(data)]
    return [data[i:j] for i, j in zip(points, points[1:])]


def _cut_points(n: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(0, n), max_size=min(n, 40) + 1).map(sorted)


@st.composite
def chunkings(draw: st.DrawFn, text: str, kinds: Sequence[str] = CHUNKINGS) -> list[Any]:
    """Chunks that join to ``text`` (``str`` chunks) or to its UTF-8 encoding (``bytes``).

    ``kinds`` picks among: ``whole``; ``random`` (random cut points; repeated points make
    empty chunks, which must change nothing); ``chars`` (one character each); ``tokens``
    (1-4 word/space/punctuation runs each, like a tokenizer's output); ``bytes`` (UTF-8 cut at
    random byte offsets); ``bytes1`` (one byte each); ``bytes_inside`` (every multi-byte code
    point split apart). A text that cannot be UTF-8 encoded (lone surrogates) gets ``str``
    chunks for the byte kinds. Shrinks towards fewer chunks.
    """
    kind = draw(st.sampled_from(list(kinds)), label="chunking")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        kind = {"bytes": "random", "bytes1": "chars", "bytes_inside": "random"}.get(kind, kind)
    if kind == "whole":
        return [text]
    if kind == "chars":
        return list(text)
    if kind == "random":
        return split_at(text, draw(_cut_points(len(text))))
    if kind == "tokens":
        ends = [m.end() for m in _TOKEN.finditer(text)]
        # 1-4 runs per chunk; shrinks towards 4 (fewer chunks)
        runs = st.integers(0, 3).map(lambda k: 4 - k)
        sizes = draw(st.lists(runs, min_size=len(ends), max_size=len(ends)))
        cuts, i = [], 0
        for size in sizes:
            i += size
            if i >= len(ends):
                break
            cuts.append(ends[i - 1])
        return split_at(text, cuts)
    if kind == "bytes1":
        return [data[i : i + 1] for i in range(len(data))]
    if kind == "bytes_inside":
        return split_at(data, [i for i, b in enumerate(data) if 0x80 <= b < 0xC0])
    if kind == "bytes":
        return split_at(data, draw(_cut_points(len(data))))
    raise ValueError(f"unknown chunking {kind!r}; expected one of {CHUNKINGS}")


def truncations(text: str) -> st.SearchStrategy[str]:
    """A prefix of ``text`` (from empty to all of it): a reply cut off by the token limit."""
    return st.integers(0, len(text)).map(lambda n: text[:n])
