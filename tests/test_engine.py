"""The C engine: chosen at import, built by pip when it can be, taken for the common path,
memory-safe (AddressSanitizer) and free of reference leaks.

* ``instant.ENGINE`` is ``"c"`` when the extension is built and ``"python"`` without it or with
  ``INSTANT_PURE_PYTHON`` set (to anything but ``""`` or ``"0"``), read once at import.
* ``pip install`` of a copy of the checkout builds the extension where a compiler is; with
  ``CC=false`` (no working compiler) it says so in one line and installs the pure-Python
  engine, which works.
* The C path really takes the common steps: a document streamed in small chunks never goes
  through the Python ``feed``, and ``Machine._step`` only at the root.
* Private state of the wrong type is refused when it is set (``TypeError``), and anything else
  left on the stack is a ``SystemError`` when the C code takes it, never a crash.
* The differential tests (``tests/test_engine_diff.py``) run once more against the extension
  built with AddressSanitizer, and a loop over many inputs allocates nothing that stays.
"""

from __future__ import annotations

import gc
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path
from typing import Any

import pytest

import instant
from instant._core import parser as core_parser
from tests.conftest import pure_python_run
from tests.nested_env import copy_checkout, make_venv, pip_env

REPO = Path(__file__).resolve().parent.parent
NOTICE = 'building extension "instant._core._speedups" failed'


def engine_in_subprocess(value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "INSTANT_PURE_PYTHON"}
    if value is not None:
        env["INSTANT_PURE_PYTHON"] = value
    return subprocess.run(
        [sys.executable, "-c", "import instant; print(instant.ENGINE)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()


def test_engine_is_on_the_face_and_says_which() -> None:
    assert "ENGINE" in instant.__all__
    assert instant.ENGINE == core_parser.ENGINE
    assert instant.ENGINE == ("python" if pure_python_run() else "c")


@pytest.mark.parametrize(
    "value, engine", [("1", "python"), ("yes", "python"), ("0", "c"), ("", "c"), (None, "c")]
)
def test_instant_pure_python_forces_the_python_engine(value: str | None, engine: str) -> None:
    assert engine_in_subprocess(value) == engine


def test_the_python_engine_is_the_reference_the_c_one_hands_back_to() -> None:
    if instant.ENGINE == "python":
        assert "_feed_python" not in vars(core_parser.Parser)
        assert instant.Parser.feed.__qualname__ == "Parser.feed"
        return
    # the C feed, and the Python one it hands everything else to
    assert instant.Parser.feed is core_parser.speedups.Core.feed  # type: ignore[union-attr]
    assert core_parser.Parser._feed_python.__qualname__ == "Parser.feed"  # type: ignore[attr-defined]


@pytest.mark.c_engine
def test_the_c_path_takes_the_common_steps() -> None:
    """A document streamed in small chunks: the Python feed never runs, Machine._step only
    for the root (where the document begins and ends)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from docs import chunks_1_8, model_document
    finally:
        sys.path.pop(0)
    calls = {"_step": 0, "_feed_python": 0}

    class Counting(instant.Parser):
        def _step(self, *args: Any) -> int:
            calls["_step"] += 1
            return super()._step(*args)

        def _feed_python(self, chunk: str | bytes) -> list[Any]:
            calls["_feed_python"] += 1
            return super()._feed_python(chunk)  # type: ignore[misc, no-any-return]

    text = model_document(16384, seed=4)
    chunks = chunks_1_8(text, seed=4)
    parser = Counting()
    events = [e for c in chunks for e in parser.feed(c)] + parser.close()
    assert events[-1]["key"] == "" and len(events) > 500
    assert calls["_feed_python"] == 0
    assert calls["_step"] <= 4, calls
    # bytes, which the C path does not take: the Python feed, every call
    parser = Counting()
    for c in chunks[:50]:
        parser.feed(c.encode())
    assert calls["_feed_python"] == 50


@pytest.mark.c_engine
@pytest.mark.parametrize(
    "attribute, value",
    [("_stack", 5), ("_text", 3), ("_segs", []), ("_held", None), ("_spath", [])],
)
def test_private_state_of_the_wrong_type_is_refused_and_the_parser_goes_on(
    attribute: str, value: Any
) -> None:
    parser = instant.Parser()
    parser.feed('{"a": [1, "x')
    with pytest.raises(TypeError, match=f"instant: the parser's {attribute} must be"):
        setattr(parser, attribute, value)
    with pytest.raises(TypeError, match="must be"):
        delattr(parser, attribute)
    parser.feed('yz", {"b": 2}]}')
    assert parser.value == {"a": [1, "xyz", {"b": 2}]}


@pytest.mark.c_engine
def test_something_else_on_the_stack_is_an_error_not_a_crash() -> None:
    parser = instant.Parser()
    parser.feed('{"a": [1, "x')
    parser._stack.append(object())
    with pytest.raises(SystemError, match="instant: the parser's _stack"):
        parser.feed('yz", {"b": 2}')


@pytest.mark.c_engine
def test_a_frame_of_the_wrong_type_is_refused() -> None:
    parser = instant.Parser()
    parser.feed('{"a": [1, "x')
    frame = parser._stack[-1]
    with pytest.raises(TypeError, match="instant: a frame's c must be a list, not dict"):
        frame.c = {}  # an array's frame holding a dict
    with pytest.raises(TypeError, match="instant: a frame's name must be a str"):
        frame.name = 1
    with pytest.raises(TypeError, match=r"Frame\(c: dict if obj else list"):
        type(frame)({}, False, "", (), [], "", True)
    parser.feed('yz"]}')
    assert parser.value == {"a": [1, "xyz"]}


# -- installing -----------------------------------------------------------------------------------

CHECK = textwrap.dedent(
    """
    import sys, pathlib, instant
    assert instant.__file__.startswith(sys.prefix), instant.__file__
    built = sorted(p.name for p in pathlib.Path(instant.__file__).parent.rglob("_speedups*")
                   if p.suffix not in (".c", ".pyi"))
    events = list(instant.iter_events(['{"a": [1, "xy', 'z"]}']))
    assert [e["event"] for e in events] == ["done", "delta", "delta", "done", "done", "done"]
    print(instant.ENGINE, built)
    """
)


def install_copy(tmp_path: Path, cc: str | None) -> tuple[str, str]:
    """pip install a copy of the checkout (``CC`` as given); pip's output and the check's."""
    src = copy_checkout(tmp_path / "src")
    python = make_venv(tmp_path / "venv")
    env = pip_env(python)
    if cc is not None:
        env["CC"] = cc
    install = [str(python), "-m", "pip", "install", "--no-deps", "--ignore-installed", "-v"]
    done = subprocess.run(
        [*install, str(src)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "INSTANT_PURE_PYTHON")}
    check = subprocess.run(
        [str(python), "-I", "-c", CHECK],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    return done.stdout + done.stderr, check.stdout.strip()


@pytest.mark.c_engine
def test_pip_install_builds_the_c_engine(tmp_path: Path) -> None:
    log, engine = install_copy(tmp_path, None)
    assert NOTICE not in log
    assert engine.startswith("c ['_speedups.") and engine.endswith(".so']"), engine


def test_pip_install_without_a_compiler_says_so_in_one_line(tmp_path: Path) -> None:
    log, engine = install_copy(tmp_path, "false")
    notices = [line for line in log.splitlines() if NOTICE in line]
    assert len(notices) == 1, log[-3000:]
    assert engine == "python []", engine


# -- memory safety and leaks ---------------------------------------------------------------------


def _libasan() -> str:
    gcc = shutil.which("gcc")
    assert gcc is not None, "the sanitizer run needs gcc (tests/run.py installs it)"
    path = subprocess.run(
        [gcc, "-print-file-name=libasan.so"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert os.path.isabs(path) and os.path.exists(path), f"no libasan.so next to gcc: {path}"
    return os.path.realpath(path)


def _asan_prefix(tree: Path, env: dict[str, str]) -> list[str]:
    """How to start a Python that loads the ASan build: as is, or under ``setarch -R``.

    ASan maps its shadow memory at fixed addresses; with the 32 bits of mmap randomness of
    recent kernels (``vm.mmap_rnd_bits``) gcc 12's runtime can collide with a mapping and die
    or hang at startup, before any of our code runs. Without address randomization it cannot.
    """
    command = [sys.executable, "-c", ASAN_CHECK, str(tree)]
    why = ""
    for prefix in ([], ["setarch", os.uname().machine, "-R"]):
        if prefix and shutil.which("setarch") is None:
            break
        try:
            loaded = subprocess.run(
                [*prefix, *command], cwd=tree, env=env, capture_output=True, text=True, timeout=60
            )
        except subprocess.TimeoutExpired:
            why += f"\n{prefix or 'as is'}: no answer in 60 s"
            continue
        if loaded.returncode == 0:
            return prefix  # this build was loaded, not another
        why += f"\n{prefix or 'as is'}: {(loaded.stdout + loaded.stderr)[-2000:]}"
    raise AssertionError(f"the ASan build does not load:{why}")


ASAN_CHECK = (
    "import sys, instant, instant._core._speedups as s; "
    "assert s.__file__.startswith(sys.argv[1]), s.__file__; assert instant.ENGINE == 'c'"
)


@pytest.mark.c_engine
@pytest.mark.sanitizer
def test_the_differential_run_is_clean_under_address_sanitizer(tmp_path: Path) -> None:
    """The extension built with -fsanitize=address (ASan preloaded into this uninstrumented
    Python, whose allocator is off: PYTHONMALLOC=malloc, so every object freed is seen) runs
    the differential suite (1,000 of its 4,000 random inputs: the run is ~3x slower)."""
    libasan = _libasan()
    tree = tmp_path / "asan"
    tree.mkdir()
    shutil.copytree(
        REPO / "instant", tree / "instant", ignore=shutil.ignore_patterns("*.so", "__pycache__")
    )
    shutil.copytree(REPO / "tests", tree / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(
        REPO / "benchmarks", tree / "benchmarks", ignore=shutil.ignore_patterns("results")
    )
    shutil.copy2(REPO / "pyproject.toml", tree / "pyproject.toml")
    if (REPO / "grammar").is_dir():
        shutil.copytree(REPO / "grammar", tree / "grammar")
    target = tree / "instant" / "_core" / ("_speedups" + sysconfig.get_config_var("EXT_SUFFIX"))
    subprocess.run(
        [
            "gcc",
            "-fsanitize=address",
            "-fno-omit-frame-pointer",
            "-g",
            "-O1",
            "-fPIC",
            "-shared",
            f"-I{sysconfig.get_paths()['include']}",
            str(tree / "instant" / "_core" / "_speedups.c"),
            "-o",
            str(target),
        ],
        check=True,
        timeout=300,
    )
    env = {k: v for k, v in os.environ.items() if k != "INSTANT_PURE_PYTHON"}
    env.update(
        PYTHONPATH=str(tree),
        LD_PRELOAD=libasan,
        # this Python is not built with ASan: its own allocations are not ours to judge
        ASAN_OPTIONS="detect_leaks=0:abort_on_error=1",
        PYTHONMALLOC="malloc",
        CI="true",
    )
    prefix = _asan_prefix(tree, env)
    suite = subprocess.run(
        [
            *prefix,
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-x",
            "-p",
            "no:cacheprovider",
            "tests/test_engine_diff.py",
            "-k",
            "not random_inputs_of_any_seed and not random_inputs[1 and not random_inputs[2"
            " and not random_inputs[3"
            # the long run's harness (forked workers under an address-space cap, which ASan's
            # shadow memory exceeds), not the C code
            " and not long_run_names_what_stopped_it",
        ],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert suite.returncode == 0, (suite.stdout + suite.stderr)[-5000:]
    assert "AddressSanitizer" not in suite.stdout + suite.stderr
    ran = re.search(r"(\d+) passed", suite.stdout)
    assert ran and int(ran.group(1)) > 500, suite.stdout[-2000:]  # the suite ran, not a sliver


@pytest.mark.c_engine
def test_nothing_stays_allocated_after_many_inputs() -> None:
    """Reference leaks: the same inputs fed again and again (through every engine path,
    keeping and dropping events) leave the number of allocated blocks where it was."""
    from tests.fuzz import diff_engines

    inputs = list(diff_engines.inputs(seed=3, count=400))

    def feed_all() -> None:
        for chunks, options, policy, _k in inputs:
            parser = instant.Parser(**options)
            kept: Any = None
            try:
                for chunk in chunks:
                    events = parser.feed(chunk)
                    if policy != "drop":
                        kept = events[-1:]
                parser.close()
            except instant.ParseError as e:
                kept = e.events
            del kept

    # warm: caches and free lists fill up over the first rounds, fewer blocks each round (after
    # 3 rounds the next 5 still added 74-102 on CPython 3.10, after 8 they add 6-26; a leak of
    # one object per event adds thousands in every round)
    for _ in range(8):
        feed_all()
    gc.collect()
    before = sys.getallocatedblocks()
    for _ in range(5):
        feed_all()
    gc.collect()
    grown = sys.getallocatedblocks() - before
    events = 0
    for chunks, options, _p, _k in inputs[:50]:
        parser = instant.Parser(**options)
        try:
            events += sum(len(parser.feed(c)) for c in chunks)
        except instant.ParseError:
            pass
    assert events > 200  # one leaked object per event would be thousands of blocks
    assert grown < 100, f"{grown} blocks more after feeding the same inputs 5 times"
