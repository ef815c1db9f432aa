"""The new entry points are typed: mypy (strict) accepts their right use and rejects a
misspelt option or a wrong argument at each of them (``**options: Unpack[ParserOptions]``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import instant

PACKAGE = Path(instant.__file__).resolve().parent

GOOD = """\
from collections.abc import AsyncIterator, Iterator
import instant
from pydantic import BaseModel

class M(BaseModel):
    a: int = 0

async def agen() -> AsyncIterator[str]:
    yield '{"a": 1}'

sync_pairs: Iterator[tuple[str, object]] = instant.generator(["{}"], until="a")
async_pairs: AsyncIterator[tuple[str, object]] = instant.generator(agen(), snapshots=False)
stream: instant.EventStream = instant.stream(["{}"], until="a")
astream: instant.AsyncEventStream = instant.stream(agen(), until=lambda e: e["key"] == "a")
typed: instant.Items[M] = instant.items(["{}"], "a.[]", M, max_items=3, strict=False)
plain: Iterator[M] = instant.items(["{}"], "a.[]", M)
atyped: AsyncIterator[M] = instant.aitems(agen(), "a.[]", M, on_invalid="skip")
several: instant.Items[object] = instant.items(["{}"], {"a": M, "b": None}, on_invalid="yield_error")
t: instant.Tap = instant.tap(agen(), until="a", max_depth=5)
ts: instant.SyncTap = instant.tap_sync(["{}"])
x: M = ts.value("a", M)

async def main() -> None:
    m: M = await t.value("a", M)
    s: str
    async for s in t.deltas("b"):
        pass
    async for m in t.items("c.[]", M):
        pass
"""

BAD = """\
import instant
instant.items(["{}"], "a", strcit=True)
instant.aitems(["{}"], "a", strcit=True)
instant.tap(["{}"], strcit=True)
instant.tap_sync(["{}"], strcit=True)
instant.stream(["{}"], until=3)
instant.items(["{}"], "a", on_invalid="ignore")
instant.generator(["{}"], untl="a")
"""


def mypy(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(text, encoding="utf-8")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            "--disable-error-code",
            "no-untyped-def",
            str(snippet),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "MYPYPATH": str(PACKAGE.parent)},
        cwd=tmp_path,
    )


def test_mypy_accepts_the_right_use(tmp_path: Path) -> None:
    result = mypy(tmp_path, GOOD)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_rejects_each_wrong_call(tmp_path: Path) -> None:
    result = mypy(tmp_path, BAD)
    bad_lines = {
        int(line.split(":")[1]) for line in result.stdout.splitlines() if ": error:" in line
    }
    assert bad_lines == set(range(2, len(BAD.splitlines()) + 1)), result.stdout
