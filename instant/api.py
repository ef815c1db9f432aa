"""One-call conveniences over :class:`~instant.parser.Parser`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .events import Event
from .parser import Parser


def parse(text: str | bytes, **options: Any) -> Any:
    """The final value of a whole model reply (``multiple=True``: the list of documents).

    Lenient by default: finds the JSON inside prose, fences and think blocks, and completes
    a truncated reply. Raises :class:`~instant.ParseError` on bad input. ``options`` are
    :class:`~instant.parser.Parser`'s (``select`` is accepted and changes nothing here: the
    value is always the whole document). No event is kept, so snapshots are off unless asked
    for: with them, each event of a large open container would copy it (quadratic work).
    """
    options.setdefault("snapshots", False)
    parser = Parser(**options)
    parser.feed(text)
    parser.close()
    return parser.values if parser.multiple else parser.value


def iter_events(chunks: Iterable[str | bytes], **options: Any) -> Iterator[Event]:
    """Events for any iterable of text chunks, as each chunk arrives, then the last ones.

    ``options`` are :class:`~instant.parser.Parser`'s, e.g. ``select="items.[].name"`` to
    get only the events a selector selects.
    """
    parser = Parser(**options)
    for chunk in chunks:
        yield from parser.feed(chunk)
    yield from parser.close()
