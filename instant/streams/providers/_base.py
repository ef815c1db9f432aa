"""What every provider's reader shares: the pieces a chunk becomes, the finish-reason table,
attribute-or-key access, and the state of a stream's tool calls (:class:`ReaderState`)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from ...errors import StreamError, StreamWarning


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
    # OpenAI Responses: response.completed, response.incomplete's incomplete_details.reason
    "completed": "stop",
    "max_output_tokens": "length",
    # Anthropic stop_reason (also Bedrock's stopReason, snake_case)
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
    "model_context_window_exceeded": "length",
    # Google Gemini / Vertex finishReason (and promptFeedback.blockReason)
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


def finish(raw: Any) -> list[Piece]:
    """The :class:`Finish` piece for a provider's reason, or nothing when it gave none."""
    if raw is None or raw == "":
        return []
    return [Finish(finish_reason(raw) or "stop", raw)]


def get(obj: Any, name: str) -> Any:
    """``obj[name]`` for a dict, ``obj.name`` for anything else; ``None`` when absent."""
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def get2(obj: Any, snake: str, camel: str) -> Any:
    """A field that SDK objects spell in snake_case and the REST JSON in camelCase."""
    if isinstance(obj, dict):
        value = obj.get(camel)
        return obj.get(snake) if value is None else value
    return getattr(obj, snake, None)


def has(obj: Any, name: str) -> bool:
    return name in obj if isinstance(obj, dict) else hasattr(obj, name)


def dumps(value: Any) -> str:
    """Arguments that arrived whole (a mapping) as the JSON text they would have been."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class ReaderState:
    """The state one stream's chunks build up: which tool calls were seen, and which unknown
    event types were already warned about. One per stream."""

    def __init__(self) -> None:
        self._calls: dict[Hashable, int] = {}  # the API's key for a call -> our number
        self._received: dict[int, bool] = {}  # whether argument text arrived for a call
        self._ids: dict[int, str] = {}  # the id each call was given
        self._fresh = 0  # keys of calls that have none of their own (they arrive whole)
        self._warned: set[tuple[str, str]] = set()
        self.family: str | None = None  # the provider the stream turned out to be
        self.open_call: Any = None  # Vertex: (key, ArgsText) of the call streaming its args
        self.marks: set[Hashable] = set()  # LangChain protocol: text blocks that had deltas

    # -- tool calls ---------------------------------------------------------------------

    def call(self, key: Hashable, id: Any, name: Any, arguments: str) -> CallPiece:
        """A fragment of the call the API knows as ``key`` (a new call if it is new).

        An ``id`` different from the one the call under ``key`` already has starts a new
        call: an API that numbers each chunk's calls from 0 (Mistral) reuses the index.
        """
        number = self._calls.get(key)
        if number is not None and id and self._ids.get(number, id) != id:
            number = None
        if number is None:
            number = self._calls[key] = len(self._received)
            self._received[number] = False
        if id and number not in self._ids:
            self._ids[number] = id
        if arguments:
            self._received[number] = True
        return CallPiece(number, id or None, name or None, arguments)

    def received(self, key: Hashable) -> bool:
        """Whether argument text arrived for the call ``key``."""
        number = self._calls.get(key)
        return number is not None and self._received[number]

    def known(self, key: Hashable) -> bool:
        return key in self._calls

    def end(self, key: Hashable) -> list[Piece]:
        """The call ``key`` is complete (nothing if no such call was seen)."""
        number = self._calls.get(key)
        return [] if number is None else [CallPiece(number, None, None, "", end=True)]

    def fresh(self, family: str) -> Hashable:
        """A key for a call the API gives no key of its own."""
        self._fresh += 1
        return (family, "fresh", self._fresh)

    def whole_call(self, family: str, id: Any, name: Any, arguments: Any) -> list[Piece]:
        """A call that arrives complete: its arguments (a mapping, JSON text, or nothing for
        a tool without parameters), then its end."""
        if isinstance(arguments, Mapping):
            text = dumps(dict(arguments))
        elif isinstance(arguments, str):
            text = arguments
        elif arguments is None:
            text = ""
        else:
            raise TypeError(
                f"instant cannot read the arguments of tool call {name!r}: expected a mapping "
                f"or JSON text, not {type(arguments).__name__}"
            )
        piece = self.call(self.fresh(family), id, name, text)
        piece.end = True
        return [piece]

    # -- what is not read ---------------------------------------------------------------

    def skip(self, family: str, kind: str) -> list[Piece]:
        """An event of a type we do not know in a family we read: skipped, warned once."""
        if (family, kind) not in self._warned:
            self._warned.add((family, kind))
            warnings.warn(
                f"instant.stream() skipped an event of unknown type {kind!r} in a {family} "
                "stream (it carries no reply text that instant knows of)",
                StreamWarning,
                stacklevel=2,
            )
        return []

    @staticmethod
    def error(error: Any) -> NoReturn:
        """The stream reported an error: raise it as a :class:`StreamError`."""
        message = get(error, "message") if not isinstance(error, str) else error
        raise StreamError(f"the stream reported an error: {message or error}", error)
