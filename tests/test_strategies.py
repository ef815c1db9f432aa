"""Properties over model-style replies and truncated replies, drawn with ``instant.strategies``.

* a reply from :func:`~instant.strategies.model_outputs`, in any chunking, parses to the value
  it was drawn with, and its events are sound (chunk invariance included);
* :func:`~instant.strategies.truncations`: ``close()`` on any prefix raises nothing but
  ``ParseError``; on a prefix of a JSON text the value is a partial of the full value, and
  ``truncated`` is ``True`` exactly when the cut fell inside an open string or container;
* the strategies themselves: texts round-trip, chunks join back, ``import instant`` does not
  import hypothesis.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from hypothesis import given, note
from hypothesis import strategies as st

import instant
from instant.strategies import (
    CHUNKINGS,
    chunkings,
    json_texts,
    json_values,
    model_outputs,
    truncations,
)
from tests.test_properties import (
    Run,
    assert_same,
    check_chunk_invariance,
    check_event_shapes,
    check_snapshots,
    check_string_deltas,
)


@given(output=model_outputs(), data=st.data())
def test_model_output_parses_to_the_drawn_value(
    output: tuple[str, Any], data: st.DataObject
) -> None:
    text, value = output
    chunks = data.draw(chunkings(text), label="chunks")
    run = Run(chunks)
    assert_same(run.parser.value, value, "Parser.value of a model reply")
    assert run.parser.truncated is False
    check_event_shapes(run)
    check_string_deltas(run)
    check_snapshots(run)
    check_chunk_invariance(run, text)
    assert_same(instant.parse(text), value, "instant.parse of a model reply")


@given(output=model_outputs(), data=st.data())
def test_model_output_in_strict_mode_only_raises_parse_error(
    output: tuple[str, Any], data: st.DataObject
) -> None:
    text, value = output
    chunks = data.draw(chunkings(text, ["whole", "random", "bytes"]), label="chunks")
    try:
        run = Run(chunks, strict=True)
    except instant.ParseError:
        return
    assert_same(run.parser.value, value, "strict mode accepted it, so it is plain JSON")


def is_partial(part: Any, full: Any, last: bool) -> str | None:
    """``None`` if ``part`` is what a prefix of ``full``'s text may parse to, else why not.

    Everything before the last open value is complete and equal; the last open value may be
    shorter: a string a prefix of the full string (its last character maybe the first half
    of a surrogate pair, cut between two ``\\u`` escapes), a container with a prefix of the
    members, a number cut short (``12`` of ``123`` is a complete number at the end of input).
    """
    if not last or not isinstance(full, (str, dict, list, int, float)) or isinstance(full, bool):
        return (
            None
            if json.dumps(part) == json.dumps(full) and type(part) is type(full)
            else (f"{part!r:.80} != {full!r:.80}")
        )
    if isinstance(full, str):
        if not isinstance(part, str):
            return f"{part!r:.80} is not a string ({full!r:.80})"
        if full.startswith(part):
            return None
        pair_half = part[-1:] and "\ud800" <= part[-1] <= "\udbff"
        if pair_half and full.startswith(part[:-1]) and ord(full[len(part) - 1]) > 0xFFFF:
            return None
        return f"{part!r:.80} is not a prefix of {full!r:.80}"
    if isinstance(full, (int, float)):
        return None if type(part) in (int, float) else f"{part!r:.80} is not a number"
    if isinstance(full, dict):
        if not isinstance(part, dict) or list(part) != list(full)[: len(part)]:
            return f"keys {list(part)!r:.80} are not a prefix of {list(full)!r:.80}"
        pairs = [(part[k], full[k]) for k in part]
    else:
        if not isinstance(part, list) or len(part) > len(full):
            return f"{part!r:.80} is not a partial list of {full!r:.80}"
        pairs = list(zip(part, full))
    for i, (p, f) in enumerate(pairs):
        why = is_partial(p, f, i == len(pairs) - 1)
        if why:
            return why
    return None


@given(data=st.data(), strict=st.booleans())
def test_truncated_json_text_closes_to_a_partial_value(data: st.DataObject, strict: bool) -> None:
    value = data.draw(json_values(), label="value")
    text = data.draw(json_texts(st.just(value)), label="text")
    prefix = data.draw(truncations(text), label="prefix")
    chunks = data.draw(chunkings(prefix, ["whole", "random", "chars", "bytes"]), label="chunks")
    start, end = len(text) - len(text.lstrip()), len(text.rstrip())
    complete = len(prefix) >= end
    scalar = not isinstance(value, (str, dict, list))  # a cut number or literal is dropped
    parser = instant.Parser(strict=strict)
    try:
        for chunk in chunks:
            parser.feed(chunk)
        parser.close()
    except instant.ParseError:
        assert not complete, "the whole document must parse"
        # strict mode refuses a cut document; lenient mode only a prefix without a value
        assert strict or scalar or len(prefix) <= start, f"lenient mode refused {prefix!r}"
        return
    note(f"value {parser.value!r}, truncated={parser.truncated}")
    why = is_partial(parser.value, value, True)
    assert why is None, why
    if complete:
        assert parser.truncated is False
        assert_same(parser.value, value, "the whole document")
    elif not scalar:
        assert parser.truncated is True, "cut inside an open container or string"


@given(output=model_outputs(), data=st.data())
def test_truncated_model_output_raises_only_parse_error(
    output: tuple[str, Any], data: st.DataObject
) -> None:
    text, _ = output
    prefix = data.draw(truncations(text), label="prefix")
    chunks = data.draw(chunkings(prefix), label="chunks")
    parser = instant.Parser()
    try:
        for chunk in chunks:
            parser.feed(chunk)
        parser.close()
    except instant.ParseError:
        return
    assert parser.values, "close() succeeded, so a document was found"


@given(data=st.data())
def test_chunkings_join_back_to_the_text(data: st.DataObject) -> None:
    text = data.draw(json_texts(json_values(max_leaves=10)), label="text")
    kind = data.draw(st.sampled_from(CHUNKINGS), label="kind")
    chunks = data.draw(chunkings(text, [kind]), label="chunks")
    joined: Any = "" if not chunks or isinstance(chunks[0], str) else b""
    for chunk in chunks:
        joined += chunk
    assert joined == (text if isinstance(joined, str) else text.encode("utf-8"))


def test_importing_instant_does_not_import_hypothesis() -> None:
    code = "import sys, instant; assert 'hypothesis' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_strategies_without_hypothesis_say_what_to_install() -> None:
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "try:\n    import instant.strategies\n"
        "except ImportError as e:\n    assert 'pip install hypothesis' in str(e), e\n"
        "else:\n    raise SystemExit('no ImportError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
