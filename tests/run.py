"""The test command: install what the tests need into this Python, then run pytest on it.

    python3 tests/run.py [PYTEST ARGS...]

Run it from anywhere, with the Python whose tests you want (a virtual environment: see the
README's "The two commands"). In order, it

1. refuses, with the command to fix it, a Python that pip may not install into: one that the
   system manages (PEP 668, Debian's and Ubuntu's ``/usr/bin/python3``) or one without pip;
2. installs the system packages some tests need when they are missing (:data:`SYSTEM_NEEDS`:
   Debian's ``chromium`` for the browser tests), with ``apt-get`` when it is there and we are
   root, and otherwise stops with a message naming what to install;
3. installs this checkout, editable, with its ``test`` extra (``pip install -e ".[test]"``)
   into the running Python. Editable because pytest imports this checkout (the repository
   root is on ``sys.path``), not a copy in site-packages: setuptools builds the C engine
   (``instant/_core/_speedups.c``) beside its sources only for an editable install, and a
   copy installed elsewhere would leave the checkout's ``instant`` without it;
4. runs ``python -m pytest`` from the repository root with the arguments given, once per
   engine: with the C engine, then again with ``INSTANT_PURE_PYTHON=1`` (the pure-Python
   engine; the tests marked ``c_engine`` are deselected in that run, see tests/conftest.py).
   With ``INSTANT_PURE_PYTHON`` already set, only that second run. It exits with the worst
   status, "no tests collected" (status 5) counting as a failure (status 1).

``.ci/run`` runs exactly this command on every supported CPython, each in a fresh venv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NO_TESTS_COLLECTED = 5  # pytest's exit status when it ran nothing: a failure here


@dataclass(frozen=True)
class SystemNeed:
    """A program some tests need that pip cannot install: the file, and who provides it."""

    path: str  # it is there when this file exists
    debian: str  # the Debian package that installs it
    why: str  # which tests need it


# What the tests need from the system. To add one, add a line: the file that must exist, the
# Debian package that provides it, and the tests that need it.
SYSTEM_NEEDS: tuple[SystemNeed, ...] = (
    SystemNeed("/usr/bin/chromium", "chromium", "the browser tests drive a headless Chromium"),
    SystemNeed(
        "/usr/bin/gcc",
        "gcc",
        "pip builds the C engine with it, tests/test_engine.py with AddressSanitizer too",
    ),
    SystemNeed(
        str(Path(sysconfig.get_paths()["include"]) / "Python.h"),
        f"python{sys.version_info[0]}.{sys.version_info[1]}-dev",
        "the C engine is built against this Python's headers",
    ),
)
ENGINES = (("C", {}), ("pure Python", {"INSTANT_PURE_PYTHON": "1"}))


def say(message: str) -> None:
    print(f"tests/run.py: {message}", flush=True)


def stop(message: str) -> int:
    """Explain on stderr why the tests cannot run; the exit status 2."""
    sys.stderr.write(f"tests/run.py: {message}\n")
    sys.stderr.flush()
    return 2


def _externally_managed() -> bool:
    """Whether pip must not install into this Python (PEP 668), as pip decides it."""
    if sys.prefix != sys.base_prefix:  # a virtual environment is never managed by the system
        return False
    stdlib = sysconfig.get_path("stdlib")
    return bool(stdlib) and (Path(stdlib) / "EXTERNALLY-MANAGED").is_file()


def check_python() -> str | None:
    """Why pip cannot install into the running Python, or None when it can."""
    make_venv = "python3 -m venv .venv && . .venv/bin/activate"
    if _externally_managed():
        return (
            f"{sys.executable} is managed by your system (PEP 668), so pip may not install "
            f"into it. Make a virtual environment first, then run the command again:\n"
            f"    {make_venv}\n    python3 tests/run.py"
        )
    if subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode:
        return (
            f"{sys.executable} has no pip. Make a virtual environment (it comes with pip), "
            f"then run the command again:\n    {make_venv}\n    python3 tests/run.py"
        )
    return None


def install_system_needs(needs: tuple[SystemNeed, ...] = SYSTEM_NEEDS) -> str | None:
    """Install the missing system packages with apt-get; why it could not, or None."""
    missing = [need for need in needs if not Path(need.path).exists()]
    if not missing:
        return None
    packages = sorted({need.debian for need in missing})
    listing = "".join(f"\n    {n.path} (Debian package {n.debian}: {n.why})" for n in missing)
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        how = "apt-get is not on this machine" if apt is None else "we are not root"
        return (
            f"the tests need{listing}\nand {how}, so they cannot be installed here. Install "
            f"them (on Debian or Ubuntu: sudo apt-get install {' '.join(packages)}) and run "
            f"the command again."
        )
    say(f"installing the system packages the tests need: {' '.join(packages)}{listing}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        [apt, "update", "-q"],
        [apt, "install", "-y", "-q", "--no-install-recommends", *packages],
    ):
        done = subprocess.run(command, env=env, stdin=subprocess.DEVNULL)
        if done.returncode:
            return f"`{' '.join(command)}` failed (exit status {done.returncode})"
    still = [n.path for n in missing if not Path(n.path).exists()]
    if still:
        return f"apt-get installed {' '.join(packages)} but {', '.join(still)} is still missing"
    return None


def install_package() -> int:
    """``pip install --editable ".[test]"`` from the repository root (see step 3 above);
    pip's exit status."""
    target = ["--editable", ".[test]"]
    say(f"installing {' '.join(target)} into {sys.prefix} (Python {sys.version.split()[0]})")
    command = [sys.executable, "-m", "pip", "install", "--quiet", *target]
    return subprocess.run(command, cwd=ROOT).returncode


def run_pytest(args: list[str]) -> int:
    """``python -m pytest ARGS`` from the repository root, once per engine (see above); the
    worst status, 'no tests collected' counting as a failure."""
    engines = ENGINES
    if os.environ.get("INSTANT_PURE_PYTHON", "") not in ("", "0"):
        engines = ENGINES[1:]
    worst = 0
    for name, env in engines:
        say(f"pytest with the {name} engine" + (f" ({' '.join(env)}=1)" if env else ""))
        done = subprocess.run(
            [sys.executable, "-m", "pytest", *args], cwd=ROOT, env={**os.environ, **env}
        )
        status = done.returncode
        if status == NO_TESTS_COLLECTED:
            sys.stderr.write("tests/run.py: pytest collected no tests: that is a failure\n")
            status = 1
        worst = worst or status
    return worst


def main(args: list[str]) -> int:
    problem = check_python() or install_system_needs()
    if problem:
        return stop(problem)
    status = install_package()
    if status:
        return stop(f'pip could not install ".[test]" (exit status {status}); see above')
    return run_pytest(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
