"""What a chunk of a model stream says, recognised by its shape (no SDK is imported).

A stream hands us ``str``/``bytes``, or the chunk objects of an SDK, or the same shapes as
plain dicts decoded from the raw server-sent events. :class:`ChunkReader` turns each chunk
into *pieces*: text of the reply (``str`` or ``bytes``) and :class:`CallPiece` fragments of
tool-call arguments. It keeps the little state the APIs spread over several events (the id
and name of a call arrive before its arguments) and numbers tool calls 0, 1, ... in the
order they first appear, whatever index the API uses (Anthropic counts content blocks).

Shapes read (attribute or key access, whichever the chunk offers):

========================================  =================================================
OpenAI chat completions chunk             ``choices[0].delta.content``,
                                          ``choices[0].delta.tool_calls[i]``
OpenAI Responses API events               ``response.output_text.delta``,
                                          ``response.output_item.added`` (function_call),
                                          ``response.function_call_arguments.delta``
Anthropic message stream events           ``content_block_delta`` (``text_delta``,
                                          ``input_json_delta``), ``content_block_start``
                                          (``tool_use``), ``content_block_stop``
LangChain message chunks                  ``.content`` (a string or a list of parts),
                                          ``.tool_call_chunks``
LlamaIndex ``CompletionResponse``/
``ChatResponse``                          ``.delta``
========================================  =================================================

Events that carry no reply text (message start/stop, usage, pings, the "text" and
"input_json" conveniences the Anthropic helper adds on top of the raw events) give no piece.
An error event in the stream raises :class:`StreamError`; an unknown shape a ``TypeError``.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from ..errors import StreamError


@dataclass(slots=True)
class CallPiece:
    """A fragment of one tool call: its number, what is known of it, and argument text."""

    index: int
    id: str | None
    name: str | None
    arguments: str
    end: bool = False


@dataclass(slots=True)
class Finish:
    """The provider said why the reply ended: ``reason`` normalised (:func:`finish_reason`),
    ``raw`` as the provider wrote it."""

    reason: str
    raw: Any = None


@dataclass(slots=True)
class Refusal:
    """Text of a refusal (OpenAI ``refusal``): the model declined instead of answering."""

    text: str


Piece = str | bytes | CallPiece | Finish | Refusal

# Every provider's end-of-reply reasons, normalised: "stop" (the model finished), "length"
# (a token limit cut it off), "content_filter" (a safety system cut it off), "tool_calls"
# (it stopped to call tools). Anything else is passed through as the provider wrote it.
_FINISH = {
    # OpenAI chat completions (and Mistral, Ollama, LangChain's OpenAI-like metadata)
    "stop": "stop",
    "length": "length",
    "content_filter": "content_filter",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "model_length": "length",
    # OpenAI Responses: response.incomplete's incomplete_details.reason
    "max_output_tokens": "length",
    # Anthropic stop_reason (also Bedrock's stopReason, snake_case)
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
    "model_context_window_exceeded": "length",
    # Google Gemini / Vertex finishReason
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
}


def finish_reason(raw: Any) -> str | None:
    """A provider's end-of-reply reason, normalised to ``"stop"``, ``"length"``,
    ``"content_filter"`` or ``"tool_calls"``, or the raw string when it is none of those."""
    if raw is None:
        return None
    text = getattr(raw, "value", raw)  # an SDK enum
    text = text if isinstance(text, str) else str(text)
    return _FINISH.get(text, text)


_EXPECTED = (
    "str or bytes, or a chunk of the OpenAI (chat completions or Responses), Anthropic, "
    "LangChain or LlamaIndex SDKs, or the same shapes as dicts"
)

# Event types that carry nothing for us. Anthropic's MessageStream adds "text",
# "input_json", "citation", "thinking" and "signature" events that repeat what the raw
# content_block_delta events (which it also yields) say: reading both would double the text.
_SILENT = frozenset(
    {
        "message_start",
        "message_stop",
        "ping",
        "text",
        "input_json",
        "citation",
        "thinking",
        "signature",
        # OpenAI's ChatCompletionStream helper: derived events; its "chunk" event is read
        "content.delta",
        "content.done",
        "refusal.delta",
        "refusal.done",
        "tool_calls.function.arguments.delta",
        "tool_calls.function.arguments.done",
        "logprobs.content.delta",
        "logprobs.content.done",
        "logprobs.refusal.delta",
        "logprobs.refusal.done",
    }
)


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


class ChunkReader:
    """Turns chunks into pieces; one reader per stream (it remembers the calls seen)."""

    def __init__(self) -> None:
        self._calls: dict[Hashable, int] = {}  # the API's key for a call -> our number
        self._received: dict[int, bool] = {}  # whether argument text arrived for a call
        self._chat_classes: dict[type, bool] = {}  # class -> is an OpenAI chat chunk model

    def read(self, chunk: Any) -> list[Piece]:
        """The pieces of one chunk, in the order the chunk gives them."""
        if isinstance(chunk, (str, bytes)):
            return [chunk] if chunk else []
        if isinstance(chunk, (bytearray, memoryview)):
            return [bytes(chunk)] if chunk else []
        # An SDK's chat chunk model has no "type" field: asking a pydantic model for a missing
        # attribute raises inside it, which would double the cost of every chunk. Its class
        # says once which fields it has.
        cls = chunk.__class__
        is_chat = self._chat_classes.get(cls)
        if is_chat is None:
            fields = getattr(cls, "model_fields", None)
            is_chat = self._chat_classes[cls] = (
                isinstance(fields, dict) and "choices" in fields and "type" not in fields
            )
        if is_chat:
            return self._chat(chunk.choices or ())
        kind = _get(chunk, "type")
        if isinstance(kind, str):
            if kind in _SILENT:
                return []
            pieces = self._typed(kind, chunk)
            if pieces is not None:
                return pieces
        choices = _get(chunk, "choices")
        if isinstance(choices, (list, tuple)):
            return self._chat(choices)
        if isinstance(chunk, dict) and chunk.get("error") is not None:
            self._error(chunk["error"])
        delta = _get(chunk, "delta")
        if isinstance(delta, str) or (delta is None and _has(chunk, "delta")):
            return [delta] if delta else []  # LlamaIndex CompletionResponse / ChatResponse
        content = _get(chunk, "content")
        if isinstance(content, (str, list)):
            return self._langchain(content, _get(chunk, "tool_call_chunks"))
        raise TypeError(
            f"instant cannot read a stream chunk of type {type(chunk).__name__}: expected "
            + _EXPECTED
        )

    # -- the shapes ---------------------------------------------------------------------

    def _typed(self, kind: str, chunk: Any) -> list[Piece] | None:
        """Anthropic and OpenAI Responses events (``type`` names them); None: not ours."""
        if kind == "content_block_delta":
            delta = _get(chunk, "delta")
            dkind = _get(delta, "type")
            if dkind == "text_delta":
                text = _get(delta, "text")
                return [text] if text else []
            if dkind == "input_json_delta":
                return [
                    self._call(
                        ("block", _get(chunk, "index")),
                        None,
                        None,
                        _get(delta, "partial_json") or "",
                    )
                ]
            return []  # thinking, signature, citations
        if kind == "content_block_start":
            block = _get(chunk, "content_block")
            bkind = _get(block, "type")
            if bkind in ("tool_use", "server_tool_use"):
                return [
                    self._call(
                        ("block", _get(chunk, "index")), _get(block, "id"), _get(block, "name"), ""
                    )
                ]
            if bkind == "text":
                text = _get(block, "text")
                return [text] if text else []
            return []
        if kind == "message_delta":  # Anthropic: why the message ended
            reason = _get(_get(chunk, "delta"), "stop_reason")
            return [Finish(finish_reason(reason) or "stop", reason)] if reason else []
        if kind == "content_block_stop":
            key = ("block", _get(chunk, "index"))
            return [self._end(key)] if key in self._calls else []
        if kind.startswith("response."):
            return self._responses(kind, chunk)
        if kind == "chunk":  # OpenAI's ChatCompletionStream helper wraps the raw chunk
            inner = _get(chunk, "chunk")
            return self.read(inner) if inner is not None else []
        if kind == "error":
            self._error(_get(chunk, "error") or _get(chunk, "message"))
        return None

    def _responses(self, kind: str, chunk: Any) -> list[Piece]:
        if kind == "response.output_text.delta":
            text = _get(chunk, "delta")
            return [text] if text else []
        if kind == "response.refusal.delta":
            text = _get(chunk, "delta")
            return [Refusal(text)] if text else []
        if kind == "response.completed":
            return [Finish("stop", "completed")]
        if kind == "response.incomplete":
            details = _get(_get(chunk, "response"), "incomplete_details")
            reason = _get(details, "reason") or "incomplete"
            return [Finish(finish_reason(reason) or "incomplete", reason)]
        if kind == "response.output_item.added":
            item = _get(chunk, "item")
            if _get(item, "type") == "function_call":
                key = ("item", _get(chunk, "output_index"))
                return [
                    self._call(
                        key,
                        _get(item, "call_id"),
                        _get(item, "name"),
                        _get(item, "arguments") or "",
                    )
                ]
            return []
        if kind == "response.function_call_arguments.delta":
            key = ("item", _get(chunk, "output_index"))
            return [self._call(key, None, None, _get(chunk, "delta") or "")]
        if kind == "response.function_call_arguments.done":
            key = ("item", _get(chunk, "output_index"))
            if key in self._calls and self._received[self._calls[key]]:
                return []
            # no delta came: the arguments arrive whole here
            return [self._call(key, None, None, _get(chunk, "arguments") or "")]
        if kind == "response.output_item.done":
            key = ("item", _get(chunk, "output_index"))
            return [self._end(key)] if key in self._calls else []
        if kind in ("response.failed", "response.error"):
            response = _get(chunk, "response")
            self._error(_get(response, "error") or _get(chunk, "error") or kind)
        return []

    def _chat(self, choices: list[Any] | tuple[Any, ...]) -> list[Piece]:
        """OpenAI chat completions: the first choice (index 0) only."""
        pieces: list[Piece] = []
        for choice in choices:
            if _get(choice, "index") not in (0, None):
                continue
            delta = _get(choice, "delta")
            text = _get(delta, "content") if delta is not None else None
            if text:
                pieces.append(text)
            refusal = _get(delta, "refusal") if delta is not None else None
            if refusal:
                pieces.append(Refusal(refusal))
            for call in (_get(delta, "tool_calls") if delta is not None else None) or ():
                function = _get(call, "function")
                pieces.append(
                    self._call(
                        ("chat", _get(call, "index")),
                        _get(call, "id"),
                        _get(function, "name"),
                        _get(function, "arguments") or "",
                    )
                )
            reason = _get(choice, "finish_reason")
            if reason:
                pieces.append(Finish(finish_reason(reason) or "stop", reason))
        return pieces

    def _langchain(self, content: str | list[Any], calls: Any) -> list[Piece]:
        pieces: list[Piece] = []
        if isinstance(content, str):
            if content:
                pieces.append(content)
        else:
            for part in content:
                if isinstance(part, str):
                    text = part
                elif _get(part, "type") == "text":
                    text = _get(part, "text") or ""
                else:
                    continue  # tool-use parts repeat what tool_call_chunks say
                if text:
                    pieces.append(text)
        for call in calls or ():
            pieces.append(
                self._call(
                    ("lc", _get(call, "index")),
                    _get(call, "id"),
                    _get(call, "name"),
                    _get(call, "args") or "",
                )
            )
        return pieces

    # -- tool calls ---------------------------------------------------------------------

    def _call(self, key: Hashable, id: Any, name: Any, arguments: str) -> CallPiece:
        number = self._calls.get(key)
        if number is None:
            number = self._calls[key] = len(self._calls)
            self._received[number] = False
        if arguments:
            self._received[number] = True
        return CallPiece(number, id or None, name or None, arguments)

    def _end(self, key: Hashable) -> CallPiece:
        return CallPiece(self._calls[key], None, None, "", end=True)

    @staticmethod
    def _error(error: Any) -> None:
        message = _get(error, "message") if not isinstance(error, str) else error
        raise StreamError(f"the stream reported an error: {message or error}", error)


def _has(obj: Any, name: str) -> bool:
    return name in obj if isinstance(obj, dict) else hasattr(obj, name)
