"""The built wheel ships the selector grammar and every module: a non-editable install works.

The checkout's ``pyproject.toml``, ``README.md``, ``instant/`` and ``grammar/`` are copied to a
temporary directory (so the build leaves nothing in the repository), installed with pip into
a fresh virtual environment, and ``instant.compile_selector`` is run there by an isolated
interpreter (``-I``: neither the current directory nor ``PYTHONPATH`` is on its path) from a
directory outside the repository, so it can only find the installed package and the grammar
file inside it.

The new environment borrows the packages of the one the tests run in (``tests/nested_env.py``:
``lark``, and setuptools and wheel from the ``test`` extra to build without isolation), and
pip runs with no index, so the test needs no network.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

from tests.nested_env import copy_checkout, make_venv, pip_env

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
    # every module is in the wheel (pyproject.toml lists the packages one by one), found as
    # files and imported: pkgutil does not list a folder without __init__.py (instant/_core)
    import importlib, pathlib
    top = pathlib.Path(instant.__file__).parent
    shipped_modules = {
        ".".join(("instant", *p.relative_to(top).with_suffix("").parts)).removesuffix(".__init__")
        for p in top.rglob("*.py")
    }
    for name in EXPECTED_MODULES:
        assert name in shipped_modules, (name, sorted(shipped_modules))
        if name != "instant.__main__":  # running it would start the demo
            assert importlib.import_module(name).__file__.startswith(str(top)), name
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


def test_non_editable_install_ships_the_grammar(tmp_path: Path) -> None:
    src = copy_checkout(tmp_path / "src")
    python = make_venv(tmp_path / "venv")
    install = [str(python), "-m", "pip", "install", "--no-deps", "--ignore-installed", "--quiet"]
    done = subprocess.run(
        [*install, str(src)], env=pip_env(python), capture_output=True, text=True, timeout=240
    )
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
