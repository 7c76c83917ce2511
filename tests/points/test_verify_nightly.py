"""The nightly ledger check: once a day from beat, and a notice to every district administrator on a breach."""

import importlib

import pytest
from django.apps import apps as django_apps
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from community.models import Role
from core.jobs import period_key
from core.models import JobRun
from notices.models import Notice
from points.models import Account
from points.tasks import verify_ledger_nightly_task
from tests.factories import make_user
from tests.points.ledger_world import funded_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger_world(district):
    return funded_world(district)


schedule_migration = importlib.import_module("points.migrations.0004_verify_ledger_schedule")


def test_a_whole_ledger_is_recorded_and_nobody_is_disturbed(ledger_world):
    result = verify_ledger_nightly_task()

    assert result["ok"] is True and result["breach_count"] == 0
    assert (result["accounts"], result["transfers"], result["total"]) == (8, 5, 0)
    run = JobRun.objects.get(job="points.verify_ledger_nightly", period=period_key("day"))
    assert run.finished_at is not None and run.result == result
    assert not Notice.objects.filter(kind="ledger-breach").exists()


def test_a_breach_notifies_every_district_administrator_once(ledger_world):
    w = ledger_world
    second_admin = make_user("district_admin2", Role.DISTRICT_ADMIN, area=w.district.district)
    retired_admin = make_user("district_admin3", Role.DISTRICT_ADMIN, area=w.district.district)
    retired_admin.is_active = False
    retired_admin.save(update_fields=["is_active"])
    Account.objects.filter(pk=w.wallet2.pk).update(balance=150)
    day = period_key("day")

    result = verify_ledger_nightly_task()

    assert result["ok"] is False and result["breach_count"] == 2 and result["notified"] == 2
    notices = Notice.objects.filter(kind="ledger-breach").order_by("recipient_id")
    assert [n.recipient for n in notices] == [w.district.district_admin, second_admin]
    assert [n.dedupe_key for n in notices] == [
        f"ledger-breach:{day}:{w.district.district_admin.pk}",
        f"ledger-breach:{day}:{second_admin.pk}",
    ]
    notice = notices[0]
    assert day in notice.title
    assert f"BREACH balance_mismatch: account {w.wallet2.pk} (wallet) stores balance 150" in notice.body
    assert "BREACH total_not_zero" in notice.body
    # Nobody else hears of it.
    assert not Notice.objects.filter(recipient__in=[w.district.secretary1, retired_admin]).exists()

    # A second beat, or a retry, the same day does nothing.
    assert verify_ledger_nightly_task() is None
    assert Notice.objects.filter(kind="ledger-breach").count() == 2


def test_a_long_list_of_breaches_is_cut_short_in_the_notice(ledger_world, monkeypatch):
    from points import ledger

    w = ledger_world
    monkeypatch.setattr(ledger, "NOTICE_BREACH_LINES", 3)
    Account.objects.exclude(pk=w.fund.pk).update(balance=999)

    result = verify_ledger_nightly_task()

    body = Notice.objects.filter(kind="ledger-breach").first().body
    assert result["breach_count"] == 8  # seven accounts and the total
    assert len(result["breaches"]) == 3
    assert body.count("BREACH ") == 3 and body.endswith("… 5 more")
    assert "manage.py verify_ledger" in body


def test_the_check_runs_every_night_at_half_past_two_shanghai_time(db):
    task = PeriodicTask.objects.get(name="points.verify_ledger_nightly")

    assert task.task == "points.verify_ledger_nightly" and task.enabled
    crontab = task.crontab
    assert (
        crontab.minute,
        crontab.hour,
        crontab.day_of_week,
        crontab.day_of_month,
        crontab.month_of_year,
    ) == (
        "30",
        "2",
        "*",
        "*",
        "*",
    )
    assert str(crontab.timezone) == "Asia/Shanghai"


def test_the_scheduled_task_exists():
    from config.celery import app

    app.loader.import_default_modules()
    assert "points.verify_ledger_nightly" in app.tasks


def test_running_the_migration_again_keeps_an_administrators_change(db):
    task = PeriodicTask.objects.get(name="points.verify_ledger_nightly")
    at_four, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="4", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    task.crontab = at_four
    task.save()
    count = PeriodicTask.objects.count()

    schedule_migration.create_schedule(django_apps, None)

    task.refresh_from_db()
    assert task.crontab == at_four and PeriodicTask.objects.count() == count


def test_the_schedule_migration_is_reversible(db):
    schedule_migration.drop_schedule(django_apps, None)
    assert not PeriodicTask.objects.filter(name="points.verify_ledger_nightly").exists()
    schedule_migration.create_schedule(django_apps, None)
    assert PeriodicTask.objects.filter(name="points.verify_ledger_nightly").exists()
