"""Ollama: ``/api/chat`` and ``/api/generate`` stream lines (``ollama`` SDK ``ChatResponse``
/ ``GenerateResponse`` objects, or the NDJSON dicts).

``message.content`` (chat) and ``response`` (generate) are reply text; ``message.thinking``
and ``thinking`` are not; each of ``message.tool_calls`` arrives whole, its ``arguments`` a
mapping; the last line (``done: true``) says why in ``done_reason``.
"""

from __future__ import annotations

from typing import Any

from ._base import Piece, ReaderState, finish, get

FAMILY = "Ollama"


def is_line(chunk: dict[str, Any]) -> bool:
    """Whether a dict is an Ollama stream line: ``done``, and ``message`` or ``response``."""
    return "done" in chunk and ("message" in chunk or "response" in chunk)


def read(state: ReaderState, chunk: Any) -> list[Piece]:
    pieces: list[Piece] = []
    message = get(chunk, "message")
    if message is not None:
        text = get(message, "content")
        if isinstance(text, str) and text:
            pieces.append(text)
        for call in get(message, "tool_calls") or ():
            function = get(call, "function")
            name = get(function, "name")
            pieces.extend(
                state.whole_call(FAMILY, get(call, "id"), name, get(function, "arguments"))
            )
    else:
        text = get(chunk, "response")
        if isinstance(text, str) and text:
            pieces.append(text)
    if get(chunk, "done"):
        pieces.extend(finish(get(chunk, "done_reason")))
    return pieces
