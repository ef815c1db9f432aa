"""Counting the documents ``instant parse`` ignores without ``--multiple``.

A lenient parser for a single document ignores whatever follows it. The command should not
stay silent when that is more JSON (a JSON Lines file, two replies in one stream), so
:class:`IgnoredDocuments` takes the text the parser ignores (through the engine's
``_on_ignored`` hook) and counts the documents in it as ``--multiple`` finds them: with a
``multiple=True`` parser of its own (so a root number followed by another, ``2 3``, counts
as two, as ``--multiple`` reads it), without snapshots, forgetting each document's value
once counted (but the last). So the count costs one parse of the ignored text and keeps at most one
document in memory, however many follow.
"""

from __future__ import annotations

from typing import Literal

from .._core.parser import Parser
from ..errors import ParseError
from ..events import Event


class IgnoredDocuments:
    """Counts the documents that follow the one ``parser`` reads (see the module doc)."""

    def __init__(self, parser: Parser, expect: Literal["object", "array"] | None) -> None:
        self.count = 0  # documents found after the first
        self.at_least = False  # counting stopped at text --multiple would reject
        self._counter = Parser(expect=expect, multiple=True, snapshots=False)
        # It reads on from the end of the first document, which the command's own parser read:
        # with a document found, a mid-sentence candidate at the end is none (SPEC 2), as for
        # --multiple reading the whole input.
        self._counter._values.append(None)
        parser._on_ignored = self._take

    def _count(self, events: list[Event]) -> None:
        for e in events:
            if not e["path"] and e["event"] == "done":  # a document's root: it ended
                self.count += 1
        # counted: the values are not needed, but keep the last (the parser asks whether a
        # document was found: with one, a trailing mid-sentence candidate is no document)
        del self._counter._values[:-1]

    def _take(self, text: str) -> None:
        """The parser ignored ``text``: count the documents in it."""
        if self.at_least:
            return
        try:
            self._count(self._counter.feed(text))
        except ParseError as err:  # --multiple would fail here: a document began
            self._count(err.events)
            self.count += 1
            self.at_least = True

    def close(self) -> int:
        """End of input: count the last document (one cut off counts, as --multiple
        completes it); returns the count."""
        if not self.at_least:
            try:
                self._count(self._counter.close())
            except ParseError as err:  # only prose after the last document (or a limit)
                if err.kind != "no_json":
                    self._count(err.events)
                    self.count += 1
                    self.at_least = True
        return self.count

    def warning(self, name: str) -> str:
        """The line for stderr, or ``""`` when nothing was ignored."""
        if not self.count:
            return ""
        one = self.count == 1
        many = "at least " if self.at_least else ""
        broken = " (with an error in the last)" if self.at_least else ""
        return (
            f"instant parse: {name}: {many}{self.count} more JSON "
            f"{'document' if one else 'documents'} followed the first and "
            f"{'was' if one else 'were'} ignored{broken}; pass --multiple to parse every "
            f"document\n"
        )
