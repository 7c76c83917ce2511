"""Expiry: points earned in year Y expire at the end of Y + POINTS_EXPIRY_YEARS, oldest first (FIFO).

The worked example of the issue: earn 100 in 2024, spend 30 in 2025, earn 50 in 2025 → 70 expire
at the end of 2025 (the 30 spent came out of the 2024 points); the 50 expire at the end of 2026.
"""

from __future__ import annotations

import importlib
from datetime import date

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import PeriodicTask

from core.exceptions import ValidationFailed
from core.models import JobRun
from notices.models import Notice
from points.earning import points_award_for_event, points_expire, points_manual_adjust
from points.models import Account, AccountKind, AdjustmentDirection, EventType, Transfer, TransferKind
from points.selectors import expiring_points, wallets_expiring
from points.services import expiry_sink, points_transfer
from points.tasks import points_expire_task, points_expiry_notify_task
from tests.points.earning_support import at, funded, local, make_rule, request_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def d(district):
    return funded(district)


schedules = importlib.import_module("points.migrations.0006_expiry_schedules")
_cause = iter(range(1, 1_000_000))


def earn(d, points, user=None):
    return points_award_for_event(
        event_type=EventType.MEETING_ATTENDED,
        user=user or d.member_user,
        community=d.community1,
        cause_key=f"test:{next(_cause)}",
        quantity=points,
    )


def spend(d, points, user=None):
    return points_manual_adjust(
        actor=d.secretary1,
        user=user or d.member_user,
        amount=points,
        direction=AdjustmentDirection.DEDUCTION,
        reason="兑换民生集市商品",
        request_key=request_id(),
    )


def balance(account) -> int:
    return Account.objects.get(pk=account.pk).balance


@pytest.fixture
def worked(d):
    """The issue's example for the member: +100 in 2024, −30 and +50 in 2025."""
    make_rule(district=d.district, points=1)
    with at(local(2024, 6, 1, 10)):
        earn(d, 100)
    with at(local(2025, 3, 1, 10)):
        spend(d, 30)
    with at(local(2025, 5, 1, 10)):
        earn(d, 50)
    return d


def test_what_expires_when_for_the_holder(worked):
    assert expiring_points(account=worked.member_wallet, now=local(2025, 6, 1)) == [
        (date(2025, 12, 31), 70),
        (date(2026, 12, 31), 50),
    ]
    assert expiring_points(account=worked.resident_wallet, now=local(2025, 6, 1)) == []
    # Only wallets expire.
    issuing = Account.objects.get(kind=AccountKind.COMMUNITY, area=worked.community1, parent__isnull=True)
    assert expiring_points(account=issuing, now=local(2025, 6, 1)) == []


def test_the_yearly_job_moves_70_once(worked):
    wallet = worked.member_wallet
    sink = expiry_sink(area=worked.community1)

    with at(local(2026, 1, 1, 0, 30)):
        first = points_expire_task()
        second = points_expire_task()
        again = points_expire(year=2025)  # even around the (job, year) record, the keys hold

    assert first == {"wallets": 1, "points": 70}
    assert second is None and again == {"wallets": 0, "points": 0}
    expiry = Transfer.objects.get(kind=TransferKind.EXPIRY)
    assert (expiry.key, expiry.source_id, expiry.destination_id, expiry.amount) == (
        f"expiry:{wallet.pk}:2025",
        wallet.pk,
        sink.pk,
        70,
    )
    assert balance(wallet) == 50 and balance(sink) == 70
    assert JobRun.objects.filter(job="points.expire", period="2025").count() == 1


def test_the_next_year_counts_the_earlier_expiry_as_spent(worked):
    with at(local(2026, 1, 1, 0, 30)):
        points_expire_task()
    assert expiring_points(account=worked.member_wallet, now=local(2026, 6, 1)) == [(date(2026, 12, 31), 50)]

    with at(local(2027, 1, 1, 0, 30)):
        assert points_expire_task() == {"wallets": 1, "points": 50}

    assert balance(worked.member_wallet) == 0
    assert balance(expiry_sink(area=worked.community1)) == 120


def test_a_missed_year_is_caught_up_by_the_next(worked):
    """If the job did not run for 2025, the run for 2026 expires everything earned before 2026."""
    with at(local(2027, 1, 1, 0, 30)):
        assert points_expire(year=2026) == {"wallets": 1, "points": 120}


def test_spending_after_the_year_end_but_before_the_job_never_goes_below_zero(worked):
    with at(local(2026, 1, 1, 0, 10)):
        spend(worked, 110)  # out of the 120 held; 70 of them should already have expired

    with at(local(2026, 1, 1, 0, 30)):
        assert points_expire_task() == {"wallets": 1, "points": 10}
    assert balance(worked.member_wallet) == 0


def test_nothing_expires_before_the_year_is_over(worked):
    with at(local(2025, 12, 31, 23, 59)), pytest.raises(ValidationFailed):
        points_expire(year=2025)
    assert not Transfer.objects.filter(kind=TransferKind.EXPIRY).exists()


def test_a_longer_validity_follows_the_setting(worked, settings):
    settings.POINTS_EXPIRY_YEARS = 2

    assert expiring_points(account=worked.member_wallet, now=local(2025, 6, 1)) == [
        (date(2026, 12, 31), 70),
        (date(2027, 12, 31), 50),
    ]
    with at(local(2026, 1, 1, 0, 30)):
        assert points_expire_task() == {"wallets": 0, "points": 0}
    with at(local(2027, 1, 1, 0, 30)):
        assert points_expire_task() == {"wallets": 1, "points": 70}


def test_zero_years_means_points_never_expire(worked, settings):
    settings.POINTS_EXPIRY_YEARS = 0

    assert expiring_points(account=worked.member_wallet, now=local(2025, 6, 1)) == []
    with at(local(2026, 1, 1, 0, 30)):
        assert points_expire_task() is None
    assert not Transfer.objects.filter(kind=TransferKind.EXPIRY).exists()
    assert not JobRun.objects.filter(job="points.expire").exists()


def test_money_received_from_others_counts_as_a_credit_of_its_day(worked):
    """A refund (any transfer into the wallet) is a credit of the day it arrives, like an earning."""
    with at(local(2025, 8, 1)):
        points_transfer(
            source=Account.objects.get(
                kind=AccountKind.COMMUNITY, area=worked.community1, parent__isnull=True
            ),
            destination=worked.member_wallet,
            amount=5,
            key="refund:1",
            kind=TransferKind.MANUAL_AWARD,
        )
    assert expiring_points(account=worked.member_wallet, now=local(2025, 9, 1)) == [
        (date(2025, 12, 31), 70),
        (date(2026, 12, 31), 55),
    ]


def test_the_amounts_come_from_one_query_however_many_transfers(d):
    make_rule(district=d.district, points=1)
    with at(local(2024, 6, 1, 10)):
        earn(d, 10)
        earn(d, 10, user=d.resident_user)
    with CaptureQueriesContext(connection) as few:
        assert len(list(wallets_expiring(year=2025))) == 2

    with at(local(2024, 7, 1, 10)):
        for _ in range(10):
            earn(d, 1)
            earn(d, 1, user=d.resident_user)
    with CaptureQueriesContext(connection) as many:
        rows = {w.pk: w.expiring for w in wallets_expiring(year=2025)}

    assert len(few) == len(many) == 1
    assert rows == {d.member_wallet.pk: 20, d.resident_wallet.pk: 20}


# --- The notice a month before --------------------------------------------------------------------


def test_holders_are_told_once_on_the_first_of_december(worked):
    with at(local(2025, 11, 30, 9)):
        assert points_expiry_notify_task() is None
    assert not Notice.objects.filter(kind="points-expiry").exists()

    with at(local(2025, 12, 1, 9)):
        assert points_expiry_notify_task() == {"notices": 1}
        assert points_expiry_notify_task() is None

    notice = Notice.objects.get(kind="points-expiry")
    assert notice.recipient == worked.member_user
    assert notice.dedupe_key == f"expiry-notice:{worked.member_wallet.pk}:2025"
    assert "70" in notice.title


def test_a_holder_who_spent_enough_is_not_told(worked):
    with at(local(2025, 11, 1)):
        spend(worked, 70)
    with at(local(2025, 12, 1, 9)):
        assert points_expiry_notify_task() == {"notices": 0}


# --- The schedules ---------------------------------------------------------------------------------


def test_the_beat_schedules_exist_in_local_time():
    notice = PeriodicTask.objects.get(name="points.expiry_notice")
    expire = PeriodicTask.objects.get(name="points.expire_points")

    assert (notice.task, notice.crontab.month_of_year, notice.crontab.day_of_month, notice.crontab.hour) == (
        "points.expiry_notice",
        "12",
        "1",
        "9",
    )
    assert (expire.task, expire.crontab.month_of_year, expire.crontab.day_of_month, expire.crontab.hour) == (
        "points.expire_points",
        "1",
        "1",
        "0",
    )
    assert str(expire.crontab.timezone) == "Asia/Shanghai"


def test_running_the_schedule_migration_again_keeps_admin_edits():
    expire = PeriodicTask.objects.get(name="points.expire_points")
    expire.enabled = False
    expire.save()
    count = PeriodicTask.objects.count()

    schedules.create_schedules(django_apps, None)

    expire.refresh_from_db()
    assert not expire.enabled and PeriodicTask.objects.count() == count


def test_the_scheduled_tasks_are_registered():
    from config.celery import app

    app.loader.import_default_modules()
    for spec in schedules.SCHEDULES:
        assert spec["task"] in app.tasks
