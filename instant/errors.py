"""The one exception that input handling may raise: :class:`ParseError`."""

from __future__ import annotations

from typing import Any


class ParseError(ValueError):
    """Bad input: says where (offset, line, column) and what was found and expected.

    ``offset`` is the 0-based index, in characters of the whole stream, of the first
    character that cannot be accepted; ``line`` and ``column`` are 1-based and counted the
    way :class:`json.JSONDecodeError` counts them. ``excerpt`` is the text around it (up to
    30 characters either side, newlines included) and ``pointer`` the index in ``excerpt`` of
    that character, for tools that draw their own caret. ``events`` holds the events that the
    failing ``feed``/``close`` call produced before the error, so that nothing parsed is
    lost (the parser's ``value`` reflects them too).
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
    ) -> None:
        self.msg = message
        self.offset = offset
        self.line = line
        self.column = column
        self.excerpt = excerpt
        self.pointer = pointer  # index into ``excerpt`` of the offending character
        self.events: list[Any] = []
        text = f"{message} at line {line}, column {column} (offset {offset})"
        if excerpt:
            shown = excerpt.replace("\r", " ").replace("\n", " ").replace("\t", " ")
            text += f"\n    {shown}\n    {' ' * pointer}^"
        super().__init__(text)

    def __reduce__(self) -> Any:  # keep pickling/copying working despite keyword-only args
        args = (self.msg, self.offset, self.line, self.column, self.excerpt, self.pointer)
        return (_rebuild, args)


def _rebuild(
    msg: str, offset: int, line: int, column: int, excerpt: str, pointer: int = 0
) -> ParseError:
    return ParseError(
        msg, offset=offset, line=line, column=column, excerpt=excerpt, pointer=pointer
    )
