"""Types for checkers: named partial classes (``python -m instant.models.stubs``) checked by
mypy and pyright in strict mode, and ``instant.Partial[Model]`` through the mypy plugin.

The checkers run as subprocesses on snippets written to a temporary folder: a snippet that
uses the partial types correctly must check clean, and every line marked ``# error`` in a
snippet that misuses them (a field that may be ``None`` used as if it could not) must be
reported, by each checker, and nothing else.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import instant
from instant.models.stubs import main as stubs_main
from instant.models.stubs import render_module
from tests import typed_models

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# The snippets import ``tests/typed_models_partial.py``: the module ``instant stubs
# tests.typed_models`` writes (as a user generates theirs), committed, and required to be what
# the command writes now by test_the_generated_module_is_the_runtime_classes.
PARTIAL = REPO / "tests" / "typed_models_partial.py"

GOOD = """
from __future__ import annotations

import instant
from tests.typed_models import Trip
from tests.typed_models_partial import PartialCoords, PartialNotes, PartialStop, PartialTrip


def city(p: PartialTrip) -> str:
    return p.city or "?"


def first(p: PartialTrip) -> PartialStop | None:
    return p.stops[0] if p.stops else None


def title(p: PartialTrip) -> str | None:
    return p.title.value if p.title.state != "pending" else None


def lat(p: PartialStop) -> float | None:
    where: PartialCoords | None = p.where
    return where.lat if where is not None else None


def notes(p: PartialTrip) -> str | None:
    n: PartialNotes | None = p.notes
    return n.get("text") if n is not None else None


def size(p: PartialTrip) -> int:
    return (p.size[0] or 0) if p.size is not None else 0


def run(chunks: list[str]) -> list[str]:
    out: list[str] = []
    for item in instant.stream_model(Trip, chunks):
        if isinstance(item, PartialTrip):
            out.append(city(item))
            paths: tuple[tuple[str | int, ...], ...] = item.completed_paths
            out.extend(str(p) for p in paths)
        else:
            out.append(item.city)
    return out


def as_partial(p: PartialTrip) -> instant.PartialModel:
    return p


def spelled(p: instant.Partial[Trip]) -> instant.PartialModel:
    # without the plugin its fields are Any; it is a PartialModel all the same
    paths: tuple[tuple[str | int, ...], ...] = p.completed_paths
    print(paths, instant.Partial[Trip](city="x").model_dump())
    return p
"""

BAD = """
from __future__ import annotations

from tests.typed_models_partial import PartialStop, PartialTrip


def city(p: PartialTrip) -> str:
    return p.city  # error


def first_name(p: PartialTrip) -> str | None:
    return p.stops[0].name  # error


def title(p: PartialTrip) -> str:
    return p.title.value  # error


def minutes(p: PartialStop) -> int:
    return p.minutes + 1  # error
"""

PLUGIN = """
from __future__ import annotations

from typing_extensions import reveal_type

import instant
from tests.typed_models import Settings, Stops, Trip


def show(p: instant.Partial[Trip], r: instant.Partial[Stops], s: instant.Partial[Settings]) -> instant.PartialModel:
    reveal_type(s.name)  # instant.models.policy.Streaming[str]
    reveal_type(s.level)  # int | None
    reveal_type(p.city)  # str | None
    reveal_type(p.title)  # instant.models.policy.Streaming[str]
    reveal_type(p.stops)  # list[instant.models.partial.Partial[tests.typed_models.Stop] | None] | None
    reveal_type(p.pace)  # tests.typed_models.Pace | None
    reveal_type(p.tags)  # set[str] | None
    reveal_type(p.size)  # tuple[int | None, int | None] | None
    reveal_type(p.scores)  # dict[str, float | None] | None
    reveal_type(p.next)  # instant.models.partial.Partial[tests.typed_models.Trip] | None
    reveal_type(r.root)  # list[instant.models.partial.Partial[tests.typed_models.Stop] | None] | None
    if p.stops and p.stops[0]:
        reveal_type(p.stops[0].where)  # instant.models.partial.Partial[tests.typed_models.Coords] | None
        reveal_type(p.stops[0].label)  # instant.models.policy.Streaming[str]
        reveal_type(p.stops[0].detours)  # instant.models.policy.Streaming[list[instant.models.partial.Partial[tests.typed_models.Stop] | None]]
    reveal_type(p.completed_paths)  # tuple[tuple[str | int, ...], ...]
    return p


def bad(p: instant.Partial[Trip]) -> str:
    p.nope  # error
    return p.city  # error
"""


GOOD, BAD, PLUGIN = (textwrap.dedent(s).lstrip() for s in (GOOD, BAD, PLUGIN))


def _marked(source: str) -> set[int]:
    return {i for i, line in enumerate(source.splitlines(), 1) if line.endswith("# error")}


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is in the test extra: pip install -e '.[test]'"
    return found


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the generated partial classes, the snippets and both checkers' configs."""
    root = tmp_path_factory.mktemp("typing")
    shutil.copy(PARTIAL, root / "typed_models_partial.py")  # checked as a file of its own too
    for name, source in (("good.py", GOOD), ("bad.py", BAD), ("plugin.py", PLUGIN)):
        (root / name).write_text(source, encoding="utf-8")
    (root / "pyrightconfig.json").write_text(
        '{"typeCheckingMode": "strict", "pythonVersion": "3.%d", "extraPaths": [%s]}'
        % (sys.version_info[1], _json_str(str(REPO))),
        encoding="utf-8",
    )
    return root


def _json_str(s: str) -> str:
    import json

    return json.dumps(s)


def _mypy(project: Path, files: list[str], plugin: bool = False) -> dict[int, list[str]]:
    config = project / ("mypy_plugin.ini" if plugin else "mypy.ini")
    config.write_text(
        "[mypy]\nstrict = True\n"
        + f"mypy_path = {REPO}\n"
        + f"cache_dir = {project / '.mypy_cache'}\n"
        + ("plugins = instant.models.mypy\n" if plugin else ""),
        encoding="utf-8",
    )
    run = subprocess.run(
        [_tool("mypy"), "--config-file", str(config), "--no-error-summary", *files],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    return _by_line(
        run.stdout,
        run.stderr,
        r"^(?P<file>[^:\s]+):(?P<line>\d+): (?P<kind>error|note): (?P<msg>.*)$",
    )


def _pyright(project: Path, files: list[str]) -> dict[int, list[str]]:
    run = subprocess.run(
        [_tool("basedpyright"), "--pythonpath", sys.executable, *files],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return _by_line(
        run.stdout,
        run.stderr,
        r"^\s+(?P<file>\S+?):(?P<line>\d+):\d+ - (?P<kind>error|warning): (?P<msg>.*)$",
    )


def _by_line(stdout: str, stderr: str, pattern: str) -> dict[int, list[str]]:
    """{(file, line): messages} of the errors (and mypy's notes) in a checker's output."""
    found: dict[int, list[str]] = {}
    rx = re.compile(pattern)
    for line in stdout.splitlines():
        m = rx.match(line)
        if m:
            key = (Path(m["file"]).name, int(m["line"]))
            found.setdefault(key, []).append(f"{m['kind']}: {m['msg']}")  # type: ignore[arg-type]
    assert "Traceback" not in stderr and "INTERNAL ERROR" not in stdout + stderr, stdout + stderr
    return found


def _errors(found: dict[Any, list[str]], name: str) -> set[int]:
    return {
        line
        for (file, line), msgs in found.items()
        if file == name and any(m.startswith("error") for m in msgs)
    }


def test_the_generated_module_is_the_runtime_classes(project: Path) -> None:
    source = PARTIAL.read_text(encoding="utf-8")
    assert source == render_module("tests.typed_models")
    assert stubs_main(["tests.typed_models", "-o", str(PARTIAL), "--check"]) == 0
    namespace: dict[str, Any] = {}
    exec(compile(source, "typed_models_partial.py", "exec"), namespace)
    assert namespace["PartialTrip"] is instant.Partial[typed_models.Trip]
    assert namespace["PartialNotes"] is instant.Partial[typed_models.Notes]
    assert namespace["PartialStops"] is instant.Partial[typed_models.Stops]
    assert "class PartialTrip(instant.PartialModel):" in source
    assert "    title: instant.Streaming[str] = instant.Streaming()" in source
    assert "    stops: list[PartialStop | None] | None = None" in source
    assert "    name: instant.Streaming[str] = instant.Streaming()" in source  # Settings' default
    assert (
        "    detours: instant.Streaming[list[PartialStop | None]] = instant.Streaming()" in source
    )
    stale = project / "stale.py"
    stale.write_text(source + "\n", encoding="utf-8")
    assert stubs_main(["tests.typed_models", "-o", str(stale), "--check"]) == 1


def test_mypy_strict_reads_the_generated_partial_classes(project: Path) -> None:
    found = _mypy(project, ["good.py", "bad.py", "typed_models_partial.py"])
    assert _errors(found, "good.py") == set(), found
    assert _errors(found, "typed_models_partial.py") == set(), found
    assert _errors(found, "bad.py") == _marked(BAD), found


def test_pyright_strict_reads_the_generated_partial_classes(project: Path) -> None:
    found = _pyright(project, ["good.py", "bad.py", "typed_models_partial.py"])
    assert _errors(found, "good.py") == set(), found
    assert _errors(found, "typed_models_partial.py") == set(), found
    assert _errors(found, "bad.py") == _marked(BAD), found


def test_mypy_plugin_types_partial_of_model(project: Path) -> None:
    found = _mypy(project, ["plugin.py"], plugin=True)
    source = PLUGIN
    assert _errors(found, "plugin.py") == _marked(source), found
    for i, line in enumerate(source.splitlines(), 1):
        if "reveal_type(" in line:
            want = line.split("# ", 1)[1]
            assert found.get(("plugin.py", i)) == [f'note: Revealed type is "{want}"'], (
                i,
                found.get(("plugin.py", i)),
            )
