"""instant: structured data from a language model's JSON while it is still being written.

>>> import instant
>>> p = instant.Parser()
>>> [e["key"] for e in p.feed('Sure! {"a": [1, ')]
['a.[]']

This module is the public face: everything in ``__all__`` (and nothing else) is the API.
``ENGINE`` says which engine parses: ``"c"`` (the C extension, built by ``pip install`` when a
compiler is there) or ``"python"`` (without it, or with ``INSTANT_PURE_PYTHON=1``); the events
are the same.
The pydantic layer (``stream_model``, ``Partial``, ...) loads on first use, so
``import instant`` stays cheap.
"""

import typing as _typing

from . import _moved
from ._core.parser import ENGINE, Parser
from ._version import __version__
from .errors import (
    ParseError,
    RefusalError,
    SelectorError,
    StreamError,
    StreamWarning,
    TruncatedError,
)
from .events import Event, ToolCallInfo
from .options import ParserOptions
from .selector import Selector, compile_selector
from .streams import AsyncEventStream, EventStream, StreamParser, ToolCall, stream
from .streams.generators import (
    acomplete_generator,
    agenerator,
    ainstant_generator,
    ainstant_keys_generator,
    complete_generator,
    generator,
    instant_generator,
    instant_keys_generator,
)
from .streams.items import AsyncItems, Items, ItemValidationError, aitems, items
from .streams.simple import iter_events, parse
from .streams.tap import SyncTap, Tap, tap, tap_sync

__all__ = [
    "AsyncEventStream",
    "AsyncItems",
    "Done",
    "ENGINE",
    "Event",
    "EventStream",
    "InvalidSubtree",
    "ItemValidationError",
    "Items",
    "ModelValidationError",
    "NotNull",
    "ParseError",
    "Parser",
    "ParserOptions",
    "Partial",
    "PartialModel",
    "RefusalError",
    "Selector",
    "SelectorError",
    "StreamError",
    "StreamParser",
    "StreamWarning",
    "Streaming",
    "SyncTap",
    "Tap",
    "ToolCall",
    "ToolCallInfo",
    "TruncatedError",
    "WithState",
    "__version__",
    "acomplete_generator",
    "agenerator",
    "ainstant_generator",
    "ainstant_keys_generator",
    "aitems",
    "astream_model",
    "compile_selector",
    "complete_generator",
    "generator",
    "instant_generator",
    "instant_keys_generator",
    "items",
    "iter_events",
    "parse",
    "schema_prompt",
    "stream",
    "stream_config",
    "stream_model",
    "tap",
    "tap_sync",
]

# loaded on first use (instant.models imports pydantic)
_LAZY = frozenset(
    (
        "Done",
        "InvalidSubtree",
        "ModelValidationError",
        "NotNull",
        "Partial",
        "PartialModel",
        "Streaming",
        "WithState",
        "astream_model",
        "schema_prompt",
        "stream_config",
        "stream_model",
    )
)

if _typing.TYPE_CHECKING:
    from .models import Done as Done
    from .models import InvalidSubtree as InvalidSubtree
    from .models import ModelValidationError as ModelValidationError
    from .models import NotNull as NotNull
    from .models import Partial as Partial
    from .models import PartialModel as PartialModel
    from .models import Streaming as Streaming
    from .models import WithState as WithState
    from .models import astream_model as astream_model
    from .models import schema_prompt as schema_prompt
    from .models import stream_config as stream_config
    from .models import stream_model as stream_model


def __getattr__(name: str) -> _typing.Any:
    if name in _LAZY:
        from . import models

        return getattr(models, name)
    raise AttributeError(f"module 'instant' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


_moved.install()
