"""The package's shape: the import graph follows the data flow, the face shows only the API.

* No import circle anywhere in ``instant`` (imports inside functions and ``TYPE_CHECKING``
  blocks count: the first layout hid a circle behind one), and no module imports a layer
  above its own (the ranks below are the README's "How it works", left to right). The C
  extension (``_core/_speedups.c``) is a module too: its imports are the modules its source
  names to ``PyImport_ImportModule`` (none: the Python engine hands it what it needs).
* ``dir(instant)`` is ``__all__``; everything in ``__all__`` is importable, typed, public.
* The first layout's module paths still import, with a ``DeprecationWarning``.
* mypy (strict) rejects a misspelt option at every entry point, and accepts the right one.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import instant

PACKAGE = Path(instant.__file__).resolve().parent

# The layers, bottom first. A module may import only modules of its own rank or lower
# (and, with the cycle check, never back up a chain of equal ranks).
RANKS = {
    "instant._version": 0,
    "instant._moved": 0,
    "instant.errors": 0,
    "instant.events": 1,
    "instant.selector": 2,
    "instant.options": 3,
    "instant.strategies": 3,
    "instant._core._speedups": 10,
    "instant._core.scanner": 10,
    "instant._core.state": 11,
    "instant._core.bulk": 12,
    "instant._core.machine": 13,
    "instant._core.fastloop": 14,
    "instant._core.parser": 15,
    "instant._core": 16,
    "instant.streams.providers": 19,
    "instant.streams.wire": 19,
    "instant.streams.chunks": 20,
    "instant.streams._pump": 20,
    "instant.streams.parser": 21,
    "instant.streams": 22,
    "instant.models": 30,
    "instant.compat": 30,
    "instant.integrations": 30,
    "instant.relay": 30,
    "instant.cli": 40,
    "instant.__main__": 40,
}
FACE = "instant"  # the package itself: nothing inside it may import it


def modules() -> dict[str, Path]:
    found = {}
    for path in [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.c")]:
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def rank(module: str) -> int:
    best, length = None, -1
    for prefix, r in RANKS.items():
        if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > length:
            best, length = r, len(prefix)
    assert best is not None, f"{module} has no layer in tests/test_layout.py RANKS: add it"
    return best


def imports(module: str, path: Path, known: set[str]) -> set[str]:
    """Every instant module ``module`` imports, wherever the import statement is."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = set()
    if path.suffix == ".c":  # a C extension imports what it asks PyImport_ImportModule for
        text = path.read_text(encoding="utf-8")
        return {m for m in re.findall(r'PyImport_ImportModule\(\s*"([\w.]+)"', text) if m in known}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # `from pkg import mod` imports pkg.mod; `from mod import name` imports mod
            names = [
                f"{stem}.{a.name}" if f"{stem}.{a.name}" in known else stem for a in node.names
            ]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                out.add(name)
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {m: imports(m, p, known) for m, p in mods.items()}


def test_no_module_imports_a_layer_above_its_own() -> None:
    wrong = []
    for module, deps in graph().items():
        if module == FACE:
            continue
        for dep in deps:
            if dep == FACE:
                wrong.append(f"{module} imports the face `instant` (import the module instead)")
            elif rank(dep) > rank(module):
                wrong.append(f"{module} (layer {rank(module)}) imports {dep} (layer {rank(dep)})")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_circle() -> None:
    g = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(g.get(m, ())):
            if state.get(d) == 1:
                cycle = stack[stack.index(d) :] + [d]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m)


def test_the_graph_sees_imports_inside_functions() -> None:
    """The check itself: a function-level import is an edge (the old bulk <-> machine)."""
    g = graph()
    assert "instant.models" in g["instant"]  # under TYPE_CHECKING and inside __getattr__
    assert "instant.cli.demo" in g["instant.cli.main"]  # imported inside main()


def test_the_c_extension_has_its_place_in_the_graph() -> None:
    g = graph()
    assert g["instant._core._speedups"] == set()  # it imports nothing of instant
    assert "instant._core._speedups" in g["instant._core.state"]  # State derives from its Core


def test_dir_is_the_public_api() -> None:
    assert dir(instant) == sorted(instant.__all__)
    assert "ENGINE" in dir(instant) and instant.ENGINE in ("c", "python")
    for name in instant.__all__:
        assert not name.startswith("_") or name == "__version__"
        assert getattr(instant, name) is not None
    for hidden in ("Any", "TYPE_CHECKING", "annotations", "_LAZY", "typing"):
        assert hidden not in dir(instant)


def test_lazy_model_names_load_on_first_use() -> None:
    code = (
        "import sys, instant\n"
        "assert 'pydantic' not in sys.modules, 'import instant loaded pydantic'\n"
        "assert 'stream_model' in dir(instant)\n"
        "instant.Partial\n"
        "assert 'pydantic' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "old, name",
    [
        ("instant.parser", "Parser"),
        ("instant.machine", "Machine"),
        ("instant.fastloop", "FastLoop"),
        ("instant.bulk", "take"),
        ("instant.scanner", "scan_string"),
        ("instant.chunks", "ChunkReader"),
        ("instant.generators", "generator"),
        ("instant.api", "parse"),
        ("instant.demo", "run_demo"),
    ],
)
def test_old_module_paths_import_with_a_warning(old: str, name: str) -> None:
    code = (
        "import warnings\n"
        "warnings.simplefilter('error')\n"
        "try:\n"
        f"    import {old}\n"
        "except DeprecationWarning as w:\n"
        "    print(w)\n"
        "warnings.simplefilter('ignore')\n"
        f"import {old} as m\n"
        f"print(hasattr(m, {name!r}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    new = importlib.import_module("instant._moved").MOVED[old]
    assert out[0].startswith(f"{old} is now {new}")
    assert out[1] == "True"


def test_old_path_warning_points_at_the_importer() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sys.modules.pop("instant.api", None)
        import instant.api  # noqa: F401

    assert [w.category for w in caught] == [DeprecationWarning]
    assert caught[0].filename == __file__


MYPY_SNIPPET = """\
import instant
from pydantic import BaseModel

class M(BaseModel):
    a: int = 0

instant.parse("{}", strcit=True)
instant.Parser(strcit=True)
instant.iter_events(["{}"], strcit=True)
instant.stream(["{}"], strcit=True)
instant.generator(["{}"], strcit=True)
instant.complete_generator(["{}"], strcit=True)
instant.instant_keys_generator(["{}"], "a", strcit=True)
instant.stream_model(M, "{}", strcit=True)
instant.astream_model(M, "{}", strcit=True)
instant.parse("{}", max_depth="10")
"""

MYPY_GOOD = """\
from collections.abc import AsyncIterator, Iterator
import instant

async def agen() -> AsyncIterator[str]:
    yield '{"a": 1}'

value = instant.parse("{}", strict=True, max_depth=10, expect="object")
events: Iterator[instant.Event] = instant.iter_events(["{}"], select="a")
sync_pairs: Iterator[tuple[str, object]] = instant.generator(["{}"], multiple=True)
async_pairs: AsyncIterator[tuple[str, object]] = instant.generator(agen(), snapshots=False)
stream: instant.EventStream = instant.stream(["{}"])
astream: instant.AsyncEventStream = instant.stream(agen())
options: instant.ParserOptions = {"strict": True}
parser = instant.Parser(**options)
"""


def run_mypy(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(text, encoding="utf-8")
    env = {**os.environ, "MYPYPATH": str(PACKAGE.parent)}
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
            "--disable-error-code",
            "unused-coroutine",
            str(snippet),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )


def test_mypy_rejects_an_unknown_option_everywhere(tmp_path: Path) -> None:
    result = run_mypy(tmp_path, MYPY_SNIPPET)
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    bad_lines = {int(line.split(":")[1]) for line in errors}
    expected = {i + 1 for i, line in enumerate(MYPY_SNIPPET.splitlines()) if "instant." in line}
    assert bad_lines == expected, result.stdout
    assert sum('"strcit"' in line for line in errors) >= len(expected) - 1, result.stdout


def test_mypy_accepts_the_right_options(tmp_path: Path) -> None:
    result = run_mypy(tmp_path, MYPY_GOOD)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_snippet_fails_at_run_time_too() -> None:
    from pydantic import BaseModel

    class M(BaseModel):
        a: int = 0

    for line in MYPY_SNIPPET.splitlines():
        if not line.startswith("instant."):
            continue
        with pytest.raises(TypeError, match=r"strcit|max_depth must be an int"):
            eval(line, {"instant": instant, "M": M})  # noqa: S307 - our own test snippet


def test_readme_layout_names_every_folder() -> None:
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## How it works") :]
    for folder in sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()):
        if folder != "grammar":
            assert f"{folder}/" in section, f"README 'How it works' does not mention {folder}/"
