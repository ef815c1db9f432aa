"""instant: structured data from a language model's JSON while it is still being written.

>>> import instant
>>> p = instant.Parser()
>>> [e["key"] for e in p.feed('Sure! {"a": [1, ')]
['a.[]']
"""

from .api import iter_events, parse
from .errors import ParseError
from .events import Event
from .parser import Parser
from .selector import Selector, SelectorError, compile_selector

__all__ = [
    "Event",
    "ParseError",
    "Parser",
    "Selector",
    "SelectorError",
    "compile_selector",
    "iter_events",
    "parse",
]
__version__ = "0.1.0"
