"""How the command writes: UTF-8 to stdout, flushed per batch, in one of three formats.

Shared by ``instant parse`` (:mod:`.parse`) and ``instant demo`` (:mod:`.demo`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TextIO

from ..errors import ParseError
from ..events import Event

SHOWN = 100  # --format pretty shortens longer values to this many characters
# --full writes the whole document so far with every event, which grows quadratically with
# the document (a 1 MB reply would be terabytes): it stops past this many characters
FULL_LIMIT = 100_000_000


class OutputLimit(Exception):
    """--full output would pass ``limit`` characters; ``text`` is the part that fits."""

    def __init__(self, text: str, written: int, limit: int) -> None:
        super().__init__(f"--full output would pass {limit:,} characters")
        self.text = text
        self.written = written  # characters written before ``text``, plus ``text``
        self.limit = limit


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
    if "tool_call" in event:  # the arguments of a tool call (a provider's raw stream)
        record["tool_call"] = event["tool_call"]
    return dumps(record)


def pretty_line(event: Event) -> str:
    """``--format pretty``: ``delta  items.[].name  [0]  "Bre"`` (long values shortened)."""
    kind = event["event"]
    shown = dumps(event["delta"] if kind == "delta" else event["value"])
    if len(shown) > SHOWN:
        shown = shown[: SHOWN - 1] + "…"
    parts = [f"{kind:<5}"]
    if "tool_call" in event:
        call = event["tool_call"]
        parts.append(f"call {call['index']} {call['name']}:")
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
    if full:
        return _bounded_full()
    return lambda events: "".join(jsonl_line(e) + "\n" for e in events)


def _bounded_full() -> Callable[[list[Event]], str]:
    """``--format jsonl --full``, raising :class:`OutputLimit` before the output (counted
    over the whole run, line by line) would pass :data:`FULL_LIMIT` characters."""
    written, limit = 0, FULL_LIMIT

    def write(events: list[Event]) -> str:
        nonlocal written
        lines: list[str] = []
        for e in events:
            line = jsonl_line(e, True) + "\n"
            if written + len(line) > limit:
                raise OutputLimit("".join(lines), written, limit)
            written += len(line)
            lines.append(line)
        return "".join(lines)

    return write


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
