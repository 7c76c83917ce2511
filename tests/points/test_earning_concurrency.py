"""Caps, retries and monthly limits hold when requests arrive at the same moment.

Each case starts several connections behind a barrier. PostgreSQL serialises them on the row locks
of the accounts involved (taken in id order), SQLite with its IMMEDIATE transactions; the test
runs on whichever database the suite uses (PostgreSQL in CI).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from audit.models import Entry
from core.exceptions import Conflict
from points.earning import points_allocate, points_award_for_event, points_manual_adjust
from points.models import Account, AdjustmentDirection, Earning, EventType, ManualAdjustment, Transfer
from points.services import community_account
from tests.points.earning_support import funded, make_rule

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def d(district):
    return funded(district)


def at_once(workers: int, work: Callable[[int], object]) -> tuple[list[object], list[BaseException]]:
    start = threading.Barrier(workers)
    results: list[object] = []
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait()
            results.append(work(n))
        except BaseException as exc:  # collected: a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_simultaneous_events_never_pay_beyond_the_daily_cap(d):
    make_rule(district=d.district, points=10, daily_cap=30)

    results, errors = at_once(
        8,
        lambda n: points_award_for_event(
            event_type=EventType.MEETING_ATTENDED,
            user=d.member_user,
            community=d.community1,
            cause_key=f"meeting:{n}:member1",
        ),
    )

    assert errors == []
    assert sorted(t.amount for t in results if t is not None) == [10, 10, 10]
    assert Account.objects.get(pk=d.member_wallet.pk).balance == 30
    assert Earning.objects.count() == 3


def test_simultaneous_retries_of_one_event_pay_once(d):
    make_rule(district=d.district, points=10)

    results, errors = at_once(
        6,
        lambda n: points_award_for_event(
            event_type=EventType.MEETING_ATTENDED,
            user=d.member_user,
            community=d.community1,
            cause_key="meeting:1",
        ),
    )

    assert errors == []
    assert len({t.pk for t in results}) == 1
    assert Transfer.objects.filter(key="earn:meeting:1").count() == 1
    assert Account.objects.get(pk=d.member_wallet.pk).balance == 10


def test_simultaneous_manual_awards_never_pass_the_monthly_limit(d, settings):
    settings.POINTS_MANUAL_MONTHLY_LIMIT = 100

    results, errors = at_once(
        6,
        lambda n: points_manual_adjust(
            actor=d.secretary1,
            user=d.member_user if n % 2 else d.resident_user,
            amount=30,
            direction=AdjustmentDirection.AWARD,
            reason="社区志愿服务表彰",
            request_key=f"form-{n}",
        ),
    )

    assert len(results) == 3
    assert len(errors) == 3 and all(isinstance(e, Conflict) for e in errors), errors
    assert sum(ManualAdjustment.objects.values_list("amount", flat=True)) == 90


def test_a_double_submitted_manual_award_is_made_and_published_once(d):
    results, errors = at_once(
        4,
        lambda n: points_manual_adjust(
            actor=d.secretary1,
            user=d.member_user,
            amount=30,
            direction=AdjustmentDirection.AWARD,
            reason="社区志愿服务表彰",
            request_key="form-same",
        ),
    )

    assert errors == []
    assert len({a.pk for a in results}) == 1
    assert Entry.objects.filter(kind="points.manual_award").count() == 1
    assert Account.objects.get(pk=d.member_wallet.pk).balance == 30


def test_a_double_submitted_allocation_is_made_and_published_once(district):
    results, errors = at_once(
        4,
        lambda n: points_allocate(
            actor=district.district_admin,
            community=district.community2,
            amount=500,
            reason="二季度积分划拨",
            request_key="allocate-same",
        ),
    )

    assert errors == []
    assert len({t.pk for t in results}) == 1
    assert Entry.objects.filter(kind="points.allocation").count() == 1
    assert Account.objects.get(pk=community_account(community=district.community2).pk).balance == 500
