"""The ``instant`` command (also ``python -m instant``): parse a stream as it arrives, or demo.

``instant parse`` reads its input with :func:`os.read`, which returns whatever a pipe holds
as soon as it holds anything, feeds those bytes to a :class:`~instant.Parser` (which takes
UTF-8 split anywhere) and writes the events of each read at once, flushed: a consumer
downstream sees a model's reply while it is still being written, not at end of input.
``instant demo`` lives in :mod:`instant.demo`; with no command at all the demo runs.

Exit status: 0 ok, 1 parse error, 2 usage error; a reader that closes the pipe early
(``| head``) ends the command quietly with 141, as the shell reports a process that
SIGPIPE stopped (``cat``, ``yes``).
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import stat
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from . import __version__
from .errors import ParseError
from .events import Event
from .parser import Parser
from .selector import SelectorError

OK, PARSE_ERROR, USAGE_ERROR, BROKEN_PIPE = 0, 1, 2, 141
READ_SIZE = 65536  # the most one os.read takes; a pipe returns what it holds, often less
SHOWN = 100  # --format pretty shortens longer values to this many characters

_EXAMPLES = """\
examples:
  instant demo                              replay a model reply with a live view
  instant demo --raw | instant parse --format pretty
                                            the same reply through a pipe, event by event
  my-llm-client | instant parse             events as JSON lines while the reply streams
  instant parse reply.txt --format values   only the final value
  instant parse reply.txt --select 'items.[].name.$done' --format values
                                            one line per item name, as each completes
  cat replies.jsonl | instant parse --multiple --format values

exit status: 0 ok, 1 parse error (reported as FILE:LINE:COLUMN: message), 2 usage error,
141 when the reader closed the pipe early. `python -m instant` is the same command; with no
command it runs the demo.
"""

_PARSE_HELP = f"""\
Reads FILE (default: standard input) as it arrives and prints the events of each piece at
once, without waiting for the end of input. The parser is lenient unless --strict: it finds
the JSON inside prose, code fences and think blocks, and completes a truncated reply (with a
warning on stderr).

output formats:
  jsonl   (default) one JSON object per event: key, indexes, path, event, delta, value,
          is_complete (and document with --multiple). complete_value is left out, and so is
          the text so far (value) of delta events, which is the concatenation of the
          deltas: both would make the output grow quadratically; --full puts them back.
  pretty  one readable line per event: event, [document,] key, indexes, delta or value
          (shortened to {SHOWN} characters), e.g.  delta  items.[].name  [0]  "Bre"
  values  one JSON line per value: the final value of each document, as each document
          completes; with --select, the value of each selected done event.

errors: events parsed before the error are printed first, then on stderr
FILE:LINE:COLUMN: message, the offending line and a caret under the column (FILE is
<stdin> for standard input). Exit status 1.
"""


class Output:
    """Text to stdout as UTF-8, flushed per batch so a reader downstream gets it at once.

    A lone surrogate (the parser keeps ``"\\ud800"`` as ``json.loads`` does) cannot be encoded;
    it is written as its JSON escape, ``\\ud800``, which keeps a JSON line valid.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.binary = getattr(stream, "buffer", None)

    def write(self, text: str) -> None:
        """Write ``text`` and flush; raises BrokenPipeError when the reader is gone."""
        data = text.encode("utf-8", "backslashreplace")
        if self.binary is not None:
            self.binary.write(data)
            self.binary.flush()
        else:  # a stream without a byte layer (a test's StringIO)
            self.stream.write(data.decode("utf-8"))
            self.stream.flush()


# -- event formats ------------------------------------------------------------------------


def dumps(value: Any) -> str:
    """One value as JSON text, non-ASCII kept (NaN and Infinity as Python writes them)."""
    return json.dumps(value, ensure_ascii=False)


def jsonl_line(event: Event, full: bool = False) -> str:
    """``--format jsonl``: the event as one JSON object (see ``instant parse --help``)."""
    record: dict[str, Any] = {
        "key": event["key"],
        "indexes": event["indexes"],
        "path": event["path"],
        "event": event["event"],
        "delta": event["delta"],
    }
    if full or event["event"] != "delta":
        record["value"] = event["value"]
    record["is_complete"] = event["is_complete"]
    if full:
        record["complete_value"] = event["complete_value"]
    if "document" in event:
        record["document"] = event["document"]
    return dumps(record)


def pretty_line(event: Event) -> str:
    """``--format pretty``: ``delta  items.[].name  [0]  "Bre"`` (long values shortened)."""
    kind = event["event"]
    shown = dumps(event["delta"] if kind == "delta" else event["value"])
    if len(shown) > SHOWN:
        shown = shown[: SHOWN - 1] + "…"
    parts = [f"{kind:<5}"]
    if "document" in event:
        parts.append(f"#{event['document']}")
    parts.append(event["key"] or "(root)")
    if event["indexes"]:
        parts.append(str(event["indexes"]))
    parts.append(shown)
    return "  ".join(parts)


def formatter(fmt: str, selected: bool, full: bool) -> Callable[[list[Event]], str]:
    """The function that turns one batch of events into the text to write."""
    if fmt == "pretty":
        return lambda events: "".join(pretty_line(e) + "\n" for e in events)
    if fmt == "values":
        if selected:  # the value of each selected done event
            return lambda events: "".join(
                dumps(e["value"]) + "\n" for e in events if e["event"] == "done"
            )
        return lambda events: "".join(  # the root's done event ends each document
            dumps(e["value"]) + "\n" for e in events if e["event"] == "done" and not e["key"]
        )
    return lambda events: "".join(jsonl_line(e, full) + "\n" for e in events)


def error_report(name: str, err: ParseError) -> str:
    """``FILE:LINE:COLUMN: message``, then the offending line and a caret under the column.

    The line comes from the error's excerpt (the parser keeps only 30 characters either
    side), so a long line is shown in part, marked with ``…`` where it was cut.
    """
    out = f"{name}:{err.line}:{err.column}: {err.msg}\n"
    excerpt, at = err.excerpt, err.pointer
    if excerpt:
        start = excerpt.rfind("\n", 0, at) + 1
        end = excerpt.find("\n", at)
        line = excerpt[start : end if end >= 0 else len(excerpt)]
        line = "".join(" " if c in "\t\r\f\v" else c for c in line)
        caret = at - start
        if start == 0 and err.column - 1 > caret:  # the excerpt begins inside the line
            line, caret = "…" + line, caret + 1
        out += f"    {line}\n    {' ' * caret}^\n"
    return out


# -- instant parse ------------------------------------------------------------------------


def _open_input(path: str) -> tuple[int, bool]:
    """The file descriptor to read (stdin for ``-``) and whether we must close it."""
    if path == "-":
        if sys.stdin is None:
            raise OSError("standard input is closed")
        return sys.stdin.fileno(), False
    fd = os.open(path, os.O_RDONLY)
    if stat.S_ISDIR(os.fstat(fd).st_mode):
        os.close(fd)
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    return fd, True


def cmd_parse(args: argparse.Namespace, out: Output) -> int:
    """``instant parse``: events of FILE or stdin, written as each read brings them."""
    name = "<stdin>" if args.file == "-" else args.file
    try:
        parser = Parser(
            strict=args.strict,
            multiple=args.multiple,
            expect=args.expect,
            select=args.select,
            snapshots=args.full,  # only --full hands out complete_value
        )
    except SelectorError as e:
        sys.stderr.write(f"instant parse: bad --select expression: {e}\n")
        return USAGE_ERROR
    try:
        fd, owned = _open_input(args.file)
    except OSError as e:
        reason = e.strerror or str(e)
        sys.stderr.write(f"instant parse: cannot read {name}: {reason}\n")
        return USAGE_ERROR
    write = formatter(args.format, args.select is not None, args.full)
    if args.file == "-" and os.isatty(fd):
        sys.stderr.write("instant parse: reading JSON from the terminal (end with Ctrl-D)\n")
    try:
        while data := os.read(fd, READ_SIZE):
            events = parser.feed(data)
            if events:
                out.write(write(events))
        events = parser.close()
        if events:
            out.write(write(events))
    except ParseError as err:
        if err.events:
            out.write(write(err.events))
        sys.stderr.write(error_report(name, err))
        return PARSE_ERROR
    finally:
        if owned:
            os.close(fd)
    if parser.truncated:
        sys.stderr.write(
            f"instant parse: {name}: the input ended inside the JSON; "
            "completed what was there (truncated)\n"
        )
    return OK


# -- the command line ---------------------------------------------------------------------


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argparse definition of ``instant`` and its commands."""
    top = argparse.ArgumentParser(
        prog="instant",
        description="Structured events from a language model's JSON while it is still being "
        "written: an incremental, lenient JSON parser on the command line.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action="version", version=f"instant {__version__}")
    commands = top.add_subparsers(dest="command", metavar="COMMAND")

    p = commands.add_parser(
        "parse",
        help="parse FILE or standard input as it arrives, print events",
        description=_PARSE_HELP,
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "file",
        nargs="?",
        default="-",
        metavar="FILE",
        help="the input, UTF-8 (default: -, standard input)",
    )
    p.add_argument(
        "-s",
        "--select",
        metavar="EXPR",
        help="print only the events this selector selects, e.g. "
        "'title&items.[].name.$done' (the README's Selectors section)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="accept exactly RFC 8259 JSON: no prose, comments, trailing commas, truncation",
    )
    p.add_argument(
        "-m",
        "--multiple",
        action="store_true",
        help="several documents (JSON Lines, concatenated values); events carry "
        "their document number",
    )
    p.add_argument(
        "--expect", choices=["object", "array"], help="the document must be an object (or an array)"
    )
    p.add_argument(
        "-f",
        "--format",
        choices=["jsonl", "pretty", "values"],
        default="jsonl",
        help="jsonl (default): one JSON object per event; pretty: readable lines; "
        "values: final values only",
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="jsonl: every event field, also complete_value and the text so far "
        "of deltas (output grows quadratically with the document)",
    )

    d = commands.add_parser(
        "demo",
        help="replay a bundled model reply token by token with a live view",
        description="Replays a model's reply (prose, then a fenced JSON answer with a long "
        "text field, a list of items and nested data) token by token at model speed, and "
        "shows the document filling in: on a terminal a live view (needs rich: pip install "
        "'instant-json[cli]'), otherwise one line per event. Ends with the event count and "
        "the throughput.",
    )
    d.add_argument(
        "--speed",
        type=_speed,
        default=1.0,
        metavar="X",
        help="replay X times as fast (default 1: about 80 tokens per second)",
    )
    d.add_argument(
        "--no-delay",
        action="store_true",
        help="do not wait between tokens (for tests and benchmarks)",
    )
    d.add_argument("--plain", action="store_true", help="one line per event even on a terminal")
    d.add_argument(
        "--raw",
        action="store_true",
        help="print the reply's text itself as it streams (pipe it into 'instant parse')",
    )
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``instant`` and ``python -m instant``; returns the exit status."""
    args = build_parser().parse_args(argv)
    out = Output(sys.stdout)
    try:
        if args.command == "parse":
            return cmd_parse(args, out)
        from .demo import run_demo

        if args.command is None:  # bare `instant` / `python -m instant`: the demo
            return run_demo(out)
        return run_demo(
            out, speed=args.speed, delay=not args.no_delay, plain=args.plain, raw=args.raw
        )
    except BrokenPipeError:
        # The reader closed the pipe (`| head -1`): stop quietly. Python's recipe: point
        # stdout at devnull so the flush at interpreter exit cannot raise again.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return BROKEN_PIPE
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
