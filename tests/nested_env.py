"""A fresh virtual environment that borrows the packages of the environment the tests run in.

The install tests (``test_readme``'s main job, ``test_selector_install``) install this checkout
into a new venv, without the network. ``python -m venv --system-site-packages`` is no good for
that: inside a venv it exposes the *base* interpreter's packages, not the ones the test
command installed. So the new venv gets instead a ``.pth`` file naming the site-packages
folders of the running environment: the venv's own site-packages comes first on ``sys.path``
(what pip installs there wins), then everything the test command installed here (pip,
setuptools and wheel to build without isolation, lark, pydantic, rich...). They are added as
plain folders, so the running environment's own ``.pth`` files (an editable install of this
checkout, for one) are not processed in the new venv.

:func:`pip_env` is the environment to run pip there: no index, no build isolation, and none of
this machine's pip settings (an index, find-links, constraints), so pip can only use what the
running environment already has.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def running_site_dirs() -> list[str]:
    """The site-packages folders of the running environment that are on its ``sys.path``."""
    dirs = [*site.getsitepackages()]
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    seen: list[str] = []
    for d in dirs:
        if d in sys.path and os.path.isdir(d) and d not in seen:
            seen.append(d)
    return seen


def make_venv(where: Path) -> Path:
    """A new venv at ``where`` that sees the running environment's packages; its python."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120
    )
    python = where / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    own = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    borrowed = running_site_dirs()
    assert borrowed, f"no site-packages folder on the running sys.path: {sys.path}"
    (Path(own) / "_borrowed_from_the_test_environment.pth").write_text(
        "".join(d + "\n" for d in borrowed), encoding="utf-8"
    )
    return python


def bin_dir(python: Path) -> Path:
    """The venv's scripts folder (where pip puts the ``instant`` command)."""
    return python.parent


def pip_env(python: Path) -> dict[str, str]:
    """The environment to run the venv's commands in: its scripts first on PATH, pip offline.

    Every ``PIP_*`` setting of this machine is dropped and pip's config files are ignored
    (``PIP_CONFIG_FILE`` set to the null device), then: no index, no build isolation (pip's
    inverted spelling ``PIP_NO_BUILD_ISOLATION=0``), no version check.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") and k != "PYTHONPATH"}
    env.pop("VIRTUAL_ENV", None)
    env.update(
        PATH=f"{bin_dir(python)}{os.pathsep}{os.environ.get('PATH', '')}",
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INDEX="1",
        PIP_NO_BUILD_ISOLATION="0",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_CACHE_DIR="1",
    )
    return env


def copy_checkout(dest: Path) -> Path:
    """What a clone holds for installing (pyproject.toml, README.md, instant/, grammar/), so a
    build leaves nothing in the repository; returns ``dest``."""
    dest.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, dest / name)
    # (not a C extension built in place by an editable install: a build makes its own)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.so", "*.pyd")
    for name in ("instant", "grammar"):
        shutil.copytree(REPO / name, dest / name, ignore=ignore)
    return dest


def installed_here(python: Path) -> str:
    """Where the venv's python imports ``instant`` from, run outside any checkout."""
    return subprocess.run(
        [str(python), "-I", "-c", "import instant; print(instant.__file__)"],
        cwd=bin_dir(python),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
