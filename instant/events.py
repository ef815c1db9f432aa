"""Events are plain dicts; this module names their fields and writes their ``key``.

The engine writes event dicts as literals where it makes them (``_core/fastloop.py``,
``_core/bulk.py``, ``_core/machine.py`` ``_emit``, ``_core/parser.py``'s in-string fast path),
because a helper call per event would cost about a tenth of the hot path: a field added to
:class:`Event` must be added at each of those sites.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, Literal

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:  # pragma: no cover - Python 3.10
    from typing_extensions import NotRequired, TypedDict


class ToolCallInfo(TypedDict):
    """Which tool call an event belongs to (see :func:`instant.stream`)."""

    index: int
    id: str | None
    name: str | None


class Event(TypedDict):
    """One thing that happened in the document, in Agently "instant mode" shape.

    See the README's event contract: ``key`` is the Agently path (``list_b.[].key_3``),
    ``indexes`` the array positions along it, ``path`` the exact keys and indexes,
    ``event`` is ``"delta"``, ``"done"`` or ``"start"``, ``delta`` the new text of a string
    (or, on ``done`` of a non-string, the value), ``value`` the value so far,
    ``complete_value`` the whole document as of this event, ``document`` (only with
    ``multiple=True``) the 0-based number of the document, and ``tool_call`` (only for
    the arguments of a tool call read by :func:`instant.stream`) which call it belongs to.
    """

    key: str
    indexes: list[int]
    path: tuple[str | int, ...]
    event: Literal["delta", "done", "start"]
    delta: Any
    value: Any
    is_complete: bool
    complete_value: Any
    document: NotRequired[int]
    tool_call: NotRequired[ToolCallInfo]


_BARE = re.compile(r"[\w-]+")


def key_segment(name: str) -> str:
    """Write one object key as a segment of an event ``key`` (and of a selector).

    Bare when it is a selector name (Python's ``[\\w-]+``), otherwise quoted as
    ``json.dumps(name, ensure_ascii=False)`` writes it, so every key is a valid selector.
    """
    if _BARE.fullmatch(name):
        return name
    return json.dumps(name, ensure_ascii=False)
