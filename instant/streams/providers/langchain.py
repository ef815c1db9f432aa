"""LangChain: message chunks (``model.stream()``: ``AIMessageChunk``), and the content-block
protocol of langchain-core 1.x (``model.stream_events(..., version="v3")``: ``message-start``,
``content-block-start`` / ``-delta`` / ``-finish``, ``message-finish``, ``error`` dicts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._base import Piece, ReaderState, dumps, finish, get
from .openai import text_parts

FAMILY = "LangChain content-block protocol"

PROTOCOL_EVENTS = frozenset(
    {
        "message-start",
        "content-block-start",
        "content-block-delta",
        "content-block-finish",
        "message-finish",
        "error",
    }
)
MESSAGE_TYPES = frozenset({"AIMessageChunk", "AIMessage", "ai"})
_CALL_BLOCKS = ("tool_call_chunk", "tool_call", "invalid_tool_call")
# where LangChain's integrations put the provider's finish reason
_REASONS = ("finish_reason", "stop_reason", "done_reason", "stopReason")


def read_message(state: ReaderState, content: Any, chunk: Any) -> list[Piece]:
    """A message chunk: ``content`` (a string, or a list of parts of which ``text`` parts
    are the reply), ``tool_call_chunks``, and a finish reason in ``response_metadata``."""
    pieces: list[Piece] = []
    if isinstance(content, str):
        if content:
            pieces.append(content)
    else:
        pieces.extend(text_parts(content))  # tool-use parts repeat what tool_call_chunks say
    for call in get(chunk, "tool_call_chunks") or ():
        args = get(call, "args")
        pieces.append(
            state.call(
                ("lc", get(call, "index")),
                get(call, "id"),
                get(call, "name"),
                args if isinstance(args, str) else "",
            )
        )
    pieces.extend(_reason(get(chunk, "response_metadata")))
    return pieces


def read_protocol(state: ReaderState, kind: str, event: Any) -> list[Piece]:
    """One content-block protocol event (``kind`` is its ``event``, one of
    :data:`PROTOCOL_EVENTS`). Delta types the protocol does not define are ignored, as it
    asks; reasoning and data deltas are not reply text."""
    index = get(event, "index")
    key = ("lc-block", index)
    if kind == "content-block-delta":
        delta = get(event, "delta")
        dkind = get(delta, "type")
        if dkind == "text-delta":
            text = get(delta, "text")
            if isinstance(text, str) and text:
                state.marks.add(key)
                return [text]
            return []
        if dkind == "tool-call-delta":
            # a delta of a call whose start was not seen (a server tool's, or one cut from
            # a replay window) is left to content-block-finish, which carries the call
            args = get(delta, "args")
            if isinstance(args, str) and args and state.known(key):
                return [state.call(key, None, None, args)]
            return []
        return []
    block = get(event, "content")
    if block is None:
        block = get(event, "content_block")  # the field's name before protocol 0.0.10
    btype = get(block, "type")
    if kind == "content-block-start":
        if btype in _CALL_BLOCKS:
            # a tool_call_chunk may start with argument text; a finished tool_call's start
            # holds only a placeholder ({}): its arguments come with content-block-finish
            args = get(block, "args")
            text = args if btype == "tool_call_chunk" and isinstance(args, str) else ""
            return [state.call(key, get(block, "id"), get(block, "name"), text)]
        if btype == "text":
            text = get(block, "text")
            if isinstance(text, str) and text:
                state.marks.add(key)
                return [text]
        return []
    if kind == "content-block-finish":
        if btype in _CALL_BLOCKS:
            # the finished call carries its arguments: read them if no delta brought any
            text = "" if state.received(key) else _args(block)
            pieces: list[Piece] = []
            if text or not state.known(key):
                pieces.append(state.call(key, get(block, "id"), get(block, "name"), text))
            return pieces + state.end(key)
        if btype == "text" and key not in state.marks:  # the text came whole, without deltas
            text = get(block, "text")
            return [text] if isinstance(text, str) and text else []
        return []
    if kind == "message-finish":
        return _reason(get(event, "metadata"))
    if kind == "error":
        state.error(get(event, "message") or event)
    return []  # message-start


def _args(block: Any) -> str:
    args = get(block, "args")
    if isinstance(args, str):
        return args
    if isinstance(args, Mapping):
        return dumps(dict(args))
    return ""


def _reason(metadata: Any) -> list[Piece]:
    if not isinstance(metadata, Mapping):
        return []
    for name in _REASONS:
        reason = metadata.get(name)
        if reason:
            return finish(reason)
    return []
