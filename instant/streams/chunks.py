"""What a chunk of a model stream says, recognised by its shape (no SDK is imported).

A stream hands us ``str``/``bytes``, or the chunk objects of an SDK, or the same shapes as
plain dicts decoded from the raw server-sent events or JSON lines (:mod:`.wire`).
:class:`ChunkReader` turns each chunk into *pieces*: text of the reply (``str`` or
``bytes``), :class:`CallPiece` fragments of tool-call arguments, the :class:`Finish` reason
and :class:`Refusal` text. It keeps the little state the APIs spread over several events
(the id and name of a call arrive before its arguments) and numbers tool calls 0, 1, ... in
the order they first appear, whatever index the API uses (Anthropic counts content blocks).
Each provider's shapes are read in :mod:`.providers`:

==========================================  ================================================
OpenAI chat completions chunk (and          ``choices[0].delta.content``,
Mistral's ``CompletionEvent.data``)         ``choices[0].delta.tool_calls[i]``
OpenAI Responses API events                 ``response.output_text.delta``,
                                            ``response.output_item.added`` (function_call),
                                            ``response.function_call_arguments.delta``
Anthropic message stream events             ``content_block_delta`` (``text_delta``,
                                            ``input_json_delta``), ``content_block_start``
                                            (``tool_use``), ``content_block_stop``
Gemini / Vertex ``GenerateContentResponse``  ``candidates[0].content.parts[i]``: ``text``,
                                            ``functionCall`` (``args``, or Vertex's
                                            ``partialArgs``)
Bedrock ConverseStream events               ``contentBlockDelta.delta.text`` /
                                            ``.toolUse.input``, ``contentBlockStart``
Ollama chat / generate lines                ``message.content``, ``message.tool_calls``,
                                            ``response``
LangChain message chunks                    ``.content`` (a string or a list of parts),
                                            ``.tool_call_chunks``
LangChain content-block protocol            ``content-block-delta`` (``text-delta``,
                                            ``tool-call-delta``), ``content-block-start`` /
                                            ``-finish``
LlamaIndex ``CompletionResponse``/
``ChatResponse``                            ``.delta``
==========================================  ================================================

Events that carry no reply text (message start/stop, usage, pings, reasoning and thinking,
the conveniences SDK helpers add on top of the raw events) give no piece. An event of a
type we do not know, in a stream whose provider we know, is skipped with a
:class:`~instant.errors.StreamWarning` (once per type). An error event in the stream raises
:class:`StreamError`; an unknown shape a ``TypeError``.

Cost: a ``str``/``bytes`` chunk is one type check; an SDK chunk a few attribute reads (whether
a pydantic chunk class has a ``type`` field is asked once per class, not per chunk).
"""

from __future__ import annotations

from typing import Any

from .providers import anthropic, bedrock, google, langchain, ollama, openai
from .providers._base import (
    CallPiece,
    Finish,
    Piece,
    ReaderState,
    Refusal,
    finish_reason,
    get,
    get2,
    has,
)

__all__ = ["CallPiece", "ChunkReader", "Finish", "Piece", "Refusal", "finish_reason"]


_EXPECTED = (
    "str or bytes, or a chunk of the OpenAI (chat completions or Responses), Anthropic, "
    "Gemini/Vertex, Bedrock, Ollama, Mistral, LangChain or LlamaIndex SDKs, or the same "
    "shapes as dicts"
)

# what the class of an SDK's pydantic chunk says it is (read once per class)
_CHAT, _GEMINI, _OLLAMA, _WRAPPED, _DELTA, _OTHER = range(6)


def _kind_of_class(cls: type) -> int:
    fields = getattr(cls, "model_fields", None)
    if not isinstance(fields, dict) or "type" in fields:
        return _OTHER
    if "choices" in fields:
        return _CHAT  # OpenAI ChatCompletionChunk, Mistral CompletionChunk
    if "candidates" in fields:
        return _GEMINI  # google-genai GenerateContentResponse
    if "done" in fields and ("message" in fields or "response" in fields):
        return _OLLAMA  # ollama ChatResponse, GenerateResponse
    if set(fields) == {"data"}:
        return _WRAPPED  # mistralai CompletionEvent
    if "delta" in fields:
        return _DELTA  # LlamaIndex CompletionResponse, ChatResponse
    return _OTHER


class ChunkReader(ReaderState):
    """Turns chunks into pieces; one reader per stream (it remembers the calls seen)."""

    def __init__(self) -> None:
        super().__init__()
        # An SDK's pydantic chunk model may have no "type" field: asking it for a missing
        # attribute raises inside it, which would double the cost of every chunk. Its
        # class says once what it is.
        self._classes: dict[type, int] = {}

    def read(self, chunk: Any) -> list[Piece]:
        """The pieces of one chunk, in the order the chunk gives them."""
        if isinstance(chunk, (str, bytes)):
            return [chunk] if chunk else []
        if isinstance(chunk, (bytearray, memoryview)):
            return [bytes(chunk)] if chunk else []
        if not isinstance(chunk, dict):
            cls = chunk.__class__
            kind = self._classes.get(cls)
            if kind is None:
                kind = self._classes[cls] = _kind_of_class(cls)
            if kind == _CHAT:
                self._family("OpenAI chat completions")
                return openai.read_chat(self, chunk.choices or ())
            if kind == _GEMINI:
                self._family(google.FAMILY)
                return google.read(self, chunk)
            if kind == _OLLAMA:
                self._family(ollama.FAMILY)
                return ollama.read(self, chunk)
            if kind == _WRAPPED:
                return self.read(chunk.data)
            if kind == _DELTA:
                delta = chunk.delta
                if delta is None or isinstance(delta, str):
                    return [delta] if delta else []
        pieces = self._read_shape(chunk)
        if pieces is None:
            raise TypeError(
                f"instant cannot read a stream chunk of type {type(chunk).__name__}: expected "
                + _EXPECTED
            )
        return pieces

    def _family(self, name: str) -> None:
        if self.family is None:
            self.family = name

    def _read_shape(self, chunk: Any) -> list[Piece] | None:
        """Any chunk, dict or object, by the fields it has; None: no shape we know."""
        kind = get(chunk, "type")
        if isinstance(kind, str):
            pieces = self._typed(kind, chunk)
            if pieces is not None:
                return pieces
        event = get(chunk, "event")
        if isinstance(event, str):
            if event in langchain.PROTOCOL_EVENTS:
                self._family(langchain.FAMILY)
                return langchain.read_protocol(self, event, chunk)
            if self.family == langchain.FAMILY:
                return self.skip(langchain.FAMILY, event)
        choices = get(chunk, "choices")
        if isinstance(choices, (list, tuple)):
            self._family("OpenAI chat completions")
            return openai.read_chat(self, choices)
        if isinstance(get(chunk, "candidates"), (list, tuple)) or (
            get2(chunk, "usage_metadata", "usageMetadata") is not None
            or get2(chunk, "prompt_feedback", "promptFeedback") is not None
        ):
            self._family(google.FAMILY)
            return google.read(self, chunk)
        if isinstance(chunk, dict):
            pieces = self._keyed(chunk)
            if pieces is not None:
                return pieces
        data = get(chunk, "data")
        if data is not None and isinstance(get(data, "choices"), (list, tuple)):
            return self.read(data)  # Mistral's CompletionEvent
        delta = get(chunk, "delta")
        if isinstance(delta, str) or (delta is None and has(chunk, "delta")):
            return [delta] if delta else []  # LlamaIndex CompletionResponse / ChatResponse
        content = get(chunk, "content")
        if isinstance(content, (str, list)):
            return langchain.read_message(self, content, chunk)
        return None

    def _typed(self, kind: str, chunk: Any) -> list[Piece] | None:
        """Events that name their ``type``: Anthropic's, the Responses API's, the SDK
        helpers', LangChain message chunks. None: not a type we know, outside a stream
        known to be of a provider that names types."""
        if kind in anthropic.EVENTS:
            self._family("Anthropic")
            if kind in anthropic.SILENT:
                return []
            return anthropic.read(self, kind, chunk)
        if kind in anthropic.SILENT:
            return []
        if kind.startswith("response."):
            self._family("OpenAI Responses")
            return openai.read_responses(self, kind, chunk)
        if kind in openai.HELPER_EVENTS:
            return []
        if kind == "chunk":  # OpenAI's ChatCompletionStream helper wraps the raw chunk
            inner = get(chunk, "chunk")
            return self.read(inner) if inner is not None else []
        if kind in langchain.MESSAGE_TYPES:
            content = get(chunk, "content")
            if isinstance(content, (str, list)):
                return langchain.read_message(self, content, chunk)
            return None
        if self.family in ("Anthropic", "OpenAI Responses", "OpenAI chat completions"):
            return self.skip(self.family, kind)
        return None

    def _keyed(self, chunk: dict[str, Any]) -> list[Piece] | None:
        """Raw dicts that no field names the type of: Ollama lines, Bedrock events, error
        objects; None: none of those."""
        if ollama.is_line(chunk):
            self._family(ollama.FAMILY)
            return ollama.read(self, chunk)
        if bedrock.is_event(chunk):
            self._family(bedrock.FAMILY)
            return bedrock.read(self, chunk)
        if len(chunk) == 1:
            inner = chunk.get("chunk")
            if inner is not None and has(inner, "bytes"):  # Bedrock InvokeModel stream
                return self.read(bedrock.read_invoke_chunk(inner))
            if self.family == bedrock.FAMILY:  # a newer ConverseStream event
                return self.skip(bedrock.FAMILY, next(iter(chunk)))
        if chunk.get("error") is not None:
            self.error(chunk["error"])
        return None
