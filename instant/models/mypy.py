"""A mypy plugin: ``instant.Partial[Model]`` has the model's fields, each its partial type.

Enable it in the mypy configuration (``plugins = ["instant.models.mypy"]``). Reading an
attribute of ``Partial[Trip]`` then gives the partial version of ``Trip``'s field, worked
out as :mod:`instant.models.partial` builds it at run time: ``T | None`` for a leaf,
``Partial[M] | None`` for a nested model or dataclass, ``list[X | None] | None`` for a
list, a ``TypedDict`` with every key optional for a ``TypedDict``, a fixed tuple of
optional items, a set of complete items, ``instant.Streaming[X]`` for a ``WithState``
field (written bare, ``Annotated[str, instant.WithState]``, or as the model's default in
``model_config``); a name that is not a field is an error. mypy only: pyright has no
plugins, see :mod:`instant.models.stubs` for a module of named partial classes that every
checker reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import mypy.types  # noqa: F401, I001 - first: mypy's own modules import each other in this order
from mypy.expandtype import expand_type_by_instance
from mypy.maptype import map_instance_to_supertype
from mypy.nodes import (
    AssignmentStmt,
    CallExpr,
    Expression,
    MemberExpr,
    NameExpr,
    TupleExpr,
    TypeInfo,
    Var,
)
from mypy.plugin import AttributeContext, ClassDefContext, Plugin
from mypy.typeops import make_simplified_union
from mypy.types import (
    AnyType,
    Instance,
    NoneType,
    ProperType,
    RawExpressionType,
    TupleType,
    Type,
    TypedDictType,
    TypeOfAny,
    UnboundType,
    UnionType,
    get_proper_type,
)

PARTIAL = "instant.models.partial.Partial"
STREAMING = "instant.models.policy.Streaming"
BASEMODEL = "pydantic.main.BaseModel"
KEY = "instant"  # TypeInfo.metadata key: {"with_state": [field names]}
_CALLED = re.compile(r"instead of (?:[\w.]+\.)?(\w+)\(\.\.\.\)")
_LISTS = frozenset(
    (
        "builtins.list",
        "typing.Sequence",
        "typing.MutableSequence",
        "typing.Collection",
        "typing.Iterable",
        "collections.abc.Sequence",
        "collections.abc.MutableSequence",
        "collections.abc.Collection",
        "collections.abc.Iterable",
    )
)
_SETS = {
    "builtins.set": "builtins.set",
    "typing.MutableSet": "builtins.set",
    "builtins.frozenset": "builtins.frozenset",
    "typing.AbstractSet": "builtins.frozenset",
}
_DICTS = frozenset(("builtins.dict", "typing.Mapping", "typing.MutableMapping"))


def _marker(expr: Expression | None) -> str | None:
    """The last name of a policy marker expression (``instant.WithState``, ``WithState()``)."""
    if isinstance(expr, CallExpr):
        expr = expr.callee
    if isinstance(expr, (NameExpr, MemberExpr)):
        return expr.name
    return None


def _type_markers(tp: Type | None) -> set[str]:
    """The names in an unanalyzed ``Annotated[T, ...]`` (top level, or in an ``Optional``)."""
    out: set[str] = set()
    if not isinstance(tp, UnboundType):
        return out
    if tp.name.rsplit(".", 1)[-1] == "Annotated" and tp.args:
        for meta in tp.args[1:]:
            if isinstance(meta, UnboundType):
                out.add(meta.name.rsplit(".", 1)[-1])
            elif isinstance(meta, RawExpressionType) and meta.note:
                found = _CALLED.search(meta.note)  # mypy keeps a called marker's name here
                if found:
                    out.add(found.group(1))
        out |= _type_markers(tp.args[0])
    elif tp.name.rsplit(".", 1)[-1] == "Optional":
        for a in tp.args:
            out |= _type_markers(a)
    return out


def _record_policies(ctx: ClassDefContext) -> None:
    """Note which fields of a model are ``WithState`` (own marker or the model's default)."""
    default: set[str] = set()
    fields: dict[str, set[str]] = {}
    for stmt in ctx.cls.defs.body:
        if not isinstance(stmt, AssignmentStmt) or len(stmt.lvalues) != 1:
            continue
        target = stmt.lvalues[0]
        if not isinstance(target, NameExpr):
            continue
        if target.name == "model_config" and isinstance(stmt.rvalue, CallExpr):
            call = stmt.rvalue
            for arg, name in zip(call.args, call.arg_names):
                values = arg.items if isinstance(arg, TupleExpr) else [arg]
                if name is None or name == "instant_stream":
                    default |= {m for m in map(_marker, values) if m is not None}
        elif stmt.unanalyzed_type is not None:
            fields[target.name] = _type_markers(stmt.unanalyzed_type)
    policies = {"Done", "NotNull", "WithState"}
    with_state = [
        name
        for name, markers in fields.items()
        if "WithState" in (markers if markers & policies else default)
    ]
    ctx.cls.info.metadata[KEY] = {"with_state": with_state}


def _with_state(info: TypeInfo, name: str) -> bool:
    for base in info.mro:
        data = base.metadata.get(KEY)
        if data is not None and name in data.get("with_state", ()):
            return True
        if name in base.names:
            return False
    return False


def _field(info: TypeInfo) -> Callable[[str], tuple[Var, TypeInfo] | None]:
    def find(name: str) -> tuple[Var, TypeInfo] | None:
        for base in info.mro:
            if base.fullname in (BASEMODEL, "builtins.object"):
                return None
            sym = base.names.get(name)
            if sym is not None:
                node = sym.node
                if isinstance(node, Var) and not node.is_classvar and not name.startswith("_"):
                    return node, base
                return None
        return None

    return find


def _instance(ctx: AttributeContext, fullname: str, args: list[Type]) -> Type:
    """``fullname[args]``, looked up in its module's table (the name may not be re-exported
    along the way, which ``named_generic_type`` needs)."""
    module, _, name = fullname.rpartition(".")
    tree = ctx.api.modules.get(module)  # type: ignore[attr-defined]
    sym = tree.names.get(name) if tree is not None else None
    if sym is None or not isinstance(sym.node, TypeInfo):
        return AnyType(TypeOfAny.special_form)
    return Instance(sym.node, args)


class InstantPlugin(Plugin):
    """``Partial[Model]`` attributes, and the ``WithState`` fields of each model."""

    def get_base_class_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        sym = self.lookup_fully_qualified(fullname)
        if sym is not None and isinstance(sym.node, TypeInfo):
            if any(base.fullname == BASEMODEL for base in sym.node.mro):
                return _record_policies
        return None

    def get_class_decorator_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        if fullname in ("dataclasses.dataclass", "pydantic.dataclasses.dataclass"):
            return _record_policies
        return None

    def get_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        if fullname.startswith(PARTIAL + "."):
            name = fullname[len(PARTIAL) + 1 :]
            return lambda ctx: self._attribute(ctx, name)
        return None

    def _attribute(self, ctx: AttributeContext, name: str) -> Type:
        partial = get_proper_type(ctx.type)
        if not isinstance(partial, Instance) or not partial.args:
            return ctx.default_attr_type
        model = get_proper_type(partial.args[0])
        if not isinstance(model, Instance):
            return ctx.default_attr_type
        found = _field(model.type)(name)
        if found is None:
            ctx.api.fail(f'"{model.type.name}" has no field "{name}"', ctx.context)
            return AnyType(TypeOfAny.from_error)
        var, owner = found
        if var.type is None:
            return AnyType(TypeOfAny.unannotated)
        field_type = expand_type_by_instance(var.type, map_instance_to_supertype(model, owner))
        inner = _Partials(ctx).of(field_type)
        if _with_state(model.type, name):
            return _instance(ctx, STREAMING, [inner])
        return make_simplified_union([inner, NoneType()])


class _Partials:
    """The partial type of an annotation, as the run time builds it."""

    def __init__(self, ctx: AttributeContext) -> None:
        self.ctx = ctx
        self.api = ctx.api

    def optional(self, tp: Type) -> Type:
        return make_simplified_union([self.of(tp), NoneType()])

    def of(self, tp: Type) -> Type:
        t: ProperType = get_proper_type(tp)
        api = self.api
        if isinstance(t, UnionType):
            return make_simplified_union([self.of(item) for item in t.items])
        if isinstance(t, TypedDictType):
            items = {k: self.optional(v) for k, v in t.items.items()}
            return TypedDictType(items, set(), set(), t.fallback)
        if isinstance(t, TupleType):
            return t.copy_modified(items=[self.optional(item) for item in t.items])
        if not isinstance(t, Instance):
            return t
        info = t.type
        if info.has_base(BASEMODEL) or "dataclass" in info.metadata:
            return _instance(self.ctx, PARTIAL, [t])
        name = info.fullname
        if name in _LISTS and t.args:
            return api.named_generic_type("builtins.list", [self.optional(t.args[0])])
        if name == "builtins.tuple" and t.args:
            return api.named_generic_type("builtins.tuple", [self.optional(t.args[0])])
        if name in _SETS and t.args:
            return api.named_generic_type(_SETS[name], [self.of(t.args[0])])
        if name in _DICTS and len(t.args) == 2:
            return api.named_generic_type("builtins.dict", [t.args[0], self.optional(t.args[1])])
        return t


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point."""
    return InstantPlugin
