"""``Partial[Model]``: the model with every field optional, and how each field fills in.

For each pydantic model this module generates, once (cached per model class), a partial
class -- every field ``Optional[...] = None``, recursively through nested models, lists,
dicts, unions and ``RootModel``\\ s, constraints and validators dropped, aliases kept -- and
a *shape* tree that tells :mod:`instant.models.mirror` how the JSON the model writes turns
into partial values: which containers become nodes (a nested model, a list, a dict) and how
a leaf converts (a ``str`` field shows its text as it streams; ``int``, ``float``, ``bool``
appear when complete; enums, literals, dates and every other type are converted once
complete, by a cached :class:`pydantic.TypeAdapter`, and stay ``None`` if invalid).
"""

from __future__ import annotations

import collections.abc as cabc
import threading
import types
import typing
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeVar, Union

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    RootModel,
    TypeAdapter,
    ValidationError,
    create_model,
)
from pydantic.fields import FieldInfo

__all__ = ["Partial", "PartialModel", "partial_model"]

Path = tuple[str | int, ...]
ModelT = TypeVar("ModelT", bound=BaseModel)
Converter = Callable[[Any, bool], Any]  # (raw JSON value, complete?) -> partial value or None
_osa = object.__setattr__


# model_construct's core, without its per-field loop: the slots every BaseModel instance has
_new = object.__new__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
_get_private = BaseModel.__dict__["__pydantic_private__"].__get__


class PartialModel(BaseModel):
    """Base of every generated ``Partial[Model]`` class.

    ``completed_paths`` (on the top-level partial that ``stream_model`` yields) names the
    values that completed since the previous partial, as tuples of attribute names, list
    indexes and dict keys: ``("items", 0, "name")`` is ``partial.items[0].name``.
    """

    model_config = ConfigDict(
        populate_by_name=True,
        protected_namespaces=(),
        arbitrary_types_allowed=True,
    )
    _completed: tuple[Path, ...] = PrivateAttr(default=())

    @property
    def completed_paths(self) -> tuple[Path, ...]:
        """Paths of the values completed since the previous partial (``()`` when nested)."""
        try:  # read from the slot: a RootModel hides it behind a class attribute
            private = _get_private(self, type(self))
        except AttributeError:
            return ()
        return private.get("_completed", ()) if private else ()


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


# -- shapes: how the JSON at one place of the model becomes partial values ------------------


class Shape:
    """What a JSON value at one place of the model becomes.

    ``obj``/``arr``: the container spec for an object/array here (a :class:`Choice` when a
    union has several), or ``None``: then the value is converted whole by ``conv`` once
    complete. ``conv(value, complete)`` converts a leaf (``None`` when not representable
    yet: only streaming ``str`` places show incomplete text).
    """

    __slots__ = ("arr", "conv", "obj")

    def __init__(self, conv: Converter, obj: Any = None, arr: Any = None) -> None:
        self.conv = conv
        self.obj = obj
        self.arr = arr


class Spec:
    """A container that becomes a node of the mirror: a model, a list or a dict."""

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


class ModelSpec(Spec):
    """A (non-root) model: JSON keys (aliases, and names where allowed) to fields."""

    __slots__ = ("cls", "fields", "template")

    def __init__(self) -> None:
        super().__init__(True)
        self.cls: type[BaseModel] = PartialModel
        self.fields: dict[str, tuple[str, Shape]] = {}
        self.template: dict[str, Any] = {}

    def child(self, key: Any) -> tuple[Any, Shape] | None:
        return self.fields.get(key)

    def build(self, vals: Any) -> Any:
        m = _new(self.cls)
        _set_dict(m, {**self.template, **vals})
        _set_fields(m, set(vals))
        _set_extra(m, None)
        _set_private(m, {"_completed": ()})
        return self._wrap(m) if self.wrap else m


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
        """(branch, pending) for an object holding ``raw`` so far (an array: the first).

        Pending: a tagged union whose tag is not complete and whose keys so far fit several
        branches; it shows as ``None`` until then, so that its fields only ever grow.
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
            if not isinstance(s, ModelSpec) or all(k in s.fields for k in raw)
        ]
        if not fits:
            return current or self.options[0], False
        return fits[0], self.tag is not None and len(fits) > 1


# -- converters ----------------------------------------------------------------------------


def _none(value: Any, complete: bool) -> Any:
    return None


def _any(value: Any, complete: bool) -> Any:
    return value


def _str(value: Any, complete: bool) -> Any:
    return value if value.__class__ is str else None


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(tp: Any) -> TypeAdapter[Any]:
    try:
        return _ADAPTERS[tp]
    except (KeyError, TypeError):
        pass
    adapter: TypeAdapter[Any] = TypeAdapter(tp)
    try:
        _ADAPTERS[tp] = adapter
    except TypeError:  # unhashable annotation: not cached
        pass
    return adapter


def _validating(tp: Any, exact: tuple[type, ...] = ()) -> Converter:
    """A complete-only converter: ``exact`` types pass as they are, the rest is validated."""
    box: list[TypeAdapter[Any]] = []  # built on first use (partial classes may be unfinished)

    def conv(value: Any, complete: bool) -> Any:
        if not complete:
            return None
        if value.__class__ in exact:
            return value
        if not box:
            box.append(_adapter(tp))
        try:
            return box[0].validate_python(value)
        except (ValidationError, TypeError, ValueError):
            return None

    return conv


def _float(value: Any, complete: bool) -> Any:
    if not complete:
        return None
    if value.__class__ is float:
        return value
    if value.__class__ is int:
        return float(value)
    return _float_slow(value, True)


_float_slow = _validating(float)


def _stream_or(first: Converter, rest: Converter) -> Converter:
    """Incomplete values through ``first`` (a streaming ``str``), complete ones through ``rest``."""

    def conv(value: Any, complete: bool) -> Any:
        return rest(value, True) if complete else first(value, False)

    return conv


def _wrap_leaf(conv: Converter, cls: type[BaseModel]) -> Converter:
    def wrapped(value: Any, complete: bool) -> Any:
        inner = conv(value, complete)
        return None if inner is None else construct(cls, {"root": inner}, {"root"})

    return wrapped


# -- translating annotations ----------------------------------------------------------------

_LOCK = threading.RLock()
_CACHE: weakref.WeakKeyDictionary[type[BaseModel], tuple[type[PartialModel], Shape]] = (
    weakref.WeakKeyDictionary()
)
_LISTS = (list, cabc.Sequence, cabc.MutableSequence, cabc.Collection, cabc.Iterable)
_DICTS = (dict, cabc.Mapping, cabc.MutableMapping)
_UNIONS: tuple[Any, ...] = (Union, types.UnionType)


def _by_alias_keys(name: str, info: FieldInfo, config: Any) -> list[str]:
    """The JSON keys that validate a field: its alias(es), and its name where allowed."""
    if config.get("validate_by_alias") is False:
        return [name]
    keys: list[str] = []
    va = info.validation_alias
    if isinstance(va, str):
        keys.append(va)
    elif isinstance(va, AliasChoices):
        keys.extend(c for c in va.choices if isinstance(c, str))
    elif va is None and info.alias is not None:
        keys.append(info.alias)
    if not keys or config.get("populate_by_name") or config.get("validate_by_name"):
        keys.append(name)
    return keys


class _Translator:
    """One translation: the partial classes it creates, forward references among them."""

    def __init__(self) -> None:
        self.building: dict[type[BaseModel], tuple[str, Shape]] = {}
        self.done: dict[type[BaseModel], tuple[type[PartialModel], Shape]] = {}
        self.names: dict[str, type[BaseModel]] = {}

    def finish(self) -> None:
        """Resolve the forward references of recursive models, then publish the classes."""
        for cls, _ in self.done.values():
            if not cls.__pydantic_complete__:
                cls.model_rebuild(_types_namespace=dict(self.names))
        _CACHE.update(self.done)

    def model(self, model: type[BaseModel]) -> tuple[Any, Shape]:
        """(partial annotation, shape) of a model class (the annotation may be a forward ref)."""
        cached = _CACHE.get(model) or self.done.get(model)
        if cached is not None:
            return cached
        if model in self.building:
            return self.building[model]
        token = f"Partial{model.__name__}_{len(self.building)}_{id(model):x}"
        if issubclass(model, RootModel):
            return self._root_model(model, token)
        spec = ModelSpec()
        shape = Shape(_none, obj=spec)
        self.building[model] = (token, shape)
        fields: dict[str, Any] = {}
        config = model.model_config
        for name, info in model.model_fields.items():
            ann, child = self.field(info.annotation, info.discriminator)
            ann = typing.Optional[ann]  # noqa: UP045 - ann is a runtime value
            kept = {
                k: getattr(info, k)
                for k in (
                    "alias",
                    "validation_alias",
                    "serialization_alias",
                    "title",
                    "description",
                )
                if getattr(info, k) is not None
            }
            fields[name] = (ann, Field(default=None, **kept))
            for key in _by_alias_keys(name, info, config):
                spec.fields.setdefault(key, (name, child))
            spec.template[name] = None
        cls = create_model(
            f"Partial{model.__name__}",
            __base__=PartialModel,
            __doc__=f"``{model.__name__}`` as the model writes it: every field optional.",
            __module__=__name__,
            **fields,
        )
        spec.cls = cls
        return self._done(model, token, cls, shape)

    def _root_model(self, model: type[BaseModel], token: str) -> tuple[Any, Shape]:
        shape = Shape(_none)
        self.building[model] = (token, shape)
        ann, inner = self.field(model.model_fields["root"].annotation, None)
        ann = typing.Optional[ann]  # noqa: UP045
        base: Any = RootModel[ann]  # type: ignore[valid-type]
        cls = create_model(
            f"Partial{model.__name__}",
            __base__=(base, PartialModel),
            __doc__=f"``{model.__name__}`` as the model writes it: its root optional.",
            __module__=__name__,
            root=(ann, None),
        )
        shape.conv = _wrap_leaf(inner.conv, cls)
        shape.obj = _wrap_spec(inner.obj, cls)
        shape.arr = _wrap_spec(inner.arr, cls)
        return self._done(model, token, cls, shape)

    def _done(
        self, model: type[BaseModel], token: str, cls: type[BaseModel], shape: Shape
    ) -> tuple[Any, Shape]:
        self.names[token] = cls
        self.done[model] = (cls, shape)  # type: ignore[assignment]
        return cls, shape

    def field(self, tp: Any, discriminator: Any) -> tuple[Any, Shape]:
        """(partial annotation, shape) of any annotation."""
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if tp is Any or tp is object or isinstance(tp, TypeVar):
            return Any, _ANY
        if origin is Annotated:
            for meta in tp.__metadata__:
                disc = getattr(meta, "discriminator", None)
                if isinstance(meta, FieldInfo) and disc is not None:
                    discriminator = disc
            return self.field(args[0], discriminator)
        if isinstance(tp, typing.ForwardRef) or isinstance(tp, str):
            return Any, _ANY  # unresolved: pydantic would have refused the model
        if tp is None or tp is type(None):
            return type(None), Shape(_none)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return self.model(tp)
        if origin in _UNIONS:
            return self.union([a for a in args if a is not type(None)], discriminator)
        if tp is str:
            return str, Shape(_str)
        if tp is float:
            return float, Shape(_float)
        if tp is int or tp is bool:
            return tp, Shape(_validating(tp, (tp,)))
        if tp in (list, tuple) or origin in _LISTS or (origin is tuple and args[-1:] == (...,)):
            item = args[0] if args else Any
            ann, shape = self.field(item, None)
            as_tuple = tp is tuple or origin is tuple
            container: Any = tuple if as_tuple else list
            opt: Any = typing.Optional[ann]  # noqa: UP045
            return (container[opt, ...] if as_tuple else container[opt]), Shape(
                _none, arr=ListSpec(shape, as_tuple)
            )
        if tp is dict or origin in _DICTS:
            key, value = args if len(args) == 2 else (str, Any)
            ann, shape = self.field(value, None)
            key = _strip(key)
            keys = None if key is str or key is Any else _validating(key, ())
            opt = typing.Optional[ann]  # noqa: UP045
            mapping: Any = dict
            return mapping[key, opt], Shape(_none, obj=DictSpec(shape, keys))
        bare = _strip(tp)
        exact = (bare,) if origin is None and isinstance(bare, type) else ()
        return bare, Shape(_validating(bare, exact))

    def union(self, branches: list[Any], discriminator: Any) -> tuple[Any, Shape]:
        if len(branches) == 1:
            return self.field(branches[0], discriminator)
        parts = [self.field(b, None) for b in branches]
        ann: Any = Union[tuple(a for a, _ in parts)]  # noqa: UP007 - built at run time
        # scalars are validated against the leaf branches only (model branches may still be
        # forward references while the classes are being made)
        leaves = tuple(a for a, s in parts if s.obj is None and s.arr is None)
        streams = [s.conv for b, (_, s) in zip(branches, parts) if _strip(b) in (str, Any)]
        if any(_strip(b) is Any for b in branches):
            conv: Converter = _any
        elif leaves:
            exact = tuple(b for b in branches if b in (str, int, float, bool))
            conv = _validating(Union[leaves], exact)  # noqa: UP007
            if streams:
                conv = _stream_or(streams[0], conv)
        else:
            conv = _none
        shape = Shape(conv)
        shape.obj = _choice([s.obj for _, s in parts], branches, discriminator)
        shape.arr = _choice([s.arr for _, s in parts], branches, None)
        return ann, shape


def _strip(tp: Any) -> Any:
    """The annotation without ``Annotated`` metadata (constraints belong to the final model)."""
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _wrap_spec(spec: Any, cls: type[BaseModel]) -> Any:
    if spec is None:
        return None
    if isinstance(spec, Choice):
        choice = Choice([s.wrapped(cls) for s in spec.options])
        choice.tag = spec.tag
        choice.tags = {k: v.wrapped(cls) for k, v in spec.tags.items()}
        return choice
    return spec.wrapped(cls)


def _flatten(specs: list[Any]) -> list[Spec]:
    out: list[Spec] = []
    for s in specs:
        if isinstance(s, Choice):
            out.extend(s.options)
        elif s is not None:
            out.append(s)
    return out


def _choice(specs: list[Any], branches: list[Any], discriminator: Any) -> Any:
    """One spec, a :class:`Choice` among several, or ``None``; finds a ``Literal`` tag."""
    options = _flatten(specs)
    if not options:
        return None
    if len(options) == 1:
        return options[0]
    choice = Choice(options)
    models = [
        (b, s)
        for b, s in zip(branches, specs)
        if isinstance(s, ModelSpec) and isinstance(_strip(b), type)
    ]
    names = [discriminator] if isinstance(discriminator, str) else None
    if names is None and models:  # a Literal field present in every model branch
        names = [n for n in _strip(models[0][0]).model_fields if n.isidentifier()]
    for name in names or ():
        tags: dict[Any, Spec] = {}
        keys: set[str] = set()
        for branch, spec in models:
            info = _strip(branch).model_fields.get(name)
            if info is None or typing.get_origin(_strip(info.annotation)) is not Literal:
                break
            values = typing.get_args(_strip(info.annotation))
            if any(v in tags for v in values):
                break
            tags.update(dict.fromkeys(values, spec))
            keys.add(
                info.validation_alias
                if isinstance(info.validation_alias, str)
                else (info.alias or name)
            )
        else:
            if len(keys) == 1 and len(models) == len(options):
                choice.tag, choice.tags = keys.pop(), tags
                break
    return choice


_ANY = Shape(_any)
_ANY.obj = DictSpec(_ANY, None)
_ANY.arr = ListSpec(_ANY)


def partial_model(model: type[BaseModel]) -> tuple[type[PartialModel], Shape]:
    """The partial class of ``model`` and its shape (generated once, then cached)."""
    cached = _CACHE.get(model)
    if cached is not None:
        return cached
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"Partial[...] takes a pydantic model class, not {model!r}")
    with _LOCK:
        cached = _CACHE.get(model)
        if cached is not None:
            return cached
        tr = _Translator()
        tr.model(model)
        tr.finish()
        return _CACHE[model]


class Partial(Generic[ModelT]):
    """``Partial[Model]`` is the generated partial class of ``Model`` (a :class:`PartialModel`).

    Every field is ``Optional[...] = None``, recursively (nested models, ``list[Model]``,
    ``dict[str, Model]``, unions, ``RootModel``); aliases are kept, constraints and
    validators are not (they apply to the final model). Generated once per model, cached.
    """

    def __class_getitem__(cls, model: Any) -> Any:
        if isinstance(model, TypeVar):
            return super().__class_getitem__(model)  # type: ignore[misc]
        return partial_model(model)[0]

    if TYPE_CHECKING:  # the fields of the model, each maybe None; type checkers see Any

        @property
        def completed_paths(self) -> tuple[Path, ...]: ...

        def __getattr__(self, name: str) -> Any: ...
