"""Relay a streamed reply to a browser: pure encoders from instant events to wire formats.

Each encoder takes instant events (what :func:`instant.stream` or ``Parser.feed`` gives),
sync or async, and returns an iterator of the same kind; none needs a web framework:

* :func:`json_patch`: JSON Patch lists (RFC 6902, plus ``append`` for string text), one per
  event; :func:`apply_patch` applies them in Python, ``instant-patch.js`` in a browser
  (:func:`javascript` gives its text to serve).
* :func:`text`: the document as canonical compact JSON text, growing (Vercel's
  ``useObject``).
* :func:`ag_ui`: AG-UI events (``STATE_DELTA``, ``TOOL_CALL_START``/``ARGS``/``END``, ...).
* :func:`vercel_ui`: Vercel AI SDK UI message stream parts (``data-<name>``, tool input).
* :func:`sse`: Server-Sent Events frames of any of these; :func:`throttle` merges what a
  later item extends or supersedes, within an interval.

``instant.relay.demo`` is an example FastAPI app (the ``relay`` extra) with pages that show a
reply filling in live.
"""

from importlib import resources

from .patch import Operation, apply_patch, compact, json_patch
from .protocols import VERCEL_UI_HEADERS, ag_ui, vercel_ui
from .sse import KEEPALIVE, SSE_HEADERS, sse
from .text import text
from .throttle import throttle

__all__ = [
    "KEEPALIVE",
    "SSE_HEADERS",
    "VERCEL_UI_HEADERS",
    "Operation",
    "ag_ui",
    "apply_patch",
    "compact",
    "javascript",
    "json_patch",
    "sse",
    "text",
    "throttle",
    "vercel_ui",
]


def javascript() -> str:
    """The text of ``instant-patch.js``, the browser side of :func:`json_patch`: an ES module
    with ``subscribe(url, {onChange, onDone, onEnd})``, ``PatchDocument``, ``applyPatch``
    and ``streamText`` (serve it as ``text/javascript``)."""
    static = resources.files("instant.relay").joinpath("static", "instant-patch.js")
    return static.read_text(encoding="utf-8")
