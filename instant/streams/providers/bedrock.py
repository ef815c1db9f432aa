"""Amazon Bedrock: the ConverseStream events (boto3's ``converse_stream(...)["stream"]``,
dicts with one key each), and InvokeModelWithResponseStream's ``{"chunk": {"bytes": ...}}``
(the model's own events as JSON, read as such: Anthropic's for Claude)."""

from __future__ import annotations

import json
from typing import Any

from ...errors import ParseError, StreamError
from ._base import Piece, ReaderState, finish, get

FAMILY = "Bedrock ConverseStream"

EVENTS = frozenset(
    {
        "messageStart",
        "contentBlockStart",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    }
)
ERRORS = frozenset(
    {
        "internalServerException",
        "modelStreamErrorException",
        "validationException",
        "throttlingException",
        "serviceUnavailableException",
    }
)
# deltas that are not reply text: reasoning, citations, server tool results, images
_SILENT_DELTAS = frozenset({"reasoningContent", "citation", "toolResult", "image"})


def is_event(chunk: dict[str, Any]) -> bool:
    """Whether a dict is a ConverseStream event: one key, a known event or error name."""
    if len(chunk) != 1:
        return False
    name = next(iter(chunk))
    return name in EVENTS or name in ERRORS


def read(state: ReaderState, chunk: dict[str, Any]) -> list[Piece]:
    """One event (a dict with one key: the event's name)."""
    ((name, body),) = chunk.items()
    if name == "contentBlockDelta":
        delta = get(body, "delta") or {}
        text = get(delta, "text")
        if isinstance(text, str):
            return [text] if text else []
        tool = get(delta, "toolUse")
        if tool is not None:
            key = ("bedrock", get(body, "contentBlockIndex"))
            return [state.call(key, None, None, get(tool, "input") or "")]
        kinds = [k for k in delta if k not in _SILENT_DELTAS] if isinstance(delta, dict) else []
        return state.skip(f"{FAMILY} contentBlockDelta", kinds[0]) if kinds else []
    if name == "contentBlockStart":
        tool = get(get(body, "start"), "toolUse")
        if tool is not None:
            key = ("bedrock", get(body, "contentBlockIndex"))
            return [state.call(key, get(tool, "toolUseId"), get(tool, "name"), "")]
        return []  # a tool result or an image
    if name == "contentBlockStop":
        return state.end(("bedrock", get(body, "contentBlockIndex")))
    if name == "messageStop":
        return finish(get(body, "stopReason"))
    if name in ("messageStart", "metadata"):
        return []
    message = get(body, "message") or body
    raise StreamError(f"the stream reported an error: {name}: {message}", chunk)


def read_invoke_chunk(chunk: Any) -> Any:
    """The model event an InvokeModelWithResponseStream chunk carries (its JSON bytes)."""
    data = get(chunk, "bytes")
    if not isinstance(data, (bytes, bytearray, str)):
        raise TypeError(
            "instant cannot read a Bedrock InvokeModelWithResponseStream chunk without "
            f"bytes: expected {{'chunk': {{'bytes': b'{{...}}'}}}}, got {type(data).__name__}"
        )
    text = data if isinstance(data, str) else bytes(data).decode("utf-8", "replace")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ParseError(
            f"a Bedrock InvokeModelWithResponseStream chunk does not hold JSON: {err.msg}",
            offset=err.pos,
            line=err.lineno,
            column=err.colno,
            excerpt=text[max(0, err.pos - 30) : err.pos + 30],
            pointer=min(err.pos, 30),
        ) from None
