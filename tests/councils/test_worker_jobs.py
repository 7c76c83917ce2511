"""Against a real worker: the councils' periodic job sent twice closes a due motion and escalates a
late issue once, with one notice each."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import Entry
from core.outbox import enqueue
from councils import services
from councils.models import Issue, IssueEvent, Motion
from councils.workflow import IssueStep, MotionState
from notices.models import Notice
from tests.councils.support import council_world, motion

# Registers the fixture here (tests/councils has no conftest.py); taken with getfixturevalue so
# that no test argument shadows the import.
from tests.worker import celery_worker  # noqa: F401

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_job_sent_twice_to_a_worker_does_each_thing_once(request, district):
    w = council_world(district)
    due = services.motion_open(actor=district.convener1, motion=motion(w))
    Motion.objects.filter(pk=due.pk).update(
        opens_at=timezone.now() - timedelta(days=3), closes_at=timezone.now() - timedelta(minutes=1)
    )
    late = services.issue_raise(
        actor=district.resident_user,
        council=w.council,
        category="environment",
        title="垃圾房三天没有清运",
        description="2号垃圾房已经三天没有清运，气味很大。",
    )
    Issue.objects.filter(pk=late.pk).update(triage_by=timezone.localdate() - timedelta(days=1))
    worker = request.getfixturevalue("celery_worker")

    runs = [enqueue("councils.periodic"), enqueue("councils.periodic")]
    worker.wait_for_tasks([run.celery_task_id for run in runs])

    assert [worker.task_outcomes(run.celery_task_id) for run in runs] == [["succeeded"], ["succeeded"]]
    assert Motion.objects.get(pk=due.pk).state == MotionState.CLOSED
    assert (
        Entry.objects.filter(kind="councils.motion_closed", subject=f"councils.Motion:{due.pk}").count() == 1
    )
    assert IssueEvent.objects.filter(issue=late, step=IssueStep.ESCALATE).count() == 1
    assert list(
        Notice.objects.filter(kind="council-issue-escalated").values_list("recipient", flat=True)
    ) == [district.secretary1.pk]
