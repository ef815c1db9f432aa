"""JSON Patch (RFC 6902) from instant events, with an ``append`` operation for string text.

:func:`json_patch` turns each event into the operations that bring a client's copy of the
document up to date: ``add`` for a new member (``/-`` for a new array item), ``append`` for
the new text of a string (``{"op": "append", "path": ..., "value": "text"}``), or with
``append=False`` RFC 6902's own ``replace`` of the whole string. Applying every operation so
far to ``null`` gives the document as of the last event: so after the last event of each
``feed()`` call it is that event's ``complete_value``, in every chunking. The operations are
computed from each event's ``path``/``event``/``delta``/``value``, never from its snapshot.

Cost: per event, the length of its path. Bytes on the wire: with ``append`` each character of
a string is sent once, so a document costs O(its length); with ``replace`` each delta resends
the string so far, so a long string costs O(length x deltas) (see ``benchmarks/bench_relay.py``).

:func:`apply_patch` applies such operations in Python (``add``, ``replace``, ``remove`` and
``append``), as ``instant-patch.js`` does in a browser.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, overload

from ._run import run
from ._walk import Path, Walker
from ._wire import parse_pointer, pointer_segment

__all__ = ["Operation", "PatchEncoder", "apply_patch", "compact", "json_patch"]

Operation = dict[str, Any]
"""One JSON Patch operation: ``{"op": ..., "path": ..., "value": ...}``."""


class PatchEncoder(Walker):
    """The sans-I/O encoder behind :func:`json_patch`: ``feed(event)`` returns one list.

    ``prefix`` is a JSON Pointer under which the document lives (``""``: it is the whole
    target), e.g. ``"/reply"`` to patch one member of a larger state.
    """

    def __init__(self, append: bool = True, prefix: str = "") -> None:
        super().__init__()
        self.append = append
        self.prefix = prefix
        self._ops: list[Operation] = []
        self._pointers: list[str] = []  # of each open container, the root's first
        self._string_pointer = ""

    # -- the encoder ---------------------------------------------------------------------
    def begin(self) -> list[list[Operation]]:
        return []

    def feed(self, event: Mapping[str, Any]) -> list[list[Operation]]:
        if "tool_call" in event:  # a tool call's arguments are not the reply's document
            return [[]]
        self.step(event)
        ops, self._ops = self._ops, []
        return [ops]

    def close(self) -> list[list[Operation]]:
        self.finish()  # closing adds no operation
        self._ops = []
        return []

    def fail(self, exc: BaseException) -> list[list[Operation]]:
        return []

    def take(self) -> list[Operation]:
        """The operations written since the last call (for encoders built on this one)."""
        ops, self._ops = self._ops, []
        return ops

    # -- the walker's hooks --------------------------------------------------------------
    def _new(self, path: Path) -> str:
        """Where a new member at ``path`` is added."""
        if not path:
            return self.prefix
        if self.in_list:
            return self._pointers[-1] + "/-"
        return self._pointers[-1] + "/" + pointer_segment(path[-1])

    def _at(self, path: Path) -> str:
        if not path:
            return self.prefix
        return self._pointers[-1] + "/" + pointer_segment(path[-1])

    def enter(self, path: Path, is_list: bool) -> None:
        self._ops.append({"op": "add", "path": self._new(path), "value": [] if is_list else {}})
        self._pointers.append(self._at(path))

    def leave(self, path: Path, is_list: bool) -> None:  # a client already has all of it
        self._pointers.pop()

    def start_string(self, path: Path, text: str) -> None:
        self._ops.append({"op": "add", "path": self._new(path), "value": text})
        self._string_pointer = self._at(path)

    def extend_string(self, delta: str, text: str) -> None:
        if self.append:
            self._ops.append({"op": "append", "path": self._string_pointer, "value": delta})
        else:
            self._ops.append({"op": "replace", "path": self._string_pointer, "value": text})

    def end_string(self, path: Path) -> None:
        pass

    def put(self, path: Path, value: Any) -> None:
        self._ops.append({"op": "add", "path": self._new(path), "value": value})


@overload
def json_patch(
    events: AsyncIterable[Mapping[str, Any]], append: bool = True
) -> AsyncIterator[list[Operation]]: ...
@overload
def json_patch(
    events: Iterable[Mapping[str, Any]], append: bool = True
) -> Iterator[list[Operation]]: ...
def json_patch(
    events: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]], append: bool = True
) -> Iterator[list[Operation]] | AsyncIterator[list[Operation]]:
    """One list of JSON Patch operations per event (possibly empty), in order.

    ``events`` are instant events, sync or async (what :func:`instant.stream` or
    ``Parser.feed`` gives); the result is an iterator of the same kind. Applying every
    operation so far to ``null`` gives the document as of the last event (after the last
    event of each ``feed()`` call, that event's ``complete_value``). ``add`` writes a new
    member (``/-`` for a new array item) and ``append`` the new text of a string; with
    ``append=False`` a string's later deltas are RFC 6902 ``replace`` operations of its
    whole text so far instead (what a standard JSON Patch library can apply, at the cost
    of bytes quadratic in a long string's length).

    A new document (``multiple=True``) starts with an ``add`` at ``""``, replacing the
    last. Events of a tool call's arguments (with a ``tool_call`` field) get an empty
    list: the patches are the reply's document. The events' source is closed when the
    iterator is closed or runs out.
    """
    return run("instant.relay.json_patch()", events, PatchEncoder(append))


# -- applying operations --------------------------------------------------------------


def apply_patch(document: Any, operations: Iterable[Mapping[str, Any]]) -> Any:
    """Apply JSON Patch operations (``add``, ``replace``, ``remove``, ``append``) to
    ``document`` and return it (a new object when an operation replaces the root).

    Containers are changed in place; values are copied in, so the operations can be kept.
    A path that does not resolve, an index out of range or an unknown ``op`` raises
    ``ValueError`` naming the operation.
    """
    for op in operations:
        document = _apply(document, op)
    return document


def _apply(document: Any, op: Mapping[str, Any]) -> Any:
    kind = op.get("op")
    if kind not in ("add", "replace", "remove", "append"):
        raise ValueError(f"unsupported JSON Patch operation {kind!r} in {op!r:.100}")
    path = op.get("path")
    if not isinstance(path, str):
        raise ValueError(f"a JSON Patch operation needs a string 'path': {op!r:.100}")
    if kind != "remove" and "value" not in op:
        raise ValueError(f"a {kind!r} operation needs a 'value': {op!r:.100}")
    value = op.get("value")
    tokens = parse_pointer(path)
    if not tokens:
        if kind == "remove":
            return None
        if kind == "append":
            return _appended(document, value, path)
        return _copy(value)
    parent = document
    for i, token in enumerate(tokens[:-1]):
        parent = _child(parent, token, tokens, i)
    last = tokens[-1]
    if isinstance(parent, dict):
        if kind == "add":
            parent[last] = _copy(value)
        elif last not in parent:
            raise ValueError(f"{kind} at {path!r}: no member {last!r}")
        elif kind == "replace":
            parent[last] = _copy(value)
        elif kind == "remove":
            del parent[last]
        else:
            parent[last] = _appended(parent[last], value, path)
    elif isinstance(parent, list):
        if kind == "add":
            if last == "-":
                parent.append(_copy(value))
            else:
                parent.insert(_index(last, len(parent) + 1, path), _copy(value))
        else:
            i = _index(last, len(parent), path)
            if kind == "replace":
                parent[i] = _copy(value)
            elif kind == "remove":
                del parent[i]
            else:
                parent[i] = _appended(parent[i], value, path)
    else:
        raise ValueError(f"{kind} at {path!r}: the parent is {type(parent).__name__}")
    return document


def _child(node: Any, token: str, tokens: list[str], i: int) -> Any:
    if isinstance(node, dict):
        if token in node:
            return node[token]
    elif isinstance(node, list):
        return node[_index(token, len(node), "/" + "/".join(tokens))]
    where = "/" + "/".join(tokens[: i + 1])
    raise ValueError(f"no value at {where!r}")


def _index(token: str, limit: int, path: str) -> int:
    if not token.isdigit() or not token.isascii() or (token != "0" and token[0] == "0"):
        raise ValueError(f"{path!r}: {token!r} is not an array index")
    i = int(token)
    if i >= limit:
        raise ValueError(f"{path!r}: index {i} is out of range")
    return i


def _appended(current: Any, value: Any, path: str) -> str:
    if not isinstance(current, str) or not isinstance(value, str):
        raise ValueError(f"append at {path!r} needs a string there and a string value")
    return current + value


def _copy(value: Any) -> Any:
    """A deep copy of a JSON value, without recursion (documents may nest 1000 deep)."""
    if not isinstance(value, (dict, list)):
        return value
    root: Any = {} if isinstance(value, dict) else []
    stack = [(value, root)]
    while stack:
        source, target = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in items:
            if isinstance(item, (dict, list)):
                copy: Any = {} if isinstance(item, dict) else []
                stack.append((item, copy))
                item = copy
            if isinstance(target, dict):
                target[key] = item
            else:
                target.append(item)
    return root


# -- merging operations ---------------------------------------------------------------


def compact(operations: Iterable[Operation]) -> list[Operation]:
    """The same changes in fewer operations: consecutive ``append``s to one path joined
    (into the ``add``/``replace`` that wrote the string, if it comes right before), and a
    ``replace`` superseding the ``add``/``replace``/``append`` right before it at the same
    path. Only neighbours at the same path merge, so the result applies exactly as the
    input does. The input operations are not changed.
    """
    out: list[Operation] = []
    parts: list[str] | None = None  # the text of out[-1]'s value while appends join it
    for op in operations:
        if out:
            prev = out[-1]
            path = op.get("path")
            if prev.get("path") == path and isinstance(path, str) and not path.endswith("/-"):
                kind, before = op.get("op"), prev.get("op")
                value = op.get("value")
                if (
                    kind == "append"
                    and isinstance(value, str)
                    and isinstance(prev.get("value"), str)
                    and before in ("append", "add", "replace")
                ):
                    if parts is None:
                        parts = [prev["value"]]
                        out[-1] = dict(prev)
                    parts.append(value)
                    continue
                if kind == "replace" and before in ("add", "replace", "append"):
                    parts = None
                    new = "add" if before == "add" else "replace"
                    out[-1] = {"op": new, "path": path, "value": value}
                    continue
        if parts is not None:
            out[-1]["value"] = "".join(parts)
            parts = None
        out.append(op)
    if parts is not None:
        out[-1]["value"] = "".join(parts)
    return out
