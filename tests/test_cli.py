"""The ``instant`` command, run as a user runs it: ``python -m instant`` in a subprocess.

The slow-pipe tests write a reply in stages and check that each stage's events come out
before the next stage is written (the command reads what is available, not to end of input).
The demo runs with ``--no-delay`` through a pipe and under a pseudo-terminal (rich's live view).
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import instant
from instant import cli
from instant.cli.demo import load_reply, tokens
from instant.cli.main import BROKEN_PIPE
from instant.cli.output import error_report

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60
posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX pipes and pty")


def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m instant ARGS`` from the checkout, text in and out."""
    return subprocess.run(
        [sys.executable, "-m", "instant", *args],
        input=input,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=TIMEOUT,
        cwd=ROOT,
    )


def events_of(text: str, **options: Any) -> list[dict[str, Any]]:
    """What ``--format jsonl`` must print for ``text``: the events as JSON, less the
    quadratic fields (complete_value everywhere, value on deltas)."""
    out = []
    for e in instant.iter_events([text], **options):
        rec = {k: v for k, v in e.items() if k != "complete_value"}
        if e["event"] == "delta":
            del rec["value"]
        out.append(json.loads(json.dumps(rec)))
    return out


def lines(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines()]


class Reader:
    """Reads a process's stdout lines in a thread, so a test can wait with a timeout."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.lines: queue.Queue[bytes] = queue.Queue()
        assert proc.stdout is not None
        self.thread = threading.Thread(target=self._pump, args=(proc.stdout,), daemon=True)
        self.thread.start()

    def _pump(self, stream: Any) -> None:
        for line in iter(stream.readline, b""):
            self.lines.put(line)
        self.lines.put(b"")  # end of output

    def take(self, n: int, timeout: float = 20) -> list[Any]:
        """The next ``n`` lines as JSON; fails if they do not come within ``timeout``."""
        deadline = time.monotonic() + timeout
        got = []
        for _ in range(n):
            line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            assert line, f"output ended after {got}"
            got.append(json.loads(line))
        return got

    def nothing_more(self, wait: float = 0.3) -> bool:
        try:
            self.lines.get(timeout=wait)
        except queue.Empty:
            return True
        return False


# -- instant parse: reading as the input arrives -------------------------------------------


@posix_only
def test_events_come_out_before_the_writer_finishes() -> None:
    """A reply written in three stages through a pipe: each stage's events are printed
    while the writer still holds the pipe open (nothing waits for EOF or a full buffer)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "instant", "parse", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdin is not None
    try:
        reader = Reader(proc)
        proc.stdin.write(b'Sure! ```json\n{"answer": "The capital')
        proc.stdin.flush()
        first = reader.take(1)
        assert first == [
            {
                "key": "answer",
                "indexes": [],
                "path": ["answer"],
                "event": "delta",
                "delta": "The capital",
                "is_complete": False,
            }
        ]
        assert reader.nothing_more() and proc.poll() is None

        proc.stdin.write(b' of France is Paris.", "items": [{"n": 1}, {"n": 2')
        proc.stdin.flush()
        second = [(e["event"], e["key"], e.get("value", e["delta"])) for e in reader.take(4)]
        assert second == [
            ("delta", "answer", " of France is Paris."),
            ("done", "answer", "The capital of France is Paris."),
            ("done", "items.[].n", 1),
            ("done", "items.[]", {"n": 1}),
        ]
        assert reader.nothing_more() and proc.poll() is None  # "2" may yet become "23"

        proc.stdin.write(b"}]}\n```\nHope this helps!")
        proc.stdin.flush()
        third = [(e["event"], e["key"]) for e in reader.take(4)]
        assert third == [
            ("done", "items.[].n"),
            ("done", "items.[]"),
            ("done", "items"),
            ("done", ""),
        ]
        assert proc.poll() is None
        proc.stdin.close()
        assert proc.wait(TIMEOUT) == 0
        assert reader.take(0) == [] and reader.lines.get(timeout=TIMEOUT) == b""
    finally:
        proc.kill()
        proc.wait(TIMEOUT)


@posix_only
def test_values_of_each_document_come_out_as_each_completes() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "instant", "parse", "--multiple", "--format", "values"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdin is not None
    try:
        reader = Reader(proc)
        proc.stdin.write(b'{"id": 1, "tags": ["a"]}\n{"id": 2, "ta')
        proc.stdin.flush()
        assert reader.take(1) == [{"id": 1, "tags": ["a"]}]
        assert reader.nothing_more() and proc.poll() is None
        proc.stdin.write(b'gs": []}\n')
        proc.stdin.close()
        assert reader.take(1) == [{"id": 2, "tags": []}]
        assert proc.wait(TIMEOUT) == 0
    finally:
        proc.kill()
        proc.wait(TIMEOUT)


# -- instant parse: output formats ------------------------------------------------------------

REPLY = (
    "<think>They want JSON.</think>\nHere you go:\n```json\n"
    '{"title": "Lisbon", "stops": [{"name": "Belém", "tags": ["view"]}, '
    '{"name": "Alfama", "tags": []},], // a comment\n "ok": true}\n```\nBye!'
)


def test_jsonl_is_every_event_without_the_quadratic_fields() -> None:
    result = run("parse", input=REPLY)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert lines(result.stdout) == events_of(REPLY)


def test_jsonl_full_has_complete_value_and_the_text_so_far() -> None:
    result = run("parse", "--full", "-", input=REPLY)
    assert result.returncode == 0
    expected = [json.loads(json.dumps(e)) for e in instant.iter_events([REPLY])]
    assert lines(result.stdout) == expected


def test_pretty_lines() -> None:
    result = run("parse", "--format", "pretty", input=REPLY)
    assert result.returncode == 0
    out = result.stdout.splitlines()
    assert out[0] == 'delta  title  "Lisbon"'
    assert 'done   stops.[].tags.[]  [0, 0]  "view"' in out
    assert 'done   stops.[]  [1]  {"name": "Alfama", "tags": []}' in out
    assert out[-1].startswith('done   (root)  {"title": "Lisbon", ')
    long = run("parse", "-f", "pretty", input=json.dumps({"t": "x" * 500})).stdout
    assert max(len(line) for line in long.splitlines()) < 130  # long values are shortened


def test_pretty_with_multiple_shows_the_document() -> None:
    result = run("parse", "-m", "-f", "pretty", input='{"a": 1}\n[2]\n')
    assert result.stdout.splitlines() == [
        "done   #0  a  1",
        'done   #0  (root)  {"a": 1}',
        "done   #1  []  [0]  2",
        "done   #1  (root)  [2]",
    ]


def test_values_with_and_without_select() -> None:
    assert lines(run("parse", "-f", "values", input=REPLY).stdout) == [instant.parse(REPLY)]
    picked = run("parse", "-f", "values", "--select", "stops.[].name", input=REPLY)
    assert lines(picked.stdout) == ["Belém", "Alfama"]
    jsonl = run("parse", "-s", "stops.[].name.$done?1", input=REPLY)
    assert [(e["key"], e["indexes"], e["value"]) for e in lines(jsonl.stdout)] == [
        ("stops.[].name", [1], "Alfama")
    ]


def test_file_argument_strict_and_expect(tmp_path: Path) -> None:
    path = tmp_path / "reply.json"
    path.write_text('{"a": [1, 2.5, "é"]}', encoding="utf-8")
    result = run("parse", str(path), "--strict", "--expect", "object", "-f", "values")
    assert (result.returncode, lines(result.stdout)) == (0, [{"a": [1, 2.5, "é"]}])
    inner = run("parse", str(path), "--expect", "array", "-f", "values")  # lenient: searches
    assert lines(inner.stdout) == [[1, 2.5, "é"]]
    wrong = run("parse", str(path), "--strict", "--expect", "array")
    assert wrong.returncode == 1 and wrong.stderr.startswith(f"{path}:1:1: ")


def test_bytes_are_read_as_utf8_and_lone_surrogates_stay_valid_json() -> None:
    text = '{"s": "caf\u00e9 \u2615 \U0001f600", "lone": "\\ud800"}'
    result = subprocess.run(
        [sys.executable, "-m", "instant", "parse", "-f", "values"],
        input=text.encode("utf-8"),
        capture_output=True,
        timeout=TIMEOUT,
        cwd=ROOT,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},  # our output is UTF-8 regardless
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode("utf-8") == '{"s": "café ☕ 😀", "lone": "\\ud800"}\n'
    assert json.loads(result.stdout) == {"s": "café ☕ 😀", "lone": "\ud800"}


def test_a_truncated_reply_is_completed_with_a_warning() -> None:
    result = run("parse", "-f", "values", input='{"answer": "Par')
    assert result.returncode == 0
    assert lines(result.stdout) == [{"answer": "Par"}]
    assert "truncated" in result.stderr and result.stderr.startswith("instant parse: <stdin>:")


# -- errors and exit status ---------------------------------------------------------------------


def test_parse_error_format_and_the_events_before_it() -> None:
    bad = '{"name": "Ada", "age": 36 "city": "London"}'
    result = run("parse", input=bad)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "<stdin>:1:27: expected ',' or '}' after an object member, found '\"'",
        "    " + bad,
        "    " + " " * 26 + "^",
    ]
    assert [(e["event"], e["key"]) for e in lines(result.stdout)] == [
        ("delta", "name"),
        ("done", "name"),
        ("done", "age"),
    ]


def test_parse_error_keeps_its_pointer_through_pickling() -> None:
    """The caret position (``pointer``) is an attribute the CLI draws from; copies keep it."""
    import pickle

    with pytest.raises(instant.ParseError) as info:
        instant.parse("[1, 2 3]", strict=True)
    err = info.value
    assert err.excerpt[err.pointer] == "3"
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.pointer, str(copy)) == (err.pointer, str(err))
    assert error_report("x.json", err) == (
        "x.json:1:7: expected ',' or ']' after an array item, found '3'\n"
        "    [1, 2 3]\n"
        "          ^\n"
    )


def test_no_json_at_all() -> None:
    result = run("parse", input="hello there")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "<stdin>:1:12: no JSON value found in the input",
        "    hello there",
        "               ^",
    ]


def test_error_on_a_later_line_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "a": 1,\n\t"b": [1, 2 3]\n}', encoding="utf-8")
    result = run("parse", str(path), "--format", "pretty")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{path}:3:13: expected ',' or ']' after an array item, found '3'",
        '     "b": [1, 2 3]',  # the tab is shown as a space, so the caret lines up
        "    " + " " * 12 + "^",
    ]
    assert result.stdout.splitlines()[0] == "done   a  1"


def test_error_in_a_long_line_shows_the_part_around_it() -> None:
    bad = '{"text": "' + "x" * 80 + '", "n": 1 2}'
    result = run("parse", "--strict", input=bad)
    assert result.returncode == 1
    head, shown, caret = result.stderr.splitlines()
    assert head == "<stdin>:1:101: expected ',' or '}' after an object member, found '2'"
    assert shown.startswith("    …") and shown.endswith('"n": 1 2}')
    assert shown[caret.index("^")] == "2"


def test_bad_selector_is_a_usage_error_pointing_into_the_expression() -> None:
    result = run("parse", "--select", "items.[].name?_,0", input="{}")
    assert result.returncode == 2
    head, expr, caret = result.stderr.splitlines()
    assert head.startswith("instant parse: bad --select expression: unexpected index spec '0'")
    assert expr == "    items.[].name?_,0"
    assert caret == "    " + " " * 16 + "^"
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["parse", "--bogus"],
        ["parse", "--format", "xml"],
        ["parse", "a", "b"],
        ["frobnicate"],
        ["demo", "--speed", "0"],
        ["demo", "--speed", "fast"],
    ],
)
def test_bad_usage_exits_2(args: list[str]) -> None:
    result = run(*args, input="")
    assert result.returncode == 2
    assert "usage: instant" in result.stderr


def test_missing_file_and_directory_exit_2(tmp_path: Path) -> None:
    missing = run("parse", str(tmp_path / "nope.json"))
    assert missing.returncode == 2
    assert (
        missing.stderr
        == f"instant parse: cannot read {tmp_path / 'nope.json'}: No such file or directory\n"
    )
    folder = run("parse", str(tmp_path))
    assert folder.returncode == 2 and "is a directory" in folder.stderr.lower()


def test_help_documents_everything_with_examples() -> None:
    top = run("--help")
    assert top.returncode == 0
    for word in ("parse", "demo", "examples:", "exit status", "instant parse reply.txt"):
        assert word in top.stdout
    sub = run("parse", "--help").stdout
    for word in (
        "--select",
        "--strict",
        "--multiple",
        "--format",
        "jsonl",
        "pretty",
        "values",
        "--full",
        "FILE:LINE:COLUMN",
        "examples:",
        "<stdin>",
    ):
        assert word in sub
    demo = run("demo", "--help").stdout
    for word in ("--speed", "--no-delay", "--plain", "--raw", "rich"):
        assert word in demo
    assert run("--version").stdout.strip() == f"instant {instant.__version__}"


@posix_only
def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path: Path) -> None:
    """`instant parse big.json | head -1`: exit 141 (as SIGPIPE), no traceback."""
    path = tmp_path / "big.json"
    path.write_text(json.dumps(list(range(100_000))), encoding="utf-8")  # ~7 MB of events
    proc = subprocess.Popen(
        [sys.executable, "-m", "instant", "parse", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert json.loads(proc.stdout.readline())["value"] == 0
    proc.stdout.close()
    try:
        assert proc.wait(TIMEOUT) == BROKEN_PIPE
        assert proc.stderr.read() == b""
    finally:
        proc.kill()
        proc.wait(TIMEOUT)
        proc.stderr.close()


# -- the demo -----------------------------------------------------------------------------------


def test_demo_without_a_tty_prints_event_lines_and_the_summary() -> None:
    result = run("demo", "--no-delay")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"^chunk +\d+  delta  answer +\" you\"$", out, re.M)
    assert re.search(r'^chunk +\d+  done   items.\[\].name +"Rancilio Silvia"$', out, re.M)
    pieces = tokens(load_reply())
    summary = re.search(
        r"^(\d+) events from (\d+) chunks \(([\d,]+) characters\) in .* events/s, "
        r".* characters/s",
        out,
        re.M,
    )
    assert summary, out[-500:]
    events = list(instant.iter_events(pieces))
    assert summary.groups() == (str(len(events)), str(len(pieces)), f"{len(load_reply()):,}")
    final = out.split("final value:\n", 1)[1]
    assert json.loads(final) == instant.parse(load_reply())
    assert result.stderr == ""


def test_demo_raw_is_the_reply_itself_and_parses_back() -> None:
    raw = run("demo", "--raw", "--no-delay")
    assert raw.returncode == 0 and raw.stdout == load_reply()
    parsed = run("parse", "-f", "values", input=raw.stdout)
    assert lines(parsed.stdout)[0]["items"][2]["specs"]["warm_up_s"] == 600


def test_the_bundled_reply_is_a_realistic_model_answer() -> None:
    reply = load_reply()
    assert "```json" in reply and not reply.startswith("{")  # prose first, then a fence
    value = instant.parse(reply)
    assert len(value["answer"]) > 300  # a long streaming text field
    assert len(value["items"]) >= 3 and all(isinstance(i["specs"], dict) for i in value["items"])
    pieces = tokens(reply)
    assert "".join(pieces) == reply and max(map(len, pieces)) <= 16  # token-sized, lossless
    assert len(pieces) > 400


def test_bare_command_runs_the_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    import instant.cli.demo

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(instant.cli.demo, "run_demo", lambda *a, **kw: calls.append((a, kw)) or 0)
    assert cli.main([]) == 0
    assert len(calls) == 1 and calls[0][1] == {}  # defaults: model speed, live view on a tty


def run_in_pty(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run ``python -m instant ARGS`` on a pseudo-terminal; (exit status, all it wrote)."""
    import fcntl
    import pty
    import select
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 100, 0, 0))
    environ = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "50"}
    environ.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "instant", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=ROOT,
        env={**environ, **(env or {})},
        close_fds=True,
    )
    os.close(slave)
    output = b""
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            output += data
        status = proc.wait(TIMEOUT)
    finally:
        proc.kill()
        proc.wait(TIMEOUT)
        os.close(master)
    return status, output.decode("utf-8", "replace")


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@posix_only
def test_demo_on_a_terminal_draws_the_live_view() -> None:
    status, out = run_in_pty("demo", "--no-delay")
    assert status == 0, out[-2000:]
    assert "\x1b[?25l" in out  # rich's live display hides the cursor while it draws
    text = ANSI.sub("", out)
    assert "instant demo" in text and "Breville Bambino Plus" in text
    assert "verdict: A machine for decades, if you also buy a good grinder." in text
    assert re.search(r"\d+ events from \d+ chunks .* events/s", text.replace("\r\n", " "))
    assert not re.search(r"^chunk +\d+  delta", text, re.M)  # not the plain lines


@posix_only
def test_demo_on_a_terminal_live_view_at_speed() -> None:
    """With delays (at 20× speed) the view is redrawn several times while the reply streams."""
    status, out = run_in_pty("demo", "--speed", "20")
    assert status == 0
    assert out.count("receiving…") >= 2  # frames drawn while the items were arriving


@posix_only
def test_demo_on_a_terminal_plain_and_without_rich(tmp_path: Path) -> None:
    status, out = run_in_pty("demo", "--no-delay", "--plain")
    assert status == 0 and re.search(r"^chunk +\d+  delta  answer", out, re.M)
    assert "install rich" not in out
    fake = tmp_path / "rich"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('no rich here')\n")
    status, out = run_in_pty("demo", "--no-delay", env={"PYTHONPATH": str(tmp_path)})
    assert status == 0
    assert "instant demo: install rich for the live view" in out
    assert re.search(r"^chunk +\d+  done   title", out, re.M)
    assert "events from" in out


def test_importing_instant_and_its_cli_does_not_import_rich() -> None:
    code = "import sys, instant, instant.cli, instant.cli.demo; print('rich' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT
    )
    assert result.stdout.strip() == "False", result.stderr


# -- the console script -------------------------------------------------------------------------


def test_pyproject_declares_the_instant_script_and_the_cli_extra() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    if sys.version_info >= (3, 11):
        import tomllib

        project = tomllib.loads(text)["project"]
        assert project["scripts"] == {"instant": "instant.cli:main"}
        assert any(r.startswith("rich") for r in project["optional-dependencies"]["cli"])
        assert any(r.startswith("rich") for r in project["optional-dependencies"]["test"])
    else:
        assert re.search(r'^\[project\.scripts\]\ninstant = "instant\.cli:main"$', text, re.M)


def test_installed_entry_point_is_cli_main() -> None:
    """CI installs the package from this checkout (`pip install ".[test]"`), script included;
    an install from before the command existed has no script: reinstall to run it."""
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group="console_scripts") if ep.name == "instant"]
    assert found, "instant-json is installed without its console script: reinstall it"
    assert found[0].value == "instant.cli:main"
    assert found[0].load() is cli.main


# -- instant parse without --multiple: the documents it ignores are counted -------------------


def ignored_line(n: int, at_least: bool = False) -> str:
    one = n == 1
    return (
        f"instant parse: <stdin>: {'at least ' if at_least else ''}{n} more JSON "
        f"{'document' if one else 'documents'} followed the first and "
        f"{'was' if one else 'were'} ignored{' (with an error in the last)' if at_least else ''}"
        "; pass --multiple to parse every document\n"
    )


@pytest.mark.parametrize(
    ("text", "more"),
    [
        ('{"a": 1}\n{"a": 2}\n{"a": 3}\n', 2),  # JSON Lines
        ('Sure: {"a": 1}\nand the other one: [2]. Hope it helps!', 1),
        ('```json\n{"a": 1}\n```\nHope this helps!', 0),  # prose after it is no document
        ("[1] 2 3", 2),
        ('{"a": 1} // first\n{"b": 2}', 1),
        ('{"a": 1} {"b": ', 1),  # cut off: --multiple would complete it
    ],
)
def test_documents_after_the_first_are_counted_on_stderr(text: str, more: int) -> None:
    result = run("parse", "-f", "values", input=text)
    assert result.returncode == 0
    assert lines(result.stdout) == [instant.parse(text)]  # the first document, as before
    assert result.stderr == (ignored_line(more) if more else "")
    every = run("parse", "--multiple", "-f", "values", input=text)
    assert len(lines(every.stdout)) == 1 + more  # the count is what --multiple parses
    assert "ignored" not in every.stderr


def test_an_error_in_an_ignored_document_is_counted_as_at_least() -> None:
    text = '{"a": 1}\n{"b": 2}\n{"c": 1 "d": 2}\n{"e": 3}\n'
    result = run("parse", "-f", "values", input=text)
    assert (result.returncode, lines(result.stdout)) == (0, [{"a": 1}])
    assert result.stderr == ignored_line(2, at_least=True)
    assert run("parse", "--multiple", input=text).returncode == 1  # where --multiple fails


def test_strict_rejects_what_follows_and_multiple_says_nothing() -> None:
    strict = run("parse", "--strict", input='{"a": 1}\n{"a": 2}\n')
    assert strict.returncode == 1 and "expected end of input" in strict.stderr
    assert "ignored" not in strict.stderr
    every = run("parse", "-m", "-f", "values", input='{"a": 1}\n{"a": 2}\n')
    assert (every.returncode, every.stderr) == (0, "")


@posix_only
def test_documents_counted_as_they_arrive_through_a_slow_pipe() -> None:
    """Token-sized writes through a pipe, whitespace alone in some, numbers split: the
    count is the same as for the whole text."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "instant", "parse", "-f", "values"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        reader = Reader(proc)
        for piece in [b'{"n": 1', b"}", b" 1", b"2", b" ", b"3", b"\n", b"[4", b"]\n"]:
            proc.stdin.write(piece)
            proc.stdin.flush()
            if piece == b"}":
                assert reader.take(1) == [{"n": 1}]  # out before the rest is written
            time.sleep(0.02)
        proc.stdin.close()
        assert proc.wait(TIMEOUT) == 0
        assert proc.stderr.read().decode() == ignored_line(3)  # 12, 3 and [4]
    finally:
        proc.kill()
        proc.wait(TIMEOUT)


@settings(max_examples=60)
@given(data=st.data())
def test_the_ignored_count_is_what_multiple_finds(data: st.DataObject) -> None:
    """However the input is chunked, the count equals the documents ``multiple=True`` parses
    after the first (or, where it raises, those before the error and the failing one)."""
    from instant.cli.ignored import IgnoredDocuments
    from instant.strategies import chunkings, model_outputs

    parts = data.draw(st.lists(model_outputs(), min_size=1, max_size=4))
    glue = data.draw(st.lists(st.sampled_from(["\n", " ", "", " and ", "\n\n"]), min_size=4))
    text = "".join(p[0] + g for p, g in zip(parts, glue))
    every = instant.Parser(multiple=True, snapshots=False)
    try:
        every.feed(text)
        every.close()
        broken = False
    except instant.ParseError:
        broken = True
    assume(every.values)  # a first document to follow
    parser = instant.Parser()
    counted = IgnoredDocuments(parser, None)
    try:
        for chunk in data.draw(chunkings(text)):
            parser.feed(chunk)
        parser.close()
    except instant.ParseError:
        assume(False)  # the first document itself is broken: nothing is counted then
    # The parser's document is usually --multiple's first, but not always: a root scalar
    # followed on its line by the start of a document is one with --multiple and prose without
    # ("'quoted' [the docs]\n[]" is ['quoted', []] with it, [] without). The count is of the
    # documents after the parser's own.
    assume(every.values.count(parser.value) == 1)  # (where it is, unambiguously)
    after = len(every.values) - 1 - every.values.index(parser.value)
    want = (after + 1, True) if broken else (after, False)
    assert (counted.close(), counted.at_least) == want


def test_the_ignored_count_starts_after_the_parsers_own_document() -> None:
    """A root scalar that --multiple takes but a single-document parse reads as prose is not
    counted as ignored: the count is of what follows the document the command printed."""
    from instant.cli.ignored import IgnoredDocuments

    parser = instant.Parser()
    counted = IgnoredDocuments(parser, None)
    parser.feed("'quoted' [the docs]\n[]\n{\"a\": 1}\n")
    parser.close()
    assert parser.value == []
    assert (counted.close(), counted.at_least) == (1, False)


# -- instant parse --full: bounded output ----------------------------------------------------


def test_full_stops_before_its_bound_with_the_events_that_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import instant.cli.output

    path = tmp_path / "big.json"
    path.write_text(json.dumps({"items": [{"n": i, "text": "x" * 20} for i in range(300)]}))
    expected = [json.loads(json.dumps(e)) for e in instant.iter_events([path.read_text()])]
    full_size = sum(len(json.dumps(e, ensure_ascii=False)) + 1 for e in expected)
    monkeypatch.setattr(instant.cli.output, "FULL_LIMIT", 50_000)
    assert full_size > 10 * 50_000  # quadratic: far past the bound

    assert cli.main(["parse", "--full", str(path)]) == 2
    out, err = capsys.readouterr()
    got = lines(out)
    assert got == expected[: len(got)]  # whole lines, the events in order
    assert len(out) <= 50_000 < len(out) + len(json.dumps(expected[len(got)])) + 1
    assert err == (
        f"instant parse: {path}: stopped after {len(out):,} characters of output: --full "
        "writes the whole document so far with every event, which grows quadratically, and "
        "stops before 50,000; leave out --full (or narrow it with --select)\n"
    )
    # without --full the same input is written whole
    assert cli.main(["parse", str(path)]) == 0
    assert lines(capsys.readouterr().out) == events_of(path.read_text())


def test_the_full_bound_is_the_documented_one() -> None:
    from instant.cli.output import FULL_LIMIT

    assert FULL_LIMIT == 100_000_000
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "100,000,000 characters" in readme
    assert "100,000,000 characters" in run("parse", "--help").stdout


# -- the demo on an 80x24 terminal, read as the terminal shows it (pyte) ---------------------

ROWS, COLS = 24, 80
FRAME_END = "╯".encode()  # the panel's bottom-right corner: the last thing a frame writes


def on_terminal(*args: str, interrupt_after: bytes | None = None) -> tuple[int, bytes]:
    """Run ``python -m instant ARGS`` on an 80x24 pseudo-terminal; (exit status, output).

    With ``interrupt_after``, SIGINT (what Ctrl-C sends) goes to the command as soon as its
    output holds those bytes.
    """
    import fcntl
    import pty
    import select
    import signal
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(COLS), "LINES": str(ROWS)}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "instant", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=ROOT,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    output = b""
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            if interrupt_after is not None and interrupt_after in output:
                proc.send_signal(signal.SIGINT)
                interrupt_after = None
            if not select.select([master], [], [], 1.0)[0]:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            output += data
        status = proc.wait(TIMEOUT)
    finally:
        proc.kill()
        proc.wait(TIMEOUT)
        os.close(master)
    return status, output


def screens(output: bytes) -> tuple[list[list[str]], Any]:
    """The terminal's screen after each frame the command drew, and the terminal at the end.

    The terminal already holds a screenful of earlier commands, so the command starts at its
    bottom line, as it does in a shell that has been used."""
    import pyte

    screen = pyte.Screen(COLS, ROWS)
    stream = pyte.ByteStream(screen)
    stream.feed(
        b"".join(b"$ earlier output %d\r\n" % i for i in range(ROWS)) + b"$ instant demo\r\n"
    )
    shown = []
    pieces = output.split(FRAME_END)
    for i, piece in enumerate(pieces):
        stream.feed(piece if i == len(pieces) - 1 else piece + FRAME_END)
        shown.append(list(screen.display))
    return shown[:-1], screen


def frame_rows(rows: list[str]) -> tuple[int, int]:
    """The rows of the panel's top and bottom borders on a screen (asserting there is one)."""
    tops = [i for i, row in enumerate(rows) if row.startswith("╭")]
    bottoms = [i for i, row in enumerate(rows) if row.startswith("╰")]
    assert len(tops) == len(bottoms) == 1, "\n".join(rows)
    top, bottom = tops[0], bottoms[0]
    assert top < bottom, "\n".join(rows)
    for row in rows[top + 1 : bottom]:  # a whole panel, and nothing of it elsewhere
        assert row.startswith("│") and row.rstrip().endswith("│"), "\n".join(rows)
    for row in rows[:top] + rows[bottom + 1 :]:
        assert not row.startswith(("│", "╭", "╰")), "\n".join(rows)
    return top, bottom


@posix_only
def test_demo_live_view_fits_an_80x24_terminal() -> None:
    """Each live frame is whole on the screen, with its status line, and shows the end of
    the document, where the text is being written; the document is taller than the screen,
    so some frames leave its top out, and say so."""
    status, output = on_terminal("demo", "--speed", "2")
    assert status == 0, output[-2000:]
    frames, _ = screens(output)
    pieces = tokens(load_reply())
    cut = checked = 0
    for rows in frames:
        top, bottom = frame_rows(rows)
        progress = re.search(r"chunk (\d+)/(\d+) · (\d+) events", rows[bottom])
        if progress is None:
            continue  # the final frame, checked below
        assert bottom - top + 1 <= ROWS - 1, "\n".join(rows)
        k = int(progress.group(1))
        parser = instant.Parser()
        events = [e for piece in pieces[:k] for e in parser.feed(piece)]  # what the view has
        assert int(progress.group(3)) == len(events)
        cut += "lines above" in rows[top + 1]
        if events and events[-1]["event"] == "delta":  # a string is being written
            last_word = events[-1]["value"].split()[-1]
            if len(last_word) < 40:
                assert last_word + "▌" in rows[bottom - 1], "\n".join(rows)
                checked += 1
    assert checked >= 3 and cut >= 1, (checked, cut)


@posix_only
def test_demo_final_frame_keeps_its_top_on_an_80x24_terminal() -> None:
    """After the demo, the final frame's top, the summary and the line for the shell's
    prompt are all on the screen, and nothing of the live view is left over."""
    status, output = on_terminal("demo", "--no-delay")
    assert status == 0, output[-2000:]
    _, screen = screens(output)
    rows = list(screen.display)
    top, bottom = frame_rows(rows)
    assert "instant demo" in rows[top] and "document" in rows[top + 1]
    assert re.search(r"\d+ events", rows[bottom])
    summary = " ".join(rows[bottom + 1 : screen.cursor.y])
    assert re.search(r"\d+ events from \d+ chunks .* events/s", summary), "\n".join(rows)
    assert "the parser's CPU time for the whole reply" in summary
    assert screen.cursor.y == ROWS - 1 and screen.cursor.x == 0  # the prompt's line
    assert not screen.cursor.hidden
    text = "\n".join(rows)
    assert "receiving…" not in text and "lines above" not in text
    assert "Breville Bambino Plus" in text and "confidence: 0.82" in text


@posix_only
def test_demo_interrupted_leaves_a_readable_screen() -> None:
    """Ctrl-C while the view is live: exit status 130, and the screen shows the document
    received so far in a whole frame marked interrupted, the cursor visible, colours reset."""
    status, output = on_terminal("demo", interrupt_after="receiving…".encode())
    assert status == 130, output[-2000:]
    _, screen = screens(output)
    rows = list(screen.display)
    top, bottom = frame_rows(rows)
    assert re.search(r"interrupted at chunk \d+/\d+ · \d+ events", rows[bottom])
    assert "instant demo" in rows[top]
    assert not screen.cursor.hidden
    attrs = screen.cursor.attrs
    assert (attrs.fg, attrs.bg, attrs.bold, attrs.reverse) == ("default", "default", False, False)
    assert "Traceback" not in "\n".join(rows)


def test_the_demo_measures_the_parsers_cpu_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The summary's parser figure is this thread's CPU time over feeding the chunks back to
    back (a fake clock here: each reading advances it by 1 ms), not wall time."""
    from instant.cli import demo

    readings: list[float] = []

    def clock() -> float:
        readings.append(len(readings) / 1000)
        return readings[-1]

    monkeypatch.setattr(demo.time, "thread_time", clock)
    monkeypatch.setattr(demo.time, "perf_counter", lambda: pytest.fail("wall clock used"))
    assert demo.parser_cpu(tokens(load_reply()), repeat=3) == pytest.approx(0.001)
    assert len(readings) == 6  # one pair of readings around each of the 3 runs
