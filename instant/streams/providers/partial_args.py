"""Vertex AI's streamed function-call arguments (``partialArgs``) as the JSON text they denote.

With ``streamFunctionCallArguments``, Vertex sends a call's arguments as a series of leaf
values, each at an RFC 9535 JSON path: ``{"jsonPath": "$.recipe.steps[0]", "stringValue":
"Boil", "willContinue": true}``, then ``{"jsonPath": "$.recipe.steps[0]", "stringValue": "
water"}``, then ``{"jsonPath": "$.recipe.servings", "numberValue": 4}``. :class:`ArgsText`
writes, value by value, the JSON text those values make (``{"recipe":{"steps":["Boil water"],
"servings":4 }}``), which is fed to the call's parser like any other argument text: the
events are then those of the same arguments sent as JSON text, by construction.

- a string continues while its pieces say ``willContinue`` (each piece is a delta); the
  closing quote is written with the piece that does not, so its ``done`` comes at once;
- a number, boolean or null is written with a blank after it, which ends it: its ``done``
  comes at once too (without the blank the parser would wait for the next character);
- a container opens when a path first goes into it, and closes when a path leaves it or
  the call ends: its ``done`` comes then, as in JSON text.

Paths must arrive in document order, as Vertex sends them: a path that goes back into a
container already closed, skips an array index, names a key twice, or indexes an object, is
a :class:`~instant.ParseError` (kind ``"syntax"``) that says so, at the position in the
argument text where the value would have gone. Leaf values cannot express an empty object
or array: such an argument is simply absent from what Vertex streams. A ``numberValue`` is
a double: one that is a whole number (below 2**53) is written as an integer, as the JSON of
the same call's ``args`` would write it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, NoReturn

from ...errors import ParseError
from ._base import get2

Segment = str | int

_SURROGATE = re.compile("[\ud800-\udfff]")
_BLANK = " \t\n\r"
_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "/": "/", "\\": "\\"}


def escape(text: str) -> str:
    """``text`` as the inside of a JSON string; a lone surrogate (half of a pair that Vertex
    split between two pieces) as a ``\\u`` escape, which the parser joins with its other
    half."""
    inner = json.dumps(text, ensure_ascii=False)[1:-1]
    if _SURROGATE.search(inner):
        inner = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", inner)
    return inner


def number_text(value: Any) -> str | None:
    """A ``numberValue`` as JSON text, or None if it is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return json.dumps(value)  # NaN and Infinity as Python writes them: the parser says no


def parse_path(path: str) -> list[Segment]:
    """An RFC 9535 path of names and indexes (``$.a['b c'][0]``) as its segments.

    Raises ``ValueError`` (saying where) for anything else: wildcards, slices, filters,
    negative indexes. Dot names are read leniently (up to the next ``.`` or ``[``).
    """
    if not path.startswith("$"):
        raise ValueError("it does not begin with '$'")
    out: list[Segment] = []
    i, n = 1, len(path)
    while i < n:
        c = path[i]
        if c == ".":
            j = i + 1
            while j < n and path[j] not in ".[":
                j += 1
            name = path[i + 1 : j]
            if not name or name == "*" or name.startswith("."):
                raise ValueError(f"no member name at character {i + 1}")
            out.append(name)
            i = j
        elif c == "[":
            i += 1
            while i < n and path[i] in _BLANK:
                i += 1
            if i < n and path[i] in "'\"":
                name, i = _string_literal(path, i)
                out.append(name)
            else:
                j = i
                while j < n and path[j].isdigit():
                    j += 1
                digits = path[i:j]
                if not digits or (len(digits) > 1 and digits[0] == "0"):
                    raise ValueError(f"expected a name or an index at character {i}")
                out.append(int(digits))
                i = j
            while i < n and path[i] in _BLANK:
                i += 1
            if i >= n or path[i] != "]":
                raise ValueError(f"expected ']' at character {i}")
            i += 1
        else:
            raise ValueError(f"unexpected {c!r} at character {i}")
    return out


def _string_literal(path: str, i: int) -> tuple[str, int]:
    """The string literal that starts at ``path[i]`` (a quote), and the index after it."""
    quote, i, n = path[i], i + 1, len(path)
    out: list[str] = []
    while i < n:
        c = path[i]
        if c == quote:
            return "".join(out), i + 1
        if c == "\\":
            if i + 1 >= n:
                break
            e = path[i + 1]
            if e == quote:
                out.append(quote)
                i += 2
            elif e in _ESCAPES:
                out.append(_ESCAPES[e])
                i += 2
            elif e == "u" and re.fullmatch("[0-9A-Fa-f]{4}", path[i + 2 : i + 6]):
                out.append(chr(int(path[i + 2 : i + 6], 16)))
                i += 6
            else:
                raise ValueError(f"bad escape at character {i}")
        else:
            out.append(c)
            i += 1
    raise ValueError("unterminated string literal")


@dataclass
class _Container:
    array: bool
    count: int = 0
    keys: set[str] = field(default_factory=set)


class ArgsText:
    """The JSON text of one call's arguments, written as its ``partialArgs`` arrive.

    :meth:`add` takes one partial argument (an SDK ``PartialArg`` or its REST dict) and
    returns the text it adds; :meth:`close` the text that ends the arguments. ``label``
    names the call in errors.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self._open: list[_Container] = []  # the root object, then each open container
        self._path: list[Segment] = []  # the segment leading to each open container
        self._string: list[Segment] | None = None  # the path of an unfinished string
        self._text: list[str] = []  # everything written (for error positions)
        self._size = 0

    def add(self, arg: Any) -> str:
        """The text one partial argument adds."""
        raw = get2(arg, "json_path", "jsonPath")
        if not isinstance(raw, str):
            self._fail(f"a partial argument without a jsonPath ({raw!r})")
        try:
            path = parse_path(raw)
        except ValueError as err:
            self._fail(f"cannot read the jsonPath {raw!r}: {err}")
        more = bool(get2(arg, "will_continue", "willContinue"))
        string = get2(arg, "string_value", "stringValue")
        out: list[str] = []
        if self._string is not None:
            if isinstance(string, str) and path == self._string:  # the string goes on
                out.append(escape(string))
                if not more:
                    out.append('"')
                    self._string = None
                return self._emit(out)
            out.append('"')  # the last piece said more would come; it did not
            self._string = None
        if not path:
            self._fail("the jsonPath '$' names the arguments themselves, not one of them")
        if not self._open:
            out.append("{")
            self._open.append(_Container(array=False))
        parent = path[:-1]
        k = 0
        while k < len(self._path) and k < len(parent) and self._path[k] == parent[k]:
            k += 1
        while len(self._path) > k:  # leave the containers this path is not in
            out.append("]" if self._open.pop().array else "}")
            self._path.pop()
        for i in range(k, len(parent)):  # enter the ones it goes into
            self._member(out, path[i], raw)
            array = isinstance(path[i + 1], int)
            out.append("[" if array else "{")
            self._open.append(_Container(array=array))
            self._path.append(path[i])
        self._member(out, path[-1], raw)
        if isinstance(string, str):
            out.append('"' + escape(string))
            if more:
                self._string = path
            else:
                out.append('"')
            return self._emit(out)
        out.append(self._literal(arg, raw) + " ")
        return self._emit(out)

    def close(self) -> str:
        """The text that ends the arguments (``{}`` if no value came)."""
        out: list[str] = []
        if self._string is not None:
            out.append('"')
            self._string = None
        if not self._open:
            out.append("{}")
        while self._open:
            out.append("]" if self._open.pop().array else "}")
        self._path.clear()
        return self._emit(out)

    # -- helpers ------------------------------------------------------------------------

    def _literal(self, arg: Any, raw: str) -> str:
        number = get2(arg, "number_value", "numberValue")
        if number is not None:
            text = number_text(number)
            if text is None:
                self._fail(f"the numberValue at {raw!r} is not a number ({number!r})")
            return text
        boolean = get2(arg, "bool_value", "boolValue")
        if boolean is not None:
            if not isinstance(boolean, bool):
                self._fail(f"the boolValue at {raw!r} is not a boolean ({boolean!r})")
            return "true" if boolean else "false"
        # a nullValue, or no value at all: protobuf writes nullValue as JSON null, which
        # the SDK reads as an absent field
        return "null"

    def _member(self, out: list[str], segment: Segment, raw: str) -> None:
        """Start a new member of the innermost open container: a separator and the key."""
        top = self._open[-1]
        if top.array:
            if not isinstance(segment, int):
                self._fail(f"the jsonPath {raw!r} names the key {segment!r} in an array")
            if segment != top.count:
                self._fail(
                    f"the jsonPath {raw!r} is out of order: index {segment} where index "
                    f"{top.count} comes next"
                )
        else:
            if not isinstance(segment, str):
                self._fail(f"the jsonPath {raw!r} has the index [{segment}] into an object")
            if segment in top.keys:
                self._fail(
                    f"the jsonPath {raw!r} is out of order: the key {segment!r} was already written"
                )
            top.keys.add(segment)
        if top.count:
            out.append(",")
        top.count += 1
        if not top.array:
            out.append(f'"{escape(str(segment))}":')

    def _emit(self, out: list[str]) -> str:
        text = "".join(out)
        self._text.append(text)
        self._size += len(text)
        return text

    def _fail(self, message: str) -> NoReturn:
        written = "".join(self._text)
        excerpt = written[-30:]
        raise ParseError(
            f"{self.label}: {message}",
            offset=self._size,
            line=1,
            column=self._size + 1,
            excerpt=excerpt,
            pointer=len(excerpt),
        )
