"""Partials that never lie: every partial matches its partial annotation at every depth, and
the streaming policies (``Done``, ``NotNull``, ``WithState``) hold, for a family of models
(tests/model_family.py) streamed in every chunking.

Two walkers, written from the annotations alone (not from instant's shapes):

* :func:`conforms` checks a value against a *partial* annotation (what ``Partial[Model]``'s
  fields declare): models are instances of their partial class, lists lists, tuples of the
  declared length, sets sets, TypedDicts dicts with declared keys, ``Streaming`` states valid,
  literals and enums only valid values.
* :func:`places` walks a partial along the *original* model's annotations and reports each
  place with the policies written there, so the test can check them across partials.
"""

from __future__ import annotations

import datetime
import enum
import json
import random
import types
import typing
from typing import Annotated, Any, Literal, Union

import pydantic
import typing_extensions
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

import instant
from instant.models.policy import Policy, config_policies, policies_in
from instant.strategies import chunkings
from tests.model_family import drawings, instances, settled

UNIONS = (Union, types.UnionType)
STATES = ("pending", "streaming", "done")


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and typing_extensions.is_typeddict(tp)


def conforms(value: Any, ann: Any, where: str = "") -> None:
    """Assert that ``value`` is an instance of the partial annotation ``ann``, at every depth."""
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if ann is Any:
        return
    if origin is Annotated:
        return conforms(value, args[0], where)
    if ann is None or ann is type(None):
        assert value is None, f"{where}: {value!r} is not None"
        return
    if origin in UNIONS:
        if value is None:
            assert type(None) in args, f"{where}: None in {ann}"
            return
        failures = []
        for branch in args:
            if branch is type(None):
                continue
            try:
                conforms(value, branch, where)
                return
            except AssertionError as e:
                failures.append(str(e))
        raise AssertionError(f"{where}: {value!r} matches no branch of {ann}: {failures}")
    if origin is Literal:
        assert any(value == a and type(value) is type(a) for a in args), (where, value, ann)
        return
    if isinstance(ann, type) and issubclass(ann, instant.Streaming):
        assert type(value) is ann, f"{where}: {type(value)} is not {ann}"
        assert value.state in STATES, where
        if value.state == "pending":
            assert value.value is None, where
        (inner,) = ann.__pydantic_generic_metadata__["args"]
        conforms(value.value, typing.Optional[inner], where + ".value")  # noqa: UP045
        return
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        assert type(value) is ann, f"{where}: {type(value).__name__} is not {ann.__name__}"
        assert isinstance(value, instant.PartialModel), where
        for name, info in type(value).model_fields.items():
            conforms(getattr(value, name), info.annotation, f"{where}.{name}")
        extra = value.model_extra
        if ann.model_config.get("extra") == "allow":
            assert isinstance(extra, dict), where
        else:
            assert not extra, where
        return
    if _is_typeddict(ann):
        assert type(value) is dict, f"{where}: {type(value)} is not a dict"
        hints = ann.__annotations__
        for k, v in value.items():
            assert k in hints, f"{where}: {k!r} is not a key of {ann.__name__}"
            conforms(v, hints[k], f"{where}[{k!r}]")
        return
    if origin is list:
        assert type(value) is list, f"{where}: {type(value)} is not a list"
        for i, item in enumerate(value):
            conforms(item, args[0], f"{where}[{i}]")
        return
    if origin is tuple:
        assert type(value) is tuple, f"{where}: {type(value)} is not a tuple"
        if args[-1:] == (...,):
            for i, item in enumerate(value):
                conforms(item, args[0], f"{where}[{i}]")
        else:
            assert len(value) == len(args), f"{where}: {len(value)} items, want {len(args)}"
            for i, (item, a) in enumerate(zip(value, args)):
                conforms(item, a, f"{where}[{i}]")
        return
    if origin in (set, frozenset):
        assert type(value) is origin, f"{where}: {type(value)} is not {origin}"
        for item in value:
            conforms(item, args[0], f"{where}{{}}")
        return
    if origin is dict:
        assert type(value) is dict, f"{where}: {type(value)} is not a dict"
        for k, v in value.items():
            conforms(k, args[0], f"{where} key")
            conforms(v, args[1], f"{where}[{k!r}]")
        return
    assert origin is None and isinstance(ann, type), f"{where}: unexpected annotation {ann}"
    if ann in (datetime.date, datetime.datetime, str, int, float, bool):
        assert type(value) is ann, f"{where}: {value!r} is not {ann.__name__}"
    else:
        assert isinstance(value, ann), f"{where}: {value!r} is not {ann}"
    if isinstance(value, enum.Enum):
        assert value in list(ann), where


# -- the policies, walked along the original annotations ------------------------------------


def _fields(tp: Any) -> list[tuple[str, Any, frozenset[Policy], bool]]:
    """(attribute, annotation, policies, the field names a policy itself) of a structured
    type, with the model's default applied to the fields that name none."""
    default = config_policies(getattr(tp, "model_config", None) or {})
    out = []
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, info in tp.model_fields.items():
            own = policies_in(info.metadata)
            out.append((name, info.annotation, own, bool(own) or _names_policy(info.annotation)))
    elif _is_typeddict(tp):
        for name, ann in typing.get_type_hints(tp, include_extras=True).items():
            while typing.get_origin(ann) in (typing_extensions.NotRequired,):
                ann = typing.get_args(ann)[0]
            out.append((name, ann, frozenset(), _names_policy(ann)))
    else:  # a dataclass
        infos = getattr(tp, "__pydantic_fields__", None)
        hints = typing.get_type_hints(tp, include_extras=True)
        for name in hints:
            own = policies_in(infos[name].metadata) if infos else frozenset()
            ann = infos[name].annotation if infos else hints[name]
            out.append((name, ann, own, bool(own) or _names_policy(ann)))
    return [(n, a, p if named else p | default, named) for n, a, p, named in out]


def _names_policy(ann: Any) -> bool:
    if typing.get_origin(ann) is Annotated:
        return bool(policies_in(ann.__metadata__)) or _names_policy(typing.get_args(ann)[0])
    if typing.get_origin(ann) in UNIONS:
        return any(_names_policy(a) for a in typing.get_args(ann))
    return False


def places(
    value: Any, ann: Any, pols: frozenset[Policy], path: tuple[Any, ...], out: list[Any]
) -> None:
    """Append (path, policies, value) for the place at ``path`` and every place inside it."""
    while typing.get_origin(ann) is Annotated:
        pols = pols | policies_in(ann.__metadata__)
        ann = typing.get_args(ann)[0]
    out.append((path, pols, value))
    if isinstance(value, instant.Streaming):
        value = value.value
    if value is not None:
        _inside(value, ann, path, out)


def _structured(tp: Any) -> bool:
    return isinstance(tp, type) and (
        issubclass(tp, BaseModel) or hasattr(tp, "__dataclass_fields__") or _is_typeddict(tp)
    )


def _inside(value: Any, ann: Any, path: tuple[Any, ...], out: list[Any]) -> None:
    while typing.get_origin(ann) is Annotated:
        ann = typing.get_args(ann)[0]
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin in UNIONS:
        for b in args:
            while typing.get_origin(b) is Annotated:
                b = typing.get_args(b)[0]
            if _structured(b) and not _is_typeddict(b) and type(value) is instant.Partial[b]:
                return _inside(value, b, path, out)
        return  # a union of leaves: nothing inside
    if isinstance(ann, type) and issubclass(ann, pydantic.RootModel):
        return places(value.root, ann.model_fields["root"].annotation, frozenset(), path, out)
    if _is_typeddict(ann):
        hints = {n: a for n, a, _, _ in _fields(ann)}
        for k, v in value.items():
            places(v, hints[k], frozenset(), (*path, k), out)
    elif _structured(ann):
        assert type(value) is instant.Partial[ann], (path, type(value), ann)
        for name, field_ann, field_pols, _ in _fields(ann):
            field_value = getattr(value, name)
            if instant.NotNull in field_pols:
                assert field_value is not None, f"{path}: shown before its NotNull {name}"
            places(field_value, field_ann, field_pols, (*path, name), out)
    elif origin is tuple and args[-1:] != (...,):
        for i, (item, a) in enumerate(zip(value, args)):
            places(item, a, frozenset(), (*path, i), out)
    elif origin in (list, tuple):
        for i, item in enumerate(value):
            places(item, args[0], frozenset(), (*path, i), out)
    elif origin is dict:
        for k, v in value.items():
            places(v, args[1], frozenset(), (*path, k), out)


def _plain(value: Any) -> Any:
    """A comparable form of a partial value (models by their fields)."""
    if isinstance(value, BaseModel):
        return (
            type(value),
            {k: _plain(v) for k, v in value.__dict__.items()},
            _plain(value.model_extra),
        )
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def check_stream(model: type[BaseModel], text: str, chunks: list[Any]) -> None:
    """Stream ``text`` and check every partial against its annotation and the policies."""
    out = list(instant.stream_model(model, chunks))
    partials, final = out[:-1], out[-1]
    assert final == model.model_validate_json(text)
    P = instant.Partial[model]
    walks = []
    for p in partials:
        conforms(p, P, model.__name__)
        found: list[Any] = []
        places(p, model, frozenset(), (), found)  # checks NotNull on the way
        walks.append({path: (pols, value) for path, pols, value in found})
    if not partials:
        return
    last = walks[-1]
    states: dict[tuple[Any, ...], int] = {}
    for walk in walks:
        for path, (pols, value) in walk.items():
            shown = value.value if isinstance(value, instant.Streaming) else value
            if instant.Done in pols and shown is not None:  # never seen partial
                assert _plain(shown) == _plain(_shown(last.get(path))), path
            if instant.WithState in pols:
                assert isinstance(value, instant.Streaming), path
                rank = STATES.index(value.state)
                assert rank >= states.get(path, 0), (path, value.state)  # only moves on
                states[path] = rank
                if value.state == "done":
                    assert _plain(value) == _plain(last[path][1]), path


@given(pair=instances, data=st.data())
def test_partials_never_lie_and_policies_hold(pair: Any, data: Any) -> None:
    model, instance = pair
    text = instance.model_dump_json(by_alias=True)
    seed = data.draw(st.none() | st.integers(0, 2**16), label="key order seed")
    if seed is not None:  # keys in another order: tags after the fields they decide
        text = json.dumps(_shuffled(json.loads(text), random.Random(seed)), ensure_ascii=False)
    if data.draw(st.booleans(), label="indent"):
        text = json.dumps(json.loads(text), indent=1, ensure_ascii=False)
    assert model.model_validate_json(text) == instance
    check_stream(model, text, data.draw(chunkings(text), label="chunks"))


@given(
    instance=st.one_of(drawings, settled),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_policies_hold_in_any_key_order(instance: Any, seed: int, data: Any) -> None:
    """The policy-laden models with their keys shuffled, cut fine: tags come late."""
    text = json.dumps(
        _shuffled(json.loads(instance.model_dump_json(by_alias=True)), random.Random(seed))
    )
    check_stream(type(instance), text, data.draw(chunkings(text, ("chars", "tokens", "random"))))


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


def _shown(entry: Any) -> Any:
    if entry is None:
        return None
    value = entry[1]
    return value.value if isinstance(value, instant.Streaming) else value
