"""The ``instant`` command-line application: ``instant parse`` and ``instant demo``."""

from .main import main

__all__ = ["main"]
