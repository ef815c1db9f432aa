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
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from .._core.parser import Parser
from ..events import Event
from .output import Output, dumps

if TYPE_CHECKING:  # rich is optional: imported lazily by the live view
    from rich.console import Console
    from rich.segment import Segment
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
    start: float = 0.0
    elapsed: float = 0.0
    cpu: float = 0.0  # CPU seconds the parser needs for the reply (see parser_cpu)

    def feed(self, parser: Parser, piece: str | None) -> list[Event]:
        """Feed one piece (``None``: close) and count it."""
        events = parser.feed(piece) if piece is not None else parser.close()
        self.events += len(events)
        if piece is not None:
            self.chunks += 1
            self.chars += len(piece)
        return events

    def summary(self) -> str:
        """Event count and throughput, and the parser's own cost."""
        s = max(self.elapsed, 1e-9)
        return (
            f"{self.events} events from {self.chunks} chunks ({self.chars:,} characters) in "
            f"{self.elapsed:.2f} s: {self.events / s:,.0f} events/s, {self.chars / s:,.0f} "
            f"characters/s; the parser's CPU time for the whole reply: {self.cpu * 1000:.1f} ms"
        )


def parser_cpu(pieces: list[str], repeat: int = 3) -> float:
    """CPU seconds (this thread's) that ``feed`` and ``close`` take for ``pieces``, fed back
    to back to a fresh parser, best of ``repeat``. What the parser costs, measured apart from
    the replay: between paced tokens the caches go cold and the clock slows down, and wall
    time around each ``feed`` would measure that rather than the parser."""
    best = float("inf")
    for _ in range(repeat):
        parser = Parser()
        start = time.thread_time()
        for piece in pieces:
            parser.feed(piece)
        parser.close()
        best = min(best, time.thread_time() - start)
    return best


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
    stats.cpu = parser_cpu(pieces)
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
        self._expand: frozenset[Path] | None = None  # render()'s choice, for _node

    def update(self, events: list[Event]) -> None:
        """Take in a batch of events (their last snapshot is the document so far)."""
        for e in events:
            if e["event"] == "done":
                self.done.add(e["path"])
        if events:
            self.value = events[-1]["complete_value"]
            self.started = True

    def containers(self) -> list[Path]:
        """The paths of the finished containers inside the document, outermost first (then in
        document order): the order the final frame expands them in while they fit."""
        found: list[Path] = []
        level: list[tuple[Path, Any]] = [((), self.value)]
        while level:
            deeper: list[tuple[Path, Any]] = []
            for path, value in level:
                if isinstance(value, (dict, list)):
                    if path and path in self.done:
                        found.append(path)
                    items = value.items() if isinstance(value, dict) else enumerate(value)
                    deeper += [((*path, k), v) for k, v in items]
            level = deeper
        return found

    def render(
        self, width: int, final: bool = False, expand: frozenset[Path] | None = None
    ) -> Tree:
        """The document: strings with a cursor while open; a finished container on one line
        (cut to the width) while live, and once ``final`` expanded when it does not fit the
        width, or, given ``expand``, expanded exactly when its path is in it."""
        from rich.text import Text
        from rich.tree import Tree

        self._expand = expand
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
                if self._expand is not None:
                    one_line = path not in self._expand
                else:
                    one_line = not final or len(label) + 2 + len(compact) <= width
                if one_line:
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


def fit(lines: list[list[Segment]], room: int, marker: list[Segment], *, tail: bool) -> Any:
    """``lines`` (rendered) cut to at most ``room``: all of them when they fit, else the
    last ``room - 1`` after ``marker`` (``tail``) or the first ``room - 1`` before it."""
    from rich.segment import SegmentLines

    room = max(room, 2)
    if len(lines) > room:
        lines = [marker, *lines[-(room - 1) :]] if tail else [*lines[: room - 1], marker]
    return SegmentLines(lines, new_lines=True)


def _frames(console: Console, view: View) -> tuple[Callable[[str], Any], Callable[[str, int], Any]]:
    """The two frame makers of the live view: ``live(status)`` while the reply streams,
    ``final(status, below)`` when it ended (or was interrupted) with ``below`` lines to
    print under it. Both fit the terminal's height as it is when they are called:

    * live: the streaming end of the document, where the text is being written, and the
      panel's bottom border with the status; when the document is taller than the
      terminal its top is cut, with a line saying how many lines are above;
    * final: the document from its top, every container expanded if that fits, else each
      finished container on one line and then as many expanded, outermost first, as fit;
      cut at the bottom if even that is too tall. With what is printed below it and the
      shell's prompt it fits the terminal, so nothing scrolls away.
    """
    from rich.panel import Panel
    from rich.text import Text

    def panel(body: Any, status: str) -> Any:
        return Panel(body, title="instant demo", subtitle=status, border_style="blue")

    def lines(final: bool, expand: frozenset[Path] | None = None) -> list[list[Segment]]:
        options = console.options.update_width(console.width - 4)
        tree = view.render(console.width - 4, final, expand)
        return console.render_lines(tree, options, pad=False)

    def marker(text: str) -> list[Segment]:
        options = console.options.update_width(console.width - 4)
        return console.render_lines(Text(text, style="dim italic", no_wrap=True), options)[0]

    def live(status: str) -> Any:
        body = lines(final=False)
        room = console.height - 3  # the panel's two borders, and a line to spare
        above = len(body) - max(room, 2) + 1
        return panel(fit(body, room, marker(f"⋮ {above} lines above"), tail=True), status)

    def final(status: str, below: int) -> Any:
        room = console.height - 2 - below - 1  # borders, what follows, the prompt
        body = lines(final=True)
        if len(body) > room:  # each finished container on one line, then expand them
            expand: frozenset[Path] = frozenset()  # outermost first, while they fit
            body = lines(True, expand)
            for path in view.containers():
                wider = lines(True, expand | {path})
                if len(wider) <= room:
                    expand, body = expand | {path}, wider
        more = len(body) - max(room, 2) + 1
        cut = marker(f"⋮ {more} more lines (instant demo --plain prints the whole value)")
        return panel(fit(body, room, cut, tail=False), status)

    return live, final


@contextmanager
def _deferred_interrupt() -> Iterator[Callable[[], bool]]:
    """Ctrl-C during the live view is taken between frames, never in the middle of writing
    one (which would leave half an escape sequence and a hidden cursor): inside, SIGINT only
    sets a flag, which the caller checks."""
    received: list[int] = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    except ValueError:  # not the main thread: Ctrl-C stays as it is
        yield lambda: False
        return
    try:
        yield lambda: bool(received)
    finally:
        signal.signal(signal.SIGINT, previous)


def _live(pieces: list[str], rate: float | None, stats: Stats) -> None:
    """Draw the document as it fills in (rich.live), then print it whole and the summary.

    Ctrl-C stops the replay between two frames: the live view is replaced by the final
    frame of what had arrived, marked interrupted, and KeyboardInterrupt goes on up.
    """
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    console = Console()
    view = View()
    parser = Parser()
    live_frame, final_frame = _frames(console, view)
    n = 0
    stats.start = last = time.perf_counter()
    interrupted = False
    with _deferred_interrupt() as stop_requested:
        with Live(console=console, auto_refresh=False, transient=True) as live:
            for n, piece in enumerate(paced(pieces, rate), 1):
                if stop_requested():
                    interrupted = True
                    break
                view.update(stats.feed(parser, piece))
                now = time.perf_counter()
                if now - last >= 1 / FPS:
                    last = now
                    status = f"chunk {n}/{len(pieces)} · {stats.events} events"
                    live.update(live_frame(f"{status} · {now - stats.start:.1f} s"), refresh=True)
            else:
                view.update(stats.feed(parser, None))
        stats.elapsed = time.perf_counter() - stats.start
        if interrupted:
            status = f"interrupted at chunk {n}/{len(pieces)} · {stats.events} events"
            console.print(final_frame(status, 1))  # 1 line below: the newline after Ctrl-C
            raise KeyboardInterrupt
        stats.cpu = parser_cpu(pieces)
        summary = Text(stats.summary(), style="bold")
        below = len(console.render_lines(summary, console.options, pad=False))
        console.print(final_frame(f"{stats.events} events", below))
        console.print(summary)
