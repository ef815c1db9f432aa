"""Every ```python block of the README runs, and the printed output shown after it is true."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.nested_env import bin_dir, copy_checkout, installed_here, make_venv, pip_env
from tests.sse_server import SSEServer

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


@pytest.fixture(scope="module")
def api_server() -> Any:
    """The local replay server that the OpenAI/Anthropic examples talk to (no network)."""
    with SSEServer() as server:
        yield server


@pytest.mark.parametrize(("code", "expected"), python_blocks())
def test_readme_python_block_runs(
    code: str, expected: str, api_server: SSEServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # OpenAI() and Anthropic() with no arguments read their base URL and key from these
    for name, value in api_server.env.items():
        monkeypatch.setenv(name, value)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(code, str(README), "exec", dont_inherit=True), {"__name__": "__readme__"})
    if expected:
        assert buf.getvalue().rstrip("\n") == expected.rstrip("\n")


def test_readme_has_the_two_commands_and_ci_runs_the_test_one() -> None:
    """The README's demo and test commands, the venv line before them, and .ci/run running
    the test command itself (in a fresh venv per CPython)."""
    lines = [command for command, _ in _shell_commands()]
    assert VENV_LINE in lines and MAIN_JOB in lines and TEST_COMMAND in lines
    assert lines.index(VENV_LINE) < lines.index(MAIN_JOB) < lines.index(TEST_COMMAND)
    assert CI_TEST_COMMAND == TEST_COMMAND, (CI_TEST_COMMAND, TEST_COMMAND)


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


# -- the shell blocks -------------------------------------------------------------------
# Every line of every ```bash block is run, or checked, by one of the rules below; a line
# that no rule covers fails, so the README cannot show a command no test has tried.

MAIN_JOB = 'python3 -m pip install ".[cli]" && python3 -m instant demo'
VENV_LINE = "python3 -m venv .venv && . .venv/bin/activate"
TEST_COMMAND = "python3 tests/run.py"  # the README's test command
# what .ci/run runs in each fresh venv: the command after activating it
_CI = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
_ci_match = re.search(r'^\s*cd "\$repo" && \. "\$venv/bin/activate" && (.+?)\s*$', _CI, re.M)
CI_TEST_COMMAND = _ci_match.group(1) if _ci_match else ".ci/run runs no test command"
# benchmark scripts get a short run: smallest size, one run, results to a temporary folder
BENCH_ARGS = {
    "bench_core.py": ["--quick", "--sizes", "4K"],
    "bench_selector.py": ["--quick", "--size", "16K"],
    "bench_models.py": ["--quick", "--sizes", "16K"],
    "bench_items.py": ["--quick", "--sizes", "16K"],
    "compare.py": ["--quick", "--sizes", "1K", "--only", "instant Parser()"],
    "bench_relay.py": ["--sizes", "1K,2K"],
    "bench_snapshots.py": ["--rows", "100KB-64,whole-20k-keys", "--runs", "1", "--timeout", "60"],
}


def _shell_commands() -> list[tuple[str, int]]:
    """(command, README line) of every line of every shell block, comments taken off."""
    out = []
    for lang, body, line in BLOCKS:
        if lang not in ("bash", "sh", "shell", "console"):
            continue
        for i, text in enumerate(body.splitlines()):
            command = re.sub(r"\s+#\s.*$", "", text).strip()  # README comments: "  # ..."
            if command and not command.startswith("#"):
                out.append((command, line + i + 1))
    return out


def shell_lines() -> list[Any]:
    return [pytest.param(c, id=f"README-line-{n}") for c, n in _shell_commands()]


def _scripts_path() -> str:
    """PATH with the folder where pip put the `instant` script for this interpreter first."""
    import sysconfig

    dirs = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]
    return os.pathsep.join([*dirs, os.environ.get("PATH", "")])


def _run_main_job_in_a_fresh_venv(tmp_path: Path) -> None:
    """The main job exactly as written, in a new virtual environment and a copy of the repo.

    The venv borrows the packages of the environment the tests run in (``tests/nested_env``:
    what the test command installed, never the base interpreter's) and pip runs with no
    index, so nothing is downloaded: the test checks the command and the package.
    """
    src = copy_checkout(tmp_path / "checkout")
    python = make_venv(tmp_path / "venv")
    run = subprocess.run(
        ["bash", "-c", MAIN_JOB],
        cwd=src,
        env=pip_env(python),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "events from" in run.stdout and '"warm_up_s": 600' in run.stdout
    # pip installed the package, its command included, into the new venv
    assert installed_here(python).startswith(str(tmp_path / "venv")), installed_here(python)
    assert (bin_dir(python) / "instant").is_file()


def _make_the_venv_as_written(tmp_path: Path) -> None:
    """The README's venv line in an empty folder: `python3` afterwards is the new venv's."""
    run = subprocess.run(
        ["bash", "-c", VENV_LINE + ' && python3 -c "import sys; print(sys.prefix)"'],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert Path(run.stdout.strip()) == tmp_path / ".venv"


@pytest.mark.skipif(os.name != "posix", reason="the README's shell commands are POSIX shell")
@pytest.mark.parametrize("command", shell_lines())
def test_readme_shell_line(command: str, tmp_path: Path) -> None:
    if command == TEST_COMMAND:
        # the test command is what runs this test: .ci/run runs it on every CPython
        assert command == CI_TEST_COMMAND
        return
    if command == VENV_LINE:
        _make_the_venv_as_written(tmp_path)
        return
    if command == MAIN_JOB:
        _run_main_job_in_a_fresh_venv(tmp_path)
        return
    extra = re.fullmatch(r'python3 -m pip install "\.\[(\w[\w-]*)\]"', command)
    if extra:  # an optional extra: it exists (installing it would need the network)
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # the test extra brings tomli on 3.10
            import tomli as tomllib

        project = tomllib.loads((README.parent / "pyproject.toml").read_text())["project"]
        assert project["optional-dependencies"][extra.group(1)]
        return
    bench = re.fullmatch(r"python3 benchmarks/(\w+\.py)(.*)", command)
    if bench:
        args = [a for a in bench.group(2).split() if a != "--quick"]
        assert bench.group(1) in BENCH_ARGS, f"give {bench.group(1)} a small run in BENCH_ARGS"
        run = subprocess.run(
            [
                sys.executable,
                f"benchmarks/{bench.group(1)}",
                *args,
                *BENCH_ARGS[bench.group(1)],
                "--out",
                str(tmp_path),
            ],
            cwd=README.parent,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        return
    assert re.match(r"(instant |printf |cat |echo )", command), f"no rule runs {command!r}"
    run = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=README.parent,
        env={**os.environ, "PATH": _scripts_path()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip()
