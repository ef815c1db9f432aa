"""What the benchmark scripts compute, beyond the small runs of the README's commands.

``benchmarks/instructions.py``: the measurement itself needs valgrind and minutes; here the
loop runs as it does under callgrind, and a stand-in ``valgrind`` on PATH (it runs the loop and
reports a made-up count that depends on ``--runs``) checks that the script turns two counts
into instructions per chunk.

``benchmarks/compare.py``: a row timed in two passes (``tests/test_readme.py`` runs it with
``--quick``, one run a row, which has no second pass).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "instructions.py"

FAKE_VALGRIND = """#!{python}
import subprocess, sys
args = sys.argv[1:]
cmd = [a for a in args if not a.startswith("--callgrind") and a != "--tool=callgrind"]
done = subprocess.run(cmd, capture_output=True, text=True)
sys.stdout.write(done.stdout)
runs = int(args[args.index("--runs") + 1])
chunks = int(done.stdout.split()[-1])
# start-up 5,000,000 plus 1,000 instructions per chunk per loop
sys.stderr.write("==1== I   refs:      {{:,}}\\n".format(5_000_000 + 1_000 * chunks * runs))
sys.exit(done.returncode)
"""


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.mark.parametrize("consumer", ["on", "off", "drop"])
def test_loop_feeds_every_chunk(consumer: str) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from docs import chunks_1_8, model_document
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    done = run("--loop", "--consumer", consumer, "--chunks", "1-8", "--size", "4096", "--runs", "2")
    assert done.returncode == 0, done.stderr
    expected = len(chunks_1_8(model_document(4096, seed=0), seed=0))
    assert done.stdout.split() == [str(expected)]


def test_per_chunk_arithmetic(tmp_path: Path) -> None:
    fake = tmp_path / "valgrind"
    fake.write_text(FAKE_VALGRIND.format(python=sys.executable))
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = run("--consumer", "drop", "--chunks", "1-8", "--size", "2048", env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("engine ") and "2048 B document" in lines[0]
    assert len(lines) == 2 and lines[1].split()[:3] == ["1-8", "drop:", "1,000"], lines


def test_without_valgrind_says_so(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # nothing on PATH
    done = run("--consumer", "on", "--chunks", "1-8", env=env)
    assert done.returncode == 2
    assert "needs valgrind" in done.stderr


def test_compare_times_rows_in_two_passes(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/compare.py",
            "--sizes",
            "1K,4K",
            "--repeat-s",
            "0.01",
            "--only",
            "instant Parser()",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "second pass:" in done.stderr
    report = (tmp_path / "compare.md").read_text()
    assert "the better of the two passes counts" in report
    # | contender | total | µs/chunk | growth | ... | value | runs |
    rows = re.findall(
        r"^\| instant Parser\(\) \| [^|]+ \| [^|]+ \| ([^|]+) \|.*\| ok \| (\d+) \|$", report, re.M
    )
    # 2 sizes in each chunking: 1-8, and o200k when bpe-openai (the bench extra) is installed
    o200k = "bpe-openai is not installed" not in done.stderr
    assert len(rows) == (4 if o200k else 2), report
    assert all(int(runs) >= 6 for _, runs in rows)  # at least 3 runs in each pass
    growth = [g.strip() for g, _ in rows]  # from the previous size: none for the first
    for first, second in zip(growth[::2], growth[1::2]):
        assert first == "—" and float(second) > 0, growth
