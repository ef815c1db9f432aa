"""Events in Agently 3's "instant" shape, for code written against Agently 3.

Agently 3 (``agent.use_instant()...get_instant_generator()``) handed out
``{"key", "indexes", "delta", "value", "complete_value"}`` dicts: a string's new text under
``key + ".$delta"`` (``"answer.$delta"``; a root string: ``"$delta"``), and one completion
per value under its plain key whose ``delta`` equals its ``value`` (strings, numbers,
objects and arrays alike). Keys are Agently 3's: the object keys as written, joined by
``.``, an array level as ``[]`` (``list_b.[].key_3``). :func:`to_v3` converts one of
instant's events; the generators convert a whole stream, as pump drivers (the source is
closed on every way out).

Agently 3 always asked the model for an object, and so do these functions
(``expect="object"``, unless you pass ``expect``): a ``[1]`` footnote in prose before the
answer is not taken for the document.

:func:`instant_keys_generator` filters as Agently 3's ``get_instant_keys_generator`` did
(see :func:`key_filter`): ``"answer"`` is the completion only, ``"answer.$delta"`` the
text as it streams, and index specs (``?_,0``) must give every index of the key.

=======================================  ==============================================
Agently 3                                instant
=======================================  ==============================================
``agent.get_instant_generator()``        ``agently.instant_generator(source)``
``agent.get_instant_keys_generator(k)``  ``agently.instant_keys_generator(source, k)``
``agent.get_generator()``                ``agently.generator(source)``
``agent.get_complete_generator()``       ``agently.complete_generator(source)``
``agent.get_delta_generator()``          ``agently.delta_generator(source)``
=======================================  ==============================================
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, overload

from ..errors import SelectorError
from ..events import Event
from ..options import ParserOptions, Unpack, check
from ..streams._pump import Driver, Mapped, Source, apump, chunks_of, pump
from ..streams.eventstream import EventDriver
from ..streams.generators import Item, PairsDriver
from ..streams.parser import StreamParser

__all__ = [
    "KeyFilter",
    "V3Event",
    "complete_generator",
    "delta_generator",
    "generator",
    "instant_generator",
    "instant_keys_generator",
    "key_filter",
    "to_v3",
    "v3_key",
]

V3Event = dict[str, Any]


def v3_key(path: tuple[str | int, ...]) -> str:
    """Agently 3's ``key`` for a value at ``path``: keys as written, ``[]`` per array level."""
    return ".".join("[]" if seg.__class__ is int else seg for seg in path)  # type: ignore[misc]


def to_v3(event: Event) -> V3Event | None:
    """The Agently 3 form of one event (``None`` for ``start`` events, which it lacked)."""
    kind = event["event"]
    key = v3_key(event["path"])
    if kind == "delta":
        key = key + ".$delta" if key else "$delta"
        delta = event["delta"]
    elif kind == "done":
        delta = event["value"]
    else:
        return None
    return {
        "key": key,
        "indexes": event["indexes"],
        "delta": delta,
        "value": event["value"],
        "complete_value": event["complete_value"],
    }


class KeyFilter:
    """Agently 3's key expression, compiled: which v3 events it selects (see :func:`key_filter`)."""

    __slots__ = ("expression", "_terms")

    def __init__(self, expression: str, terms: dict[str, list[tuple[int, ...]]]) -> None:
        self.expression = expression
        self._terms = terms

    def __call__(self, event: V3Event) -> bool:
        """Whether the v3 ``event`` is selected."""
        specs = self._terms.get(event["key"])
        if specs is None:
            return False
        indexes = event["indexes"]
        for spec in specs:
            if not spec:
                return True
            if len(spec) == len(indexes) and all(s == -1 or s == i for s, i in zip(spec, indexes)):
                return True
        return False

    def __repr__(self) -> str:
        return f"KeyFilter({self.expression!r})"


def key_filter(expression: str) -> KeyFilter:
    """Compile an Agently 3 key expression as ``get_instant_keys_generator`` read it.

    Terms are separated by ``&`` (an optional ``instant:`` prefix, as its event listeners
    took, and blanks around terms are ignored). A term is a v3 key, compared exactly with
    the event's ``key``: ``answer`` selects the completion of ``answer`` only,
    ``answer.$delta`` its text as it streams, ``answer.$done`` (instant's spelling, which
    Agently 3 did not know) the completion. After an optional ``?`` come index specs
    separated by ``,``: an integer, or ``_``/``*``/``-1`` for any. A term with specs
    selects an event only if it gives exactly one spec per index of the event (``?_``
    selects nothing for a key with two ``[]``); a term without specs (or with an empty
    ``?``) selects every index. An event selected by several terms comes once.

    Raises :class:`~instant.SelectorError` (a ``ValueError``, with ``position``) for a spec
    that is not an integer, ``_`` or ``*``, or a term with more than one ``?``.
    """
    if not isinstance(expression, str):
        raise TypeError(f"an Agently 3 key expression is a str, not {type(expression).__name__}")
    body, offset = expression, 0
    stripped = body.lstrip()
    if stripped.startswith("instant:"):
        offset = len(body) - len(stripped) + len("instant:")
        body = body[offset:]
    terms: dict[str, list[tuple[int, ...]]] = {}
    for raw in body.split("&"):
        key, sep, specs_text = raw.partition("?")
        if "?" in specs_text:
            pos = offset + len(key) + 1 + specs_text.index("?")
            raise SelectorError("a second '?' in one term", expression=expression, position=pos)
        specs: list[int] = []
        if sep and specs_text.strip():
            at = offset + len(key) + 1
            for text in specs_text.split(","):
                spec = text.strip()
                if spec in ("_", "*"):
                    specs.append(-1)
                else:
                    try:
                        specs.append(int(spec))
                    except ValueError:
                        where = at + len(text) - len(text.lstrip())
                        raise SelectorError(
                            f"found {spec!r} where an index spec goes: an integer, '_' or '*'",
                            expression=expression,
                            position=where,
                        ) from None
                at += len(text) + 1
        key = key.strip()
        if key.endswith(".$done") or key == "$done":
            key = key[: -len(".$done")] if key != "$done" else ""
        terms.setdefault(key, []).append(tuple(specs))
        offset += len(raw) + 1
    return KeyFilter(expression, terms)


# -- the generators (pump drivers) -----------------------------------------------------------


def _options(where: str, options: ParserOptions) -> ParserOptions:
    check(where, options)
    return {"expect": "object", **options}


def _run(where: str, source: Any, driver: Driver[Any]) -> Any:
    source = chunks_of(source, where)
    if hasattr(source, "__aiter__"):
        return apump(Source(source), driver)
    return pump(Source(source), driver)


def _pair_to_v3(item: Item) -> Item | None:
    name, data = item
    if name == "instant":
        v3 = to_v3(data)
        return None if v3 is None else (name, v3)
    if name == "response:start":
        return (name, {})  # Agently 3 started with an empty dict
    return item


def _delta_only(item: Item) -> str | None:
    name, data = item
    return data if name == "response:delta" else None


@overload
def instant_generator(
    source: AsyncIterable[Any], **options: Unpack[ParserOptions]
) -> AsyncIterator[V3Event]: ...
@overload
def instant_generator(
    source: Iterable[Any] | str | bytes, **options: Unpack[ParserOptions]
) -> Iterator[V3Event]: ...
def instant_generator(source: Any, **options: Unpack[ParserOptions]) -> Any:
    """The stream's events in v3 shape (an async generator for an async iterable)."""
    where = "instant.compat.agently.instant_generator()"
    driver = Mapped(EventDriver(StreamParser(**_options(where, options))), to_v3)
    return _run(where, source, driver)


@overload
def instant_keys_generator(
    source: AsyncIterable[Any], keys: str | list[str], **options: Unpack[ParserOptions]
) -> AsyncIterator[V3Event]: ...
@overload
def instant_keys_generator(
    source: Iterable[Any] | str | bytes, keys: str | list[str], **options: Unpack[ParserOptions]
) -> Iterator[V3Event]: ...
def instant_keys_generator(
    source: Any, keys: str | list[str], **options: Unpack[ParserOptions]
) -> Any:
    """The v3 events that Agently 3's key expression ``keys`` selects (see :func:`key_filter`;
    a list of terms is joined with ``&``, as Agently 3 took either)."""
    where = "instant.compat.agently.instant_keys_generator()"
    if "select" in options:
        raise TypeError(f"{where} takes the keys as its second argument, not select=")
    selected = key_filter("&".join(keys) if isinstance(keys, list) else keys)

    def convert(event: Event) -> V3Event | None:
        v3 = to_v3(event)
        return v3 if v3 is not None and selected(v3) else None

    driver = Mapped(EventDriver(StreamParser(**_options(where, options))), convert)
    return _run(where, source, driver)


@overload
def generator(
    source: AsyncIterable[Any], **options: Unpack[ParserOptions]
) -> AsyncIterator[Item]: ...
@overload
def generator(
    source: Iterable[Any] | str | bytes, **options: Unpack[ParserOptions]
) -> Iterator[Item]: ...
def generator(source: Any, **options: Unpack[ParserOptions]) -> Any:
    """``(event, data)`` pairs as Agently 3's ``get_generator()``: ``response:start``
    (``{}``), ``response:delta`` (each chunk's text), ``instant`` (v3 events),
    ``response:done`` (the whole reply text)."""
    where = "instant.compat.agently.generator()"
    driver = Mapped(PairsDriver(StreamParser(**_options(where, options)), False), _pair_to_v3)
    return _run(where, source, driver)


@overload
def complete_generator(
    source: AsyncIterable[Any], **options: Unpack[ParserOptions]
) -> AsyncIterator[Item]: ...
@overload
def complete_generator(
    source: Iterable[Any] | str | bytes, **options: Unpack[ParserOptions]
) -> Iterator[Item]: ...
def complete_generator(source: Any, **options: Unpack[ParserOptions]) -> Any:
    """:func:`generator` plus ``response:delta_origin`` (each raw chunk, before its items),
    ``response:done_origin`` (the provider's last raw chunk: finish reason and usage) and
    ``response:finally`` (last, also just before an error is raised)."""
    where = "instant.compat.agently.complete_generator()"
    driver = Mapped(PairsDriver(StreamParser(**_options(where, options)), True), _pair_to_v3)
    return _run(where, source, driver)


@overload
def delta_generator(
    source: AsyncIterable[Any], **options: Unpack[ParserOptions]
) -> AsyncIterator[str]: ...
@overload
def delta_generator(
    source: Iterable[Any] | str | bytes, **options: Unpack[ParserOptions]
) -> Iterator[str]: ...
def delta_generator(source: Any, **options: Unpack[ParserOptions]) -> Any:
    """Each chunk's reply text, as Agently 3's ``get_delta_generator()``."""
    where = "instant.compat.agently.delta_generator()"
    driver = Mapped(PairsDriver(StreamParser(**_options(where, options)), False), _delta_only)
    return _run(where, source, driver)
