"""Reminders: scheduled ones and providers' due ones each become one notice, however often the job runs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import JobRun, OutboxMessage
from notices import reminders
from notices.models import Notice, ScheduledReminder
from notices.services import reminder_cancel, reminder_schedule, reminders_send_due
from notices.tasks import reminders_send_due_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    """Register providers for one test only."""
    registered = []

    def register(func):
        reminders.register(func)
        registered.append(func)
        return func

    yield register
    for func in registered:
        reminders.unregister(func)


def schedule(recipient, key, due_at, **fields):
    fields.setdefault("kind", "activity-start")
    fields.setdefault("title", f"Reminder {key}")
    return reminder_schedule(recipient=recipient, key=key, due_at=due_at, **fields)


def test_a_due_reminder_is_sent_once_and_a_future_one_waits(alice):
    now = timezone.now()
    due = schedule(alice, "activity:1:start", now - timedelta(minutes=1), url="/activities/1/", email=True)
    future = schedule(alice, "activity:2:start", now + timedelta(hours=1))

    assert reminders_send_due(now=now) == 1
    assert reminders_send_due(now=now) == 0

    due.refresh_from_db()
    notice = Notice.objects.get()
    assert due.sent_at is not None and due.sent_notice == notice
    assert (notice.dedupe_key, notice.url, notice.kind) == (
        "activity:1:start",
        "/activities/1/",
        "activity-start",
    )
    assert OutboxMessage.objects.filter(task_name="notices.email_notice", args=[notice.pk]).count() == 1
    future.refresh_from_db()
    assert future.sent_at is None

    assert reminders_send_due(now=now + timedelta(hours=2)) == 1
    assert Notice.objects.count() == 2


def test_a_lost_sent_mark_still_does_not_send_twice(alice):
    now = timezone.now()
    reminder = schedule(alice, "k", now)
    reminders_send_due(now=now)
    ScheduledReminder.objects.filter(pk=reminder.pk).update(sent_at=None, sent_notice=None)

    assert reminders_send_due(now=now) == 0
    assert Notice.objects.count() == 1
    reminder.refresh_from_db()
    assert reminder.sent_notice is not None


def test_scheduling_again_is_idempotent_and_moves_an_unsent_reminder(alice):
    now = timezone.now()
    first = schedule(alice, "contract:3:deadline", now + timedelta(days=2))
    same = schedule(alice, "contract:3:deadline", now + timedelta(days=2))
    moved = schedule(alice, "contract:3:deadline", now + timedelta(days=5), title="New deadline")

    assert first.pk == same.pk == moved.pk
    assert ScheduledReminder.objects.count() == 1
    stored = ScheduledReminder.objects.get()
    assert stored.due_at == now + timedelta(days=5) and stored.title == "New deadline"


def test_a_sent_reminder_is_not_changed_by_scheduling_again(alice):
    now = timezone.now()
    schedule(alice, "k", now)
    reminders_send_due(now=now)

    schedule(alice, "k", now + timedelta(days=1), title="too late")

    stored = ScheduledReminder.objects.get()
    assert stored.title == "Reminder k" and stored.due_at == now
    assert reminders_send_due(now=now + timedelta(days=2)) == 0


def test_an_unsent_reminder_can_be_cancelled(alice):
    now = timezone.now()
    schedule(alice, "k", now + timedelta(hours=1))

    assert reminder_cancel(key="k") is True
    assert reminder_cancel(key="k") is False
    assert reminders_send_due(now=now + timedelta(hours=2)) == 0


def test_providers_are_asked_and_each_due_reminder_sent_once(alice, bob, provider):
    @provider
    def sign_reminders(now):
        day = timezone.localtime(now).date()
        for user in (alice, bob):
            yield reminders.DueReminder(
                recipient_id=user.pk,
                key=f"contract:12:sign-reminder:{user.pk}:{day}",
                kind="contract-sign",
                title="Contract awaiting your signature",
                url="/contracts/12/",
                email=True,
            )
        # Saying the same thing twice, and naming a user who is gone, are both harmless.
        yield reminders.DueReminder(
            alice.pk, f"contract:12:sign-reminder:{alice.pk}:{day}", "contract-sign", "dup"
        )
        yield reminders.DueReminder(999_999, "contract:12:sign-reminder:gone", "contract-sign", "gone")

    now = timezone.now()
    assert reminders_send_due(now=now) == 2
    assert reminders_send_due(now=now + timedelta(minutes=1)) == 0
    assert sorted(Notice.objects.values_list("recipient_id", flat=True)) == sorted([alice.pk, bob.pk])
    assert OutboxMessage.objects.filter(task_name="notices.email_notice").count() == 2
    # The key carries the day: the next day's reminder is a new one.
    assert reminders_send_due(now=now + timedelta(days=1)) == 2


def test_a_failing_provider_does_not_stop_the_others(alice, provider):
    @provider
    def broken(now):
        Notice.objects.raw("SELECT * FROM no_such_table")[0]  # a database error mid-transaction
        yield from ()

    @provider
    def working(now):
        yield reminders.DueReminder(alice.pk, "working:1", "test", "Still sent")

    assert reminders_send_due() == 1
    assert Notice.objects.get().title == "Still sent"


def test_registering_twice_registers_once(provider):
    def once(now):
        return []

    reminders.register(once)
    reminders.register(once)
    try:
        assert reminders.providers().count(once) == 1
    finally:
        reminders.unregister(once)


def test_the_periodic_task_does_a_minute_once(alice):
    schedule(alice, "k", timezone.now() - timedelta(seconds=1))

    first = reminders_send_due_task.run()
    second = reminders_send_due_task.run()

    assert first == {"sent": 1}
    assert second is None
    assert JobRun.objects.filter(job="notices.send_due_reminders").count() == 1
    assert Notice.objects.count() == 1
