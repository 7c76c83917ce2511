"""Shared pieces of the earning-side tests: a funded district, rules, a clock to stand at."""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from datetime import date, datetime
from unittest import mock
from zoneinfo import ZoneInfo

from points.earning import earning_rule_save, points_allocate
from points.models import EventType
from points.services import wallet_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
_request = itertools.count(1)


def local(*args) -> datetime:
    """An aware datetime in Asia/Shanghai: local(2026, 3, 1, 23, 59)."""
    return datetime(*args, tzinfo=SHANGHAI)


@contextmanager
def at(when: datetime):
    """Stand at `when`: timezone.now() (and so auto_now_add and localdate()) answer it."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


def fund(community, amount: int = 100_000):
    """The district allocates `amount` points to `community` (as the system)."""
    return points_allocate(
        actor=None,
        community=community,
        amount=amount,
        reason="年度积分划拨",
        request_key=f"fund-{next(_request)}",
    )


def make_rule(community=None, *, district=None, event_type=EventType.MEETING_ATTENDED, **fields):
    fields.setdefault("points", 10)
    fields.setdefault("valid_from", date(2020, 1, 1))
    return earning_rule_save(
        actor=None, event_type=event_type, community=community, district=district, **fields
    )


def request_id() -> str:
    return f"req-{next(_request)}"


def funded(district):
    """The test district with its communities funded and a wallet for the member and the resident.

    Each test module wraps it in its own fixture `d` (a fixture imported by name would shadow).
    """
    fund(district.community1)
    fund(district.community2)
    fund(district.community3)
    district.member_wallet = wallet_for(user=district.member_user)
    district.resident_wallet = wallet_for(user=district.resident_user)
    return district
