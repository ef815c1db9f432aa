"""instant: structured data from a language model's JSON while it is still being written.

>>> import instant
>>> p = instant.Parser()
>>> [e["key"] for e in p.feed('Sure! {"a": [1, ')]
['a.[]']
"""

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
