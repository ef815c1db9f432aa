"""``python -m instant``: the ``instant`` command (:func:`instant.cli.main`).

With no arguments it runs ``instant demo``: a bundled model reply replayed token by token.
"""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
