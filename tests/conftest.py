"""Shared test configuration: hypothesis profiles, the JSONTestSuite corpus, no skips in CI.

Hypothesis profiles (pick one with an environment variable):

* ``ci``       -- chosen when ``CI`` is set to any non-empty value: deterministic
                  (``derandomize=True``), ~75 examples per property, no deadline.
* ``thorough`` -- chosen when ``INSTANT_HYPOTHESIS=thorough`` (wins over ``CI``):
                  2000 examples per property, for a long local soak.
* ``dev``      -- otherwise: 100 random examples per property.

Under ``CI`` (any value but empty, ``0`` or ``false``) a test that skips fails the run, and so
does a test module whose collection skips: a skip in CI would hide a test that never ran.

Engines: ``tests/run.py`` runs the suite twice, with the C engine and with
``INSTANT_PURE_PYTHON=1``. In the second run the tests marked ``c_engine`` (they compare the two
engines, or build and check the C one) are *deselected* -- pytest's summary counts them -- since
there is no C engine to test; everywhere else they run, and fail if the C engine is missing.
``INSTANT_SANITIZER=0`` deselects the test marked ``sanitizer`` (the C engine built with
AddressSanitizer, about 90 s): ``.ci/run`` runs it on one Python only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# The repository root is the directory holding pyproject.toml.
REPO_ROOT = Path(__file__).resolve().parent.parent

# JSONTestSuite's parsing corpus, carried in the repository (licence and source beside it).
JSONTESTSUITE = REPO_ROOT / "tests" / "data" / "JSONTestSuite" / "test_parsing"

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


def in_ci() -> bool:
    """Whether this run is CI's (``CI`` set to anything but empty, ``0`` or ``false``)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def _profile_name() -> str:
    if os.environ.get("INSTANT_HYPOTHESIS") == "thorough":
        return "thorough"
    if in_ci():
        return "ci"
    return "dev"


settings.load_profile(_profile_name())


def jsontestsuite_files() -> list[Path]:
    """The ``y_``/``n_``/``i_`` files of JSONTestSuite, sorted; empty if the corpus is missing."""
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

    When the corpus is missing a single ``None`` case is generated, and the test fails.
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
        f"engine: {_engine()}",
        "AddressSanitizer build: "
        + ("deselected (INSTANT_SANITIZER=0)" if sanitizer_off() else "runs with the C engine"),
    ]


def _engine() -> str:
    import instant

    if instant.ENGINE == "c":
        return "c (the C extension)"
    if pure_python_run():
        return "python (INSTANT_PURE_PYTHON is set: tests marked c_engine are deselected)"
    return "python (the C extension is not built: tests marked c_engine will fail)"


# -- a test that skips in CI fails CI -----------------------------------------------------


def _skip_reason(longrepr: object) -> str:
    """The message of a skip report (pytest keeps it as (file, line, reason))."""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    report = outcome.get_result()
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = (
            f"skipped under CI ({_skip_reason(report.longrepr)}): in CI every test must run"
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Any:
    outcome = yield
    report = outcome.get_result()
    if in_ci() and report.skipped:
        report.outcome = "failed"
        report.longrepr = (
            f"{collector.nodeid} skipped under CI ({_skip_reason(report.longrepr)}): "
            "in CI every test must run"
        )


# -- the engines ------------------------------------------------------------------------------


def pure_python_run() -> bool:
    """Whether this run tests the pure-Python engine (``INSTANT_PURE_PYTHON`` is set)."""
    return os.environ.get("INSTANT_PURE_PYTHON", "") not in ("", "0")


def sanitizer_off() -> bool:
    """Whether ``INSTANT_SANITIZER=0`` asks to leave out the AddressSanitizer build (about 90 s):
    ``.ci/run`` runs it on one Python, as the issue asks, and sets this for the others."""
    return os.environ.get("INSTANT_SANITIZER", "") == "0"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    out = set()
    if pure_python_run():
        out.add("c_engine")
    if sanitizer_off():
        out.add("sanitizer")
    if not out:
        return
    deselected = [i for i in items if any(i.get_closest_marker(m) for m in out)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [i for i in items if not any(i.get_closest_marker(m) for m in out)]
