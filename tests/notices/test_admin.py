"""The back office: notices and reminders read-mostly, the outbox and job runs read-only."""

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import JobRun, OutboxMessage
from notices.models import EmailStatus, Notice, ScheduledReminder
from notices.services import reminder_schedule
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


@pytest.fixture
def rows(alice, make_notice):
    notice = make_notice(alice, email=True)
    reminder_schedule(recipient=alice, key="r:1", due_at=timezone.now(), kind="test", title="Reminder")
    JobRun.objects.create(job="notices.send_due_reminders", period="2026-11-23T10:00")
    return notice


@pytest.mark.parametrize("model", [Notice, ScheduledReminder, OutboxMessage, JobRun])
def test_lists_and_details_show_and_offer_no_add_or_edit(admin_client, rows, model):
    opts = model._meta
    changelist = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    obj = model.objects.first()
    detail = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))

    assert changelist.status_code == 200 and detail.status_code == 200
    assert reverse(f"admin:{opts.app_label}_{opts.model_name}_add") not in changelist.content.decode()
    assert b'name="_save"' not in detail.content


def test_failed_emails_can_be_queued_again(admin_client, rows):
    Notice.objects.filter(pk=rows.pk).update(email_status=EmailStatus.FAILED)

    admin_client.post(
        reverse("admin:notices_notice_changelist"),
        {"action": "retry_email", "_selected_action": [rows.pk]},
    )

    assert Notice.objects.get(pk=rows.pk).email_status == EmailStatus.PENDING
    assert OutboxMessage.objects.filter(task_name="notices.email_notice", args=[rows.pk]).count() == 2


def test_an_unsent_reminder_can_be_cancelled_a_sent_one_not(admin_client, rows):
    reminder = ScheduledReminder.objects.get()
    url = reverse("admin:notices_scheduledreminder_delete", args=[reminder.pk])

    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not ScheduledReminder.objects.exists()

    sent = ScheduledReminder.objects.create(
        recipient=rows.recipient,
        due_at=timezone.now(),
        dedupe_key="r:2",
        kind="t",
        title="t",
        sent_at=timezone.now(),
    )
    assert (
        admin_client.post(reverse("admin:notices_scheduledreminder_delete", args=[sent.pk])).status_code
        == 403
    )


def test_staff_with_the_view_permission_see_only_their_own_notices(client, alice, make_notice):
    from django.contrib.auth.models import Permission

    operator = UserFactory(is_staff=True)
    operator.user_permissions.add(Permission.objects.get(codename="view_notice"))
    make_notice(alice)
    own = make_notice(operator, title="For the operator")
    client.force_login(operator)

    response = client.get(reverse("admin:notices_notice_changelist"))

    assert list(response.context["cl"].queryset) == [own]


def test_staff_without_the_permission_do_not_get_in(client, district):
    client.force_login(district.secretary1)
    assert client.get(reverse("admin:notices_notice_changelist")).status_code == 403
    assert client.get(reverse("admin:core_outboxmessage_changelist")).status_code == 403
