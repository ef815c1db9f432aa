"""The document as partial objects, rebuilt branch by branch from the parser's events.

:class:`Mirror` keeps one :class:`Node` per container of the document (object or array),
holding the raw values the events brought (``raw``: so a union can switch branches without
re-reading anything) and the partial values of its slots (``vals``: field values, list items,
dict values). An event touches one place: its leaf is converted there, and the nodes on its
path are marked dirty. :meth:`Mirror.build` rebuilds only the dirty nodes, bottom-up, each
as a *new* instance that shares every unchanged child, so a partial handed out earlier never
changes and an unchanged sub-object is the same object in the next partial. The cost of an
event is its depth plus, at build time, the size of the dirty containers (a model's fields,
an open list's items): never the whole document.
"""

from __future__ import annotations

from typing import Any

from .partial import Choice, ModelSpec, Path, Shape, Spec

_OPEN: Any = object()  # a container's final value before its done event
_MISSING: Any = object()


class Node:
    """One container of the document: its raw content and, when tracked, its partial value.

    ``spec`` is ``None`` for a container the partial does not show (an unknown key, or a
    value converted whole once complete); ``choice`` is set when a union picks ``spec``.
    """

    __slots__ = (
        "built",
        "choice",
        "dirty",
        "is_obj",
        "pending",
        "raw",
        "slot",
        "spec",
        "vals",
        "value",
    )

    def __init__(self, is_obj: bool) -> None:
        self.is_obj = is_obj
        self.raw: Any = {} if is_obj else []
        self.spec: Spec | None = None
        self.choice: Choice | None = None
        self.vals: Any = None
        self.dirty: set[Any] = set()
        self.built: Any = None
        self.slot: Any = None
        self.value: Any = _OPEN
        self.pending = False  # a union not decided yet: shown as None


class Mirror:
    """Events in (:meth:`apply`), the partial root out (:meth:`build`).

    ``changed`` says whether something visible changed since the last build; ``completed``
    lists the paths (attribute names, indexes, dict keys) of the values completed since
    the caller last cleared it.
    """

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.root: Node | None = None
        self.leaf: Any = None  # the partial root when it is not a tracked container
        self.changed = False
        self.completed: list[Path] = []
        self._open: tuple[Node | None, Any] = (None, None)  # where the open string is
        self._lpath: Any = None  # the last walked path and its nodes
        self._lchain: list[Node] | None = None
        # (parent, key, slot, converter) of the open string at _lpath, for its next deltas
        self._fast: tuple[Node, Any, Any, Any] | None = None

    # -- events --------------------------------------------------------------------------

    def apply(self, events: list[Any]) -> None:
        for e in events:
            path = e["path"]
            if not path:
                self._root_event(e)
                continue
            kind = e["event"]
            if path is self._lpath or path == self._lpath:
                chain = self._lchain
                fast = self._fast
                if fast is not None and kind == "delta":  # more text of the open string
                    parent, key, slot, conv = fast
                    value = e["value"]
                    parent.raw[key] = value
                    value = conv(value, False)
                    if value is not None:  # it shows the text so far, which grew
                        parent.vals[slot] = value
                        self._mark(chain, path)  # type: ignore[arg-type]
                    continue
            else:
                chain = self._lchain = self._walk(path)
                self._lpath = path
                self._fast = None
            if chain is None:
                continue
            if kind == "delta":
                self._leaf(chain, path, e["value"], False)
            elif kind == "done":
                raw = chain[-1].raw
                key = path[-1]
                if chain[-1].is_obj:
                    node = raw.get(key)
                else:
                    node = raw[key] if key < len(raw) else None
                if node.__class__ is Node and isinstance(e["value"], (dict, list)):
                    self._closed(chain, path, node, e["value"])
                else:
                    self._leaf(chain, path, e["value"], True)
                if chain[-1].spec is not None:
                    self._complete(chain, path)
            else:
                self._start(chain, path, isinstance(e["value"], dict))

    def _walk(self, path: Path) -> list[Node] | None:
        """The nodes from the root to the parent of ``path`` (``None``: not in the document)."""
        node = self.root
        if node is None:
            return None
        chain = [node]
        for k in path[:-1]:
            try:
                node = node.raw[k]
            except (KeyError, IndexError, TypeError):
                return None
            if node.__class__ is not Node:
                return None
            chain.append(node)
        return chain

    def _mark(self, chain: list[Node], path: Path) -> None:
        """Mark the nodes down to ``chain[-1]`` for rebuilding.

        Above an undecided union (``pending``) nothing shows the change yet: the marks stop
        there and are completed when it is decided.
        """
        for i in range(len(chain) - 2, -1, -1):
            if chain[i + 1].pending:
                return
            chain[i].dirty.add(path[i])
        if not chain[0].pending:
            self.changed = True

    def _insert(self, parent: Node, key: Any, item: Any) -> bool:
        """Store a raw value; ``True`` if the key is new in ``parent``."""
        raw = parent.raw
        if parent.is_obj:
            new = key not in raw
            raw[key] = item
            return new
        if key == len(raw):
            raw.append(item)
            return True
        raw[key] = item
        return False

    def _set(self, parent: Node, slot: Any, value: Any) -> bool:
        """Put a slot's partial value; ``True`` if that is a visible change."""
        vals = parent.vals
        if parent.is_obj:
            old = vals.get(slot, _MISSING)
            vals[slot] = value
            if old is _MISSING:  # a model field that appears as None looks the same
                return value is not None or not isinstance(parent.spec, ModelSpec)
        elif slot == len(vals):
            vals.append(value)
            return True
        else:
            old = vals[slot]
            vals[slot] = value
        return not (old is value or (old.__class__ is value.__class__ and old == value))

    def _leaf(self, chain: list[Node], path: Path, value: Any, complete: bool) -> None:
        parent = chain[-1]
        key = path[-1]
        new = self._insert(parent, key, value)
        if complete:
            if self._open[0] is parent and self._open[1] == key:
                self._open = (None, None)
        else:
            self._open = (parent, key)
        spec = parent.spec
        if spec is None:
            return
        choice = parent.choice
        flip = False
        if choice is not None and (new or (complete and key == choice.tag)):
            changed = self._rechoose(parent)
            if changed == 2:
                self._mark(chain, path)
                return
            flip = changed == 1
        c = spec.child(key)
        if c is None:
            if flip:
                self._mark(chain, path)
            return
        if not complete and choice is None:
            self._fast = (parent, key, c[0], c[1].conv)
        if self._set(parent, c[0], c[1].conv(value, complete)) or flip:
            self._mark(chain, path)

    def _start(self, chain: list[Node], path: Path, is_obj: bool) -> None:
        self._lpath = self._fast = None  # a new container at a path seen before (dup key)
        parent = chain[-1]
        node = Node(is_obj)
        new = self._insert(parent, path[-1], node)
        if parent.spec is None:
            return
        changed = self._rechoose(parent) if parent.choice is not None and new else 0
        if changed == 2:
            self._mark(chain, path)
            return
        if self._attach(parent, path[-1], node) or changed:
            self._mark(chain, path)

    def _closed(self, chain: list[Node], path: Path, node: Node, value: Any) -> None:
        """A container's done: only a value converted whole once complete changes."""
        node.value = value
        parent = chain[-1]
        if parent.spec is None or node.spec is not None:
            return
        c = parent.spec.child(path[-1])
        if c is None:
            return
        shape = c[1]
        if (shape.obj if node.is_obj else shape.arr) is None:
            if self._set(parent, c[0], shape.conv(value, True)):
                self._mark(chain, path)

    def _complete(self, chain: list[Node], path: Path) -> None:
        """Record a completed value by its attribute path."""
        out: list[Any] = []
        for node, key in zip(chain, path):
            c = node.spec.child(key)  # type: ignore[union-attr]
            if c is None:
                return
            out.append(c[0])
        self.completed.append(tuple(out))

    def _root_event(self, e: Any) -> None:
        shape = self.shape
        kind = e["event"]
        if kind == "start":
            node = self.root = Node(isinstance(e["value"], dict))
            self._lpath = None
            spec = shape.obj if node.is_obj else shape.arr
            if spec is not None:
                if isinstance(spec, Choice):
                    node.choice = spec
                    spec, node.pending = spec.choose(node.raw, False, None)
                self._track(node, spec)
                self.changed = True
        elif kind == "delta" or not isinstance(e["value"], (dict, list)):
            value = shape.conv(e["value"], kind == "done")
            if not (value is self.leaf or value == self.leaf):
                self.leaf = value
                self.changed = True
        elif self.root is not None:
            self.root.value = e["value"]
            if self.root.spec is None:  # converted whole once complete
                self.leaf = shape.conv(e["value"], True)
                self.changed = self.leaf is not None

    # -- tracking and union branches -----------------------------------------------------

    def _attach(self, parent: Node, key: Any, node: Node) -> bool:
        """Show a new child container in a tracked parent; ``True`` if visible."""
        c = parent.spec.child(key)  # type: ignore[union-attr]
        if c is None:
            return False
        slot, shape = c
        node.slot = slot
        spec = shape.obj if node.is_obj else shape.arr
        if spec is None:  # converted whole once complete: a placeholder until then
            return self._set(parent, slot, None)
        if isinstance(spec, Choice):
            node.choice = spec
            spec, node.pending = spec.choose(node.raw, False, None)
        self._track(node, spec)
        self._set(parent, slot, None)
        parent.dirty.add(key)
        return True

    def _tag_complete(self, node: Node) -> bool:
        tag = node.choice.tag if node.choice is not None else None
        return tag is not None and not (self._open[0] is node and self._open[1] == tag)

    def _rechoose(self, node: Node) -> int:
        """Pick the union branch again after a new key or the tag.

        0: no change; 1: only whether it is pending changed; 2: another branch (rebuilt).
        """
        choice: Choice = node.choice  # type: ignore[assignment]
        spec, pending = choice.choose(node.raw, self._tag_complete(node), node.spec)
        flipped = pending != node.pending
        node.pending = pending
        if spec is node.spec:
            return 1 if flipped else 0
        self._track(node, spec)
        return 2

    def _track(self, node: Node, spec: Spec) -> None:
        """(Re)build a node's slots from its raw content under ``spec``, children included."""
        self._lpath = self._fast = None
        stack = [(node, spec)]
        while stack:
            n, s = stack.pop()
            n.spec = s
            n.vals = s.empty()
            n.dirty = set()
            vals = n.vals
            items = n.raw.items() if n.is_obj else enumerate(n.raw)
            for k, item in items:
                c = s.child(k)
                if c is None:
                    if item.__class__ is Node:
                        self._untrack(item)
                    continue
                slot, shape = c
                if item.__class__ is Node:
                    item.slot = slot
                    cs = shape.obj if item.is_obj else shape.arr
                    value = None
                    if cs is None:
                        self._untrack(item)
                        if item.value is not _OPEN:
                            value = shape.conv(item.value, True)
                    else:
                        item.choice = None
                        item.pending = False
                        if isinstance(cs, Choice):
                            item.choice = cs
                            cs, item.pending = cs.choose(item.raw, self._tag_complete(item), None)
                        n.dirty.add(k)
                        stack.append((item, cs))
                else:
                    value = shape.conv(item, not (self._open[0] is n and self._open[1] == k))
                if n.is_obj:
                    vals[slot] = value
                else:
                    vals.append(value)

    def _untrack(self, node: Node) -> None:
        self._lpath = self._fast = None
        stack = [node]
        while stack:
            n = stack.pop()
            n.spec = n.choice = n.vals = None
            n.dirty = set()
            stack.extend(v for v in (n.raw.values() if n.is_obj else n.raw) if v.__class__ is Node)

    # -- building ------------------------------------------------------------------------

    def build(self) -> Any:
        """The partial root: dirty nodes rebuilt as new objects, the rest shared."""
        root = self.root
        self.changed = False
        if root is None or root.spec is None:
            return self.leaf
        if root.pending:
            return None
        order = [root]
        for n in order:  # parents before children (the list grows as it is walked)
            if n.dirty:
                raw = n.raw
                for k in n.dirty:
                    kid = raw[k]
                    if kid.__class__ is Node and kid.spec is not None:
                        order.append(kid)
        for n in reversed(order):
            dirty = n.dirty
            if dirty:
                vals = n.vals
                raw = n.raw
                for k in dirty:
                    kid = raw[k]
                    if kid.__class__ is Node and kid.spec is not None:
                        vals[kid.slot] = None if kid.pending else kid.built
                dirty.clear()
            n.built = n.spec.build(n.vals)  # type: ignore[union-attr]
        return root.built
