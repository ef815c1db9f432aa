"""``Partial[Model]``: the model with every field optional, and how each field fills in.

For each pydantic model (and each dataclass and ``TypedDict`` it uses) this module
generates, once (cached per class), a partial class -- every field ``Optional[...] = None``,
recursively through nested models, lists, tuples, sets, dicts, unions and ``RootModel``\\ s,
constraints and validators dropped, aliases kept -- and a *shape* tree
(:mod:`instant.models.shapes`) that tells :mod:`instant.models.mirror` how the JSON the model
writes turns into partial values, with each field's streaming policy (:mod:`.policy`).

The partial class of a model or a dataclass is a :class:`PartialModel`; of a ``TypedDict``,
a ``TypedDict`` (``total=False``) whose values are partial. A ``WithState`` field's partial
type is ``Streaming[partial type]`` instead of ``Optional[partial type]``.
"""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
import threading
import types
import typing
import weakref
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, NamedTuple, TypeVar, Union

import typing_extensions
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    RootModel,
    create_model,
)
from pydantic.fields import FieldInfo

from .policy import Done, NotNull, Policy, Streaming, WithState, config_policies, policies_in
from .shapes import (
    ANY,
    Choice,
    DictSpec,
    ExtraModelSpec,
    FieldsSpec,
    ListSpec,
    ModelSpec,
    Path,
    SetSpec,
    Shape,
    Spec,
    TupleSpec,
    TypedDictSpec,
    _get_private,
    complete_only,
    none,
    stream_or,
    streaming,
    text,
    to_float,
    validating,
    with_state,
    wrap_leaf,
)
from .shapes import any_value as _any

__all__ = ["Partial", "PartialModel", "partial_model"]

ModelT = TypeVar("ModelT", bound=BaseModel)


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


_BASES: dict[tuple[bool, bool], type[PartialModel]] = {(False, False): PartialModel}


def _base(extra: bool, frozen: bool) -> type[PartialModel]:
    """PartialModel, configured to keep undeclared keys and/or to be frozen (hashable)."""
    key = (extra, frozen)
    if key not in _BASES:
        config = ConfigDict(frozen=frozen)
        if extra:
            config["extra"] = "allow"
        _BASES[key] = type(
            "PartialModel", (PartialModel,), {"model_config": config, "__module__": __name__}
        )
    return _BASES[key]


# -- the fields of a structured type --------------------------------------------------------


class _Field(NamedTuple):
    name: str
    keys: list[str]  # the JSON keys that validate it
    annotation: Any  # may still carry Annotated metadata (dataclass, TypedDict)
    metadata: list[Any]  # what pydantic took out of a top-level Annotated
    discriminator: Any
    kept: dict[str, Any]  # alias, title, ... kept on the partial field


_KEPT = ("alias", "validation_alias", "serialization_alias", "title", "description")


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


def _from_infos(infos: dict[str, FieldInfo], config: Any) -> list[_Field]:
    return [
        _Field(
            name,
            _by_alias_keys(name, info, config),
            info.annotation,
            list(info.metadata),
            info.discriminator,
            {k: getattr(info, k) for k in _KEPT if getattr(info, k) is not None},
        )
        for name, info in infos.items()
    ]


_QUALIFIERS = (
    typing_extensions.Required,
    typing_extensions.NotRequired,
    typing_extensions.ReadOnly,
)


def _unqualify(tp: Any) -> Any:
    """A TypedDict key's annotation without ``Required``/``NotRequired``/``ReadOnly``."""
    while typing.get_origin(tp) in _QUALIFIERS:
        tp = typing.get_args(tp)[0]
    return tp


def is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and typing_extensions.is_typeddict(tp)


def _config_of(tp: Any) -> Any:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp.model_config
    return getattr(tp, "__pydantic_config__", None) or {}


def fields_of(tp: Any) -> list[_Field]:
    """The fields of a model, a dataclass (stdlib or pydantic) or a TypedDict."""
    config = _config_of(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return _from_infos(tp.model_fields, config)
    infos = getattr(tp, "__pydantic_fields__", None)
    if dataclasses.is_dataclass(tp) and isinstance(infos, dict):
        return _from_infos(infos, config)
    hints = typing.get_type_hints(tp, include_extras=True)
    if dataclasses.is_dataclass(tp):
        return [
            _Field(f.name, [f.name], hints.get(f.name, Any), [], None, {})
            for f in dataclasses.fields(tp)
        ]
    out = []
    for name, tp_ in hints.items():  # a TypedDict
        tp_ = _unqualify(tp_)
        keys, kept, disc = [name], {}, None
        for meta in typing.get_args(tp_)[1:] if typing.get_origin(tp_) is Annotated else ():
            if isinstance(meta, FieldInfo):
                if meta.alias is not None:
                    keys = (
                        [meta.alias] if not config.get("populate_by_name") else [meta.alias, name]
                    )
                    kept["alias"] = meta.alias
                disc = meta.discriminator or disc
        out.append(_Field(name, keys, tp_, [], disc, kept))
    return out


def _has_policy(tp: Any) -> bool:
    """Whether an annotation names a policy itself (top level, or in an ``Optional``)."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return bool(policies_in(tp.__metadata__)) or _has_policy(typing.get_args(tp)[0])
    if origin in _UNIONS:
        return any(_has_policy(a) for a in typing.get_args(tp))
    return False


def apply_policies(ann: Any, shape: Shape, found: frozenset[Policy]) -> tuple[Any, Shape]:
    """(annotation, shape) of a place with the policies ``found`` (NotNull: only marked)."""
    if not found:
        return ann, shape
    s = shape.copy()
    if Done in found and not s.done:
        s.done = True
        s.conv = complete_only(s.conv)
    if NotNull in found:
        s.not_null = True
    if WithState in found and s.state is None:
        cls: Any = Streaming[ann]
        s.state = cls
        s.conv = with_state(s.conv, cls)
        s.absent = streaming(cls, None, "pending")
        s.opened = streaming(cls, None, "streaming")
        ann = cls
    return ann, s


def _optional(ann: Any, shape: Shape) -> Any:
    """How a place's partial annotation is written where it may be missing."""
    return ann if shape.state is not None else typing.Optional[ann]  # noqa: UP045


# -- translating annotations ----------------------------------------------------------------

_LOCK = threading.RLock()
_CACHE: weakref.WeakKeyDictionary[Any, tuple[Any, Shape]] = weakref.WeakKeyDictionary()
_LISTS = (list, cabc.Sequence, cabc.MutableSequence, cabc.Collection, cabc.Iterable)
_SETS = (set, frozenset, cabc.Set, cabc.MutableSet)
_DICTS = (dict, cabc.Mapping, cabc.MutableMapping)
_UNIONS: tuple[Any, ...] = (Union, types.UnionType)


class _Translator:
    """One translation: the partial classes it creates, forward references among them."""

    def __init__(self) -> None:
        self.building: dict[Any, tuple[str, Shape]] = {}
        self.done: dict[Any, tuple[Any, Shape]] = {}
        self.names: dict[str, Any] = {}
        self.states: list[type[BaseModel]] = []  # Streaming[...] classes made

    def finish(self) -> None:
        """Resolve the forward references of recursive types, then publish the classes."""
        names = dict(self.names)
        for cls, _ in self.done.values():
            if is_typeddict(cls):
                cls.__annotations__ = typing.get_type_hints(cls, localns=names, include_extras=True)
        for cls in [c for c, _ in self.done.values()] + self.states:
            if isinstance(cls, type) and issubclass(cls, BaseModel):
                if not cls.__pydantic_complete__:
                    cls.model_rebuild(_types_namespace=names)
        _CACHE.update(self.done)

    def policies(self, ann: Any, shape: Shape, found: frozenset[Policy]) -> tuple[Any, Shape]:
        """:func:`apply_policies`, keeping the ``Streaming`` classes to finish."""
        state = shape.state
        ann, shape = apply_policies(ann, shape, found)
        if shape.state is not state and shape.state is not None:
            self.states.append(shape.state)
        return ann, shape

    def structured(self, tp: Any) -> tuple[Any, Shape]:
        """(partial annotation, shape) of a model, dataclass or TypedDict class (the
        annotation is a forward reference while the class is being made)."""
        cached = _CACHE.get(tp) or self.done.get(tp)
        if cached is not None:
            return cached
        if tp in self.building:
            return self.building[tp]
        token = f"Partial{tp.__name__}"  # a forward reference while it is made
        taken = token in globals() or token in self.names
        if taken or any(t == token for t, _ in self.building.values()):
            token = f"{token}_{len(self.building)}_{id(tp):x}"
        if isinstance(tp, type) and issubclass(tp, RootModel):
            return self._root_model(tp, token)
        config = _config_of(tp)
        typed_dict = is_typeddict(tp)
        extra = not typed_dict and config.get("extra") == "allow"
        spec: FieldsSpec = (
            TypedDictSpec() if typed_dict else ExtraModelSpec() if extra else ModelSpec()
        )
        shape = Shape(none, obj=spec)
        shape.check = tp
        self.building[tp] = (token, shape)
        default = config_policies(config)
        fields: dict[str, Any] = {}
        not_null = set()
        for f in fields_of(tp):
            own = policies_in(f.metadata)
            ann, child = self.field(f.annotation, f.discriminator)
            if not own and default and not _has_policy(f.annotation):
                own = default
            ann, child = self.policies(ann, child, own)
            if child.not_null:
                not_null.add(f.name)
            ann = _optional(ann, child)
            if typed_dict:
                fields[f.name] = Annotated[ann, Field(**f.kept)] if f.kept else ann
            else:
                fields[f.name] = (ann, Field(default=child.absent, **f.kept))
                spec.template[f.name] = child.absent  # type: ignore[attr-defined]
            for key in f.keys:
                spec.fields.setdefault(key, (f.name, child))
        spec.not_null = frozenset(not_null)
        name = f"Partial{tp.__name__}"
        cls: Any
        if typed_dict:
            make_typeddict: Any = typing_extensions.TypedDict  # a class made at run time
            cls = make_typeddict(name, fields, total=False)
            cls.__module__ = __name__
            cls.__doc__ = f"``{tp.__name__}`` as the model writes it: the keys seen so far."
        else:
            frozen = bool(config.get("frozen"))
            cls = create_model(
                name,
                __base__=_base(extra, frozen),
                __doc__=f"``{tp.__name__}`` as the model writes it: every field optional.",
                __module__=__name__,
                **fields,
            )
            spec.cls = cls  # type: ignore[attr-defined]
        return self._done(tp, token, cls, shape)

    def _root_model(self, model: type[BaseModel], token: str) -> tuple[Any, Shape]:
        shape = Shape(none)
        self.building[model] = (token, shape)
        info = model.model_fields["root"]
        ann, inner = self.field(info.annotation, info.discriminator)
        ann, inner = self.policies(ann, inner, policies_in(info.metadata))
        ann = _optional(ann, inner)
        base: Any = RootModel[ann]  # type: ignore[valid-type]
        cls = create_model(
            f"Partial{model.__name__}",
            __base__=(base, PartialModel),
            __doc__=f"``{model.__name__}`` as the model writes it: its root optional.",
            __module__=__name__,
            root=(ann, inner.absent),
        )
        shape.conv = wrap_leaf(inner.conv, cls)
        shape.obj = _wrap_spec(inner.obj, cls)
        shape.arr = _wrap_spec(inner.arr, cls)
        shape.done = inner.done
        return self._done(model, token, cls, shape)

    def _done(self, tp: Any, token: str, cls: Any, shape: Shape) -> tuple[Any, Shape]:
        self.names[token] = cls
        self.done[tp] = (cls, shape)
        return cls, shape

    def field(self, tp: Any, discriminator: Any) -> tuple[Any, Shape]:
        """(partial annotation, shape) of any annotation (the annotation not ``Optional``:
        the container of the place decides how a missing value is written)."""
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if tp is Any or tp is object or isinstance(tp, TypeVar):
            return Any, ANY
        if origin is Annotated:
            for meta in tp.__metadata__:
                disc = getattr(meta, "discriminator", None)
                if isinstance(meta, FieldInfo) and disc is not None:
                    discriminator = disc
            ann, shape = self.field(args[0], discriminator)
            if shape.check is not None and any(
                not isinstance(m, Policy) for m in tp.__metadata__
            ):  # validate sub-models with their constraints and discriminator
                shape = shape.copy()
                shape.check = tp
            return self.policies(ann, shape, policies_in(tp.__metadata__))
        if isinstance(tp, typing.ForwardRef) or isinstance(tp, str):
            return Any, ANY  # unresolved: pydantic would have refused the model
        if tp is None or tp is type(None):
            return type(None), Shape(none)
        if isinstance(tp, type) and (
            issubclass(tp, BaseModel) or dataclasses.is_dataclass(tp) or is_typeddict(tp)
        ):
            return self.structured(tp)
        if origin in _UNIONS:
            return self.union(tp, [a for a in args if a is not type(None)], discriminator)
        if tp is str:
            return str, Shape(text)
        if tp is float:
            return float, Shape(to_float)
        if tp is int or tp is bool:
            return tp, Shape(validating(tp, (tp,)))
        if tp in (list, tuple) or origin in _LISTS or (origin is tuple and args[-1:] == (...,)):
            item = args[0] if args else Any
            ann, shape = self.field(item, None)
            as_tuple = tp is tuple or origin is tuple
            container: Any = tuple if as_tuple else list
            opt = _optional(ann, shape)
            return (container[opt, ...] if as_tuple else container[opt]), Shape(
                none, arr=ListSpec(shape, as_tuple)
            )
        if origin is tuple:  # tuple[A, B, C] (tuple[()] has no args)
            parts = [self.field(a, None) for a in args if a != ()]
            anns = tuple(_optional(a, s) for a, s in parts)
            fixed: Any = tuple[anns] if anns else tuple[()]  # type: ignore[valid-type]
            return fixed, Shape(none, arr=TupleSpec([s for _, s in parts]))
        if tp in (set, frozenset) or origin in _SETS:
            item = args[0] if args else Any
            ann, shape = self.field(item, None)
            frozen = tp is frozenset or origin in (frozenset, cabc.Set)
            keep_none = item is Any or _admits_none(item)
            box: Any = frozenset if frozen else set
            return box[ann], Shape(none, arr=SetSpec(shape, frozen, keep_none))
        if tp is dict or origin in _DICTS:
            key, value = args if len(args) == 2 else (str, Any)
            ann, shape = self.field(value, None)
            key = _strip(key)
            keys = None if key is str or key is Any else validating(key, ())
            mapping: Any = dict
            return mapping[key, _optional(ann, shape)], Shape(none, obj=DictSpec(shape, keys))
        bare = _strip(tp)
        exact = (bare,) if origin is None and isinstance(bare, type) else ()
        return bare, Shape(validating(bare, exact))

    def union(self, tp: Any, branches: list[Any], discriminator: Any) -> tuple[Any, Shape]:
        if len(branches) == 1:
            return self.field(branches[0], discriminator)
        parts = [self.field(b, None) for b in branches]
        ann: Any = Union[tuple(a for a, _ in parts)]  # noqa: UP007 - built at run time
        # scalars are validated against the leaf branches only (model branches may still be
        # forward references while the classes are being made)
        leaves = tuple(a for a, s in parts if s.obj is None and s.arr is None)
        streams = [s.conv for b, (_, s) in zip(branches, parts) if _strip(b) in (str, Any)]
        if any(_strip(b) is Any for b in branches):
            conv: Any = _any
        elif leaves:
            exact = tuple(b for b in branches if b in (str, int, float, bool))
            conv = validating(Union[leaves], exact)  # noqa: UP007
            if streams:
                conv = stream_or(streams[0], conv)
        else:
            conv = none
        shape = Shape(conv)
        shape.obj = _choice([s.obj for _, s in parts], branches, discriminator)
        shape.arr = _choice([s.arr for _, s in parts], branches, None)
        if any(s.check is not None for _, s in parts):
            shape.check = tp
        return ann, shape


def _admits_none(tp: Any) -> bool:
    tp = _strip(tp)
    if tp is None or tp is type(None) or tp is Any:
        return True
    return typing.get_origin(tp) in _UNIONS and any(_admits_none(a) for a in typing.get_args(tp))


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


def _literal_fields(tp: Any) -> dict[str, tuple[str, tuple[Any, ...]]]:
    """A structured type's ``Literal`` fields: name -> (JSON key, values)."""
    out = {}
    for f in fields_of(tp):
        ann = _strip(f.annotation)
        if typing.get_origin(ann) is Literal:
            out[f.name] = (f.keys[0], typing.get_args(ann))
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
        (_literal_fields(_strip(b)), s)
        for b, s in zip(branches, specs)
        if isinstance(s, FieldsSpec) and isinstance(_strip(b), type)
    ]
    names = [discriminator] if isinstance(discriminator, str) else None
    if names is None and models:  # a Literal field present in every model branch
        names = list(models[0][0])
    for name in names or ():
        tags: dict[Any, Spec] = {}
        keys: set[str] = set()
        for literals, spec in models:
            if name not in literals:
                break
            key, values = literals[name]
            if any(v in tags for v in values):
                break
            tags.update(dict.fromkeys(values, spec))
            keys.add(key)
        else:
            if len(keys) == 1 and len(models) == len(options):
                choice.tag, choice.tags = keys.pop(), tags
                break
    return choice


def partial_model(model: Any) -> tuple[Any, Shape]:
    """The partial class of ``model`` and its shape (generated once, then cached).

    ``model`` is a pydantic model, a dataclass or a ``TypedDict``.
    """
    cached = _CACHE.get(model) if isinstance(model, type) else None
    if cached is not None:
        return cached
    if not (
        isinstance(model, type)
        and (issubclass(model, BaseModel) or dataclasses.is_dataclass(model) or is_typeddict(model))
    ):
        raise TypeError(
            f"Partial[...] takes a pydantic model, a dataclass or a TypedDict, not {model!r}"
        )
    with _LOCK:
        cached = _CACHE.get(model)
        if cached is not None:
            return cached
        tr = _Translator()
        tr.structured(model)
        tr.finish()
        return _CACHE[model]


if TYPE_CHECKING:

    class Partial(PartialModel, Generic[ModelT]):
        """``Partial[Model]``: the generated partial class of ``Model``.

        Type checkers see a :class:`PartialModel`; the ``instant.mypy`` plugin gives mypy
        each field's partial type, and ``python -m instant.models.stubs`` writes named
        partial classes for any checker (README: Types for checkers).
        """

        def __init__(self, **data: Any) -> None: ...

        def __getattr__(self, name: str) -> Any: ...

else:

    class Partial(Generic[ModelT]):
        """``Partial[Model]`` is the generated partial class of ``Model`` (a :class:`PartialModel`).

        Every field is ``Optional[...] = None``, recursively (nested models, ``list[Model]``,
        ``dict[str, Model]``, unions, ``RootModel``, dataclasses, ``TypedDict``\\ s); aliases
        are kept, constraints and validators are not (they apply to the final model); a
        ``WithState`` field is a ``Streaming[...]``. Generated once per class, cached.
        """

        def __class_getitem__(cls, model: Any) -> Any:
            if isinstance(model, TypeVar):
                return super().__class_getitem__(model)
            return partial_model(model)[0]
