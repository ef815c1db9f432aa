"""JSON text and JSON Pointers as the encoders write them."""

from __future__ import annotations

import json
import re
from typing import Any

# A lone surrogate (a ``\ud800`` escape that json.loads keeps as it is) has no UTF-8 form:
# written raw it would make the text unsendable, so it is written as its \u escape.
_SURROGATE = re.compile("[\ud800-\udfff]")


_BAD_TILDE = re.compile("~(?![01])")


def _escape_surrogates(text: str) -> str:
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def dumps(value: Any, allow_nan: bool = True) -> str:
    """``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, lone surrogates
    escaped (the only difference). ``allow_nan=False`` refuses NaN and the infinities."""
    return _escape_surrogates(
        json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=allow_nan)
    )


def string_body(text: str) -> str:
    """``text`` as it appears between the quotes of a JSON string (escaped as dumps does)."""
    return dumps(text)[1:-1]


def pointer_segment(segment: str | int) -> str:
    """One RFC 6901 reference token: ``~`` as ``~0`` and ``/`` as ``~1``; an index as digits."""
    if isinstance(segment, int):
        return str(segment)
    if "~" in segment or "/" in segment:
        return segment.replace("~", "~0").replace("/", "~1")
    return segment


def pointer(path: tuple[str | int, ...], prefix: str = "") -> str:
    """The JSON Pointer of ``path`` (``""`` is the whole document), under ``prefix``."""
    return prefix + "".join("/" + pointer_segment(s) for s in path)


def parse_pointer(text: str) -> list[str]:
    """A JSON Pointer's reference tokens (``ValueError`` for one that is not a pointer)."""
    if text == "":
        return []
    if not text.startswith("/"):
        raise ValueError(f"a JSON Pointer starts with '/', got {text!r}")
    tokens = text[1:].split("/")
    for token in tokens:
        if _BAD_TILDE.search(token):
            raise ValueError(f"'~' must be followed by '0' or '1' in a JSON Pointer: {text!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in tokens]
