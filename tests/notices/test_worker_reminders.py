"""Against a real worker: 50 reminders, the periodic task run twice, duplicates on top: each sent once."""

import re
from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from core.models import JobRun, OutboxMessage
from core.outbox import enqueue, relay_messages
from notices.models import EmailStatus, Notice, ScheduledReminder
from notices.services import reminder_schedule
from tests.factories import UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

N = 50


def all_emailed() -> bool:
    return Notice.objects.filter(email_status=EmailStatus.SENT).count() == N


def test_each_reminder_becomes_one_notice_and_one_email(celery_worker):
    due = timezone.now() - timedelta(minutes=1)
    for n in range(N):
        user = UserFactory(email=f"member{n}@example.org")
        reminder_schedule(
            recipient=user,
            key=f"activity:{n}:start-reminder",
            due_at=due,
            kind="activity-start",
            title=f"Reminder-{n:02d}",
            email=True,
            url=f"/activities/{n}/",
        )

    # The periodic task twice: a second beat, or a retry of the first.
    runs = [enqueue("notices.send_due_reminders"), enqueue("notices.send_due_reminders")]
    celery_worker.wait_for_tasks([run.celery_task_id for run in runs])
    celery_worker.wait_for(all_emailed, 90, "50 emails")
    emailed_at = dict(Notice.objects.values_list("pk", "emailed_at"))

    # Then everything that can repeat in production, at once:
    # - a re-run that lost its minute's key and its reminders' "sent" marks;
    JobRun.objects.all().delete()
    ScheduledReminder.objects.update(sent_at=None, sent_notice=None)
    again = [enqueue("notices.send_due_reminders")]
    # - the same email message delivered again (the relay died between sending and marking sent);
    email_messages = list(OutboxMessage.objects.filter(task_name="notices.email_notice").order_by("id")[:5])
    OutboxMessage.objects.filter(pk__in=[m.pk for m in email_messages]).update(sent_at=None)
    assert relay_messages() == 5
    # - and a second enqueue of the same email by someone else.
    some_notices = list(Notice.objects.order_by("id")[:5])
    again += [enqueue("notices.email_notice", notice.pk) for notice in some_notices]
    celery_worker.wait_for_tasks([m.celery_task_id for m in again])
    celery_worker.wait_for(
        lambda: all(len(celery_worker.task_outcomes(m.celery_task_id)) >= 2 for m in email_messages),
        60,
        "the redelivered email messages",
    )

    # Every reminder is exactly one notice ...
    assert Notice.objects.count() == N
    assert not Notice.objects.values("dedupe_key").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert set(Notice.objects.values_list("dedupe_key", flat=True)) == {
        f"activity:{n}:start-reminder" for n in range(N)
    }
    assert ScheduledReminder.objects.filter(sent_notice__isnull=True).count() == 0
    # ... emailed exactly once: nothing was sent again, as the database and the mails both say.
    assert Notice.objects.filter(email_status=EmailStatus.SENT).count() == N
    assert dict(Notice.objects.values_list("pk", "emailed_at")) == emailed_at
    subjects = re.findall(r"Subject: (Reminder-\d\d)", celery_worker.log())
    assert sorted(subjects) == sorted(f"Reminder-{n:02d}" for n in range(N))
    for message in again[1:] + email_messages:
        assert "raised" not in celery_worker.task_outcomes(message.celery_task_id)
    assert "'already-sent'" in celery_worker.log()
