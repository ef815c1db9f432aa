"""The ``instant`` command (also ``python -m instant``): parse a stream as it arrives, or demo.

:mod:`.parse` is ``instant parse``, :mod:`.demo` is ``instant demo`` (with no command at all
the demo runs), :mod:`.output` writes for both.

Exit status: 0 ok, 1 parse error, 2 usage error; a reader that closes the pipe early
(``| head``) ends the command quietly with 141, as the shell reports a process that
SIGPIPE stopped (``cat``, ``yes``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .._version import __version__
from .output import FULL_LIMIT, SHOWN, Output
from .parse import cmd_parse

BROKEN_PIPE = 141

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
  curl -N https://api.openai.com/v1/chat/completions ... | instant parse
                                            a provider's raw stream (server-sent events):
                                            each event decoded, the reply's events printed

exit status: 0 ok, 1 parse error (reported as FILE:LINE:COLUMN: message), 2 usage error
(or --full output past its bound), 141 when the reader closed the pipe early.
`python -m instant` is the same command; with no command it runs the demo.
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
          deltas: both would make the output grow quadratically; --full puts them back
          and stops (exit status 2) before {FULL_LIMIT:,} characters of output.
  pretty  one readable line per event: event, [document,] key, indexes, delta or value
          (shortened to {SHOWN} characters), e.g.  delta  items.[].name  [0]  "Bre"
  values  one JSON line per value: the final value of each document, as each document
          completes; with --select, the value of each selected done event.

raw API streams: what `curl -N` prints of a streaming API (server-sent events: `data: {{...}}`
lines; Ollama's JSON lines) is decoded event by event, and the events of the reply inside
are printed (those of tool-call arguments carry "tool_call"). It is told from a reply by its
first characters (`data: {{`, `event:`; an Ollama line followed by another), or asked for
with --sse / --ndjson (--wire text: never).

one document: without --multiple the first document is parsed and what follows it is
ignored; when that is more JSON, stderr says how many documents were ignored.

errors: events parsed before the error are printed first, then on stderr
FILE:LINE:COLUMN: message, the offending line and a caret under the column (FILE is
<stdin> for standard input). Exit status 1.
"""


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
        "--wire",
        choices=["auto", "text", "sse", "ndjson"],
        default="auto",
        help="what the input is: the reply itself (text), or a provider's raw stream as "
        "curl -N prints it (sse: server-sent events; ndjson: JSON lines, as Ollama's), "
        "decoded event by event; auto (default) tells from the first characters",
    )
    p.add_argument(
        "--sse",
        dest="wire",
        action="store_const",
        const="sse",
        help="the same as --wire sse: read each 'data: {...}' event of an API's stream",
    )
    p.add_argument(
        "--ndjson",
        dest="wire",
        action="store_const",
        const="ndjson",
        help="the same as --wire ndjson",
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="jsonl: every event field, also complete_value and the text so far "
        "of deltas (output grows quadratically with the document: stops before "
        f"{FULL_LIMIT:,} characters)",
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
        from .demo import run_demo  # loads rich only for the demo

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
