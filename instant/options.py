"""The parser's options: one typed contract for every entry point, checked when given.

:class:`ParserOptions` lists them; every entry point that builds a parser (``Parser``,
``parse``, ``iter_events``, ``stream``, the generators, ``stream_model``, ``items``, ...)
takes them as ``**options: Unpack[ParserOptions]``, so a type checker rejects a misspelt
name, and :func:`check` rejects it at run time too (``TypeError``, naming the entry point and
the closest known option), along with a value of the wrong type (``TypeError``) or out of
range (``ValueError``), before anything is read.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable, Mapping
from typing import Any, Literal

from .selector import Selector

if sys.version_info >= (3, 11):
    from typing import TypedDict, Unpack
else:  # pragma: no cover - Python 3.10
    from typing_extensions import TypedDict, Unpack

__all__ = ["ParserOptions", "Unpack", "check"]


class ParserOptions(TypedDict, total=False):
    """Options of :class:`instant.Parser`, accepted by every entry point (README: Options)."""

    strict: bool
    """Accept exactly one RFC 8259 JSON text: no prose, leniencies or truncation."""
    multiple: bool
    """Several documents (JSON Lines, concatenated values); events carry ``document``."""
    expect: Literal["object", "array"] | None
    """The document must be an object (or an array): narrows where it may begin."""
    emit_start: bool
    """Also a ``start`` event when each container opens."""
    snapshots: bool
    """``complete_value`` is a snapshot that never changes (``False``: the live object)."""
    max_depth: int
    """Deepest nesting accepted (default 1000)."""
    max_number_length: int
    """Most characters in a number, sign not counted (default 4300, CPython's int limit)."""
    max_size: int | None
    """Most characters in the whole input (default: no limit)."""
    parse_float: Callable[[str], Any] | None
    """Called with the text of every non-integer number, as in ``json.loads``."""
    parse_int: Callable[[str], Any] | None
    """Called with the text of every integer, as in ``json.loads``."""
    select: str | Selector | None
    """Hand out only the events this selector selects."""


NAMES: frozenset[str] = frozenset(ParserOptions.__annotations__)
_BOOLS = ("strict", "multiple", "emit_start", "snapshots")
_COUNTS = {"max_depth": 1, "max_number_length": 1}


def check(where: str, options: Mapping[str, Any]) -> None:
    """Raise ``TypeError``/``ValueError`` naming the option if ``options`` has a bad one.

    ``where`` names the entry point in the message (``"instant.parse()"``).
    """
    for name, value in options.items():
        if name not in NAMES:
            close = difflib.get_close_matches(name, sorted(NAMES), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise TypeError(f"{where} got an unexpected option {name!r}{hint}")
        if name in _BOOLS:
            if value.__class__ is not bool:
                raise TypeError(f"{where}: {name} must be True or False, not {value!r}")
        elif name in _COUNTS:
            _count(where, name, value, _COUNTS[name])
        elif name == "max_size":
            if value is not None:
                _count(where, name, value, 0)
        elif name == "expect":
            if value not in (None, "object", "array"):
                if isinstance(value, str):
                    raise ValueError(
                        f"{where}: expect must be None, 'object' or 'array', not {value!r}"
                    )
                raise TypeError(f"{where}: expect must be None, 'object' or 'array', not {value!r}")
        elif name in ("parse_float", "parse_int"):
            if value is not None and not callable(value):
                raise TypeError(f"{where}: {name} must be a function of one str, not {value!r}")
        elif name == "select":
            if value is not None and not isinstance(value, (str, Selector)):
                raise TypeError(
                    f"{where}: select must be a selector expression (str) or a Selector, "
                    f"not {type(value).__name__}"
                )


def _count(where: str, name: str, value: Any, least: int) -> None:
    if value.__class__ is bool or not isinstance(value, int):
        raise TypeError(f"{where}: {name} must be an int, not {value!r}")
    if value < least:
        raise ValueError(f"{where}: {name} must be at least {least}, not {value}")
