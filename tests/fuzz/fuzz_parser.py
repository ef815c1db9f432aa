"""Coverage-guided fuzz target for the parser (atheris; not collected by pytest).

Run it (``pip install ".[fuzz]"``, i.e. atheris) from the repository root for, say, five minutes::

    python tests/fuzz/fuzz_parser.py -max_total_time=300 -timeout=10

On arbitrary bytes it checks that

* only ``instant.ParseError`` ever escapes ``feed``/``close``, in lenient and strict mode, fed
  whole or cut into chunks (bytes split anywhere, or decoded text);
* the parser never hangs (``-timeout=10`` makes a run that takes longer than 10 s a finding;
  every run here does linear work, so a normal input takes milliseconds);
* when ``json.loads`` accepts the text (without NaN/Infinity, which RFC 8259 lacks), strict mode
  gives the same value, with the same types and key order, and so does every chunking;
* lenient mode gives the same value as strict mode on such text;
* with the C engine built, the two engines agree (``tests/engines.py``: every event, error,
  offset and value) on the input cut at its cut points, as bytes and as text, lenient, strict
  and with several documents (``tests/fuzz/diff_engines.py`` is the long random run of that).

:func:`check` is plain Python (atheris is only needed to fuzz), so every finding is kept as a
regression input in ``tests/test_fuzz_regressions.py``, which runs :func:`check` on it.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
if __name__ == "__main__":
    import atheris

    with atheris.instrument_imports():
        import instant
else:
    import instant

from tests.engines import compare  # noqa: E402  (after instant: the instrumented one)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not RFC 8259")


def same(a: Any, b: Any) -> bool:
    """Exactly equal JSON data: same types, same key order, NaN equals NaN."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, dict):
            if list(x) != list(y):
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif isinstance(x, list):
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y))
        elif isinstance(x, float):
            if not (math.isnan(x) and math.isnan(y)) and (
                x != y or math.copysign(1, x) != math.copysign(1, y)
            ):
                return False
        elif x != y:
            return False
    return True


def run(chunks: list[Any], **options: Any) -> tuple[Any, bool]:
    """Feed and close; return (value, ok). Only ParseError may escape (else the fuzzer stops)."""
    parser = instant.Parser(**options)
    try:
        for chunk in chunks:
            parser.feed(chunk)
        parser.close()
    except instant.ParseError:
        return None, False
    return parser.value, True


def split(data: Any, cuts: list[int]) -> list[Any]:
    points = [0, *sorted(c % (len(data) + 1) for c in cuts), len(data)]
    return [data[i:j] for i, j in zip(points, points[1:])]


def check(raw: bytes) -> None:
    """The fuzz target: the first byte says how many cut points (0-8) the next bytes give."""
    n = raw[0] % 9 if raw else 0
    cuts = [int.from_bytes(raw[1 + 2 * i : 3 + 2 * i], "little") for i in range(n)]
    data = raw[1 + 2 * n :]
    for strict in (False, True):
        run([data], strict=strict)
        run(split(data, cuts), strict=strict)
        run(split(data, cuts), strict=strict, multiple=True, snapshots=False)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if instant.ENGINE == "c":  # both engines, the same traces
        for chunks in (split(data, cuts), *([split(text, cuts)] if text is not None else [])):
            for options in ({}, {"strict": True}, {"multiple": True}):
                diff = compare(chunks, options, "last")
                assert diff is None, f"the engines differ: {diff}"
    if text is None:
        return
    run(split(text, cuts), strict=False)
    try:
        expected = json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        return
    chunkings = [[text], split(text, cuts), split(data, cuts)]
    if len(text) <= 2000:
        chunkings.append(list(text))  # one character at a time (short texts only)
    for chunks in chunkings:
        value, ok = run(chunks, strict=True)
        if not ok:  # a limit (depth, number length) may refuse what json.loads takes
            parser = instant.Parser(strict=True)
            try:
                for chunk in chunks:
                    parser.feed(chunk)
                parser.close()
            except instant.ParseError as e:
                if "max_depth" in e.msg or "max_number_length" in e.msg:
                    return
                raise AssertionError(f"strict mode refused what json.loads accepts: {e}") from e
        assert same(value, expected), f"strict: {value!r:.200} != json.loads {expected!r:.200}"
    value, ok = run([text])
    assert ok and same(value, expected), f"lenient: {value!r:.200} != {expected!r:.200}"


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
