"""Against a real worker: the volunteers' periodic job sent twice returns an order nobody accepted and
closes an ended activity once — one timeout event, one notice, one no-show, one payment per attendee."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import OutboxMessage
from core.outbox import enqueue
from notices.models import Notice
from tests.volunteers.test_activities_support import activity_world, publish
from tests.volunteers.test_orders_support import place, pooled

# Registers the fixture here (tests/volunteers has no conftest.py); taken with getfixturevalue so
# that no test argument shadows the import.
from tests.worker import celery_worker  # noqa: F401
from volunteers.models import Activity, OrderEvent, ServiceOrder, Signup
from volunteers.services import activities
from volunteers.workflow import OrderState, OrderStep, SignupState

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_job_sent_twice_to_a_worker_does_each_thing_once(request, district):
    w = activity_world(district)
    w.resident = district.resident_user
    order = pooled(w, place(w))
    ServiceOrder.objects.filter(pk=order.pk).update(accept_by=timezone.now() - timedelta(minutes=1))

    activity = publish(w)
    came, absent = w.members[0], w.members[1]
    for user in (came, absent):
        activities.signup_create(actor=user, activity=activity)
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=timezone.now() - timedelta(hours=4),
        ends_at=timezone.now() - timedelta(hours=2),
        signup_deadline=timezone.now() - timedelta(days=1),
    )
    Signup.objects.filter(activity=activity, user=came).update(
        state=SignupState.ATTENDED, checked_in_at=timezone.now() - timedelta(hours=4), hours=2
    )
    worker = request.getfixturevalue("celery_worker")

    runs = [enqueue("volunteers.periodic"), enqueue("volunteers.periodic")]
    worker.wait_for_tasks([run.celery_task_id for run in runs])

    assert [worker.task_outcomes(run.celery_task_id) for run in runs] == [["succeeded"], ["succeeded"]]
    assert ServiceOrder.objects.get(pk=order.pk).state == OrderState.ORDERED
    assert OrderEvent.objects.filter(order=order, step=OrderStep.TIMEOUT).count() == 1
    assert Notice.objects.filter(recipient=district.secretary1, kind="service-order-returned").count() == 1
    assert Activity.objects.get(pk=activity.pk).closed_at is not None
    assert Signup.objects.get(activity=activity, user=absent).state == SignupState.NO_SHOW
    payments = OutboxMessage.objects.filter(
        task_name="points.award_for_event", args__3__startswith="activity:"
    )
    assert [message.args[3] for message in payments] == [f"activity:{activity.pk}:user:{came.pk}"]
