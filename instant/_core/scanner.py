"""Character-level recognisers: string bodies, escapes, numbers, literals, prose markers.

Goals, in the spirit of h11's receive buffer: every function here looks at each input
character a bounded number of times, works on whole runs with compiled regular expressions
or ``str.find`` (never one Python call per character of a string body), and never holds
more than a constant number of characters back for the next chunk (an incomplete escape or
surrogate pair: at most 12). Nothing is recursive. A stream of n characters therefore costs
O(n) here whatever its chunking — the property a denial-of-service attempt would try to
break by splitting input at the worst places.
"""

from __future__ import annotations

import json.decoder
import re
from collections.abc import Callable

# The C string decoder behind json.loads: scanstring(text, index_after_quote, strict)
# -> (decoded, index_after_closing_quote); ValueError if unterminated or invalid.
scanstring: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]

# --- whitespace -------------------------------------------------------------------------

skip_ws: Callable[[str, int], re.Match[str] | None] = re.compile(r"[ \t\n\r]*").match
# JSON5's other whitespace (lenient mode, between tokens): vertical tab, form feed, no-break
# space, the line and paragraph separators, the byte order mark and the Unicode space
# separators (category Zs)
EXTRA_WS = frozenset(
    "\v\f\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
LINE_END: Callable[[str, int], re.Match[str] | None] = re.compile("[\n\r\u2028\u2029]").search
skip_blanks: Callable[[str, int], re.Match[str] | None] = re.compile(
    "[ \t\n\r" + "".join(sorted(EXTRA_WS)) + "]*"
).match

# --- strings ----------------------------------------------------------------------------
# A run of characters that need no attention inside a string: anything but the closing
# quote and backslash (and, in strict mode, the control characters RFC 8259 forbids).

RUN_STRICT = re.compile(r'[^"\\\x00-\x1f]*').match
RUN_DOUBLE = re.compile(r'[^"\\]*').match
RUN_SINGLE = re.compile(r"[^'\\]*").match

STRICT_ESCAPES = frozenset('"\\/bfnrt')
# lenient: JSON5's escapes too (\' \v \0, a line continuation: backslash and a line end)
LENIENT_ESCAPES = frozenset("\"\\/bfnrt'v0\n\u2028\u2029")
_HEX = frozenset("0123456789abcdefABCDEF")
# What may still turn into the low half of a surrogate pair after a high one.
_LOW_PREFIX = re.compile(r"(?:\\(?:u(?:[dD](?:[c-fC-F][0-9a-fA-F]{0,2})?)?)?)?").fullmatch

# scan_string outcomes
CLOSED, MORE, BAD_CONTROL, BAD_ESCAPE = 0, 1, 2, 3


def scan_string(
    buf: str, pos: int, run: Callable[[str, int], re.Match[str] | None], quote: str, strict: bool
) -> tuple[int, int, bool]:
    """Scan a string body from ``pos``; return ``(end, outcome, has_escapes)``.

    ``CLOSED``: ``buf[end]`` is the closing quote. ``MORE``: the body is well formed up to
    ``end`` and what follows (nothing, or an escape not yet complete, or a high surrogate
    that a low one may still follow) must wait for more input. ``BAD_*``: ``end`` is the
    offending character. Decoding is left to :func:`decode` on the scanned slice.
    """
    n = len(buf)
    esc = False
    escapes = STRICT_ESCAPES if strict else LENIENT_ESCAPES
    while True:
        pos = run(buf, pos).end()  # type: ignore[union-attr]
        if pos >= n:
            return pos, MORE, esc
        c = buf[pos]
        if c == quote:
            return pos, CLOSED, esc
        if c != "\\":
            return pos, BAD_CONTROL, esc
        if pos + 1 >= n:
            return pos, MORE, esc
        e = buf[pos + 1]
        esc = True
        if e == "u":
            hexd = buf[pos + 2 : pos + 6]
            for k, h in enumerate(hexd):
                if h not in _HEX:
                    if strict:
                        return pos + 2 + k, BAD_ESCAPE, esc
                    break  # lenient: "\u" that is no escape stays as written
            else:
                if len(hexd) < 4:
                    return pos, MORE, esc
                if hexd[0] in "dD" and hexd[1] in "89abAB":
                    follow = buf[pos + 6 : pos + 12]
                    if len(follow) < 6 and _LOW_PREFIX(follow):
                        return pos, MORE, esc  # a low surrogate may still come
                pos += 6
                continue
            pos += 2
        elif e in escapes:
            pos += 2
        elif strict:
            return pos + 1, BAD_ESCAPE, esc
        elif e == "\r":  # a line continuation: CR, or CR LF
            if pos + 2 >= n:
                return pos, MORE, esc
            pos += 3 if buf[pos + 2] == "\n" else 2
        elif e == "x":  # JSON5 \xHH
            hexd = buf[pos + 2 : pos + 4]
            if all(h in _HEX for h in hexd):
                if len(hexd) < 2:
                    return pos, MORE, esc
                pos += 4
            else:
                pos += 2  # not an escape: kept as written
        else:
            pos += 2  # lenient: an unknown escape such as "\d" keeps its backslash


_SIMPLE = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "'": "'",
    "v": "\v",
    "0": "\x00",
    "\n": "",  # line continuations (JSON5)
    "\r": "",
    "\r\n": "",
    "\u2028": "",
    "\u2029": "",
}
_ESCAPE = re.compile(
    r"\\(?:u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})|u([0-9a-fA-F]{4})"
    r"|x([0-9a-fA-F]{2})|(\r\n|.))",
    re.S,
)


def _unescape(m: re.Match[str]) -> str:
    hi = m.group(1)
    if hi is not None:
        return chr(0x10000 + ((int(hi, 16) - 0xD800) << 10) + int(m.group(2), 16) - 0xDC00)
    u = m.group(3) or m.group(4)
    if u is not None:
        return chr(int(u, 16))
    c = m.group(5)
    return _SIMPLE.get(c, "\\" + c)


def decode(body: str, double_quoted: bool = True) -> str:
    """Decode the escapes of a scanned string slice exactly as ``json.loads`` does.

    Surrogate pairs combine, a lone surrogate stays lone; lenient extras: JSON5's escapes
    (``\\'``, ``\\v``, ``\\0``, ``\\xHH``, a backslash before a line end continues the
    line) and an unknown escape keeps its backslash.
    """
    if double_quoted:
        try:  # the C decoder: fast, and json.loads' semantics by construction
            return scanstring(body + '"', 0, False)[0]
        except ValueError:  # a lenient escape such as \\' or \\d
            pass
    return _ESCAPE.sub(_unescape, body)


def finish_escape(tail: str) -> str:
    """At end of input: the part of a held-back escape that is complete (else nothing)."""
    if len(tail) >= 6 and tail[1] == "u" and all(h in _HEX for h in tail[2:6]):
        return chr(int(tail[2:6], 16))
    return ""


# --- numbers ----------------------------------------------------------------------------
# A number complete inside the buffer is matched in one go; one that touches the end of
# the buffer is followed by a small state machine so its digits are never re-read.

NUMBER = re.compile(r"(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?").match  # lastindex 1: int
# what may continue a number the regex matched (then the state machine decides): JSON's
# number characters, and JSON5's hexadecimal "0x"
NUMBER_CHARS = frozenset("0123456789.eE+-xX")
_DIGITS = re.compile(r"[0-9]*").match
_HEX_DIGITS = re.compile(r"[0-9a-fA-F]*").match
_D = frozenset("0123456789")
# states: 0 start, 1 after the sign, 2 after leading '0', 3 integer digits, 4 after '.',
# 5 fraction digits, 6 after 'e', 7 after exponent sign, 8 exponent digits; lenient (JSON5)
# only: 9 after a leading '.', 10 after '0x', 11 hexadecimal digits
NUMBER_ACCEPTING = frozenset((2, 3, 5, 8))
LENIENT_NUMBER_ACCEPTING = frozenset((2, 3, 4, 5, 8, 11))  # + "5." and hexadecimal
NUMBER_IS_INT = frozenset((2, 3, 11))
NUM_MORE, NUM_DONE, NUM_BAD = 0, 1, 2


def scan_number(buf: str, pos: int, st: int, lenient: bool = False) -> tuple[int, int, int]:
    """Advance a number from state ``st``; return ``(pos, state, outcome)``.

    ``NUM_DONE``: ``buf[pos]`` is the first character after a complete number;
    ``NUM_BAD``: ``buf[pos]`` cannot continue the number (the caller says why);
    ``NUM_MORE``: the buffer ended inside the number. ``lenient`` adds JSON5's numbers:
    a leading ``+``, ``.5``, ``5.``, hexadecimal ``0xC8``.
    """
    n = len(buf)
    while pos < n:
        c = buf[pos]
        if st == 3 or st == 5 or st == 8:
            if c in _D:
                pos = _DIGITS(buf, pos).end()  # type: ignore[union-attr]
                continue
            if st != 8 and c in "eE":
                st = 6
            elif st == 3 and c == ".":
                st = 4
            elif c in NUMBER_CHARS:
                return pos, st, NUM_BAD
            else:
                return pos, st, NUM_DONE
        elif st == 0 or st == 1:
            if c == "0":
                st = 2
            elif c in _D:
                st = 3
            elif st == 0 and (c == "-" or c == "+" and lenient):
                st = 1
            elif c == "." and lenient:
                st = 9
            else:
                return pos, st, NUM_BAD
        elif st == 2:
            if c == ".":
                st = 4
            elif c in "eE":
                st = 6
            elif c in "xX" and lenient:
                st = 10
            elif c in NUMBER_CHARS:
                return pos, st, NUM_BAD
            else:
                return pos, st, NUM_DONE
        elif st == 4 or st == 9:
            if c in _D:
                st = 5
            elif st == 4 and lenient and c in "eE":
                st = 6  # "5.e4"
            elif st == 4 and lenient and c not in NUMBER_CHARS:
                return pos, st, NUM_DONE  # "5."
            else:
                return pos, st, NUM_BAD
        elif st == 6:
            if c in "+-":
                st = 7
            elif c in _D:
                st = 8
            else:
                return pos, st, NUM_BAD
        elif st == 7:
            if c not in _D:
                return pos, st, NUM_BAD
            st = 8
        else:  # st == 10 or st == 11: hexadecimal
            end = _HEX_DIGITS(buf, pos).end()  # type: ignore[union-attr]
            if end > pos:
                st = 11
                pos = end
                continue
            if st == 10 or c in NUMBER_CHARS:
                return pos, st, NUM_BAD
            return pos, st, NUM_DONE
        pos += 1
    return pos, st, NUM_MORE


# --- literals and bare keys ---------------------------------------------------------------

WORD = re.compile(r"[A-Za-z0-9_]*").match
BARE_KEY = re.compile(r"[\w$-]*").match
# JSON5: an identifier may spell a character as \uXXXX
KEY_ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}").fullmatch
KEY_ESCAPE_PREFIX = re.compile(r"\\(?:u[0-9a-fA-F]{0,3})?").fullmatch
STRICT_LITERALS: dict[str, object] = {"true": True, "false": False, "null": None}
LENIENT_LITERALS: dict[str, object] = {
    **STRICT_LITERALS,
    "True": True,
    "False": False,
    "None": None,
    "NaN": float("nan"),
    "Infinity": float("inf"),
    "-Infinity": float("-inf"),
    # JSON5's signed forms, and JavaScript's undefined (as null)
    "+Infinity": float("inf"),
    "-NaN": float("nan"),
    "+NaN": float("nan"),
    "undefined": None,
}


def prefixes(literals: dict[str, object]) -> frozenset[str]:
    return frozenset(w[:k] for w in literals for k in range(1, len(w) + 1))


STRICT_PREFIXES = prefixes(STRICT_LITERALS)
LENIENT_PREFIXES = prefixes(LENIENT_LITERALS)
WORD_START = frozenset("tfnTFNIu")


def bad_word_index(word: str, valid: frozenset[str], start: int) -> int:
    """Index of the first character of ``word`` (from ``start``) that no literal allows."""
    for k in range(max(start, 1), len(word) + 1):
        if word[:k] not in valid:
            return k - 1
    return -1


# --- finding the document in prose ---------------------------------------------------------

FENCE = re.compile(r"```[\w+.-]*").match
_BACKTICKS = re.compile(r"`+").match


def skip_backticks(buf: str, pos: int) -> int:
    return _BACKTICKS(buf, pos).end()  # type: ignore[union-attr]


THINK_OPEN = ("<think>", "<thinking>")
THINK_CLOSE = re.compile(r"</think(?:ing)?>")
_THINK_CLOSE_LONGEST = "</thinking>"


def think_close_holdback(buf: str, pos: int) -> int:
    """Where to keep the buffer from, so a closing think tag split by a chunk is seen."""
    n = len(buf)
    for k in range(min(len(_THINK_CLOSE_LONGEST), n - pos), 0, -1):
        tail = buf[n - k :]
        if _THINK_CLOSE_LONGEST.startswith(tail) or "</think>".startswith(tail):
            return n - k
    return n


def describe(buf: str, pos: int) -> str:
    """How an error message names the character at ``pos``."""
    if pos >= len(buf):
        return "end of input"
    c = buf[pos]
    if c.isprintable() and c not in " '":
        return f"'{c}'"
    return repr(c)
