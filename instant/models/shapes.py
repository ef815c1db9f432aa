"""Shapes: how the JSON at one place of a model becomes partial values.

:mod:`instant.models.partial` translates a model's annotations into a tree of these (once
per model, cached); :mod:`instant.models.mirror` follows it as the events arrive. A
:class:`Shape` is one place (a field, a list item, a dict value): how a leaf there converts,
which containers become nodes of the mirror (:class:`Spec`: a model, a list, a tuple, a set,
a dict, a TypedDict), and the place's streaming policy (``Done``, ``WithState``, ``NotNull``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

Path = tuple[str | int, ...]
Converter = Callable[[Any, bool], Any]  # (raw JSON value, complete?) -> partial value or None
_osa = object.__setattr__

# model_construct's core, without its per-field loop: the slots every BaseModel instance has
_new = object.__new__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
_get_private = BaseModel.__dict__["__pydantic_private__"].__get__


def construct(cls: type[BaseModel], values: dict[str, Any], fields_set: set[str]) -> Any:
    """A partial instance from trusted values, without validation (``model_construct``'s core).

    ``values`` must hold every field; the instance owns ``values`` and ``fields_set``.
    """
    m = _new(cls)
    _set_dict(m, values)
    _set_fields(m, fields_set)
    _set_extra(m, None)
    _set_private(m, {"_completed": ()})
    return m


_STATE_FIELDS = frozenset(("value", "state"))


def streaming(cls: type[BaseModel], value: Any, state: str) -> Any:
    """A :class:`~instant.Streaming` instance of the parametrized class ``cls``."""
    m = _new(cls)
    _set_dict(m, {"value": value, "state": state})
    _set_fields(m, set(_STATE_FIELDS))
    _set_extra(m, None)
    _set_private(m, None)
    return m


class Shape:
    """What a JSON value at one place of the model becomes.

    ``obj``/``arr``: the container spec for an object/array here (a :class:`Choice` when a
    union has several), or ``None``: then the value is converted whole by ``conv`` once
    complete. ``conv(value, complete)`` converts a leaf (``None`` when not representable
    yet: only streaming ``str`` places show incomplete text).

    Policy: ``done`` holds a container here until it closes (a leaf's ``conv`` already
    waits); ``state`` is the ``Streaming[...]`` class of a ``WithState`` place (``conv``
    then returns its instances); ``not_null`` says that the object holding this field waits
    for it. ``absent``/``opened`` are what the place shows before its value starts / while
    an open container here is not shown. ``check`` is the annotation a closed object here
    is validated against with ``validate="subtree"`` (``None``: not a sub-model).
    """

    __slots__ = ("absent", "arr", "check", "conv", "done", "not_null", "obj", "opened", "state")

    def __init__(self, conv: Converter, obj: Any = None, arr: Any = None) -> None:
        self.conv = conv
        self.obj = obj
        self.arr = arr
        self.done = False
        self.state: type[BaseModel] | None = None
        self.not_null = False
        self.check: Any = None
        self.absent: Any = None
        self.opened: Any = None

    def copy(self) -> Shape:
        new = Shape(self.conv, self.obj, self.arr)
        for slot in Shape.__slots__:
            _osa(new, slot, getattr(self, slot))
        return new


class Spec:
    """A container that becomes a node of the mirror: a model, a list, a dict, ..."""

    __slots__ = ("is_obj", "wrap")

    def __init__(self, is_obj: bool) -> None:
        self.is_obj = is_obj
        self.wrap: tuple[type[BaseModel], ...] = ()  # partial RootModels around the value

    def child(self, key: Any) -> tuple[Any, Shape] | None:
        """(slot in the built value, shape) of a key or index; ``None`` when not a field."""
        raise NotImplementedError

    def empty(self) -> Any:
        return {} if self.is_obj else []

    def build(self, vals: Any) -> Any:
        """A new partial value from the slot values (which it must not keep)."""
        raise NotImplementedError

    def wrapped(self, cls: type[BaseModel]) -> Spec:
        """This spec with its built value put in the partial ``RootModel`` ``cls``."""
        new = object.__new__(type(self))
        for klass in type(self).__mro__[:-1]:
            for slot in getattr(klass, "__slots__", ()):
                _osa(new, slot, getattr(self, slot))
        new.wrap = (*self.wrap, cls)
        return new

    def _wrap(self, value: Any) -> Any:
        for cls in self.wrap:
            value = construct(cls, {"root": value}, {"root"})
        return value


class Extra:
    """The slot of an undeclared key of a model with ``extra="allow"``."""

    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key

    def __hash__(self) -> int:
        return hash((Extra, self.key))

    def __eq__(self, other: object) -> bool:
        return other.__class__ is Extra and other.key == self.key  # type: ignore[attr-defined,unused-ignore]


class FieldsSpec(Spec):
    """An object with declared fields: JSON keys (aliases, and names where allowed) to
    (slot, shape). ``not_null`` lists the slots that must be done before it shows."""

    __slots__ = ("fields", "not_null")

    def __init__(self) -> None:
        super().__init__(True)
        self.fields: dict[str, tuple[Any, Shape]] = {}
        self.not_null: frozenset[Any] = frozenset()

    def child(self, key: Any) -> tuple[Any, Shape] | None:
        return self.fields.get(key)


class ModelSpec(FieldsSpec):
    """A (non-root) model or dataclass, built as its partial pydantic class."""

    __slots__ = ("cls", "template")

    def __init__(self) -> None:
        super().__init__()
        self.cls: type[BaseModel] = BaseModel
        self.template: dict[str, Any] = {}

    def build(self, vals: Any) -> Any:
        m = _new(self.cls)
        _set_dict(m, {**self.template, **vals})
        _set_fields(m, set(vals))
        _set_extra(m, None)
        _set_private(m, {"_completed": ()})
        return self._wrap(m) if self.wrap else m


class ExtraModelSpec(ModelSpec):
    """A model with ``extra="allow"``: undeclared keys are kept (streamed as ``Any``)."""

    __slots__ = ()

    def child(self, key: Any) -> tuple[Any, Shape] | None:
        found = self.fields.get(key)
        return found if found is not None else (Extra(key), ANY)

    def build(self, vals: Any) -> Any:
        fields: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for k, v in vals.items():
            if k.__class__ is Extra:
                extra[k.key] = v
            else:
                fields[k] = v
        m = _new(self.cls)
        _set_dict(m, {**self.template, **fields})
        _set_fields(m, set(fields) | set(extra))
        _set_extra(m, extra)
        _set_private(m, {"_completed": ()})
        return self._wrap(m) if self.wrap else m


class TypedDictSpec(FieldsSpec):
    """A ``TypedDict``: a plain ``dict`` holding the keys seen so far (by field name)."""

    __slots__ = ()

    def build(self, vals: Any) -> Any:
        return self._wrap(dict(vals)) if self.wrap else dict(vals)


class ListSpec(Spec):
    """``list[X]`` (or ``tuple[X, ...]``): items are ``Optional`` so indexes stay aligned."""

    __slots__ = ("item", "tuple")

    def __init__(self, item: Shape, as_tuple: bool = False) -> None:
        super().__init__(False)
        self.item = item
        self.tuple = as_tuple

    def child(self, key: Any) -> tuple[Any, Shape] | None:
        return key, self.item

    def build(self, vals: Any) -> Any:
        if self.wrap:
            return self._wrap(tuple(vals) if self.tuple else vals.copy())
        return tuple(vals) if self.tuple else vals.copy()


class TupleSpec(Spec):
    """``tuple[A, B, C]``: always its full length, positions not yet written ``None``
    (or their ``absent`` value); items past the end are not part of it."""

    __slots__ = ("items", "padding")

    def __init__(self, items: list[Shape]) -> None:
        super().__init__(False)
        self.items = items
        self.padding = tuple(s.absent for s in items)

    def child(self, key: Any) -> tuple[Any, Shape] | None:
        return (key, self.items[key]) if key < len(self.items) else None

    def build(self, vals: Any) -> Any:
        value = tuple(vals) + self.padding[len(vals) :]
        return self._wrap(value) if self.wrap else value


SKIP: Any = object()  # a set item not complete yet


class SetSpec(Spec):
    """``set[X]``/``frozenset[X]``: the items complete so far (an item shows only once it is
    complete and valid: a set cannot hold a value that will change)."""

    __slots__ = ("frozen", "item", "keep_none")

    def __init__(self, item: Shape, frozen: bool, keep_none: bool) -> None:
        super().__init__(False)
        conv = item.conv
        self.item = item = item.copy()
        item.done = True  # a container item is held until it closes
        item.conv = lambda value, complete: conv(value, True) if complete else SKIP
        item.opened = SKIP
        self.frozen = frozen
        self.keep_none = keep_none  # None is a member (set[X | None]), not "not valid"

    def child(self, key: Any) -> tuple[Any, Shape] | None:
        return key, self.item

    def build(self, vals: Any) -> Any:
        if self.keep_none:
            items = [v for v in vals if v is not SKIP]
        else:
            items = [v for v in vals if v is not SKIP and v is not None]
        try:
            value: Any = frozenset(items) if self.frozen else set(items)
        except TypeError:  # an unhashable item (from Any): the hashable ones
            value = frozenset(_hashable(items)) if self.frozen else set(_hashable(items))
        return self._wrap(value) if self.wrap else value


def _hashable(items: list[Any]) -> list[Any]:
    out = []
    for v in items:
        try:
            hash(v)
        except TypeError:
            continue
        out.append(v)
    return out


class DictSpec(Spec):
    """``dict[K, X]``: keys converted to ``K`` when it is not ``str`` (dropped if invalid)."""

    __slots__ = ("keys", "value")

    def __init__(self, value: Shape, keys: Converter | None) -> None:
        super().__init__(True)
        self.value = value
        self.keys = keys

    def child(self, key: Any) -> tuple[Any, Shape] | None:
        if self.keys is None:
            return key, self.value
        k = self.keys(key, True)
        return None if k is None else (k, self.value)

    def build(self, vals: Any) -> Any:
        return self._wrap(dict(vals))


class Choice:
    """Several object (or array) branches of a union: picked by a tag, else by the keys seen.

    ``tag`` is the JSON key of a ``Literal`` discriminator shared by the model branches
    (declared with ``discriminator=`` or found), ``tags`` its values to branches.
    """

    __slots__ = ("options", "tag", "tags")

    def __init__(self, options: list[Spec]) -> None:
        self.options = options
        self.tag: str | None = None
        self.tags: dict[Any, Spec] = {}

    def choose(self, raw: Any, tag_complete: bool, current: Spec | None) -> tuple[Spec, bool]:
        """(branch, undecided) for an object holding ``raw`` so far (an array: the first).

        Undecided: a tagged union whose tag is not complete and whose keys so far fit
        several branches; it shows as ``None`` until then, so that its fields only grow.
        """
        if not isinstance(raw, dict):
            return current or self.options[0], False
        if self.tag is not None and tag_complete:
            value = raw.get(self.tag)
            if isinstance(value, (str, int, float, bool)) and value in self.tags:
                return self.tags[value], False
        fits = [
            s
            for s in self.options
            if not isinstance(s, FieldsSpec)
            or isinstance(s, ExtraModelSpec)
            or all(k in s.fields for k in raw)
        ]
        if not fits:
            return current or self.options[0], False
        return fits[0], self.tag is not None and len(fits) > 1


# -- converters ----------------------------------------------------------------------------


def none(value: Any, complete: bool) -> Any:
    return None


def any_value(value: Any, complete: bool) -> Any:
    return value


def text(value: Any, complete: bool) -> Any:
    return value if value.__class__ is str else None


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def adapter(tp: Any) -> TypeAdapter[Any]:
    """A cached :class:`pydantic.TypeAdapter` of ``tp``."""
    try:
        return _ADAPTERS[tp]
    except (KeyError, TypeError):
        pass
    found: TypeAdapter[Any] = TypeAdapter(tp)
    try:
        _ADAPTERS[tp] = found
    except TypeError:  # unhashable annotation: not cached
        pass
    return found


def validating(tp: Any, exact: tuple[type, ...] = ()) -> Converter:
    """A complete-only converter: ``exact`` types pass as they are, the rest is validated."""
    box: list[TypeAdapter[Any]] = []  # built on first use (partial classes may be unfinished)

    def conv(value: Any, complete: bool) -> Any:
        if not complete:
            return None
        if value.__class__ in exact:
            return value
        if not box:
            box.append(adapter(tp))
        try:
            return box[0].validate_python(value)
        except (ValidationError, TypeError, ValueError):
            return None

    return conv


def to_float(value: Any, complete: bool) -> Any:
    if not complete:
        return None
    if value.__class__ is float:
        return value
    if value.__class__ is int:
        return float(value)
    return _float_slow(value, True)


_float_slow = validating(float)


def stream_or(first: Converter, rest: Converter) -> Converter:
    """Incomplete values through ``first`` (a streaming ``str``), complete ones through ``rest``."""

    def conv(value: Any, complete: bool) -> Any:
        return rest(value, True) if complete else first(value, False)

    return conv


def complete_only(conv: Converter) -> Converter:
    """``conv`` for complete values; ``None`` while a value is still being written."""

    def done(value: Any, complete: bool) -> Any:
        return conv(value, True) if complete else None

    return done


def with_state(conv: Converter, cls: type[BaseModel]) -> Converter:
    """``conv``'s value in a ``Streaming`` of ``cls`` (``"done"`` once complete)."""

    def state(value: Any, complete: bool) -> Any:
        return streaming(cls, conv(value, complete), "done" if complete else "streaming")

    return state


def wrap_leaf(conv: Converter, cls: type[BaseModel]) -> Converter:
    def wrapped(value: Any, complete: bool) -> Any:
        inner = conv(value, complete)
        return None if inner is None else construct(cls, {"root": inner}, {"root"})

    return wrapped


ANY = Shape(any_value)
ANY.obj = DictSpec(ANY, None)
ANY.arr = ListSpec(ANY)
