"""Against a real worker: work committed while the broker is down runs once the broker is back."""

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from core.models import OutboxMessage
from core.outbox import relay_messages
from notices.models import EmailStatus, Notice
from notices.services import notice_send
from tests.factories import UserFactory
from tests.worker import broker_unreachable

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def send_with_email_while_the_broker_is_down(title: str) -> tuple[Notice, OutboxMessage]:
    user = UserFactory(email="resident@example.org")
    with broker_unreachable():
        notice, _ = notice_send(recipient=user, key=f"test:{title}", kind="test", title=title, email=True)
    message = OutboxMessage.objects.get(task_name="notices.email_notice", args=[notice.pk])
    assert message.sent_at is None and message.last_error, "the outage should have kept the message"
    return notice, message


def test_a_task_committed_while_the_broker_was_down_runs_after_the_relay(celery_worker):
    notice, message = send_with_email_while_the_broker_is_down("Outage-then-relay")

    assert relay_messages() == 1  # the broker is back
    celery_worker.wait_for_tasks([message.celery_task_id])

    notice.refresh_from_db()
    assert notice.email_status == EmailStatus.SENT and notice.emailed_at is not None
    assert celery_worker.task_outcomes(message.celery_task_id) == ["succeeded"]
    assert celery_worker.log().count("Subject: Outage-then-relay") == 1


def test_beat_relays_what_an_outage_left_behind(celery_worker):
    notice, message = send_with_email_while_the_broker_is_down("Outage-then-beat")
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.update_or_create(
        name="core.relay_outbox",
        defaults={
            "task": "core.relay_outbox",
            "interval": every_second,
            "enabled": True,
            "expire_seconds": None,
        },
    )
    # Beat only now, so that no relay can take the message before the outage has been recorded.
    celery_worker.start_beat()

    # Nobody in this process relays: beat asks the worker to, and the worker runs the email task.
    celery_worker.wait_for(
        lambda: Notice.objects.filter(pk=notice.pk, email_status=EmailStatus.SENT).exists(),
        60,
        "the beat-driven relay to deliver the email task",
    )
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 2
    assert celery_worker.task_outcomes(message.celery_task_id) == ["succeeded"]
    assert "core.relay_outbox" in celery_worker.beat_log()
