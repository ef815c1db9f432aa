"""instant: structured data from a language model's JSON while it is still being written.

>>> import instant
>>> p = instant.Parser()
>>> [e["key"] for e in p.feed('Sure! {"a": [1, ')]
['a.[]']
"""

from typing import TYPE_CHECKING, Any

from .api import iter_events, parse
from .chunks import StreamError
from .errors import ParseError
from .events import Event, ToolCallInfo
from .generators import (
    acomplete_generator,
    agenerator,
    ainstant_generator,
    ainstant_keys_generator,
    complete_generator,
    generator,
    instant_generator,
    instant_keys_generator,
)
from .parser import Parser
from .selector import Selector, SelectorError, compile_selector
from .streams import AsyncEventStream, EventStream, StreamParser, ToolCall, stream

__all__ = [
    "AsyncEventStream",
    "Event",
    "EventStream",
    "ParseError",
    "Parser",
    "Selector",
    "SelectorError",
    "StreamError",
    "StreamParser",
    "ToolCall",
    "ToolCallInfo",
    "acomplete_generator",
    "agenerator",
    "ainstant_generator",
    "ainstant_keys_generator",
    "compile_selector",
    "complete_generator",
    "generator",
    "instant_generator",
    "instant_keys_generator",
    "iter_events",
    "parse",
    "stream",
]
__version__ = "0.1.0"

# The pydantic layer (instant.models) loads on first use, so `import instant` stays cheap.
_MODELS = (
    "ModelValidationError",
    "Partial",
    "PartialModel",
    "astream_model",
    "schema_prompt",
    "stream_model",
)
__all__ += _MODELS

if TYPE_CHECKING:
    from .models import ModelValidationError as ModelValidationError
    from .models import Partial as Partial
    from .models import PartialModel as PartialModel
    from .models import astream_model as astream_model
    from .models import schema_prompt as schema_prompt
    from .models import stream_model as stream_model


def __getattr__(name: str) -> Any:
    if name in _MODELS:
        from . import models

        return getattr(models, name)
    raise AttributeError(f"module 'instant' has no attribute {name!r}")
