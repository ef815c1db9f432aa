"""``instant parse``: the events of FILE or stdin, written as each read brings them.

Reads its input with :func:`os.read`, which returns whatever a pipe holds as soon as it
holds anything, feeds those bytes to a :class:`~instant.Parser` (which takes UTF-8 split
anywhere) and writes the events of each read at once, flushed: a consumer downstream sees a
model's reply while it is still being written, not at end of input. A provider's raw stream
(server-sent events, JSON lines) is handed to :mod:`.parse_wire`.
"""

from __future__ import annotations

import argparse
import errno
import os
import stat
import sys

from .._core.parser import Parser
from ..errors import ParseError, SelectorError
from .ignored import IgnoredDocuments
from .output import Output, OutputLimit, error_report, formatter
from .parse_wire import parse_wire, sniff

OK, PARSE_ERROR, USAGE_ERROR = 0, 1, 2
READ_SIZE = 65536  # the most one os.read takes; a pipe returns what it holds, often less


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
    # without --multiple, the documents after the first are ignored: count them, to say so
    ignored = None if args.multiple or args.strict else IgnoredDocuments(parser, args.expect)
    if args.file == "-" and os.isatty(fd):
        sys.stderr.write("instant parse: reading JSON from the terminal (end with Ctrl-D)\n")
    try:
        held, found = sniff(fd, getattr(args, "wire", "auto"), args.multiple)
        if found in ("sse", "ndjson"):  # a provider's raw stream: decode it (parse_wire.py)
            return parse_wire(fd, held, found, args, out, name)
        for data in held:
            events = parser.feed(data)
            if events:
                out.write(write(events))
        while data := os.read(fd, READ_SIZE):
            events = parser.feed(data)
            if events:
                out.write(write(events))
        events = parser.close()
        if events:
            out.write(write(events))
    except OutputLimit as stop:  # --full: the output is bounded (output.FULL_LIMIT)
        out.write(stop.text)
        sys.stderr.write(
            f"instant parse: {name}: stopped after {stop.written:,} characters of output: "
            f"--full writes the whole document so far with every event, which grows "
            f"quadratically, and stops before {stop.limit:,}; leave out --full (or narrow it "
            f"with --select)\n"
        )
        return USAGE_ERROR
    except ParseError as err:
        try:
            out.write(write(err.events))
        except OutputLimit as stop:
            out.write(stop.text)
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
    if ignored is not None:
        ignored.close()
        sys.stderr.write(ignored.warning(name))
    return OK
