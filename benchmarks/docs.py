"""Seeded, model-like JSON documents and chunkings for the benchmarks.

``model_document(size_bytes, seed)`` returns the kind of JSON a language model writes when asked
for structured output: a pretty-printed object with a ``title``, a prose ``answer``, some nested
metadata and an ``items`` array of records whose strings are prose with the escapes models really
produce (``\\n``, ``\\"``, ``\\\\``, ``\\t``, ``\\u001b``, ``\\u00fc``, a ``\\ud83d\\ude80``
surrogate pair) and raw non-ASCII text (é, 中文, emoji), next to ints, floats, booleans, null and
small nested lists and objects. The text is exactly ``size_bytes`` long in UTF-8 and the same for
the same arguments on every run and platform.

``chunks_1_8(text, seed)`` cuts a text into seeded random 1-8 character pieces, about what a
model's token stream delivers per event.
"""

from __future__ import annotations

import json
import random
from typing import Any

__all__ = ["chunks_1_8", "model_document", "parse_size"]

_WORDS = (
    "the model returns a structured answer with several fields and each field holds text "
    "that streams token by token while the user waits for the interface to update so the "
    "parser must report every piece as soon as it arrives without buffering the whole reply "
    "latency matters more than throughput here because a person is watching the screen and "
    "every delay shows configuration value result summary detail step request response "
    "function argument schema record table column index query cache server client network "
    "timeout retry budget estimate ranking score evidence source citation paragraph"
).split()

_ASCII_FILL = _WORDS  # filler words: plain ASCII, no escapes, so 1 char == 1 byte

# Non-ASCII words written raw (ensure_ascii=False), as models do.
_UNICODE_WORDS = [
    "café",
    "naïve",
    "résumé",
    "Zürich",
    "São Paulo",
    "déjà vu",
    "中文",
    "日本語の文章",
    "한국어",
    "Ελληνικά",
    "русский",
    "emoji 😀",
    "👍",
    "✅ done",
    "→",
    "…",
    "€42",
    "½",
]
# Fragments whose serialisation needs escapes.
_ESCAPY = [
    'he said "hello" and left',
    'the key "name" is required',
    "path C:\\Users\\model\\data.json",
    "regex \\d+\\.\\d*",
    "line one\nline two",
    "a\ttab separated\tcell",
    'code: print("hi")\n',
    "ansi \x1b[1mbold\x1b[0m text",
    "Grüße aus München",  # ü is rewritten as \\u00fc below
    "launch 🚀 now",  # 🚀 is rewritten as a \\ud83d\\ude80 surrogate-pair escape below
]

# Applied to the serialised text: these characters occur only inside strings, so writing them
# as escapes keeps the JSON valid and json.loads-equal while exercising \\u decoding.
_REWRITES = (("ü", "\\u00fc"), ("🚀", "\\ud83d\\ude80"))


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(5, 16))]
    r = rng.random()
    if r < 0.25:
        words.insert(rng.randrange(len(words) + 1), rng.choice(_UNICODE_WORDS))
    elif r < 0.45:
        words.insert(rng.randrange(len(words) + 1), rng.choice(_ESCAPY))
    s = " ".join(words)
    return s[0].upper() + s[1:] + rng.choice((".", ".", ".", "!", "?", ":"))


def _prose(rng: random.Random, lo: int, hi: int) -> str:
    """A few sentences, sometimes split into paragraphs by newlines."""
    out: list[str] = []
    for _ in range(rng.randint(lo, hi)):
        if out:
            out.append(rng.choice((" ", " ", " ", "\n", "\n\n")))
        out.append(_sentence(rng))
    return "".join(out)


def _number(rng: random.Random) -> int | float:
    r = rng.random()
    if r < 0.4:
        return rng.randint(0, 1000)
    if r < 0.55:
        return rng.randint(-(10**6), 10**6)
    if r < 0.6:
        return rng.randint(10**12, 10**18)
    if r < 0.9:
        return round(rng.uniform(-100, 100), rng.randint(1, 6))
    return rng.choice((1.5e-7, 6.02e23, -2.5e-12, 3.0e10, 0.0, -0.5))


def _item(rng: random.Random, i: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": i,
        "name": " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 4))).title(),
        "summary": _prose(rng, 1, 4),
        "score": round(rng.random(), 4),
        "count": rng.randint(0, 5000),
        "active": rng.random() < 0.7,
        "parent": None if rng.random() < 0.5 else rng.randint(0, max(i, 1)),
        "tags": [rng.choice(_WORDS) for _ in range(rng.randint(0, 4))],
        "values": [_number(rng) for _ in range(rng.randint(0, 5))],
        "meta": {
            "lang": rng.choice(("en", "fr", "de", "zh", "ja", "pt")),
            "confidence": round(rng.uniform(0.5, 1.0), 3),
            "source": {
                "url": f"https://example.com/docs/{rng.choice(_WORDS)}/{rng.randint(1, 999)}",
                "page": rng.randint(1, 400),
                "verified": rng.choice((True, False, None)),
            },
        },
    }
    if rng.random() < 0.4:
        item["steps"] = [
            {"n": n + 1, "text": _sentence(rng), "done": rng.random() < 0.5}
            for n in range(rng.randint(1, 3))
        ]
    if rng.random() < 0.2:
        item["note"] = rng.choice(_ESCAPY + _UNICODE_WORDS)
    return item


def _render(doc: dict[str, Any]) -> str:
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    for raw, escaped in _REWRITES:
        text = text.replace(raw, escaped)
    return text


def _nbytes(text: str) -> int:
    return len(text.encode("utf-8"))


def _item_cost(item: dict[str, Any]) -> int:
    """UTF-8 bytes one item adds inside ``items`` (depth 2: +4 spaces a line, plus ",\\n")."""
    s = json.dumps(item, ensure_ascii=False, indent=2)
    for raw, escaped in _REWRITES:
        s = s.replace(raw, escaped)
    return _nbytes(s) + 4 * (s.count("\n") + 1) + 2


def model_document(size_bytes: int, seed: int = 0) -> str:
    """A model-like JSON object exactly ``size_bytes`` long in UTF-8, the same for the same seed.

    The number of items is chosen to fit, and the remaining gap is filled with plain ASCII words
    at the end of ``answer``. Raises ``ValueError`` if ``size_bytes`` is below the fixed part
    (about 1.5 KB).
    """
    rng = random.Random(seed)
    doc: dict[str, Any] = {
        "title": _sentence(rng).rstrip(".!?:"),
        "answer": _prose(rng, 6, 9),
        "language": "en",
        "confidence": 0.87,
        "needs_review": False,
        "error": None,
        "metadata": {
            "model": "example-model-v1",
            "usage": {"prompt_tokens": 512, "completion_tokens": size_bytes // 4},
            "stop_reason": None,
            "flags": [True, False, None],
            "ratios": [0.25, 1e-06, -3.5],
        },
        "items": [],
    }
    base = _nbytes(_render(doc))
    if base > size_bytes:
        raise ValueError(f"size_bytes={size_bytes} is below the fixed part ({base} bytes)")

    # Add items while the estimate stays within the target, then render for real and correct.
    items: list[dict[str, Any]] = []
    total = (
        base + 4
    )  # "[]" -> "[\n" ... "\n  ]" adds 4 bytes, less the last item's ",\n" (added back)
    while True:
        item = _item(rng, len(items))
        cost = _item_cost(item)
        if total + cost - 2 > size_bytes:
            break
        items.append(item)
        total += cost
    while True:
        doc["items"] = items
        text = _render(doc)
        gap = size_bytes - _nbytes(text)
        if gap >= 0:
            break
        items = items[:-1]  # the estimate was off: drop one and re-render (rare)

    if gap:
        fill_rng = random.Random(seed + 1)
        words: list[str] = []
        n = 0
        while n < gap:
            w = fill_rng.choice(_ASCII_FILL)
            words.append(w)
            n += len(w) + 1
        doc["answer"] = doc["answer"] + (" " + " ".join(words))[:gap]
        text = _render(doc)
    assert _nbytes(text) == size_bytes, (_nbytes(text), size_bytes)
    return text


def chunks_1_8(text: str, seed: int = 0) -> list[str]:
    """Cut ``text`` into seeded random chunks of 1 to 8 characters (the last may be shorter)."""
    rng = random.Random(seed)
    randint = rng.randint
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        j = i + randint(1, 8)
        out.append(text[i:j])
        i = j
    return out


def parse_size(spec: str) -> int:
    """``"4K"`` -> 4096, ``"1M"`` -> 1048576, ``"1500"`` -> 1500 (binary K/M, B suffix optional)."""
    s = spec.strip().upper().removesuffix("B").removesuffix("I")
    mult = 1
    if s.endswith("K"):
        mult, s = 1024, s[:-1]
    elif s.endswith("M"):
        mult, s = 1024 * 1024, s[:-1]
    return int(float(s) * mult)


if __name__ == "__main__":  # quick look: sizes, item counts, a sample
    for size in ("4K", "16K", "64K", "256K", "1M"):
        t = model_document(parse_size(size))
        value = json.loads(t)
        print(
            f"{size:>5}: {len(t.encode()):>8} bytes, {len(t):>8} chars, "
            f"{len(value['items']):>5} items, {len(chunks_1_8(t)):>7} chunks"
        )
    print(model_document(4096)[:1200])
