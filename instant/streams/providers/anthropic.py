"""Anthropic's message stream events (raw, or through the SDK's ``.stream()`` helper, whose
extra events repeat what the raw ones say), also as Bedrock's InvokeModel stream carries them."""

from __future__ import annotations

from typing import Any

from ._base import Piece, ReaderState, finish, get

EVENTS = frozenset(
    {
        "message_start",
        "message_delta",
        "message_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "ping",
        "error",
    }
)

# The helper stream's derived events: "text", "input_json", "citation", "thinking",
# "signature" repeat the raw content_block_delta events (also yielded): reading both would
# double the text. "compaction" (beta) carries the summary of earlier turns, not the reply.
SILENT = frozenset(
    {"message_start", "message_stop", "ping", "text", "input_json", "citation", "thinking",
     "signature", "compaction"}
)  # fmt: skip

_DELTAS = frozenset(
    {
        "thinking_delta",
        "signature_delta",
        "citations_delta",
        "compaction_delta",
    }
)


def read(state: ReaderState, kind: str, chunk: Any) -> list[Piece]:
    """One event (``kind`` is its type, one of :data:`EVENTS`, not in :data:`SILENT`)."""
    if kind == "content_block_delta":
        delta = get(chunk, "delta")
        dkind = get(delta, "type")
        if dkind == "text_delta":
            text = get(delta, "text")
            return [text] if text else []
        if dkind == "input_json_delta":
            key = ("block", get(chunk, "index"))
            return [state.call(key, None, None, get(delta, "partial_json") or "")]
        if dkind in _DELTAS:  # thinking, its signature, citations, compaction
            return []
        return state.skip("Anthropic content_block_delta", str(dkind))
    if kind == "content_block_start":
        block = get(chunk, "content_block")
        bkind = get(block, "type")
        if bkind in ("tool_use", "server_tool_use"):
            key = ("block", get(chunk, "index"))
            return [state.call(key, get(block, "id"), get(block, "name"), "")]
        if bkind == "text":
            text = get(block, "text")
            return [text] if text else []
        return []  # thinking, compaction, tool results
    if kind == "content_block_stop":
        return state.end(("block", get(chunk, "index")))
    if kind == "message_delta":  # why the message ended
        return finish(get(get(chunk, "delta"), "stop_reason"))
    if kind == "error":
        state.error(get(chunk, "error") or get(chunk, "message"))
    return []
