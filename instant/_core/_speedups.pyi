# The C engine (_speedups.c): the storage of a State and the C feed(). See state.py.
from typing import Any

from ..events import Event

class Frame:
    c: Any
    obj: bool
    key: str
    path: tuple[str | int, ...]
    idx: list[int]
    ckey: str
    name: str
    attached: bool
    def __init__(
        self,
        c: Any,
        obj: bool,
        key: str,
        path: tuple[str | int, ...],
        idx: list[int],
        ckey: str,
        attached: bool,
    ) -> None: ...

class Core:
    def feed(self, chunk: str | bytes) -> list[Event]: ...

def configure(**objects: Any) -> None: ...
