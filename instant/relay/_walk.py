"""The document as a client has seen it so far: the walk every encoder shares.

instant's events come in document order: a string's deltas, then its ``done``; a container's
members, then its ``done``. Containers get no event when they open (unless ``emit_start=True``),
so a client learns of one from its first member. :class:`Walker` turns the events into the
steps a wire format writes, calling one hook per step:

==========================  ==========================================================
hook                        when
==========================  ==========================================================
``enter(path, is_list)``    a container the client does not have yet (an ancestor of
                            the event's value, or a ``start`` event)
``leave(path, is_list)``    a container is complete (its ``done``)
``start_string(path, s)``   a string's first delta (``s`` is its text so far)
``extend_string(d, s)``     the string's next delta ``d`` (``s``: its text so far)
``end_string(path)``        the string's ``done``
``put(path, value)``        a complete value the client does not have: a number, a
                            literal, a string with no delta, an empty container
``new_document(n)``         a new document begins (``multiple=True``), before its first
                            step
==========================  ==========================================================

Before ``enter``, ``start_string`` and ``put`` the walker sets :attr:`first` (no member of the
parent was written before) and :attr:`in_list` (the parent is an array; ``False`` at the
root), which is what a text writer needs for its separators and a patch writer for ``/-``.

Only the open path is remembered (one entry per open container), so the cost per event is
the length of its path, never the size of the document. Events of a selection
(``select=``) are a projection of the document: a container or string that gets no more
events is closed when an event lands outside it, and the walk describes the selected parts.
Array items must still come in order: an item index that skips one raises ``ValueError``,
since no wire format could place it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Path = tuple[str | int, ...]


class Walker:
    """Calls the hooks (see the module docstring) for each event given to :meth:`step`."""

    first: bool
    in_list: bool

    def __init__(self) -> None:
        self.first = True
        self.in_list = False
        self._document: int | None = None
        self._reset()

    def _reset(self) -> None:
        # open containers: the root's entry first, then one per segment of _path
        self._path: list[str | int] = []
        self._lists: list[bool] = []
        self._counts: list[int] = []
        self._string: Path | None = None

    # -- the hooks (overridden by each encoder) ------------------------------------------
    def enter(self, path: Path, is_list: bool) -> None:
        raise NotImplementedError

    def leave(self, path: Path, is_list: bool) -> None:
        raise NotImplementedError

    def start_string(self, path: Path, text: str) -> None:
        raise NotImplementedError

    def extend_string(self, delta: str, text: str) -> None:
        raise NotImplementedError

    def end_string(self, path: Path) -> None:
        raise NotImplementedError

    def put(self, path: Path, value: Any) -> None:
        raise NotImplementedError

    def new_document(self, number: int) -> None:
        """A new document (``multiple=True``) begins; nothing to do by default."""

    # -- the walk ----------------------------------------------------------------------
    def step(self, event: Mapping[str, Any]) -> None:
        """Advance by one instant event (``ValueError`` if it cannot follow the previous)."""
        try:
            kind = event["event"]
            path: Path = tuple(event["path"])
        except (KeyError, TypeError):
            raise TypeError(
                f"expected an instant event (a dict with 'event' and 'path'), got {event!r:.80}"
            ) from None
        number = event.get("document", 0)
        if number != self._document:
            if self._document is not None:
                self.finish()  # what a selection left open in the last document
                self._reset()
            self._document = number
            self.new_document(number)
        string = self._string
        if string is not None and string != path:
            self._string = None  # its done was not selected: it ends here
            self.end_string(string)
        if kind == "delta":
            if string == path:
                self.extend_string(event["delta"], event["value"])
                return
            self._reach(path)
            self._place(path)
            self._string = path
            self.start_string(path, event["value"])
        elif kind == "done":
            if string == path:
                self._string = None
                self.end_string(path)
            elif self._closes(path):
                pass
            else:
                self._reach(path)
                self._place(path)
                self.put(path, event["value"])
        elif kind == "start":
            self._reach(path)
            self._place(path)
            self._push(path, isinstance(event["value"], list))
        else:
            raise ValueError(f"unknown event kind {kind!r} (expected 'delta', 'done' or 'start')")

    def finish(self) -> None:
        """The events ended: close what a selection left open (nothing, for a whole stream)."""
        if self._string is not None:
            string, self._string = self._string, None
            self.end_string(string)
        self._finish_open()

    def _finish_open(self) -> None:
        while self._lists:
            self._pop()

    def _closes(self, path: Path) -> bool:
        """``path`` is an open container (a done): close it and whatever is open inside it."""
        n = len(path)
        depth = len(self._lists) - 1
        if depth < n or tuple(self._path[:n]) != path:
            return False
        while len(self._lists) > n:
            self._pop()
        return True

    def _reach(self, path: Path) -> None:
        """Close open containers that are not ancestors of ``path``, open those missing."""
        n = len(path)
        opened = len(self._lists)  # container j (0 = the root) has the path _path[:j]
        keep = 0
        while keep < opened and keep < n and (keep == 0 or self._path[keep - 1] == path[keep - 1]):
            keep += 1
        while len(self._lists) > keep:
            self._pop()
        for i in range(keep, n):
            if i:
                self._place(path[:i])
            self._push(path[:i], isinstance(path[i], int))

    def _place(self, path: Path) -> None:
        """``path`` becomes a new member of its parent, the deepest open container."""
        if not path:
            self.first, self.in_list = True, False
            return
        count = self._counts[-1]
        in_list = self._lists[-1]
        if in_list and path[-1] != count:
            raise ValueError(
                f"array item {path!r} follows item {count - 1}: the events skip an index "
                "(relay every event of the document, or select whole arrays)"
            )
        self._counts[-1] = count + 1
        self.first, self.in_list = count == 0, in_list

    def _push(self, path: Path, is_list: bool) -> None:
        self.enter(path, is_list)
        if path:
            self._path.append(path[-1])
        self._lists.append(is_list)
        self._counts.append(0)

    def _pop(self) -> None:
        path = tuple(self._path)  # the deepest open container's
        is_list = self._lists.pop()
        self._counts.pop()
        if self._path:
            self._path.pop()
        self.leave(path, is_list)
