"""The built wheel ships the selector grammar and every module: a non-editable install works.

The checkout's ``pyproject.toml``, ``README.md``, ``instant/`` and ``grammar/`` are copied to a
temporary directory (so the build leaves nothing in the repository), installed with pip into
a fresh virtual environment, and ``instant.compile_selector`` is run there by an isolated
interpreter (``-I``: neither the current directory nor ``PYTHONPATH`` is on its path) from a
directory outside the repository, so it can only find the installed package and the grammar
file inside it.

The environment is created with ``--system-site-packages`` (it reuses the installed ``lark``;
pip installs the package with ``--no-deps``), and built without build isolation when the
running environment can build wheels itself (setuptools, and ``wheel`` for setuptools < 70.1,
both in the ``test`` extra), so the test needs no network. Otherwise pip builds in an isolated
environment from its configured index.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CHECK = textwrap.dedent(
    """
    import importlib.resources, json, sys
    import instant
    where = instant.__file__
    assert where.startswith(sys.prefix), (where, sys.prefix)
    shipped = importlib.resources.files("instant").joinpath("grammar").joinpath("selector.lark")
    assert shipped.is_file(), "the wheel does not ship instant/grammar/selector.lark"
    sel = instant.compile_selector("instant:a.[].b?1 & c.$done")
    text = json.dumps({"a": [{"b": "x"}, {"b": "y"}], "c": 3})
    got = [(e["key"], e["value"]) for e in instant.iter_events([text], select=sel) if e["is_complete"]]
    assert got == [("a.[].b", "y"), ("c", 3)], got
    try:
        instant.compile_selector("a..b")
    except instant.SelectorError as e:
        assert e.position == 2, e.position
    else:
        raise AssertionError("no SelectorError")
    # every subpackage is in the wheel (pyproject.toml lists them one by one)
    import pkgutil
    shipped_modules = {m.name for m in pkgutil.walk_packages(instant.__path__, "instant.")}
    for name in EXPECTED_MODULES:
        assert name in shipped_modules, (name, sorted(shipped_modules))
    print("ok", where)
    """
)


def _modules_in_checkout() -> list[str]:
    """Every module of the checkout's instant/ package, dotted (the wheel must have them)."""
    root = REPO / "instant"
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        if "__pycache__" in parts or "examples" in parts:
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return [n for n in names if n != "instant"]


def _can_build_without_isolation() -> bool:
    if importlib.util.find_spec("setuptools") is None:
        return False
    import setuptools

    major, minor = (int(p) for p in setuptools.__version__.split(".")[:2])
    if (major, minor) < (61, 0):  # pyproject.toml [tool.setuptools] support
        return False
    return (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None


def test_non_editable_install_ships_the_grammar(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("instant", "grammar"):
        shutil.copytree(REPO / name, src / name, ignore=ignore)

    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)],
        check=True,
        timeout=60,
    )
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    install = [
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(python),
        "install",
        "--no-deps",
        "--ignore-installed",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--quiet",
    ]
    if _can_build_without_isolation():
        install.append("--no-build-isolation")
    install.append(str(src))
    done = subprocess.run(install, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    check = subprocess.run(
        [str(python), "-I", "-c", f"EXPECTED_MODULES = {_modules_in_checkout()!r}\n" + CHECK],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.startswith("ok "), check.stdout
