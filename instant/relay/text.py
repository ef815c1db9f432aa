"""Canonical JSON text, streamed: what a client that parses JSON text itself expects.

:func:`text` writes the document as ``json.dumps(value, ensure_ascii=False,
separators=(",", ":"))`` writes it, piece by piece as the events come: prose, code fences,
comments and every leniency of the model's text are gone, and what was sent so far is always
a prefix of the final text, which is the JSON of the final value (this is the stream
Vercel's ``useObject`` reads). Written from each event's fields, never from its snapshot.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, overload

from ._run import run
from ._walk import Path, Walker
from ._wire import dumps, string_body

__all__ = ["TextEncoder", "text"]


class TextEncoder(Walker):
    """The sans-I/O encoder behind :func:`text`: ``feed(event)`` returns the new text
    (a list of at most one non-empty ``str``)."""

    def __init__(self) -> None:
        super().__init__()
        self._out: list[str] = []
        self._documents = 0

    # -- the encoder ---------------------------------------------------------------------
    def begin(self) -> list[str]:
        return []

    def feed(self, event: Mapping[str, Any]) -> list[str]:
        if "tool_call" in event:  # a tool call's arguments are not the reply's document
            return []
        self.step(event)
        return self.take()

    def close(self) -> list[str]:
        self.finish()
        return self.take()

    def fail(self, exc: BaseException) -> list[str]:
        return []

    def take(self) -> list[str]:
        """The text written since the last call, as a list of at most one piece."""
        if not self._out:
            return []
        piece = "".join(self._out)
        self._out = []
        return [piece]

    # -- the walker's hooks --------------------------------------------------------------
    def _lead(self, path: Path) -> str:
        """The separator and key before a new member at ``path``."""
        if not path:
            return ""
        comma = "" if self.first else ","
        if self.in_list:
            return comma
        return comma + dumps(path[-1]) + ":"

    def new_document(self, number: int) -> None:
        if self._documents:
            self._out.append("\n")  # several documents: one per line, like JSON Lines
        self._documents += 1

    def enter(self, path: Path, is_list: bool) -> None:
        self._out.append(self._lead(path) + ("[" if is_list else "{"))

    def leave(self, path: Path, is_list: bool) -> None:
        self._out.append("]" if is_list else "}")

    def start_string(self, path: Path, text: str) -> None:
        self._out.append(self._lead(path) + '"' + string_body(text))

    def extend_string(self, delta: str, text: str) -> None:
        self._out.append(string_body(delta))

    def end_string(self, path: Path) -> None:
        self._out.append('"')

    def put(self, path: Path, value: Any) -> None:
        self._out.append(self._lead(path) + dumps(value))


@overload
def text(events: AsyncIterable[Mapping[str, Any]]) -> AsyncIterator[str]: ...
@overload
def text(events: Iterable[Mapping[str, Any]]) -> Iterator[str]: ...
def text(
    events: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
) -> Iterator[str] | AsyncIterator[str]:
    """The document as canonical compact JSON text, in pieces (never empty) as it grows.

    The concatenation of the pieces so far is always a prefix of the final text, and the
    final text is ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` of the
    final value, ``NaN``/``Infinity`` included, except that a lone surrogate is written as
    its ``\\u`` escape so the text can be sent as UTF-8. With duplicate keys the text shows
    every member as the model wrote it (``{"a":1,"a":2}``): it cannot take back what it
    sent, and ``JSON.parse``/``json.loads`` of it give the final value (the last wins).
    Several documents (``multiple=True``) are written one per line. Events of a tool
    call's arguments (a ``tool_call`` field) are left out. Sync or async, like ``events``.
    """
    return run("instant.relay.text()", events, TextEncoder())
