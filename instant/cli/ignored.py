"""Counting the documents ``instant parse`` ignores without ``--multiple``.

A lenient parser for a single document ignores whatever follows it. The command should not
stay silent when that is more JSON (a JSON Lines file, two replies in one stream), so
:class:`IgnoredDocuments` takes the text the parser ignores (through the engine's
``_on_ignored`` hook) and counts the documents in it as ``--multiple`` would find them.

It counts with one lenient single-document parser at a time, without snapshots: when that
parser's document ends, the text after it goes to a fresh one. So the count costs one
parse of the ignored text and keeps at most one document in memory, however many follow.
"""

from __future__ import annotations

from typing import Literal

from .._core.parser import Parser
from ..errors import ParseError


class IgnoredDocuments:
    """Counts the documents that follow the one ``parser`` reads (see the module doc)."""

    def __init__(self, parser: Parser, expect: Literal["object", "array"] | None) -> None:
        self.count = 0  # documents found after the first
        self.at_least = False  # counting stopped at text --multiple would reject
        self._expect = expect
        self._counter: Parser | None = None  # reads the document after the last counted
        self._rest: str | None = None  # what followed the counter's document, if it ended
        parser._on_ignored = self._take

    def _take(self, text: str) -> None:
        """The parser ignored ``text``: count the documents in it (iteratively: a chunk of
        JSON Lines holds thousands)."""
        pending: str | None = text
        while pending is not None and not self.at_least:
            if self._counter is None:
                self._counter = Parser(expect=self._expect, snapshots=False)
                self._counter._on_ignored = self._ended
            self._rest = None
            try:
                self._counter.feed(pending)
            except ParseError:  # a document began (or a limit was hit): --multiple would fail
                self.count += 1
                self.at_least = True
                return
            pending = self._rest
            if pending is not None:  # the counter's document ended inside this text
                self.count += 1
                self._counter = None

    def _ended(self, rest: str) -> None:
        self._rest = rest

    def close(self) -> int:
        """End of input: count the last document (one cut off counts, as --multiple
        completes it); returns the count."""
        counter, self._counter = self._counter, None
        if counter is not None and not self.at_least:
            try:
                counter.close()
            except ParseError:  # only prose after the last document (or a limit)
                return self.count
            if counter.values:
                self.count += 1
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
