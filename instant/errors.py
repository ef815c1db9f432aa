"""Every exception instant raises on purpose, in one place.

- :class:`ParseError` (a ``ValueError``): the input cannot be accepted. Its ``kind`` says
  why, so code never matches message text: ``"syntax"`` (a character that cannot be
  accepted), ``"limit"`` (``max_depth``, ``max_number_length``, ``max_size``), ``"no_json"``
  (the reply holds no JSON value), ``"encoding"`` (bytes that are not UTF-8, or text fed
  inside an unfinished UTF-8 sequence), ``"truncated"`` (:class:`TruncatedError`).
- :class:`TruncatedError` (a ``ParseError``): a one-shot call (``parse``, ``stream_model``)
  got a reply that was cut off; the completed value is attached.
- :class:`RefusalError`: the model refused to answer (OpenAI ``refusal``); the text is
  attached.
- :class:`StreamError`: the stream itself reported an error (an ``error`` event).
- :class:`StreamWarning` (a ``UserWarning``, not an exception): a stream held an event of
  a type instant does not know, in a family it reads (a newer API's event); it was skipped.
- :class:`SelectorError` (a ``ValueError``): a malformed selector expression.
"""

from __future__ import annotations

import sys
from typing import Any, Literal

ErrorKind = Literal["syntax", "limit", "no_json", "encoding", "truncated"]


class ParseError(ValueError):
    """Bad input: says where (offset, line, column), what was found and what was expected.

    ``offset`` is the 0-based index, in characters of the whole stream, of the first
    character that cannot be accepted; ``line`` and ``column`` are 1-based and counted the
    way :class:`json.JSONDecodeError` counts them. ``excerpt`` is the text around it (up to
    30 characters either side, newlines included) and ``pointer`` the index in ``excerpt`` of
    that character, for tools that draw their own caret. ``kind`` names the reason (see the
    module). ``events`` holds the events that the failing ``feed``/``close`` call produced
    before the error, so that nothing parsed is lost (the parser's ``value`` reflects them
    too).
    """

    def __init__(
        self,
        message: str,
        *,
        offset: int,
        line: int,
        column: int,
        excerpt: str = "",
        pointer: int = 0,
        kind: ErrorKind = "syntax",
    ) -> None:
        self.msg = message
        self.offset = offset
        self.line = line
        self.column = column
        self.excerpt = excerpt
        self.pointer = pointer  # index into ``excerpt`` of the offending character
        self.kind: ErrorKind = kind
        self.events: list[Any] = []
        text = f"{message} at line {line}, column {column} (offset {offset})"
        if excerpt:
            shown = excerpt.replace("\r", " ").replace("\n", " ").replace("\t", " ")
            text += f"\n    {shown}\n    {' ' * pointer}^"
        super().__init__(text)

    def __reduce__(self) -> Any:  # keep pickling/copying working despite keyword-only args
        args = (self.msg, self.offset, self.line, self.column, self.excerpt, self.pointer)
        return (_rebuild, (type(self), *args, self.kind), self.__dict__)


def _rebuild(
    cls: type[ParseError],
    msg: str,
    offset: int,
    line: int,
    column: int,
    excerpt: str,
    pointer: int,
    kind: ErrorKind,
) -> ParseError:
    err = ParseError.__new__(cls)
    ParseError.__init__(
        err,
        msg,
        offset=offset,
        line=line,
        column=column,
        excerpt=excerpt,
        pointer=pointer,
        kind=kind,
    )
    return err


class TruncatedError(ParseError):
    """The reply was cut off (the model hit its token limit) and the caller wanted it whole.

    ``value`` is what the parser completed (open strings ended, open containers closed, a
    half number dropped); ``offset``/``line``/``column`` point at the end of the input, where
    it was cut. Pass ``allow_truncated=True`` to get the completed value instead.
    """

    value: Any = None  # the completed value

    def __init__(self, message: str, *, value: Any = None, **where: Any) -> None:
        where.setdefault("kind", "truncated")
        super().__init__(message, **where)
        self.value = value


class RefusalError(Exception):
    """The model refused to answer; ``refusal`` holds its text (what it said instead)."""

    def __init__(self, refusal: str) -> None:
        super().__init__(f"the model refused: {refusal}")
        self.refusal = refusal

    def __reduce__(self) -> Any:
        return (type(self), (self.refusal,))


class StreamError(RuntimeError):
    """The stream itself reported an error (an ``error`` event in raw server-sent events).

    SDK clients raise their own exception for these; this one is for raw dicts and lines.
    ``error`` is what the event said.
    """

    def __init__(self, message: str, error: Any = None) -> None:
        super().__init__(message)
        self.error = error

    def __reduce__(self) -> Any:
        return (type(self), (self.args[0] if self.args else "", self.error))


class StreamWarning(UserWarning):
    """A stream held an event of a type instant does not know (say, one a newer API added)
    in a family it reads; the event was skipped. Warned once per type and stream."""


class SelectorError(ValueError):
    """A malformed selector expression.

    ``position`` is the 0-based index into ``expression`` of the first character that is
    wrong; ``msg`` says what was found there and what was expected; ``str()`` adds the
    expression with a caret under that position.
    """

    def __init__(self, message: str, *, expression: str, position: int) -> None:
        self.msg = message
        self.expression = expression
        self.position = position
        shown = "".join(" " if c in "\t\n\r\f\v" else c for c in expression)
        super().__init__(f"{message}\n    {shown}\n    {' ' * position}^")

    def __reduce__(self) -> Any:  # keep pickling/copying working despite keyword-only args
        return (_rebuild_selector_error, (self.msg, self.expression, self.position))


def _rebuild_selector_error(msg: str, expression: str, position: int) -> SelectorError:
    return SelectorError(msg, expression=expression, position=position)


def _add_note(exc: BaseException, note: str) -> None:
    """``exc.add_note(note)`` (PEP 678, Python 3.11+). On 3.10 the note goes into the same
    ``__notes__`` list, which code can read there too; 3.10's tracebacks do not print it."""
    if sys.version_info >= (3, 11):
        exc.add_note(note)
    else:
        notes = getattr(exc, "__notes__", None)
        exc.__notes__ = [*(notes or ()), note]  # type: ignore[attr-defined]
