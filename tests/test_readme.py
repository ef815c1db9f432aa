"""Every ```python block of the README runs, and the printed output shown after it is true."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

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


# -- the shell blocks -------------------------------------------------------------------
# Every line of every ```bash block is run, or checked, by one of the rules below; a line
# that no rule covers fails, so the README cannot show a command no test has tried.

CI_LINE = (README.parent / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
MAIN_JOB = 'python3 -m pip install ".[cli]" && python3 -m instant demo'
# benchmark scripts get a short run: smallest size, one run, results to a temporary folder
BENCH_ARGS = {
    "bench_core.py": ["--quick", "--sizes", "4K"],
    "bench_selector.py": ["--quick", "--size", "16K"],
    "bench_models.py": ["--quick", "--sizes", "16K"],
    "bench_items.py": ["--quick", "--sizes", "16K"],
    "compare.py": ["--quick", "--sizes", "1K", "--only", "instant Parser()"],
    "bench_relay.py": ["--sizes", "1K,2K"],
}


def shell_lines() -> list[Any]:
    out = []
    for lang, body, line in BLOCKS:
        if lang not in ("bash", "sh", "shell", "console"):
            continue
        for i, text in enumerate(body.splitlines()):
            command = re.sub(r"\s+#\s.*$", "", text).strip()  # README comments: "  # ..."
            if command and not command.startswith("#"):
                out.append(pytest.param(command, id=f"README-line-{line + i + 1}"))
    return out


def _scripts_path() -> str:
    """PATH with the folder where pip put the `instant` script for this interpreter first."""
    import sysconfig

    dirs = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]
    return os.pathsep.join([*dirs, os.environ.get("PATH", "")])


def _run_main_job_in_a_fresh_venv(tmp_path: Path) -> None:
    """The main job exactly as written, in a new virtual environment and a copy of the repo.

    The venv sees the running interpreter's packages (`--system-site-packages`), and pip gets
    `--no-build-isolation --no-index` through its environment variables, so nothing is
    downloaded: the test checks the command and the package, not the network.
    """
    src = tmp_path / "checkout"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(README.parent / name, src / name)
    for name in ("instant", "grammar"):
        shutil.copytree(README.parent / name, src / name, ignore=ignore)
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
        check=True,
        timeout=120,
    )
    bindir = venv / "bin"
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PIP_NO_BUILD_ISOLATION": "0",  # pip's inverted spelling of --no-build-isolation
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    run = subprocess.run(
        ["bash", "-c", MAIN_JOB],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "events from" in run.stdout and '"warm_up_s": 600' in run.stdout


@pytest.mark.skipif(os.name != "posix", reason="the README's shell commands are POSIX shell")
@pytest.mark.parametrize("command", shell_lines())
def test_readme_shell_line(command: str, tmp_path: Path) -> None:
    if command == CI_LINE:
        return  # the test command: .ci/run is exactly this line, and CI runs it
    if command == MAIN_JOB:
        _run_main_job_in_a_fresh_venv(tmp_path)
        return
    extra = re.fullmatch(r'python3 -m pip install "\.\[(\w[\w-]*)\]"', command)
    if extra:  # an optional extra: it exists (installing it would need the network)
        import tomllib

        project = tomllib.loads((README.parent / "pyproject.toml").read_text())["project"]
        assert project["optional-dependencies"][extra.group(1)]
        return
    bench = re.fullmatch(r"python3 benchmarks/(\w+\.py)(.*)", command)
    if bench:
        args = [a for a in bench.group(2).split() if a != "--quick"]
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
