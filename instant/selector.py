"""Selectors: keep only the events a consumer wants (SPEC.md section 6).

``compile_selector("instant:title&items.[].name?0:3")`` parses the expression with the Lark
LALR grammar in ``grammar/selector.lark`` (the single definition of the language; the wheel
ships it as ``instant/grammar/selector.lark``) and compiles its terms into one automaton:

* a **trie** of the terms' path segments, whose nodes are the states of an NFA: a literal
  key or ``[]`` is an edge to a child, ``*`` an edge taken by any key, ``**`` a child that
  loops on any segment (and is entered without consuming one, for "zero segments");
* a **lazily built DFA** over it: each DFA state is a set of trie nodes, with memoized
  transitions for the literal keys its nodes know, one shared transition for every other
  key and one for an array level. So walking a path costs one dict lookup per segment, there
  is no backtracking however many ``*`` and ``**`` a term has, and the DFA never holds more
  transitions than the trie has edges (per state);
* a **decision per event key**: an event's ``key`` determines its path's shape, so the state
  a key reaches, and from it the decision, is cached by key. Most events cost one dict
  lookup; only the terms with ``$delta``/``$done`` or index specs look further (at the
  event's kind and ``indexes``).

The cost per event therefore does not grow with the number of literal terms. The caches
are bounded (they are cleared when they grow past a limit, however many distinct keys a
document has).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import SelectorError

if TYPE_CHECKING:  # pragma: no cover
    from lark import Lark, Token, Tree


__all__ = ["Selector", "SelectorError", "compile_selector"]

_KINDS = frozenset(("delta", "done", "start"))
_KEY_CACHE_LIMIT = 1 << 16  # decisions cached by event key
_STATE_LIMIT = 1 << 12  # DFA states built before the automaton starts afresh


# ------------------------------------------------------------------------------ the grammar

_lark: Lark | None = None


def grammar_text() -> str:
    """The text of ``selector.lark``: from the installed package, else from the checkout."""
    try:
        shipped = resources.files("instant").joinpath("grammar").joinpath("selector.lark")
        return shipped.read_text(encoding="utf-8")
    except OSError:  # not installed: a source checkout, grammar/ beside instant/
        checkout = Path(__file__).resolve().parent.parent / "grammar" / "selector.lark"
        return checkout.read_text(encoding="utf-8")


def _parser() -> Lark:
    global _lark
    if _lark is None:
        from lark import Lark

        _lark = Lark(grammar_text(), start="expression", parser="lalr", propagate_positions=True)
    return _lark


# How an error message names each terminal the parser expected, in the order it lists them.
_EXPECTED = {
    "NAME": "a key",
    "QUOTED": "a quoted key",
    "INT": "an index",
    "UNDERSCORE": "'_'",
    "ARRAY": "'[]'",
    "ANY_KEY": "'*'",
    "ANY_PATH": "'**'",
    "DELTA": "'$delta'",
    "DONE": "'$done'",
    "VBAR": "'|'",
    "COLON": "':'",
    "DOT": "'.'",
    "QMARK": "'?'",
    "COMMA": "','",
    "AMPERSAND": "'&'",
    "$END": "the end of the expression",
}
_ORDER = {name: i for i, name in enumerate(_EXPECTED)}


def _expected(names: Iterable[str]) -> str:
    wanted = sorted(
        (n for n in set(names) if n != "PREFIX" and not n.startswith("__")),
        key=lambda n: (_ORDER.get(n, len(_ORDER)), n),
    )
    words = [_EXPECTED.get(n, n) for n in wanted]
    if not words:
        return "nothing more"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _found_at(expr: str, pos: int) -> str:
    """The text at ``pos`` that could not be read as a token, for an error message."""
    end = pos + 1
    while end < len(expr) and end - pos < 20 and expr[end] not in ' \t\n\r\f.&?,|:"':
        end += 1
    return expr[pos:end]


def _syntax_error(expr: str, err: Exception) -> SelectorError:
    """Turn any Lark error into a SelectorError naming what was found and what was expected."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    if isinstance(err, UnexpectedToken):
        pos: int = err.pos_in_stream or 0 if err.token.type != "$END" else len(expr)
        try:
            names: Iterable[str] = err.accepts
        except Exception:  # pragma: no cover - accepts needs an interactive parser
            names = err.expected
        found = "end of expression" if err.token.type == "$END" else repr(str(err.token))
        return SelectorError(
            f"unexpected {found} at position {pos}: expected {_expected(names)}",
            expression=expr,
            position=pos,
        )
    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream or 0
        if expr[pos] == '"':
            return SelectorError(
                f"invalid quoted key {expr[pos : pos + 20]!r} at position {pos}: expected a JSON"
                " string (closed by '\"', escapes \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)",
                expression=expr,
                position=pos,
            )
        names = set(err.allowed or ())
        try:  # the lexer does not know whether the expression could end here; the parser does
            _parser().parse(expr[:pos])
            names.add("$END")
        except UnexpectedToken as e:
            if e.token.type == "$END":
                names = set(e.accepts)
        except Exception:  # keep what the lexer said
            pass
        return SelectorError(
            f"unexpected {_found_at(expr, pos)!r} at position {pos}: expected {_expected(names)}",
            expression=expr,
            position=pos,
        )
    return SelectorError(f"invalid selector: {err}", expression=expr, position=0)


# ------------------------------------------------------------------------------ the terms

# Path segments of a term: a key name (str), or one of these markers.
_ARRAY = 1  # []
_ANY_KEY = 2  # *
_ANY_PATH = 3  # **

Segment = str | int
Spec = range | frozenset[int] | None  # None: any index
Check = tuple[str | None, tuple[Spec, ...]]  # (event kind or None, index specs)


class _Term:
    """One term: its segments, event kind and index specs (trailing 'any' specs dropped)."""

    __slots__ = ("text", "segments", "kind", "specs")

    def __init__(self, text: str, segments: list[Segment], kind: str | None, specs: list[Spec]):
        while specs and specs[-1] is None:
            specs.pop()
        self.text = text
        self.segments = tuple(segments)
        self.kind = kind
        self.specs = tuple(specs)


def _int(tok: Token) -> int:
    return int(str(tok))


def _at(tok: Token) -> int:
    return tok.start_pos or 0


def _spec(expr: str, kind: str, toks: list[Token]) -> Spec:
    """One index spec from its tree: ``any_index``, ``index``, ``alternatives``, ``index_range``."""
    if kind == "any_index":
        return None
    if kind == "index":
        n = _int(toks[0])
        return range(n, n + 1)
    if kind == "alternatives":
        return frozenset(_int(t) for t in toks)
    colon = next(i for i, t in enumerate(toks) if t.type == "COLON")  # index_range: INT? : INT?
    lo = _int(toks[0]) if colon == 1 else 0
    hi = _int(toks[-1]) if colon == len(toks) - 2 else max(sys.maxsize, lo + 1)
    if hi <= lo:
        start = _at(toks[0])
        raise SelectorError(
            f"empty index range {expr[start : toks[-1].end_pos]!r} at position {start}:"
            " expected start < end",
            expression=expr,
            position=start,
        )
    return range(lo, hi)


def _build_term(expr: str, tree: Tree[Token]) -> _Term:
    from lark import Token

    segments: list[Segment] = []
    kind: str | None = None
    specs: list[Spec] = []
    spec_at: list[tuple[int, int]] = []  # where each spec begins and ends
    for child in tree.children:
        if isinstance(child, Token):
            t = child.type
            if t == "NAME":
                segments.append(str(child))
            elif t == "QUOTED":
                segments.append(json.loads(str(child)))
            else:
                segments.append({"ARRAY": _ARRAY, "ANY_KEY": _ANY_KEY, "ANY_PATH": _ANY_PATH}[t])
        elif child.data == "event_kind":
            kind = str(child.children[0])[1:]  # "$delta" -> "delta"
        else:  # index_specs
            for spec in child.children:
                assert not isinstance(spec, Token)
                toks = list(spec.scan_values(lambda v: isinstance(v, Token)))
                spec_at.append((_at(toks[0]), toks[-1].end_pos or 0))
                specs.append(_spec(expr, str(spec.data), toks))
    arrays = segments.count(_ARRAY)
    if _ANY_PATH not in segments and len(specs) > arrays:
        at, end = spec_at[arrays]
        if arrays == 0:
            want = "no index spec, as the term has no '[]' (and no '**')"
        else:
            many = "1 index spec" if arrays == 1 else f"{arrays} index specs"
            want = f"at most {many}, one per '[]' of the term (it has no '**')"
        raise SelectorError(
            f"unexpected index spec {expr[at:end]!r} at position {at}: expected {want}",
            expression=expr,
            position=at,
        )
    first = tree.meta.start_pos if not tree.meta.empty else 0
    last = tree.meta.end_pos if not tree.meta.empty else len(expr)
    return _Term(expr[first:last], segments, kind, specs)


# ------------------------------------------------------------------------------ the automaton


class _Node:
    """A trie node: a state of the NFA that the terms make together."""

    __slots__ = ("keys", "array", "any_key", "any_path", "loop", "checks")

    def __init__(self, loop: bool = False) -> None:
        self.keys: dict[str, _Node] = {}
        self.array: _Node | None = None
        self.any_key: _Node | None = None
        self.any_path: _Node | None = None  # the node after '**'; it has loop=True
        self.loop = loop  # reached by '**': stays active on any further segment
        self.checks: list[Check] = []  # the terms that end here


def _closure(nodes: Iterable[_Node]) -> frozenset[_Node]:
    """Add the nodes reachable without consuming a segment ('**' matching zero segments)."""
    out = set(nodes)
    todo = [n for n in out if n.any_path is not None]
    while todo:
        nxt = todo.pop().any_path
        if nxt is not None and nxt not in out:
            out.add(nxt)
            todo.append(nxt)
    return frozenset(out)


_Decision = bool | Callable[[Mapping[str, Any]], bool]


class _State:
    """A DFA state: a set of trie nodes, its transitions (built on demand) and decision."""

    __slots__ = ("nodes", "tables", "keys", "other", "array", "decision", "dead")

    def __init__(self, nodes: frozenset[_Node]) -> None:
        self.nodes = nodes
        # the key tables of its nodes, to ask whether a key is one of their literals (not
        # their union: a node after '**' may know thousands of keys, and building the union
        # for every new state made each new key cost as much as the terms)
        self.tables = tuple(n.keys for n in nodes if n.keys)
        self.keys: dict[str, _State] = {}  # memoized transitions on the literal keys
        self.other: _State | None = None  # on any other key
        self.array: _State | None = None  # on an array level
        self.dead = not nodes
        self.decision = _decide([c for n in nodes for c in n.checks])


def _decide(checks: list[Check]) -> _Decision:
    """What to do with an event whose path ends in a state where these terms end."""
    if not checks:
        return False
    free: set[str] = set()  # the event kinds selected whatever the indexes
    for kind, specs in checks:
        if not specs:
            free.update((kind,) if kind else _KINDS)
    if free >= _KINDS:
        return True
    rest = tuple((k, specs) for k, specs in checks if specs and k not in free)

    def decide(event: Mapping[str, Any]) -> bool:
        kind = event["event"]
        if kind in free:
            return True
        indexes = event["indexes"]
        for want, specs in rest:
            if (want is None or want == kind) and len(indexes) >= len(specs):
                for spec, i in zip(specs, indexes):
                    if spec is not None and i not in spec:
                        break
                else:
                    return True
        return False

    return decide


class _Automaton:
    def __init__(self, terms: Iterable[_Term]) -> None:
        self.root = root = _Node()
        for term in terms:
            node = root
            for seg in term.segments:
                if seg == _ARRAY:
                    node.array = node.array or _Node()
                    node = node.array
                elif seg == _ANY_KEY:
                    node.any_key = node.any_key or _Node()
                    node = node.any_key
                elif seg == _ANY_PATH:
                    node.any_path = node.any_path or _Node(loop=True)
                    node = node.any_path
                else:
                    assert isinstance(seg, str)
                    node = node.keys.setdefault(seg, _Node())
            node.checks.append((term.kind, term.specs))
        self.reset()

    def reset(self) -> None:
        self.states: dict[frozenset[_Node], _State] = {}
        self.start = self._state(_closure([self.root]))

    def _state(self, nodes: frozenset[_Node]) -> _State:
        state = self.states.get(nodes)
        if state is None:
            state = self.states[nodes] = _State(nodes)
        return state

    def step(self, state: _State, seg: str | int) -> _State:
        """The state after one path segment (a key, or an int: an array index)."""
        nxt: list[_Node] = [n for n in state.nodes if n.loop]
        if seg.__class__ is int:
            nxt += [n.array for n in state.nodes if n.array is not None]
        else:
            for n in state.nodes:
                child = n.keys.get(seg)  # type: ignore[arg-type]
                if child is not None:
                    nxt.append(child)
                if n.any_key is not None:
                    nxt.append(n.any_key)
        return self._state(_closure(nxt))

    def walk(self, path: Iterable[str | int]) -> _State:
        """The state an event's path leads to (dead as soon as no term can match)."""
        if len(self.states) > _STATE_LIMIT:
            self.reset()
        state = self.start
        for seg in path:
            if state.dead:
                break
            if seg.__class__ is int:
                nxt = state.array
                if nxt is None:
                    nxt = state.array = self.step(state, seg)
            else:
                nxt = state.keys.get(seg)  # type: ignore[arg-type]
                if nxt is None:
                    for table in state.tables:
                        if seg in table:
                            nxt = state.keys[seg] = self.step(state, seg)
                            break
                    else:
                        nxt = state.other
                        if nxt is None:
                            nxt = state.other = self.step(state, seg)
            state = nxt
        return state


# ------------------------------------------------------------------------------ the selector


class Selector:
    """A compiled selector expression; build one with :func:`compile_selector`.

    ``matches(event)`` says whether the expression selects an event (any mapping with the
    event fields ``key``, ``path``, ``event`` and ``indexes``). Its cost does not grow with
    the number of terms: see the module docstring.
    """

    __slots__ = ("expression", "terms", "matches", "_cache", "_learn")

    matches: Callable[[Mapping[str, Any]], bool]

    def __init__(self, expression: str, terms: tuple[str, ...], automaton: _Automaton) -> None:
        self.expression = expression
        self.terms = terms  # the text of each term, as written
        self.matches, self._cache, self._learn = _matcher(automaton)

    def filter(self, events: Iterable[Mapping[str, Any]]) -> list[Any]:
        """The events this selector selects, in order (``matches``, inlined: per event)."""
        get, learn = self._cache.get, self._learn
        kept = []
        for ev in events:
            d = get(ev["key"])
            if d is None:
                d = learn(ev)
            if d is True or (d is not False and d(ev)):
                kept.append(ev)
        return kept

    def __repr__(self) -> str:
        return f"instant.compile_selector({self.expression!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Selector) and other.expression == self.expression

    def __hash__(self) -> int:
        return hash(self.expression)

    def __reduce__(self) -> Any:
        return (compile_selector, (self.expression,))


def _matcher(
    automaton: _Automaton,
) -> tuple[Callable[[Mapping[str, Any]], bool], dict[str, _Decision], Callable[..., _Decision]]:
    """``matches(event)``, and its cache and slow path for callers that inline the lookup."""
    cache: dict[str, _Decision] = {}
    walk = automaton.walk

    def learn(event: Mapping[str, Any]) -> _Decision:
        if len(cache) >= _KEY_CACHE_LIMIT:
            cache.clear()
        decision = cache[event["key"]] = walk(event["path"]).decision
        return decision

    def matches(event: Mapping[str, Any]) -> bool:
        """Whether the selector selects ``event``."""
        try:
            decision = cache[event["key"]]
        except KeyError:
            decision = learn(event)
        if decision is True or decision is False:
            return decision
        return decision(event)

    return matches, cache, learn


def compile_selector(expression: str | Selector) -> Selector:
    """Compile a selector expression (cached by expression); a Selector is returned as is.

    Raises :class:`SelectorError` (a ``ValueError``) with ``position`` for a malformed one.
    """
    if isinstance(expression, Selector):
        return expression
    if not isinstance(expression, str):
        raise TypeError(f"a selector is a str or a Selector, not {type(expression).__name__}")
    return _compile(expression)


@functools.lru_cache(maxsize=256)
def _compile(expression: str) -> Selector:
    from lark.exceptions import LarkError

    try:
        tree = _parser().parse(expression)
    except LarkError as e:
        raise _syntax_error(expression, e) from None
    terms = [_build_term(expression, t) for t in tree.children if not isinstance(t, str)]
    return Selector(expression, tuple(t.text for t in terms), _Automaton(terms))
