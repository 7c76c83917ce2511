"""The daily job at scale: its queries do not grow with the contracts it has nothing (new) to do for."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contracts.jobs import contracts_daily
from contracts.models import Contract
from contracts.workflow import ContractState
from notices.models import Notice
from tests.contracts.support import ITEMS, contract_in, draft, pairing_world

pytestmark = pytest.mark.django_db


def _term():
    today = timezone.localdate()
    return {"term_start": today - timedelta(days=200), "term_end": today + timedelta(days=100)}


def _items():
    today = timezone.localdate()
    milestones = [
        {"due": (today - timedelta(days=20)).isoformat(), "what": "第一次义诊"},
        {"due": (today + timedelta(days=3)).isoformat(), "what": "秋季健康讲座"},
        {"due": (today + timedelta(days=60)).isoformat(), "what": "冬季义诊"},
    ]
    return [{**ITEMS[0], "milestones": milestones}, ITEMS[1]]


def _contracts_of_every_kind(w, n: int) -> None:
    """`n` contracts in each state the job looks at: published with milestones, being evaluated,
    idle drafts, and agreed with the signing deadline tomorrow."""
    for i in range(n):
        contract_in(w, ContractState.PUBLISHED, title=f"已公示{i}", items=_items(), **_term())
        contract_in(w, ContractState.EVALUATING, title=f"评约中{i}", **_term())
        idle = draft(w, title=f"草稿{i}")
        Contract.objects.filter(pk=idle.pk).update(updated_at=timezone.now() - timedelta(days=8))
        agreed = contract_in(w, ContractState.AGREED, title=f"待签{i}")
        Contract.objects.filter(pk=agreed.pk).update(sign_by=timezone.now() + timedelta(days=1))


def _queries_of_a_second_run() -> int:
    first = contracts_daily()
    assert first["milestones_overdue"] and first["milestones_soon"] and first["idle_reminders"]
    with CaptureQueriesContext(connection) as queries:
        second = contracts_daily()
    assert not any(second.values())  # nothing left to do
    return len(queries)


def test_a_run_with_nothing_new_to_say_costs_the_same_queries_for_one_contract_of_each_kind_or_five(
    district,
):
    w = pairing_world(district)
    _contracts_of_every_kind(w, 1)
    one = _queries_of_a_second_run()

    _contracts_of_every_kind(w, 4)
    five = _queries_of_a_second_run()

    assert five == one
    assert one <= 20


def test_the_notices_of_many_contracts_are_sent_in_a_few_queries_and_once(district):
    w = pairing_world(district)
    _contracts_of_every_kind(w, 3)

    with CaptureQueriesContext(connection) as queries:
        first = contracts_daily()
    notices = Notice.objects.count()

    # Per contract: 2 contacts × 1 overdue milestone, the unit × 1 due soon, 2 × evaluation open,
    # 2 × idle draft, and the 2 signers of the agreed one.
    assert first["milestones_overdue"] == 3 * 2
    assert first["milestones_soon"] == 3
    assert first["evaluation_notices"] == 3 * 2
    assert first["idle_reminders"] == 3 * 2
    assert first["sign_reminders"] == 3 * 2
    assert notices == 3 * 9
    inserts = [
        q
        for q in queries.captured_queries
        if q["sql"].startswith("INSERT") and 'INTO "notices_notice"' in q["sql"]
    ]
    assert len(inserts) == 5  # one per kind of notice, not one per notice
    assert contracts_daily()["milestones_overdue"] == 0
    assert Notice.objects.count() == notices
