"""Google Gemini and Vertex AI: ``GenerateContentResponse`` chunks (``google-genai`` SDK
objects, or the REST ``streamGenerateContent?alt=sse`` JSON, camelCase).

- ``candidates[0].content.parts[i].text`` is reply text, unless the part is a thought
  summary (``thought: true``);
- a ``functionCall`` part with its ``args`` is a whole tool call (its arguments are fed to
  the call's parser as the JSON text they would have been);
- Vertex's streamed function calls (``streamFunctionCallArguments``): a ``functionCall``
  with a ``name`` and ``willContinue`` opens a call, the following ``functionCall`` parts
  bring ``partialArgs`` (:mod:`.partial_args` writes their JSON text), and the first one
  without ``willContinue`` (often an empty ``functionCall``) ends it;
- ``finishReason`` (and ``promptFeedback.blockReason``, a blocked prompt) is the finish
  reason; ``usageMetadata`` and the rest carry nothing for us.
"""

from __future__ import annotations

from typing import Any

from ._base import Piece, ReaderState, finish, get, get2
from .partial_args import ArgsText

FAMILY = "Gemini"


def read(state: ReaderState, chunk: Any) -> list[Piece]:
    pieces: list[Piece] = []
    for candidate in get(chunk, "candidates") or ():
        if get(candidate, "index") not in (0, None):  # other candidates are other replies
            continue
        content = get(candidate, "content")
        for part in (get(content, "parts") if content is not None else None) or ():
            pieces.extend(_part(state, part))
        reason = get2(candidate, "finish_reason", "finishReason")
        if reason:
            pieces.extend(_end_open_call(state))
            pieces.extend(finish(reason))
    feedback = get2(chunk, "prompt_feedback", "promptFeedback")
    if feedback is not None:
        pieces.extend(finish(get2(feedback, "block_reason", "blockReason")))
    return pieces


def _part(state: ReaderState, part: Any) -> list[Piece]:
    if get(part, "thought"):  # a thought summary: not the reply
        return []
    call = get2(part, "function_call", "functionCall")
    if call is not None:
        return _function_call(state, call)
    text = get(part, "text")
    if isinstance(text, str) and text:
        return [text]
    return []  # inline data, code execution, function responses, a thought signature


def _function_call(state: ReaderState, call: Any) -> list[Piece]:
    name = get(call, "name")
    partial = get2(call, "partial_args", "partialArgs")
    more = bool(get2(call, "will_continue", "willContinue"))
    pieces: list[Piece] = []
    if name and state.open_call is not None:  # a new call: the open one ended unsaid
        pieces.extend(_end_open_call(state))
    if state.open_call is None:
        if not name and not partial:  # the empty part that ends a call already ended
            return pieces
        if not partial and not more:  # a call that arrives whole
            return pieces + state.whole_call(FAMILY, get(call, "id"), name, get(call, "args"))
        key = state.fresh(FAMILY)
        state.open_call = (key, ArgsText(f"the partialArgs of tool call {name!r}"))
        pieces.append(state.call(key, get(call, "id"), name, ""))
    key, writer = state.open_call
    for arg in partial or ():
        text = writer.add(arg)
        if text:
            pieces.append(state.call(key, None, None, text))
    if not more:
        pieces.extend(_end_open_call(state))
    return pieces


def _end_open_call(state: ReaderState) -> list[Piece]:
    """End the call whose arguments are streaming, if one is."""
    if state.open_call is None:
        return []
    key, writer = state.open_call
    state.open_call = None
    return [state.call(key, None, None, writer.close()), *state.end(key)]
