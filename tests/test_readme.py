"""Every ```python block of the README runs, and the printed output shown after it is true."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
_TEXT = README.read_text(encoding="utf-8")
# (language, body, line number before the body): code runs at its README line numbers, so
# tracebacks and anything reading its source (hypothesis' @given) see the README's lines
BLOCKS = [
    (m.group(1), m.group(2), _TEXT.count("\n", 0, m.start(2)))
    for m in re.finditer(r"^```(\w*)\n(.*?)^```", _TEXT, re.S | re.M)
]


def python_blocks() -> list[Any]:
    """(code, the plain block right after it if any: its expected output), by README line."""
    out = []
    for i, (lang, body, line) in enumerate(BLOCKS):
        if lang == "python":
            follow = BLOCKS[i + 1] if i + 1 < len(BLOCKS) else ("x", "", 0)
            expected = follow[1] if follow[0] == "" else ""
            out.append(pytest.param("\n" * line + body, expected, id=f"README-line-{line}"))
    return out


@pytest.mark.parametrize(("code", "expected"), python_blocks())
def test_readme_python_block_runs(code: str, expected: str) -> None:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(code, str(README), "exec"), {"__name__": "__readme__"})
    if expected:
        assert buf.getvalue().rstrip("\n") == expected.rstrip("\n")


def test_readme_has_the_two_commands_and_ci_runs_the_test_one() -> None:
    text = _TEXT
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert ci in text
    assert 'python3 -m pip install ".[cli]" && python3 -m instant demo' in text


def test_main_job_streams_the_bundled_reply() -> None:
    """The README's main job, `instant demo` (here without a terminal, so event lines)."""
    run = subprocess.run(
        [sys.executable, "-m", "instant", "demo", "--no-delay"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=True,
    )
    assert "delta  answer" in run.stdout
    assert "events from" in run.stdout and "events/s" in run.stdout
    assert '"warm_up_s": 600' in run.stdout
