"""A corpus of model replies (``tests/data/replies.txt``), each with its intended outcome.

Each reply is parsed in every chunking (whole, one character, one byte, random bytes, random
pieces: :func:`tests.chunking.outcome_every_way`), and with :func:`instant.parse`, and must give
the value, the truncated value (``parse`` then raises ``TruncatedError``) or the error the file
states. The file's head explains its format.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import instant
from tests.chunking import first_difference, outcome_every_way

CORPUS = Path(__file__).parent / "data" / "replies.txt"
_NOTHING: Any = object()


@dataclass
class Reply:
    id: str
    text: str
    outcome: str  # "value", "truncated" or "error"
    expected: Any = _NOTHING  # the value (after an error: parser.value)
    kind: str = ""  # the error's kind
    at: str | None = None  # the error is at the first occurrence of this text
    options: dict[str, Any] = field(default_factory=dict)


def read_corpus(path: Path = CORPUS) -> list[Reply]:
    """The replies of the corpus file, in order."""
    cases = path.read_text(encoding="utf-8").split("\n%%% case ")[1:]
    replies = []
    for case in cases:
        head, rest = case.split("\n", 1)
        name, *opts = head.split()
        options: dict[str, Any] = {}
        for opt in opts:
            if opt == "multiple":
                options["multiple"] = True
            else:
                key, _, val = opt.partition("=")
                assert key == "expect", f"{name}: unknown option {opt!r}"
                options["expect"] = val
        assert rest.startswith("%%% reply\n"), f"{name}: no '%%% reply' line"
        text, marker, tail = re.split(
            r"^(%%% .*)$", rest[len("%%% reply\n") :], maxsplit=1, flags=re.M
        )
        text = text[:-1] if text.endswith("\n") else text  # the newline before the marker
        words = marker.split()
        body = tail.strip()
        reply = Reply(name, text, words[1], options=options)
        if body:
            reply.expected = json.loads(body)
        if reply.outcome == "error":
            reply.kind = words[2]
            if " at: " in marker:
                reply.at = marker.split(" at: ", 1)[1]
                assert reply.at in text, f"{name}: {reply.at!r} is not in the reply"
            if reply.expected is _NOTHING:
                reply.expected = None
        else:
            assert reply.outcome in ("value", "truncated") and body, f"{name}: bad {marker!r}"
        replies.append(reply)
    return replies


REPLIES = read_corpus()


def test_the_corpus_is_large_and_its_ids_unique() -> None:
    assert len(REPLIES) >= 200
    assert len({r.id for r in REPLIES}) == len(REPLIES)


@pytest.mark.parametrize("reply", REPLIES, ids=[r.id for r in REPLIES])
def test_reply(reply: Reply) -> None:
    out = outcome_every_way(reply.text, **reply.options)
    if reply.outcome == "error":
        assert out.error is not None, f"no error; value {out.value!r}"
        assert out.error.kind == reply.kind, str(out.error)
        if reply.at is not None:
            assert out.error.offset == reply.text.index(reply.at), str(out.error)
        assert first_difference(out.parser.value, reply.expected) is None, out.parser.value
        with pytest.raises(instant.ParseError) as info:
            instant.parse(reply.text, **reply.options)
        assert info.value.kind == reply.kind
        return
    assert out.error is None, str(out.error)
    diff = first_difference(out.value, reply.expected)
    assert diff is None, f"value differs at {diff}"
    assert out.truncated is (reply.outcome == "truncated")
    if reply.outcome == "truncated":
        with pytest.raises(instant.TruncatedError) as trunc:
            instant.parse(reply.text, **reply.options)
        assert first_difference(trunc.value.value, reply.expected) is None
        got = instant.parse(reply.text, allow_truncated=True, **reply.options)
    else:
        got = instant.parse(reply.text, **reply.options)
    assert first_difference(got, reply.expected) is None
