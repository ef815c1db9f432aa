"""Shared test configuration: hypothesis profiles and the JSONTestSuite location.

Hypothesis profiles (pick one with an environment variable):

* ``ci``       -- chosen when ``CI`` is set to any non-empty value: deterministic
                  (``derandomize=True``), ~75 examples per property, no deadline.
* ``thorough`` -- chosen when ``INSTANT_HYPOTHESIS=thorough`` (wins over ``CI``):
                  2000 examples per property, for a long local soak.
* ``dev``      -- otherwise: 100 random examples per property.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# The repository root is the directory holding pyproject.toml.
REPO_ROOT = Path(__file__).resolve().parent.parent

# JSONTestSuite's parsing corpus, read in place (never copied into the repo).
JSONTESTSUITE = (REPO_ROOT / "../shared/conformance/JSONTestSuite/test_parsing").resolve()

settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    max_examples=75,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev",
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=2000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _profile_name() -> str:
    if os.environ.get("INSTANT_HYPOTHESIS") == "thorough":
        return "thorough"
    if os.environ.get("CI"):
        return "ci"
    return "dev"


settings.load_profile(_profile_name())


def jsontestsuite_files() -> list[Path]:
    """The ``y_``/``n_``/``i_`` files of JSONTestSuite, sorted; empty if the corpus is absent."""
    if not JSONTESTSUITE.is_dir():
        return []
    return sorted(
        p
        for p in JSONTESTSUITE.iterdir()
        if p.suffix == ".json" and p.name[:2] in ("y_", "n_", "i_")
    )


@pytest.fixture(scope="session")
def jsontestsuite() -> Path:
    """The JSONTestSuite ``test_parsing`` directory (see :data:`JSONTESTSUITE`)."""
    return JSONTESTSUITE


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize any test taking ``jsontestsuite_file`` with one case per corpus file.

    When the corpus is missing a single ``None`` case is generated; the test then fails
    loudly under ``CI=true`` and skips otherwise.
    """
    if "jsontestsuite_file" in metafunc.fixturenames:
        files = jsontestsuite_files()
        if files:
            metafunc.parametrize("jsontestsuite_file", files, ids=[p.name for p in files])
        else:
            metafunc.parametrize("jsontestsuite_file", [None], ids=["JSONTestSuite-missing"])


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"hypothesis profile: {_profile_name()}",
        f"JSONTestSuite: {JSONTESTSUITE} ({'present' if JSONTESTSUITE.is_dir() else 'MISSING'})",
    ]
