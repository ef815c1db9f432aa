"""Named partial classes for type checkers: ``python -m instant.models.stubs MODULE``.

Python's type system has no mapped types (TypeScript's ``Partial<T>``), and pyright has no
plugins, so no checker can work out by itself that ``Partial[Trip].city`` is ``str | None``.
This writes a module that tells it: for each pydantic model of ``MODULE`` (and every model,
dataclass and TypedDict they use) a class ``PartialTrip`` declared for checkers inside
``if TYPE_CHECKING:`` with each field's partial type, and at run time the very class
``instant.Partial[Trip]`` (so ``isinstance`` and everything else agree). The declarations
are rendered from the generated partial classes themselves, so they say exactly what the
runtime builds (policies included: a ``WithState`` field is ``instant.Streaming[...]``).

    python -m instant.models.stubs app.models                 # writes app/models_partial.py
    python -m instant.models.stubs app.models -o typing/p.py  # elsewhere
    python -m instant.models.stubs app.models --check         # exit 1 if the file is stale
"""

from __future__ import annotations

import argparse
import enum
import importlib
import importlib.util
import keyword
import sys
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, RootModel

from .partial import _CACHE, is_typeddict, partial_model
from .policy import Streaming

__all__ = ["main", "render_module"]

_BUILTINS = {str, int, float, bool, bytes, bytearray, complex, object, type(None)}
_UNIONS: tuple[Any, ...] = (Union, types.UnionType)


class _Renderer:
    """Annotations as source text; remembers the modules to import and the partial classes
    that still need a declaration."""

    def __init__(self, names: dict[Any, str]) -> None:
        self.names = names  # partial class -> its declared name
        self.modules: set[str] = set()

    def cls(self, tp: type) -> str:
        if tp in self.names:
            return self.names[tp]
        if tp in _BUILTINS:
            return "None" if tp is type(None) else tp.__name__
        module = tp.__module__
        if "<" in tp.__qualname__ or module == "__main__":
            return "typing.Any"  # a local class: nothing can import it
        self.modules.add(module)
        return f"{module}.{tp.__qualname__}"

    def __call__(self, tp: Any) -> str:
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if tp is Any or isinstance(tp, typing.TypeVar):
            return "typing.Any"
        if isinstance(tp, typing.ForwardRef):  # a recursive reference inside Streaming[...]
            found = [n for p, n in self.names.items() if p.__name__ == tp.__forward_arg__]
            return found[0] if len(found) == 1 else "typing.Any"
        if tp is None or tp is type(None):
            return "None"
        if origin is Annotated:
            return self(args[0])
        if origin in _UNIONS:
            parts = [self(a) for a in args if a is not type(None)]
            if type(None) in args:
                parts.append("None")
            return " | ".join(dict.fromkeys(parts))
        if origin is Literal:
            return f"typing.Literal[{', '.join(self.literal(a) for a in args)}]"
        if isinstance(tp, type) and issubclass(tp, Streaming) and tp is not Streaming:
            (inner,) = tp.__pydantic_generic_metadata__["args"]
            return f"instant.Streaming[{self(inner)}]"
        if origin is tuple:
            if not args or args == ((),):
                return "tuple[()]"
            if args[-1] is Ellipsis:
                return f"tuple[{self(args[0])}, ...]"
            return f"tuple[{', '.join(self(a) for a in args)}]"
        if origin in (list, set, frozenset, dict):
            return f"{origin.__name__}[{', '.join(self(a) for a in args)}]"
        if origin is not None:  # another generic: its origin, parametrized
            return f"{self(origin)}[{', '.join(self(a) for a in args)}]"
        if isinstance(tp, type):
            return self.cls(tp)
        return "typing.Any"

    def literal(self, value: Any) -> str:
        if isinstance(value, enum.Enum):
            return f"{self.cls(type(value))}.{value.name}"
        return repr(value)


def _declare(partial: Any, name: str, render: _Renderer) -> list[str]:
    """The ``class`` statement of one partial class (for checkers)."""
    doc = (partial.__doc__ or "").strip().splitlines()[0] if partial.__doc__ else ""
    if is_typeddict(partial):
        lines = [f"    class {name}(typing.TypedDict, total=False):"]
        if doc:
            lines.append(f"        {doc!r}")
        for key, ann in partial.__annotations__.items():
            if key.isidentifier() and not keyword.iskeyword(key):
                lines.append(f"        {key}: {render(ann)}")
        if len(lines) == (2 if doc else 1):
            lines.append("        pass")
        return lines
    lines = [f"    class {name}(instant.PartialModel):"]
    if doc:
        lines.append(f"        {doc!r}")
    for field_name, info in partial.model_fields.items():
        ann = render(info.annotation)
        if isinstance(info.default, Streaming):
            default = "instant.Streaming()"
        else:
            default = "None"
        if info.alias is not None and info.alias != field_name:
            render.modules.add("pydantic")
            default = f"pydantic.Field(default={default}, alias={info.alias!r})"
        lines.append(f"        {field_name}: {ann} = {default}")
    if len(lines) == (2 if doc else 1):
        lines.append("        pass")
    return lines


def _reachable(roots: list[Any]) -> list[Any]:
    """The partial classes of ``roots`` and of every structured type their fields use."""
    seen: dict[Any, None] = {}
    stack = [partial_model(r)[0] for r in reversed(roots)]
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen[p] = None
        if is_typeddict(p):
            anns = list(p.__annotations__.values())
        else:
            anns = [info.annotation for info in p.model_fields.values()]
        found: list[Any] = []
        for ann in anns:
            _partials_in(ann, found)
        stack.extend(reversed([f for f in found if f not in seen]))
    return list(seen)


def _partials_in(tp: Any, out: list[Any]) -> None:
    partials = {cls for cls, _ in _CACHE.values()}
    todo = [tp]
    while todo:
        t = todo.pop()
        if isinstance(t, type) and issubclass(t, Streaming) and t is not Streaming:
            todo.extend(t.__pydantic_generic_metadata__["args"])
        elif t in partials:
            out.append(t)
        else:
            todo.extend(a for a in typing.get_args(t) if not isinstance(a, (str, int, enum.Enum)))


def render_module(module_name: str) -> str:
    """The source of the partial-classes module for the models of ``module_name``."""
    module = importlib.import_module(module_name)
    models = [
        obj
        for name, obj in vars(module).items()
        if isinstance(obj, type)
        and name == obj.__name__  # not a parametrized generic pydantic put there
        and name.isidentifier()
        and issubclass(obj, BaseModel)
        and obj.__module__ == module_name
        and not obj.__pydantic_generic_metadata__["parameters"]
        and obj is not RootModel
    ]
    partials = _reachable(models)
    originals = {cls: tp for tp, (cls, _) in _CACHE.items()}
    names: dict[Any, str] = {}
    taken: set[str] = set()
    for p in partials:
        name = p.__name__
        while name in taken:
            name += "_"
        taken.add(name)
        names[p] = name
    render = _Renderer(names)
    body: list[str] = []
    for p in partials:
        body.extend(_declare(p, names[p], render))
        body.append("")
    runtime = []
    for p in partials:
        original = render.cls(originals[p])
        runtime.append(f"    {names[p]} = instant.Partial[{original}]")
    imports = sorted(render.modules - {"builtins"})
    out = [
        f"# Generated by `python -m instant.models.stubs {module_name}`: do not edit.",
        f'"""Partial classes of ``{module_name}``, named for type checkers.',
        "",
        "Each ``PartialX`` is ``instant.Partial[X]`` at run time; type checkers see its",
        "fields, each the partial (optional) version of ``X``'s.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "import typing",
        "",
        "import instant",
        *[f"import {m}" for m in imports if m != "typing"],
        "",
        f"__all__ = {sorted(names.values())!r}",
        "",
        "if typing.TYPE_CHECKING:",
        *body,
        "else:",
        *runtime,
        "",
    ]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m instant.models.stubs",
        description="Write named partial classes of a module's pydantic models, for type checkers.",
    )
    ap.add_argument("module", help="the module whose models to declare (importable)")
    ap.add_argument("-o", "--output", type=Path, help="the file (default: MODULE_partial.py)")
    ap.add_argument("--check", action="store_true", help="exit 1 if the file is not up to date")
    args = ap.parse_args(argv)
    sys.path.insert(0, ".")
    source = render_module(args.module)
    out = args.output
    if out is None:
        spec = importlib.util.find_spec(args.module)
        origin = spec.origin if spec is not None else None
        if origin is None:
            ap.error(f"cannot tell where {args.module} is; pass --output")
        out = Path(origin).with_name(Path(origin).stem + "_partial.py")
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else None
        if current != source:
            print(f"{out} is not up to date: run python -m instant.models.stubs {args.module}")
            return 1
        return 0
    out.write_text(source, encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
