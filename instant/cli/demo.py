"""``instant demo``: a bundled model reply replayed token by token, with a live terminal view.

The reply (``instant/cli/demo_reply.txt``) is what a model sends: a line of prose, then
a fenced JSON answer with a long text field, a list of items with nested data, and a few
more fields. It is cut into token-sized pieces and fed to a :class:`~instant.Parser` at
model speed. On a terminal with ``rich`` installed the document is drawn as it fills in:
the streaming string with a cursor, each list item collapsing to one line as it completes.
Otherwise (a pipe, ``--plain``, no ``rich``) each event is printed as a line. ``rich`` is
imported only here and only for the live view, so ``import instant`` never needs it.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from .._core.parser import Parser
from ..events import Event
from .output import Output, dumps

if TYPE_CHECKING:  # rich is optional: imported lazily by the live view
    from rich.console import RenderableType
    from rich.tree import Tree

TOKENS_PER_SECOND = 80.0  # about what a hosted model streams
FPS = 15.0  # live view redraws at most this often
KEY = "bold cyan"  # style of a field name in the live view
# BPE-like pieces: a word (up to 8 letters) with its leading space, up to 3 digits, a run
# of whitespace, one or two punctuation marks; anything else one character at a time.
_TOKEN = re.compile(r" ?[^\W\d_]{1,8}| ?\d{1,3}|\s+|[^\w\s]{1,2}|.", re.S)
Path = tuple[str | int, ...]


def load_reply() -> str:
    """The bundled model reply."""
    files = resources.files("instant.cli")
    return files.joinpath("demo_reply.txt").read_text(encoding="utf-8")


def tokens(text: str) -> list[str]:
    """Cut ``text`` into pieces the size of a model's tokens (deterministic, lossless)."""
    return _TOKEN.findall(text)


def paced(pieces: list[str], rate: float | None) -> Iterator[str]:
    """Yield the pieces at ``rate`` per second (all at once for ``None``), without drift."""
    start = time.perf_counter()
    for i, piece in enumerate(pieces):
        if rate:
            wait = start + i / rate - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        yield piece


@dataclass
class Stats:
    """What the demo counts, for the summary line."""

    events: int = 0
    chunks: int = 0
    chars: int = 0
    busy: float = 0.0  # seconds spent inside feed() and close()
    start: float = 0.0
    elapsed: float = 0.0

    def feed(self, parser: Parser, piece: str | None) -> list[Event]:
        """Feed one piece (``None``: close) and count it."""
        t = time.perf_counter()
        events = parser.feed(piece) if piece is not None else parser.close()
        self.busy += time.perf_counter() - t
        self.events += len(events)
        if piece is not None:
            self.chunks += 1
            self.chars += len(piece)
        return events

    def summary(self) -> str:
        """Event count and throughput."""
        s = max(self.elapsed, 1e-9)
        return (
            f"{self.events} events from {self.chunks} chunks ({self.chars:,} characters) in "
            f"{self.elapsed:.2f} s: {self.events / s:,.0f} events/s, {self.chars / s:,.0f} "
            f"characters/s; the parser was busy {self.busy * 1000:.1f} ms of it"
        )


def run_demo(
    out: Output,
    *,
    speed: float = 1.0,
    delay: bool = True,
    plain: bool = False,
    raw: bool = False,
) -> int:
    """Replay the bundled reply: live view on a terminal with rich, else event lines."""
    pieces = tokens(load_reply())
    rate = TOKENS_PER_SECOND * speed if delay else None
    if raw:
        for piece in paced(pieces, rate):
            out.write(piece)
        return 0
    live = not plain and bool(getattr(out.stream, "isatty", lambda: False)())
    if live:
        try:
            import rich  # noqa: F401
        except ImportError:
            sys.stderr.write(
                "instant demo: install rich for the live view "
                "(pip install 'instant-json[cli]'); printing plain events\n"
            )
            live = False
    stats = Stats()
    if live:
        _live(pieces, rate, stats)
    else:
        _plain(pieces, rate, stats, out)
    return 0


def _plain(pieces: list[str], rate: float | None, stats: Stats, out: Output) -> None:
    """One line per event, written as the chunk that completed it arrives; then the value."""
    parser = Parser()
    stats.start = time.perf_counter()
    n = 0
    for n, piece in enumerate(paced(pieces, rate)):
        events = stats.feed(parser, piece)
        if events:
            out.write("".join(_plain_line(n, e) + "\n" for e in events))
    events = stats.feed(parser, None)
    stats.elapsed = time.perf_counter() - stats.start
    text = "".join(_plain_line(n, e) + "\n" for e in events)
    out.write(f"{text}\n{stats.summary()}\nfinal value:\n")
    out.write(json.dumps(parser.value, ensure_ascii=False, indent=2) + "\n")


def _plain_line(n: int, event: Event) -> str:
    kind = event["event"]
    shown = dumps(event["delta"] if kind == "delta" else event["value"])
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"chunk {n:3}  {kind:5}  {event['key'] or '(root)':28} {shown}"


# -- the live view ------------------------------------------------------------------------


class View:
    """The partial document as a rich tree: what the events so far say, drawn on demand."""

    def __init__(self) -> None:
        self.value: Any = None
        self.started = False
        self.done: set[Path] = set()

    def update(self, events: list[Event]) -> None:
        """Take in a batch of events (their last snapshot is the document so far)."""
        for e in events:
            if e["event"] == "done":
                self.done.add(e["path"])
        if events:
            self.value = events[-1]["complete_value"]
            self.started = True

    def render(self, width: int, final: bool = False) -> Tree:
        """The document: strings with a cursor while open; a finished container on one line
        (cut to the width while live, expanded when it does not fit once ``final``)."""
        from rich.text import Text
        from rich.tree import Tree

        if not self.started:
            return Tree(Text("reading the prose before the JSON…", style="dim italic"))
        root = Tree(Text("document", style="bold"), guide_style="blue")
        if isinstance(self.value, (dict, list)):
            self._fill(root, self.value, (), width - 4, final)
        else:
            self._node(root, "value", self.value, (), width - 4, final)
        return root

    def _fill(self, node: Tree, value: Any, path: Path, width: int, final: bool) -> None:
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for k, v in items:
            label = k if isinstance(k, str) else f"[{k}]"
            self._node(node, label, v, (*path, k), width - 4, final)

    def _node(self, parent: Tree, label: str, v: Any, path: Path, width: int, final: bool) -> None:
        from rich.highlighter import JSONHighlighter
        from rich.text import Text

        done = path in self.done
        if isinstance(v, (dict, list)):
            if done:
                compact = dumps(v)
                if not final or len(label) + 2 + len(compact) <= width:
                    line = Text(no_wrap=True, overflow="ellipsis")
                    line.append(f"{label}: ", KEY)
                    line.append_text(JSONHighlighter()(Text(compact)))
                    parent.add(line)
                    return
                head = Text(label, KEY)
            else:
                head = Text.assemble((label, KEY), ("  receiving…", "dim italic"))
            self._fill(parent.add(head), v, path, width, final)
            return
        line = Text.assemble((f"{label}: ", KEY))
        if isinstance(v, str):
            line.append(v, "green")
            if not done:
                line.append("▌", "bold")
        else:
            line.append(dumps(v), "magenta" if isinstance(v, (int, float)) else "italic")
        parent.add(line)


def _live(pieces: list[str], rate: float | None, stats: Stats) -> None:
    """Draw the document as it fills in (rich.live), then print it whole and the summary."""
    from rich.console import Console
    from rich.live import Live
    from rich.panel import Panel

    console = Console()
    view = View()
    parser = Parser()

    def frame(status: str, final: bool = False) -> RenderableType:
        return Panel(
            view.render(console.width - 4, final),
            title="instant demo",
            subtitle=status,
            border_style="blue",
        )

    stats.start = last = time.perf_counter()
    with Live(console=console, auto_refresh=False, transient=True) as live:
        for n, piece in enumerate(paced(pieces, rate)):
            view.update(stats.feed(parser, piece))
            now = time.perf_counter()
            if now - last >= 1 / FPS:
                last = now
                status = f"chunk {n + 1}/{len(pieces)} · {stats.events} events"
                live.update(frame(f"{status} · {now - stats.start:.1f} s"), refresh=True)
        view.update(stats.feed(parser, None))
        stats.elapsed = time.perf_counter() - stats.start
    console.print(frame(f"{stats.events} events", final=True))
    console.print(stats.summary(), style="bold", highlight=False)
