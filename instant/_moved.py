"""Module paths of the first layout, kept for one release: importing one warns and gives the
module that now holds its contents.

=======================  ===================================  =========================
old path                 new home                             what it holds
=======================  ===================================  =========================
``instant.parser``       ``instant._core.parser``             ``Parser`` (``instant.Parser``)
``instant.machine``      ``instant._core.machine``            the general state machine
``instant.fastloop``     ``instant._core.fastloop``           the hot loop
``instant.bulk``         ``instant._core.bulk``               the bulk path
``instant.scanner``      ``instant._core.scanner``            character recognisers
``instant.chunks``       ``instant.streams.chunks``           SDK chunk shapes
``instant.generators``   ``instant.streams.generators``       Agently-style generators
``instant.api``          ``instant.streams.simple``           ``parse``, ``iter_events``
``instant.demo``         ``instant.cli.demo``                 ``instant demo``
=======================  ===================================  =========================

Public names never moved: ``instant.Parser``, ``instant.parse``, ``instant.stream``, ... are
where they were. One finder on ``sys.meta_path`` answers for the old paths (instead of nine
files that would hide the layout).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import warnings
from collections.abc import Sequence

MOVED = {
    "instant.parser": "instant._core.parser",
    "instant.machine": "instant._core.machine",
    "instant.fastloop": "instant._core.fastloop",
    "instant.bulk": "instant._core.bulk",
    "instant.scanner": "instant._core.scanner",
    "instant.chunks": "instant.streams.chunks",
    "instant.generators": "instant.streams.generators",
    "instant.api": "instant.streams.simple",
    "instant.demo": "instant.cli.demo",
}


class _OldPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old module path and loads it as the module that replaced it, warning once."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        new = MOVED[spec.name]
        warnings.warn(
            f"{spec.name} is now {new}; the old path will be removed in the next release "
            "(the public names are on the instant package itself)",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(new)

    def exec_module(self, module: types.ModuleType) -> None:
        pass  # the module is already loaded


def install() -> None:
    if not any(isinstance(f, _OldPaths) for f in sys.meta_path):
        sys.meta_path.append(_OldPaths())
