"""Test-suite wiring.

In CI (CI=true) the suite must run on PostgreSQL with Redis and Chromium: a missing service is a
failure, never a skip, and any skipped test fails the run.
"""

from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings

from tests import nplusone

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_sessionstart(session):
    if not IN_CI:
        return
    problems = []
    if not settings.IS_POSTGRES:
        problems.append("DATABASE_URL does not point at PostgreSQL")
    if not settings.REDIS_URL:
        problems.append("REDIS_URL is not set")
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        problems.append(f"Chromium not found at {CHROMIUM}")
    if problems:
        pytest.exit("CI needs the real services: " + "; ".join(problems), returncode=3)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "require_postgres" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    engine = "PostgreSQL" if settings.IS_POSTGRES else "SQLite"
    broker = settings.CELERY_BROKER_URL
    if settings.REDIS_URL:
        broker = f"Redis ({settings.REDIS_URL.rsplit('@', 1)[-1]})"
    chromium = CHROMIUM if os.path.exists(CHROMIUM) else "not installed"
    return [
        f"platform database: {engine} ({db['NAME']}; tests use its test_ copy)",
        f"celery broker: {broker}",
        f"browser: {chromium}",
    ]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    # Say what really ran against the real services, so a reader of the CI log can check it.
    passed = terminalreporter.stats.get("passed", [])
    for marker in ("worker", "browser", "postgres"):
        names = [r.nodeid for r in passed if marker in r.keywords]
        terminalreporter.write_line(f"{marker} tests passed: {len(names)}")
        for name in names:
            terminalreporter.write_line(f"  {name}")
    skipped = terminalreporter.stats.get("skipped", [])
    if IN_CI and skipped:
        terminalreporter.write_line(
            f"CI: {len(skipped)} test(s) were skipped; skips are failures in CI.", red=True
        )
        config._ci_skipped = True


def pytest_sessionfinish(session, exitstatus):
    if getattr(session.config, "_ci_skipped", False) and session.exitstatus == 0:
        session.exitstatus = 1


def need(condition: bool, reason: str) -> None:
    """Skip locally when a service is missing; in CI, fail instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def require_postgres():
    need(settings.IS_POSTGRES, "needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def require_redis():
    need(bool(settings.REDIS_URL), "needs Redis (set REDIS_URL)")


@pytest.fixture
def district(db):
    """A small district: two streets, three communities, compounds, grids, units and one user per role."""
    from tests.factories import build_district

    return build_district()


@pytest.fixture(autouse=True)
def _no_n_plus_one(request):
    """Every request in a test is checked for N+1 queries (tests/nplusone.py, django-zeal).

    A test that must render a page with a query per row says why with
    `@pytest.mark.allow_n_plus_one("reason")`.
    """
    marker = request.node.get_closest_marker("allow_n_plus_one")
    if marker is None:
        yield
        return
    if not marker.args or not str(marker.args[0]).strip():
        pytest.fail("@pytest.mark.allow_n_plus_one needs a reason")
    token = nplusone.checking.set(False)
    try:
        yield
    finally:
        nplusone.checking.reset(token)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Production hashing costs ~0.3 s a password; tests create dozens of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttle counters and cached figures live in the cache, which outlives a single test.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
