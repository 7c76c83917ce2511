"""Against a real worker: the contracts' daily job enqueued twice opens each due evaluation once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from contracts.models import Contract, ContractEvent
from contracts.workflow import ContractState, ContractStep
from core.outbox import enqueue
from notices.models import Notice
from tests.contracts.support import contract_in, draft, pairing_world

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_daily_job_twice_on_a_worker_does_each_thing_once(celery_worker, district):
    w = pairing_world(district)
    published = contract_in(w, ContractState.PUBLISHED)
    yesterday = timezone.localdate() - timedelta(days=1)
    Contract.objects.filter(pk=published.pk).update(
        term_start=yesterday - timedelta(days=300), term_end=yesterday
    )
    idle = draft(w, title="搁置的草稿")
    Contract.objects.filter(pk=idle.pk).update(updated_at=timezone.now() - timedelta(days=9))

    runs = [enqueue("contracts.daily"), enqueue("contracts.daily")]
    celery_worker.wait_for_tasks([run.celery_task_id for run in runs])

    assert Contract.objects.get(pk=published.pk).state == ContractState.EVALUATING
    assert ContractEvent.objects.filter(contract=published, step=ContractStep.OPEN_EVALUATION).count() == 1
    assert Notice.objects.filter(kind="contract-idle").count() == 2
