"""The test command (``tests/run.py``), CI's runner (``.ci/run``) and the no-skips-in-CI rule.

``tests/run.py`` is exercised through its functions with the system faked (no package is
installed for real here); ``.ci/run --list`` finds interpreters in a fake pyenv tree; the
conftest rule runs pytest on a small test folder with and without ``CI``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import run

ROOT = Path(__file__).resolve().parent.parent
posix_only = pytest.mark.skipif(os.name != "posix", reason=".ci/run is a bash script")


# -- tests/run.py: system packages -----------------------------------------------------------


class FakeSystem:
    """apt-get on PATH or not, root or not, and a subprocess.run that records commands."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, apt: bool, root: bool) -> None:
        self.commands: list[list[str]] = []
        self.fail_on: str | None = None  # the apt-get subcommand that fails
        self.provides: dict[str, Path] = {}  # Debian package -> the file it installs
        monkeypatch.setattr(run.shutil, "which", lambda name: "/usr/bin/apt-get" if apt else None)
        monkeypatch.setattr(run.os, "geteuid", lambda: 0 if root else 1000)
        monkeypatch.setattr(run.subprocess, "run", self.run)

    def run(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.commands.append(command)
        assert kwargs["env"]["DEBIAN_FRONTEND"] == "noninteractive"
        assert kwargs["stdin"] == subprocess.DEVNULL  # CI has no standard input
        if command[1] == self.fail_on:
            return subprocess.CompletedProcess(command, 100)
        if command[1] == "install":
            for package in command[5:]:
                if package in self.provides:
                    self.provides[package].write_text("#!/bin/sh\n")
        return subprocess.CompletedProcess(command, 0)


def needs(tmp_path: Path) -> tuple[run.SystemNeed, ...]:
    return (
        run.SystemNeed(str(tmp_path / "browser"), "browser-pkg", "the browser tests"),
        run.SystemNeed(str(tmp_path / "tool"), "tool-pkg", "the tool tests"),
    )


def test_the_system_needs_include_debians_chromium() -> None:
    assert run.SystemNeed("/usr/bin/chromium", "chromium", run.SYSTEM_NEEDS[0].why) in (
        run.SYSTEM_NEEDS
    )


def test_missing_system_packages_are_installed_with_apt_get_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = FakeSystem(monkeypatch, apt=True, root=True)
    wanted = needs(tmp_path)
    (tmp_path / "tool").write_text("")  # already there: not installed again
    system.provides = {"browser-pkg": tmp_path / "browser"}
    assert run.install_system_needs(wanted) is None
    assert system.commands == [
        ["/usr/bin/apt-get", "update", "-q"],
        ["/usr/bin/apt-get", "install", "-y", "-q", "--no-install-recommends", "browser-pkg"],
    ]
    system.commands.clear()
    assert run.install_system_needs(wanted) is None and system.commands == []  # all there


@pytest.mark.parametrize(
    ("apt", "why"), [(False, "apt-get is not on this machine"), (True, "we are not root")]
)
def test_without_apt_get_or_root_it_stops_and_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, apt: bool, why: str
) -> None:
    system = FakeSystem(monkeypatch, apt=apt, root=False)
    message = run.install_system_needs(needs(tmp_path))
    assert system.commands == []
    assert message is not None
    assert f"{tmp_path / 'browser'} (Debian package browser-pkg: the browser tests)" in message
    assert f"{tmp_path / 'tool'} (Debian package tool-pkg: the tool tests)" in message
    assert why in message and "sudo apt-get install browser-pkg tool-pkg" in message


def test_a_failing_apt_get_or_a_file_still_missing_stops_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = FakeSystem(monkeypatch, apt=True, root=True)
    system.fail_on = "install"
    message = run.install_system_needs(needs(tmp_path))
    assert message is not None and "failed (exit status 100)" in message
    system.fail_on = None  # apt-get succeeds but the packages install nothing we need
    message = run.install_system_needs(needs(tmp_path))
    assert message is not None and "is still missing" in message


# -- tests/run.py: the Python it installs into, and pytest's status ------------------------------


def test_a_python_managed_by_the_system_is_refused_with_the_venv_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "EXTERNALLY-MANAGED").write_text("[externally-managed]\n")
    monkeypatch.setattr(run.sys, "prefix", run.sys.base_prefix)  # not a venv
    monkeypatch.setattr(run.sysconfig, "get_path", lambda name: str(tmp_path))
    message = run.check_python()
    assert message is not None and "PEP 668" in message
    assert "python3 -m venv .venv && . .venv/bin/activate" in message
    (tmp_path / "EXTERNALLY-MANAGED").unlink()
    assert run.check_python() is None  # pip may install here: this Python has pip


def test_no_tests_collected_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # a quicker start
    status = run.run_pytest(
        ["-q", "-p", "no:cacheprovider", "tests/test_errors.py", "-k", "no_such_test"]
    )
    assert status == 1


def test_the_suite_runs_once_per_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the C engine, then with INSTANT_PURE_PYTHON=1; the worst status wins."""
    seen: list[tuple[str | None, list[str]]] = []
    statuses = iter([3, 0, 0, 0])

    def fake_run(command: list[str], cwd: Path, env: dict[str, str]) -> Any:
        seen.append((env.get("INSTANT_PURE_PYTHON"), command[3:]))
        return subprocess.CompletedProcess(command, next(statuses))

    monkeypatch.setattr(run.subprocess, "run", fake_run)
    monkeypatch.delenv("INSTANT_PURE_PYTHON", raising=False)
    assert run.run_pytest(["-x", "tests/test_api.py"]) == 3
    assert seen == [(None, ["-x", "tests/test_api.py"]), ("1", ["-x", "tests/test_api.py"])]
    seen.clear()
    monkeypatch.setenv("INSTANT_PURE_PYTHON", "1")  # asked for: only the pure-Python run
    assert run.run_pytest(["-q"]) == 0
    assert seen == [("1", ["-q"])]


def test_the_system_needs_include_a_c_compiler_and_the_python_headers() -> None:
    paths = {need.path: need.debian for need in run.SYSTEM_NEEDS}
    assert paths["/usr/bin/gcc"] == "gcc"
    headers = [p for p in paths if p.endswith("/Python.h")]
    assert headers and paths[headers[0]].startswith("python3.") and Path(headers[0]).is_file()


# -- .ci/run: which interpreters -------------------------------------------------------------


def fake_python(path: Path, version: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)


def ci_list(
    tmp_path: Path, versions: list[str], on_path: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """``bash .ci/run --list`` with a pyenv tree holding ``versions`` and a PATH holding only
    the tools the script uses and ``python3.M`` for each ``on_path`` minor (plus a pyenv
    shims folder, which must be ignored)."""
    pyenv = tmp_path / "pyenv"
    for v in versions:
        fake_python(pyenv / "versions" / v / "bin" / "python3", v)
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in ("dirname", "sort", "tail", "mktemp", "rm", "cat"):
        found = shutil.which(tool)
        assert found, tool
        (tools / tool).symlink_to(found)
    extra = tmp_path / "more-bin"
    for minor in on_path:
        fake_python(extra / f"python3.{minor}", f"3.{minor}.0")
    shims = tmp_path / ".pyenv" / "shims"
    fake_python(shims / "python3.99", "shim")
    env = {"PATH": f"{tools}:{extra}:{shims}", "PYENV_ROOT": str(pyenv), "HOME": str(tmp_path)}
    bash = shutil.which("bash")
    assert bash
    return subprocess.run(
        [bash, str(ROOT / ".ci" / "run"), "--list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@posix_only
def test_ci_runs_every_minor_from_3_10_to_the_newest_with_its_newest_patch(tmp_path: Path) -> None:
    done = ci_list(
        tmp_path,
        [
            "3.9.18",
            "3.10.1",
            "3.10.12",
            "3.10.9",
            "3.11.0",
            "3.12.3",
            "3.12.10",
            "3.13.0t",
            "3.14.0rc1",
        ],
    )
    assert done.returncode == 0, done.stderr
    versions = tmp_path / "pyenv" / "versions"
    assert done.stdout.splitlines() == [
        ".ci/run: CPython 3.10 to 3.12, each in a fresh venv:",
        f"    3.10: {versions}/3.10.12/bin/python3",
        f"    3.11: {versions}/3.11.0/bin/python3",
        f"    3.12: {versions}/3.12.10/bin/python3",
    ]


@posix_only
def test_ci_takes_a_minor_pyenv_lacks_from_path(tmp_path: Path) -> None:
    done = ci_list(tmp_path, ["3.10.4", "3.12.1"], on_path=("11",))
    assert done.returncode == 0, done.stderr
    assert f"    3.11: {tmp_path}/more-bin/python3.11" in done.stdout.splitlines()
    assert "3.99" not in done.stdout  # the shims folder is not searched


@posix_only
def test_ci_fails_when_a_version_between_is_missing_or_none_is_there(tmp_path: Path) -> None:
    gap = ci_list(tmp_path / "gap", ["3.10.4", "3.12.1"])
    assert gap.returncode == 1
    assert "CPython 3.11 is not on this machine, but 3.12 is" in gap.stderr
    none = ci_list(tmp_path / "none", ["3.9.1"])
    assert none.returncode == 1 and "no CPython 3.10 or newer found" in none.stderr


def test_ci_runs_the_readmes_test_command_in_a_fresh_venv_per_version() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert '"$python" -m venv "$venv"' in script
    assert 'cd "$repo" && . "$venv/bin/activate" && python3 tests/run.py' in script


# -- a test that skips under CI fails the run ------------------------------------------------


@pytest.mark.parametrize("ci", ["true", ""])
def test_a_skip_fails_under_ci(tmp_path: Path, ci: str) -> None:
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_make_collect_report, pytest_runtest_makereport\n"
    )
    (tmp_path / "test_some.py").write_text(
        "import pytest\n\n"
        "def test_runs():\n    pass\n\n"
        "def test_skips():\n    pytest.skip('no corpus')\n\n"
        "@pytest.mark.xfail(reason='known', strict=True)\n"
        "def test_known_failure():\n    assert False\n"
    )
    (tmp_path / "test_needs_a_module.py").write_text(
        "import pytest\n\npytest.importorskip('no_such_module_here')\n\n"
        "def test_never_collected():\n    pass\n"
    )
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(ROOT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--continue-on-collection-errors",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if ci:
        assert done.returncode == 1, done.stdout
        assert "skipped under CI (Skipped: no corpus): in CI every test must run" in done.stdout
        assert "test_needs_a_module.py skipped under CI" in done.stdout
        assert "1 failed, 1 passed, 1 xfailed, 1 error" in done.stdout
    else:
        assert done.returncode == 0, done.stdout
        assert "1 passed, 2 skipped, 1 xfailed" in done.stdout
