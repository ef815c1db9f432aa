"""The front-end protocols: AG-UI events and the Vercel AI SDK's UI message stream.

Both carry the reply's document and the tool calls' arguments as they stream:

* :func:`ag_ui`: the document as the agent's state, ``STATE_DELTA`` events whose ``delta``
  is a list of RFC 6902 operations (the strict form by default, since AG-UI clients apply
  them with a standard JSON Patch library), and each tool call as ``TOOL_CALL_START``, its
  arguments as canonical JSON text in ``TOOL_CALL_ARGS`` deltas, and ``TOOL_CALL_END``.
* :func:`vercel_ui`: the document as one ``data-<name>`` part, resent whole under the same
  ``id`` whenever it changes (``useChat`` replaces a data part of the same type and id; put
  :func:`~instant.relay.throttle` in between to send at most one per interval), and each tool
  call as ``tool-input-start``, ``tool-input-delta`` parts with its arguments' text, and
  ``tool-input-available`` with the parsed arguments; framed by ``start`` and ``finish``
  parts and the ``[DONE]`` line. Send it with :data:`VERCEL_UI_HEADERS`.

Both are built on :class:`~instant.relay.patch.PatchEncoder` and
:class:`~instant.relay.text.TextEncoder`, so they follow the events' fields, never a snapshot.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, overload

from ._run import run
from ._wire import parse_pointer
from .patch import Operation, PatchEncoder
from .sse import SSE_HEADERS
from .text import TextEncoder

__all__ = ["VERCEL_UI_HEADERS", "AgUiEncoder", "VercelUiEncoder", "ag_ui", "vercel_ui"]

Part = dict[str, Any]

VERCEL_UI_HEADERS: dict[str, str] = {
    **SSE_HEADERS,
    "connection": "keep-alive",
    "x-vercel-ai-ui-message-stream": "v1",
}
"""The response headers of a UI message stream (``x-vercel-ai-ui-message-stream: v1``)."""


class _Call:
    """One tool call's arguments, as canonical JSON text."""

    __slots__ = ("id", "name", "text", "ended")

    def __init__(self, call_id: str, name: str) -> None:
        self.id = call_id
        self.name = name
        self.text = TextEncoder()
        self.ended = False


class _Calls:
    """The tool calls of a stream, by the ``index`` instant gives them."""

    def __init__(self, fallback: str) -> None:
        self.calls: dict[int, _Call] = {}
        self.fallback = fallback

    def get(self, info: Mapping[str, Any]) -> tuple[_Call, bool]:
        index = info["index"]
        call = self.calls.get(index)
        if call is not None:
            return call, False
        call_id = info.get("id") or f"{self.fallback}{index}"
        call = self.calls[index] = _Call(call_id, info.get("name") or "")
        return call, True


# -- AG-UI ----------------------------------------------------------------------------


class AgUiEncoder:
    """The sans-I/O encoder behind :func:`ag_ui`."""

    def __init__(
        self,
        thread_id: str | None = None,
        run_id: str | None = None,
        path: str = "",
        append: bool = False,
        snapshot: bool = False,
        message_id: str | None = None,
    ) -> None:
        if (thread_id is None) != (run_id is None):
            raise ValueError("ag_ui(): pass both thread_id and run_id (a run), or neither")
        parse_pointer(path)  # a ValueError for a path that is not a JSON Pointer
        if snapshot and path:
            raise ValueError(
                "ag_ui(): snapshot=True sends the document as the whole state; with path= "
                "the document is one member of a state this encoder does not know"
            )
        self.thread_id = thread_id
        self.run_id = run_id
        self.snapshot = snapshot
        self.message_id = message_id
        self.patches = PatchEncoder(append, prefix=path)
        self.calls = _Calls(f"{run_id}-call-" if run_id else "call_")

    def _run(self) -> dict[str, Any]:
        return {"threadId": self.thread_id, "runId": self.run_id}

    def begin(self) -> list[Part]:
        return [{"type": "RUN_STARTED", **self._run()}] if self.run_id is not None else []

    def feed(self, event: Mapping[str, Any]) -> list[Part]:
        info = event.get("tool_call")
        if info is not None:
            return self._tool(event, info)
        self.patches.step(event)
        out = self._delta(self.patches.take())
        if self.snapshot and event["event"] == "done" and not event["path"]:
            out.append({"type": "STATE_SNAPSHOT", "snapshot": event["value"]})
        return out

    def _delta(self, ops: list[Operation]) -> list[Part]:
        return [{"type": "STATE_DELTA", "delta": ops}] if ops else []

    def _tool(self, event: Mapping[str, Any], info: Mapping[str, Any]) -> list[Part]:
        call, new = self.calls.get(info)
        out: list[Part] = []
        if new:
            start: Part = {"type": "TOOL_CALL_START", "toolCallId": call.id}
            start["toolCallName"] = call.name
            if self.message_id is not None:
                start["parentMessageId"] = self.message_id
            out.append(start)
        if call.ended:  # a second document in one call's arguments: not a tool call's shape
            return out
        call.text.step(event)
        out.extend(self._args(call, call.text.take()))
        if event["event"] == "done" and not event["path"]:
            call.ended = True
            out.append({"type": "TOOL_CALL_END", "toolCallId": call.id})
        return out

    def _args(self, call: _Call, pieces: list[str]) -> list[Part]:
        return [{"type": "TOOL_CALL_ARGS", "toolCallId": call.id, "delta": p} for p in pieces]

    def close(self) -> list[Part]:
        self.patches.finish()
        out = self._delta(self.patches.take())
        for call in self.calls.calls.values():
            if not call.ended:  # events of a selection that left the arguments open
                call.text.finish()
                out.extend(self._args(call, call.text.take()))
                call.ended = True
                out.append({"type": "TOOL_CALL_END", "toolCallId": call.id})
        if self.run_id is not None:
            out.append({"type": "RUN_FINISHED", **self._run()})
        return out

    def fail(self, exc: BaseException) -> list[Part]:
        if self.run_id is None:
            return []
        error: Part = {"type": "RUN_ERROR", "message": str(exc) or type(exc).__name__}
        kind = getattr(exc, "kind", None)
        if isinstance(kind, str):
            error["code"] = kind
        return [error]


@overload
def ag_ui(
    events: AsyncIterable[Mapping[str, Any]],
    *,
    thread_id: str | None = None,
    run_id: str | None = None,
    path: str = "",
    append: bool = False,
    snapshot: bool = False,
    message_id: str | None = None,
) -> AsyncIterator[Part]: ...
@overload
def ag_ui(
    events: Iterable[Mapping[str, Any]],
    *,
    thread_id: str | None = None,
    run_id: str | None = None,
    path: str = "",
    append: bool = False,
    snapshot: bool = False,
    message_id: str | None = None,
) -> Iterator[Part]: ...
def ag_ui(
    events: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
    *,
    thread_id: str | None = None,
    run_id: str | None = None,
    path: str = "",
    append: bool = False,
    snapshot: bool = False,
    message_id: str | None = None,
) -> Iterator[Part] | AsyncIterator[Part]:
    """AG-UI events (dicts with ``type`` and camelCase fields, ready for :func:`sse`).

    The reply's document is the agent state, or the member of it at the JSON Pointer
    ``path`` (``"/reply"``; the state must then be an object): a ``STATE_DELTA`` per event
    that changes it. Its string deltas are RFC 6902 ``replace`` operations unless
    ``append=True`` (linear bytes, but AG-UI's reference client applies deltas with
    ``fast-json-patch``, which rejects ``append``: use it with ``instant-patch.js``).
    ``snapshot=True`` adds a ``STATE_SNAPSHOT`` of each finished document (with ``path=""``).
    Each tool call is ``TOOL_CALL_START`` (its id, or ``call_<index>`` when the source gave
    none; ``parentMessageId`` from ``message_id``), ``TOOL_CALL_ARGS`` with the arguments'
    canonical JSON text, ``TOOL_CALL_END``. With ``thread_id`` and ``run_id`` the events are
    framed as a run: ``RUN_STARTED`` first, ``RUN_FINISHED`` last, or ``RUN_ERROR`` (with
    the error's ``kind`` as ``code``) before an error from the events is raised.
    """
    encoder = AgUiEncoder(thread_id, run_id, path, append, snapshot, message_id)
    return run("instant.relay.ag_ui()", events, encoder)


# -- Vercel AI SDK UI message stream ---------------------------------------------------


class _Mirror:
    """The document the patches build, handed out as snapshots that never change: after a
    snapshot, an operation copies the containers on its path first (copy-on-write)."""

    def __init__(self) -> None:
        self.root: Any = None
        self._owned: dict[int, Any] = {}  # id -> container copied since the last snapshot

    def snapshot(self) -> Any:
        self._owned.clear()
        return self.root

    def _own(self, node: Any) -> Any:
        if id(node) in self._owned:
            return node
        copy = dict(node) if isinstance(node, dict) else list(node)
        self._owned[id(copy)] = copy
        return copy

    def apply(self, ops: list[Operation]) -> None:
        for op in ops:
            tokens = parse_pointer(op["path"])
            kind, value = op["op"], op["value"]
            if not tokens:
                self.root = self.root + value if kind == "append" else value
                continue
            node = self.root = self._own(self.root)
            for token in tokens[:-1]:
                key: Any = int(token) if isinstance(node, list) else token
                child = node[key] = self._own(node[key])
                node = child
            last = tokens[-1]
            if isinstance(node, list):
                if last == "-":
                    node.append(value)
                    continue
                i = int(last)
                node[i] = node[i] + value if kind == "append" else value
            else:
                node[last] = node[last] + value if kind == "append" else value


class VercelUiEncoder:
    """The sans-I/O encoder behind :func:`vercel_ui`."""

    def __init__(self, name: str, id: str | None = None, message_id: str | None = None) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"vercel_ui(): name is the data part's name, not {name!r}")
        self.type = f"data-{name}"
        self.id = name if id is None else id
        self.message_id = message_id
        self.patches = PatchEncoder()
        self.mirror = _Mirror()
        self.calls = _Calls("call_")

    def begin(self) -> list[Part | str]:
        start: Part = {"type": "start"}
        if self.message_id is not None:
            start["messageId"] = self.message_id
        return [start]

    def feed(self, event: Mapping[str, Any]) -> list[Part | str]:
        info = event.get("tool_call")
        if info is not None:
            return self._tool(event, info)
        self.patches.step(event)
        ops = self.patches.take()
        if not ops:
            return []
        self.mirror.apply(ops)
        number = event.get("document", 0)
        part_id = f"{self.id}-{number}" if number else self.id
        return [{"type": self.type, "id": part_id, "data": self.mirror.snapshot()}]

    def _tool(self, event: Mapping[str, Any], info: Mapping[str, Any]) -> list[Part | str]:
        call, new = self.calls.get(info)
        out: list[Part | str] = []
        if new:
            out.append({"type": "tool-input-start", "toolCallId": call.id, "toolName": call.name})
        if call.ended:
            return out
        call.text.step(event)
        for piece in call.text.take():
            out.append({"type": "tool-input-delta", "toolCallId": call.id, "inputTextDelta": piece})
        if event["event"] == "done" and not event["path"]:
            call.ended = True
            out.append(
                {
                    "type": "tool-input-available",
                    "toolCallId": call.id,
                    "toolName": call.name,
                    "input": event["value"],
                }
            )
        return out

    def close(self) -> list[Part | str]:
        return [{"type": "finish"}, "[DONE]"]

    def fail(self, exc: BaseException) -> list[Part | str]:
        return [{"type": "error", "errorText": str(exc) or type(exc).__name__}]


@overload
def vercel_ui(
    events: AsyncIterable[Mapping[str, Any]],
    name: str = "object",
    *,
    id: str | None = None,
    message_id: str | None = None,
) -> AsyncIterator[Part | str]: ...
@overload
def vercel_ui(
    events: Iterable[Mapping[str, Any]],
    name: str = "object",
    *,
    id: str | None = None,
    message_id: str | None = None,
) -> Iterator[Part | str]: ...
def vercel_ui(
    events: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
    name: str = "object",
    *,
    id: str | None = None,
    message_id: str | None = None,
) -> Iterator[Part | str] | AsyncIterator[Part | str]:
    """Vercel AI SDK UI message stream parts (dicts, and the closing ``"[DONE]"`` line;
    frame them with :func:`sse` and send them with :data:`VERCEL_UI_HEADERS`).

    ``{"type": "start"}`` (with ``messageId`` from ``message_id``) first. The reply's
    document is a ``data-<name>`` part with ``id`` (default: ``name``; ``<id>-<n>`` for
    document ``n > 0`` with ``multiple=True``) sent again, whole, after each event that
    changes it, which ``useChat`` reconciles by type and id (each part is a snapshot that
    never changes; :func:`throttle` keeps only the last within an interval). Each tool call
    is ``tool-input-start``, ``tool-input-delta`` parts with its arguments' canonical JSON
    text, and ``tool-input-available`` with the parsed arguments. Then ``{"type":
    "finish"}`` and ``"[DONE]"``; an error from the events is raised after an ``error``
    part.
    """
    return run("instant.relay.vercel_ui()", events, VercelUiEncoder(name, id, message_id))
