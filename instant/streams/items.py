"""``instant.items()``: each value at a selector's paths, the moment it is done.

``items(source, "orders.[].lines.[]")`` yields every line of every order as soon as its
closing brace is read, at any depth and for any selector; a mapping ``{selector: model}``
reads several at once and yields ``(selector, item)``. With ``model=`` each item is validated
by pydantic (``TypeAdapter(model).validate_python``, lax mode, as JSON is validated) as it
completes, and ``on_invalid`` says what an invalid one does:

- ``"raise"`` (default): :class:`ItemValidationError` is raised after the items before it
  (the source is closed);
- ``"skip"``: it is dropped;
- ``"yield_error"``: the :class:`ItemValidationError` itself is yielded in its place (with a
  mapping, ``(selector, error)``); it does not count towards ``max_items``.

:class:`ItemsDriver` is the sans-I/O part. It asks the parser (``select=``) for the ``done``
events of the item paths only (``path.$done``), so the parser hands no other event to Python
code; with one selector and no model, an item costs one list append.

``until=`` (:mod:`.until`) and ``max_items=`` stop early: the source is closed at once, the
items up to the stopping one are yielded, and ``stopped_early`` is true. ``max_items`` counts
the items yielded (valid ones; not skipped or yielded errors).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Generator, Iterable, Iterator
from collections.abc import Mapping as MappingABC
from typing import Any, Generic, Literal, TypeVar, overload

from ..errors import ParseError, RefusalError
from ..events import Event, key_segment
from ..options import ParserOptions, Unpack, check
from ..selector import Selector
from ._pump import Source, apump, chunks_of, pump
from .eventstream import _Stream
from .parser import StreamParser
from .until import Until, UntilSpec, done_only, make_until, union

__all__ = [
    "AsyncItems",
    "ItemValidationError",
    "Items",
    "ItemsDriver",
    "OnInvalid",
    "Validator",
    "aitems",
    "items",
]

T = TypeVar("T")
OnInvalid = Literal["raise", "skip", "yield_error"]
_ON_INVALID = ("raise", "skip", "yield_error")


class ItemValidationError(ValueError):
    """An item that does not validate as its model.

    Raised (``on_invalid="raise"``) or yielded in the item's place
    (``on_invalid="yield_error"``). Carries ``selector`` (as given), ``path`` (the item's
    exact path, keys and indexes), ``key`` (its path in selector notation), ``value`` (the
    item as parsed), ``model`` and ``validation_error`` (pydantic's); :meth:`errors` is
    pydantic's list of errors.
    """

    def __init__(
        self,
        selector: Any,
        event: Event,
        model: Any,
        validation_error: Exception,
    ) -> None:
        self.selector = selector
        self.path: tuple[str | int, ...] = event["path"]
        self.key: str = event["key"]
        self.value: Any = event["value"]
        self.model = model
        self.validation_error = validation_error
        name = getattr(model, "__name__", None) or repr(model)
        super().__init__(
            f"the item at {_where(self.path)} is not a valid {name}: {validation_error}"
        )

    def errors(self) -> list[Any]:
        """pydantic's errors (``ValidationError.errors()``)."""
        errors: Callable[[], list[Any]] | None = getattr(self.validation_error, "errors", None)
        return errors() if errors is not None else []

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ItemValidationError)
            and other.path == self.path
            and other.value == self.value
            and other.model == self.model
            and other.selector == self.selector
        )

    __hash__ = ValueError.__hash__


def _where(path: tuple[str | int, ...]) -> str:
    """A path as Python would index it from the document: ``orders[0].lines[1]``."""
    out = []
    for p in path:
        if isinstance(p, int):
            out.append(f"[{p}]")
        elif key_segment(p) == p:
            out.append(f".{p}" if out else p)
        else:
            out.append(f"[{p!r}]")
    return "".join(out) or "(the root)"


_ADAPTERS: dict[Any, Any] = {}


class Validator:
    """``TypeAdapter(model).validate_python`` (pydantic imported on first use, adapters
    cached by model)."""

    __slots__ = ("model", "validate", "error")

    def __init__(self, model: Any) -> None:
        from pydantic import TypeAdapter, ValidationError

        try:
            adapter = _ADAPTERS.get(model)
        except TypeError:  # an unhashable type expression
            adapter = None
        if adapter is None:
            adapter = TypeAdapter(model)
            try:
                _ADAPTERS[model] = adapter
            except TypeError:
                pass
        self.model = model
        self.validate: Callable[[Any], Any] = adapter.validate_python
        self.error = ValidationError


def validator(model: Any) -> Validator | None:
    return None if model is None else Validator(model)


class _Entry:
    __slots__ = ("key", "matches", "check")

    def __init__(self, key: Any, selector: Selector, check: Validator | None) -> None:
        self.key = key
        self.matches = selector.matches
        self.check = check


class ItemsDriver:
    """Done events at the item paths in, items out (sans-I/O); see the module."""

    def __init__(
        self,
        core: StreamParser,
        entries: list[_Entry],
        single: bool,
        on_invalid: OnInvalid,
        until: Until | None,
        max_items: int | None,
    ) -> None:
        self.core = core
        self.entries = entries
        self.single = single
        self.on_invalid = on_invalid
        self.until = until
        self.max_items = max_items
        self.count = 0
        self.stopped = False
        # one selector, no model, nothing else asked of the parser: every event is an item
        self.plain = single and entries[0].check is None and until is None and max_items is None

    def begin(self) -> list[Any]:
        return []

    def feed(self, chunk: Any) -> tuple[list[Any], BaseException | None]:
        err: ParseError | None = None
        try:
            events = self.core.feed(chunk)
        except ParseError as e:
            err = e
            events, err.events = err.events, []
        if self.plain:
            return [e["value"] for e in events], err
        out, stop = self._items(events, self.until)
        if self.stopped:
            return out, None  # an error after the stopping item is not raised
        return out, stop or err

    def close(self) -> tuple[list[Any], BaseException | None]:
        try:
            events = self.core.close()
        except ParseError as err:
            events, err.events = err.events, []
            out, stop = self._items(events, None)
            return out, stop or err
        except RefusalError as err:
            return [], err
        if self.plain:
            return [e["value"] for e in events], None
        stopped = self.stopped
        out, stop = self._items(events, None)
        self.stopped = stopped  # max_items at the end cuts the items, it stops no reading
        return out, stop

    def fail(self, exc: BaseException) -> list[Any]:
        return []

    def _items(
        self, events: list[Event], until: Until | None
    ) -> tuple[list[Any], ItemValidationError | None]:
        out: list[Any] = []
        single, on_invalid, limit = self.single, self.on_invalid, self.max_items
        for event in events:
            for entry in self.entries:
                if not entry.matches(event):
                    continue
                value = event["value"]
                check = entry.check
                if check is not None:
                    try:
                        value = check.validate(value)
                    except check.error as exc:
                        error = ItemValidationError(entry.key, event, check.model, exc)
                        if on_invalid == "raise":
                            return out, error
                        if on_invalid == "yield_error":
                            out.append(error if single else (entry.key, error))
                        continue
                out.append(value if single else (entry.key, value))
                self.count += 1
                if limit is not None and self.count >= limit:
                    self.stopped = True
                    return out, None
            if until is not None and until.hit(event):
                self.stopped = True
                return out, None
        return out, None


class Items(_Stream, Generic[T]):
    """The items of a sync source (what :func:`items` returns for an iterable).

    Iterate it once; :attr:`stopped_early` says whether ``until=``/``max_items=`` stopped
    it, and :attr:`value`, :attr:`text`, ... tell what was parsed. :meth:`close` (or
    ``with``) closes the source at once, also when it was never iterated.
    """

    def __init__(self, source: Any, driver: ItemsDriver) -> None:
        self._core = driver.core
        self._driver = driver
        self._source: Source[Any] = Source(source)
        self._items: Generator[T, None, None] = pump(self._source, driver)

    def __iter__(self) -> Iterator[T]:
        return self._items

    def __next__(self) -> T:
        return next(self._items)

    def close(self) -> None:
        """Stop reading and close the source."""
        self._items.close()
        self._source.close()

    def __enter__(self) -> Items[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncItems(_Stream, Generic[T]):
    """The items of an async source: ``async for``, :meth:`aclose`, ``async with``."""

    def __init__(self, source: Any, driver: ItemsDriver) -> None:
        self._core = driver.core
        self._driver = driver
        self._source: Source[Any] = Source(source)
        self._items = apump(self._source, driver)

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items

    async def __anext__(self) -> T:
        return await self._items.__anext__()  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        """Stop reading and close the source (``aclose()`` or ``close()``, awaited)."""
        await self._items.aclose()
        await self._source.aclose()

    async def __aenter__(self) -> AsyncItems[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


Selection = str | Selector | MappingABC[str | Selector, Any]


def _open(
    where: str,
    source: Any,
    selector: Selection,
    model: Any,
    on_invalid: OnInvalid,
    until: UntilSpec | None,
    max_items: int | None,
    options: ParserOptions,
    asynchronous: bool,
) -> Any:
    check(where, options)
    if "select" in options:
        raise TypeError(f"{where} takes the item paths as its selector, not select=")
    if on_invalid not in _ON_INVALID:
        raise ValueError(
            f"{where}: on_invalid must be 'raise', 'skip' or 'yield_error', not {on_invalid!r}"
        )
    if max_items is not None and (
        max_items.__class__ is bool or not isinstance(max_items, int) or max_items < 1
    ):
        raise ValueError(f"{where}: max_items must be a positive int or None, not {max_items!r}")
    single = not isinstance(selector, MappingABC)
    if not isinstance(selector, MappingABC):
        wanted: list[tuple[Any, Any]] = [(selector, model)]
    else:
        if model is not None:
            raise TypeError(f"{where}: with a mapping of selectors, give each its model there")
        if not selector:
            raise ValueError(f"{where}: the mapping of selectors is empty")
        wanted = list(selector.items())
    entries = []
    selected = []
    for key, kind in wanted:
        if not isinstance(key, (str, Selector)):
            raise TypeError(f"{where}: a selector is a str or a Selector, not {type(key).__name__}")
        done = done_only(key, where)
        selected.append(done)
        entries.append(_Entry(key, done, validator(kind)))
    source = chunks_of(source, where)
    cond = make_until(where, until)
    opts: dict[str, Any] = dict(options)
    if cond is None or cond.needs is not None:
        needs = [] if cond is None or cond.needs is None else [cond.needs]
        opts["select"] = union([*selected, *needs])
    if cond is None or cond.fn is None:
        # items hand out values only: no snapshot of the document is needed
        opts.setdefault("snapshots", False)
    driver = ItemsDriver(StreamParser(**opts), entries, single, on_invalid, cond, max_items)
    if asynchronous or hasattr(source, "__aiter__"):
        return AsyncItems(source, driver)
    return Items(source, driver)


@overload
def items(
    source: AsyncIterable[Any],
    selector: str | Selector,
    model: type[T],
    *,
    on_invalid: Literal["raise", "skip"] = "raise",
    until: UntilSpec | None = None,
    max_items: int | None = None,
    **options: Unpack[ParserOptions],
) -> AsyncItems[T]: ...
@overload
def items(
    source: Iterable[Any] | str | bytes,
    selector: str | Selector,
    model: type[T],
    *,
    on_invalid: Literal["raise", "skip"] = "raise",
    until: UntilSpec | None = None,
    max_items: int | None = None,
    **options: Unpack[ParserOptions],
) -> Items[T]: ...
@overload
def items(
    source: AsyncIterable[Any],
    selector: Selection,
    model: Any = None,
    *,
    on_invalid: OnInvalid = "raise",
    until: UntilSpec | None = None,
    max_items: int | None = None,
    **options: Unpack[ParserOptions],
) -> AsyncItems[Any]: ...
@overload
def items(
    source: Iterable[Any] | str | bytes,
    selector: Selection,
    model: Any = None,
    *,
    on_invalid: OnInvalid = "raise",
    until: UntilSpec | None = None,
    max_items: int | None = None,
    **options: Unpack[ParserOptions],
) -> Items[Any]: ...
def items(
    source: Any,
    selector: Selection,
    model: Any = None,
    *,
    on_invalid: OnInvalid = "raise",
    until: UntilSpec | None = None,
    max_items: int | None = None,
    **options: Unpack[ParserOptions],
) -> Any:
    """Each value at the paths ``selector`` selects, yielded at its ``done``.

    ``source`` is what :func:`instant.stream` reads (a sync iterable gives an
    :class:`Items` iterator, an async one :class:`AsyncItems`). ``selector`` is a selector
    (yielding items) or a mapping ``{selector: model or None}`` (yielding
    ``(selector, item)``; an item two selectors select comes once for each). ``model``:
    validate each item (see the module for ``on_invalid``). ``until``/``max_items``: stop
    early. ``options`` are the parser's (``select`` excepted); ``snapshots`` defaults to
    ``False``, as items need no snapshot.
    """
    return _open(
        "instant.items()", source, selector, model, on_invalid, until, max_items, options, False
    )


@overload
def aitems(
    source: AsyncIterable[Any],
    selector: str | Selector,
    model: type[T],
    *,
    on_invalid: Literal["raise", "skip"] = "raise",
    until: UntilSpec | None = None,
    max_items: int | None = None,
    **options: Unpack[ParserOptions],
) -> AsyncItems[T]: ...
@overload
def aitems(
    source: AsyncIterable[Any],
    selector: Selection,
    model: Any = None,
    *,
    on_invalid: OnInvalid = "raise",
    until: UntilSpec | None = None,
    max_items: int | None = None,
    **options: Unpack[ParserOptions],
) -> AsyncItems[Any]: ...
def aitems(
    source: AsyncIterable[Any],
    selector: Selection,
    model: Any = None,
    *,
    on_invalid: OnInvalid = "raise",
    until: UntilSpec | None = None,
    max_items: int | None = None,
    **options: Unpack[ParserOptions],
) -> Any:
    """Async :func:`items` (an :class:`AsyncItems`, also over a sync iterable)."""
    return _open(
        "instant.aitems()", source, selector, model, on_invalid, until, max_items, options, True
    )
