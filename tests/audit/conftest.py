"""Fixtures of the public-record tests: a chain with distinct times, and a way to tamper with it."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection

from audit.services import audit_append

START = datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def client(client):
    # These tests read the English texts (Chinese completeness is tests/test_translations.py).
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@contextmanager
def stepping_clock(start: datetime = START, step: timedelta = timedelta(seconds=1, microseconds=7)):
    """timezone.now() advancing by `step` on each call, so every entry has its own time."""
    ticks = iter(start + step * n for n in range(1_000_000))
    with mock.patch("django.utils.timezone.now", side_effect=lambda: next(ticks)):
        yield


@pytest.fixture
def make_chain():
    def make(count: int, *, area=None, kind: str = "contract.signed") -> list:
        with stepping_clock():
            return [
                audit_append(
                    kind=kind,
                    subject=f"contracts.Contract:{n}",
                    payload={"n": n, "title": f"越都社区共建契约 {n}", "items": [n, "结对共建"]},
                    area=area,
                )
                for n in range(1, count + 1)
            ]

    return make


@pytest.fixture
def tamper():
    """A cursor with which a test changes audit_entry the way an intruder with database access could.

    On PostgreSQL the append-only trigger is switched off meanwhile; the test's transaction
    rolls the switch back anyway.
    """

    @contextmanager
    def open_cursor():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # ALTER TABLE refuses to run while deferred foreign-key checks are pending.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only")
            yield cursor
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    return open_cursor
