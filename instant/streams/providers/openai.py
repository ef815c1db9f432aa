"""OpenAI: chat completion chunks (also Mistral's, and every OpenAI-compatible server's), the
Responses API's events, and the derived events of the SDK's ``.stream()`` helpers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._base import Piece, ReaderState, Refusal, dumps, finish, get

# The ChatCompletionStream helper's derived events (its "chunk" event, the raw chunk, is read)
HELPER_EVENTS = frozenset(
    {
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

# Responses API events that carry no reply text: lifecycle, reasoning, the built-in tools,
# audio, annotations. A "response.*" event not here nor read below is an unknown one.
_RESPONSES_SILENT = frozenset(
    {
        "response.created",
        "response.in_progress",
        "response.queued",
        "response.create",
        "response.content_part.added",
        "response.content_part.done",
        "response.output_text.done",
        "response.output_text.annotation.added",
        "response.refusal.done",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_part.done",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_text.delta",
        "response.reasoning_text.done",
        "response.custom_tool_call_input.delta",
        "response.custom_tool_call_input.done",
        "response.mcp_call_arguments.delta",
        "response.mcp_call_arguments.done",
    }
)
# families of built-in tool and media events: "response.web_search_call.searching", ...
_RESPONSES_SILENT_PREFIXES = (
    "response.audio.",
    "response.code_interpreter_call",
    "response.file_search_call.",
    "response.web_search_call.",
    "response.image_generation_call.",
    "response.mcp_call.",
    "response.mcp_list_tools.",
    "response.shell_call",
    "response.compaction.",
    "response.steer",
)


def read_chat(state: ReaderState, choices: Any) -> list[Piece]:
    """Chat completions: the first choice (index 0) only.

    ``delta.content`` is text, or (Mistral) a list of parts of which only ``text`` parts are
    the reply (``thinking`` parts are not); tool-call ``arguments`` are JSON text fragments,
    or (Mistral) a whole mapping.
    """
    pieces: list[Piece] = []
    for choice in choices:
        if get(choice, "index") not in (0, None):
            continue
        delta = get(choice, "delta")
        if delta is not None:
            content = get(delta, "content")
            if isinstance(content, str):
                if content:
                    pieces.append(content)
            elif isinstance(content, (list, tuple)):
                pieces.extend(text_parts(content))
            refusal = get(delta, "refusal")
            if isinstance(refusal, str) and refusal:
                pieces.append(Refusal(refusal))
            calls = get(delta, "tool_calls")
            if isinstance(calls, (list, tuple)):
                for call in calls:
                    pieces.extend(_chat_call(state, call))
        reason = get(choice, "finish_reason")
        if reason:  # (Mistral's SDK leaves an absent field a falsy UNSET)
            pieces.extend(finish(reason))
    return pieces


def _chat_call(state: ReaderState, call: Any) -> list[Piece]:
    function = get(call, "function")
    call_id = get(call, "id")
    if call_id == "null":  # Mistral's SDK fills in "null" for a call the server gave no id
        call_id = None
    key = ("chat", get(call, "index"))
    arguments = get(function, "arguments")
    if isinstance(arguments, Mapping):  # Mistral: the arguments whole
        piece = state.call(key, call_id, get(function, "name"), dumps(dict(arguments)))
        return [piece, *state.end(key)]
    text = arguments if isinstance(arguments, str) else ""
    return [state.call(key, call_id, get(function, "name"), text)]


def text_parts(parts: Any) -> list[Piece]:
    """The reply text of a list of content parts: ``str`` items and ``text`` parts (thinking,
    reasoning, images, tool-use parts are not reply text)."""
    out: list[Piece] = []
    for part in parts:
        if isinstance(part, str):
            text: Any = part
        elif get(part, "type") == "text":
            text = get(part, "text")
        else:
            continue
        if isinstance(text, str) and text:
            out.append(text)
    return out


def read_responses(state: ReaderState, kind: str, chunk: Any) -> list[Piece]:
    """The Responses API's ``response.*`` events (``kind`` is the event's type)."""
    if kind == "response.output_text.delta":
        text = get(chunk, "delta")
        return [text] if text else []
    if kind == "response.function_call_arguments.delta":
        key = ("item", get(chunk, "output_index"))
        return [state.call(key, None, None, get(chunk, "delta") or "")]
    if kind in _RESPONSES_SILENT or kind.startswith(_RESPONSES_SILENT_PREFIXES):
        return []
    if kind == "response.refusal.delta":
        text = get(chunk, "delta")
        return [Refusal(text)] if text else []
    if kind == "response.completed":
        return finish("completed")
    if kind == "response.incomplete":
        details = get(get(chunk, "response"), "incomplete_details")
        return finish(get(details, "reason") or "incomplete")
    if kind == "response.output_item.added":
        item = get(chunk, "item")
        if get(item, "type") == "function_call":
            key = ("item", get(chunk, "output_index"))
            arguments = get(item, "arguments")
            text = arguments if isinstance(arguments, str) else ""
            return [state.call(key, get(item, "call_id"), get(item, "name"), text)]
        return []
    if kind == "response.function_call_arguments.done":
        key = ("item", get(chunk, "output_index"))
        if state.received(key):
            return []
        # no delta came: the arguments arrive whole here
        return [state.call(key, None, None, get(chunk, "arguments") or "")]
    if kind == "response.output_item.done":
        return state.end(("item", get(chunk, "output_index")))
    if kind in ("response.failed", "response.error"):
        state.error(get(get(chunk, "response"), "error") or get(chunk, "error") or kind)
    return state.skip("OpenAI Responses", kind)
