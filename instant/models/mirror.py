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

Visibility (the streaming policies): a node is *hidden* -- its parent shows ``None`` (or a
``Streaming`` without value), and changes inside it mark nothing above it -- while it is a
union whose branch is undecided, a ``Done`` container that has not closed, or an object
waiting for a ``NotNull`` field. When it shows, its parent is marked, and the paths that
completed inside it while hidden are reported then: ``completed`` never names a value the
partial does not show.
"""

from __future__ import annotations

from typing import Any

from .shapes import ANY, SKIP, Choice, Extra, FieldsSpec, ModelSpec, Path, Shape, Spec, streaming

_OPEN: Any = object()  # a container's final value before its done event
_MISSING: Any = object()


class Node:
    """One container of the document: its raw content and, when tracked, its partial value.

    ``spec`` is ``None`` for a container the partial does not show (an unknown key, or a
    value converted whole once complete); ``choice`` is set when a union picks ``spec``;
    ``shape`` is the place it sits in (its policies).
    """

    __slots__ = (
        "built",
        "choice",
        "deferred",
        "dirty",
        "held",
        "hidden",
        "is_obj",
        "raw",
        "shape",
        "slot",
        "spec",
        "undecided",
        "vals",
        "value",
        "waiting",
    )

    def __init__(self, is_obj: bool, shape: Shape) -> None:
        self.is_obj = is_obj
        self.shape = shape
        self.raw: Any = {} if is_obj else []
        self.spec: Spec | None = None
        self.choice: Choice | None = None
        self.vals: Any = None
        self.dirty: set[Any] = set()
        self.built: Any = None
        self.slot: Any = None
        self.value: Any = _OPEN
        self.undecided = False  # a union whose branch is not decided yet
        self.held = shape.done  # a Done container, until it closes
        self.waiting: set[Any] | None = None  # NotNull slots not done yet
        self.hidden = self.held
        self.deferred: list[Path] | None = None  # completed inside while hidden

    def shown(self) -> Any:
        """What the parent shows for this node (after it is built)."""
        state = self.shape.state
        if state is None:
            return self.shape.opened if self.hidden else self.built
        value = None if self.hidden else self.built
        done = self.value is not _OPEN and not self.hidden
        return streaming(state, value, "done" if done else "streaming")


class Mirror:
    """Events in (:meth:`apply`), the partial root out (:meth:`build`).

    ``changed`` says whether something visible changed since the last build; ``completed``
    lists the paths (attribute names, indexes, dict keys) of the values completed since
    the caller last cleared it. With ``closed`` a list, each tracked object that closes is
    recorded there as ``(json path, attribute path, shape, value)`` (for subtree checks).
    """

    def __init__(self, shape: Shape, closed: list[Any] | None = None) -> None:
        self.shape = shape
        self.root: Node | None = None
        self.leaf: Any = None  # the partial root when it is not a tracked container
        self.changed = False
        self.completed: list[Path] = []
        self.closed = closed
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
                    if value is not None and value is not SKIP:  # it shows the text so far
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
                parent = chain[-1]
                raw = parent.raw
                key = path[-1]
                if parent.is_obj:
                    node = raw.get(key)
                else:
                    node = raw[key] if key < len(raw) else None
                if node.__class__ is Node and isinstance(e["value"], (dict, list)):
                    self._closed(chain, path, node, e["value"])
                else:
                    node = None
                    self._leaf(chain, path, e["value"], True)
                if parent.spec is not None:
                    if parent.waiting:
                        self._satisfied(chain, path)
                    self._complete(chain, path, node)
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

        Above a hidden node nothing shows the change yet: the marks stop there and are
        completed when it shows.
        """
        for i in range(len(chain) - 2, -1, -1):
            if chain[i + 1].hidden:
                return
            chain[i].dirty.add(path[i])
        if not chain[0].hidden:
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
            return value is not SKIP  # a set item still being written shows nothing
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
            changed = self._rechoose(chain, path[:-1], parent)
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
        spec = parent.spec
        c = spec.child(path[-1]) if spec is not None else None
        node = Node(is_obj, c[1] if c is not None else ANY)
        new = self._insert(parent, path[-1], node)
        if spec is None:
            return
        changed = 0
        if parent.choice is not None and new:
            changed = self._rechoose(chain, path[:-1], parent)
        if changed == 2:
            self._mark(chain, path)
            return
        if (c is not None and self._attach(parent, path[-1], node, c)) or changed:
            self._mark(chain, path)

    def _closed(self, chain: list[Node], path: Path, node: Node, value: Any) -> None:
        """A container's done: a value converted whole appears, a held one shows."""
        node.value = value
        parent = chain[-1]
        if parent.spec is None:
            return
        if node.spec is None:
            c = parent.spec.child(path[-1])
            if c is None:
                return
            shape = c[1]
            if (shape.obj if node.is_obj else shape.arr) is None:
                if self._set(parent, c[0], shape.conv(value, True)):
                    self._mark(chain, path)
            return
        if self.closed is not None and node.shape.check is not None:
            if isinstance(node.spec, FieldsSpec):
                self.closed.append((path, self._attrs(chain, path), node.shape, value))
        if node.held:
            node.held = False
            self._reshow(chain, path, node)
        elif node.shape.state is not None and not node.hidden:  # its state is now "done"
            chain[-1].dirty.add(path[-1])
            self._mark(chain, path)

    def _attrs(self, chain: list[Node], path: Path) -> Path:
        """The attribute path (names, not JSON keys) of ``path``."""
        out: list[Any] = []
        for node, key in zip(chain, path):
            c = node.spec.child(key)  # type: ignore[union-attr]
            if c is None:
                return ()
            slot = c[0]
            out.append(slot.key if slot.__class__ is Extra else slot)
        return tuple(out)

    def _complete(self, chain: list[Node], path: Path, node: Node | None) -> None:
        """Record a completed value by its attribute path (deferred while it is hidden)."""
        out: list[Any] = []
        hidden: Node | None = None
        for n, key in zip(chain, path):
            c = n.spec.child(key)  # type: ignore[union-attr]
            if c is None:
                return
            if n.hidden:
                hidden = n
            slot = c[0]
            out.append(slot.key if slot.__class__ is Extra else slot)
        if node is not None and node.hidden:
            hidden = node
        if hidden is None:
            self.completed.append(tuple(out))
        elif hidden.deferred is None:
            hidden.deferred = [tuple(out)]
        else:
            hidden.deferred.append(tuple(out))

    def _satisfied(self, chain: list[Node], path: Path) -> None:
        """A field of ``chain[-1]`` is done: if it was a NotNull one, the object may show."""
        parent = chain[-1]
        c = parent.spec.child(path[-1])  # type: ignore[union-attr]
        waiting = parent.waiting
        if c is None or waiting is None or c[0] not in waiting:
            return
        waiting.discard(c[0])
        if not waiting:
            self._reshow(chain[:-1], path[:-1], parent)

    def _reshow(self, chain: list[Node], path: Path, node: Node) -> None:
        """``node`` (at ``path``, below ``chain``) may have changed visibility: mark its parent."""
        hidden = node.undecided or node.held or bool(node.waiting)
        if hidden == node.hidden:
            return
        node.hidden = hidden
        if chain:
            chain[-1].dirty.add(path[-1])
            self._mark(chain, path)
        elif not hidden:
            self.changed = True
        if not hidden and node.deferred:
            done, node.deferred = node.deferred, None
            for n in reversed(chain):
                if n.hidden:
                    if n.deferred is None:
                        n.deferred = done
                    else:
                        n.deferred.extend(done)
                    return
            self.completed.extend(done)

    def _root_event(self, e: Any) -> None:
        shape = self.shape
        kind = e["event"]
        if kind == "start":
            node = self.root = Node(isinstance(e["value"], dict), shape)
            self._lpath = None
            spec = shape.obj if node.is_obj else shape.arr
            if spec is not None:
                if isinstance(spec, Choice):
                    node.choice = spec
                    spec, node.undecided = spec.choose(node.raw, False, None)
                self._track(node, spec)
                self.changed = not node.hidden
        elif kind == "delta" or not isinstance(e["value"], (dict, list)):
            value = shape.conv(e["value"], kind == "done")
            if not (value is self.leaf or value == self.leaf):
                self.leaf = value
                self.changed = True
        elif self.root is not None:
            root = self.root
            root.value = e["value"]
            if root.spec is None:  # converted whole once complete
                self.leaf = shape.conv(e["value"], True)
                self.changed = self.leaf is not None
            elif root.held:
                root.held = False
                self._reshow([], (), root)

    # -- tracking and union branches -----------------------------------------------------

    def _attach(self, parent: Node, key: Any, node: Node, c: tuple[Any, Shape]) -> bool:
        """Show a new child container at ``c`` (slot, shape) of a tracked parent; ``True``
        if visible."""
        slot, shape = c
        node.slot = slot
        spec = shape.obj if node.is_obj else shape.arr
        if spec is None:  # converted whole once complete: a placeholder until then
            return self._set(parent, slot, shape.opened)
        if isinstance(spec, Choice):
            node.choice = spec
            spec, node.undecided = spec.choose(node.raw, False, None)
        self._track(node, spec)
        parent.dirty.add(key)
        return self._set(parent, slot, shape.opened) or not node.hidden

    def _tag_complete(self, node: Node) -> bool:
        tag = node.choice.tag if node.choice is not None else None
        return tag is not None and not (self._open[0] is node and self._open[1] == tag)

    def _rechoose(self, chain: list[Node], path: Path, node: Node) -> int:
        """Pick the union branch of ``node`` (``chain[-1]``, at ``path``) again after a new
        key or its tag. 0: no change; 1: only whether it is decided; 2: another branch."""
        choice: Choice = node.choice  # type: ignore[assignment]
        spec, undecided = choice.choose(node.raw, self._tag_complete(node), node.spec)
        flipped = undecided != node.undecided
        node.undecided = undecided
        if spec is node.spec:
            if flipped:
                self._reshow(chain[:-1], path, node)
            return 1 if flipped else 0
        was_hidden = node.hidden
        self._track(node, spec)  # recomputes node.hidden
        if node.hidden != was_hidden:
            node.hidden = was_hidden
            self._reshow(chain[:-1], path, node)
        return 2

    def _done_in(self, node: Node, key: Any) -> bool:
        """Whether the raw value at ``key`` of ``node`` is complete."""
        item = node.raw[key]
        if item.__class__ is Node:
            return item.value is not _OPEN
        return not (self._open[0] is node and self._open[1] == key)

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
            if isinstance(s, FieldsSpec) and s.not_null:
                n.waiting = set(s.not_null)
                for k in n.raw:
                    c = s.child(k)
                    if c is not None and c[0] in n.waiting and self._done_in(n, k):
                        n.waiting.discard(c[0])
            else:
                n.waiting = None
            n.hidden = n.undecided or n.held or bool(n.waiting)
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
                    item.shape = shape
                    item.held = shape.done and item.value is _OPEN
                    cs = shape.obj if item.is_obj else shape.arr
                    if cs is None:
                        self._untrack(item)
                        value = (
                            shape.conv(item.value, True)
                            if item.value is not _OPEN
                            else shape.opened
                        )
                    else:
                        value = shape.opened
                        item.choice = None
                        item.undecided = False
                        if isinstance(cs, Choice):
                            item.choice = cs
                            cs, item.undecided = cs.choose(item.raw, self._tag_complete(item), None)
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
            n.hidden = n.held = n.undecided = False
            n.waiting = n.deferred = None
            stack.extend(v for v in (n.raw.values() if n.is_obj else n.raw) if v.__class__ is Node)

    # -- building ------------------------------------------------------------------------

    def build(self) -> Any:
        """The partial root: dirty nodes rebuilt as new objects, the rest shared."""
        root = self.root
        self.changed = False
        if root is None or root.spec is None:
            return self.leaf
        if root.hidden:
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
                        vals[kid.slot] = (
                            kid.shown() if kid.hidden or kid.shape.state is not None else kid.built
                        )
                dirty.clear()
            n.built = n.spec.build(n.vals)  # type: ignore[union-attr]
        return root.built
