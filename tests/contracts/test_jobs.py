"""The daily job: late signing requests go back to negotiation, reminders go once, windows open and close."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from contracts.jobs import contracts_daily
from contracts.models import Contract, Signature
from contracts.tasks import contracts_daily_task
from contracts.workflow import ContractState
from notices.models import Notice
from tests.contracts.support import contract_in, draft, pairing_world, refresh

pytestmark = pytest.mark.django_db


def test_a_late_signing_request_goes_back_to_negotiation_once_and_voids_the_signature(district):
    from contracts import services
    from tests.factories import PASSWORD

    w = pairing_world(district)
    contract = contract_in(w, ContractState.AGREED)
    services.contract_sign(actor=w.community_signer, contract=contract, version=1, password=PASSWORD)
    Contract.objects.filter(pk=contract.pk).update(sign_by=timezone.now() - timedelta(hours=1))

    first = contracts_daily()
    second = contracts_daily()

    assert (first["signing_expired"], second["signing_expired"]) == (1, 0)
    assert refresh(contract).state == ContractState.DRAFT
    assert Signature.objects.get().voided_at is not None
    assert Notice.objects.filter(kind="contract-sign-expired").count() == 2  # both signers, once


def test_signers_who_have_not_signed_are_reminded_once_before_the_deadline(district):
    from contracts import services
    from tests.factories import PASSWORD

    w = pairing_world(district)
    contract = contract_in(w, ContractState.AGREED)
    services.contract_sign(actor=w.community_signer, contract=contract, version=1, password=PASSWORD)
    Contract.objects.filter(pk=contract.pk).update(sign_by=timezone.now() + timedelta(days=1))

    assert contracts_daily()["sign_reminders"] == 1
    assert contracts_daily()["sign_reminders"] == 0
    assert list(Notice.objects.filter(kind="contract-sign-soon").values_list("recipient", flat=True)) == [
        w.unit_signer.pk
    ]


def test_an_idle_draft_is_reminded_once_per_idle_stretch(district):
    w = pairing_world(district)
    contract = draft(w)
    Contract.objects.filter(pk=contract.pk).update(updated_at=timezone.now() - timedelta(days=8))

    assert contracts_daily()["idle_reminders"] == 2
    assert contracts_daily()["idle_reminders"] == 0


def test_the_evaluation_opens_after_the_term_and_closes_after_the_window(district, settings):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED)
    yesterday = timezone.localdate() - timedelta(days=1)
    Contract.objects.filter(pk=contract.pk).update(
        term_start=yesterday - timedelta(days=364), term_end=yesterday
    )
    settings.CONTRACT_EVALUATION_DAYS = 30

    assert contracts_daily()["opened"] == 1
    assert refresh(contract).state == ContractState.EVALUATING
    assert contracts_daily()["closed"] == 0  # the window has 30 days
    Contract.objects.filter(pk=contract.pk).update(term_start=date(2025, 1, 1), term_end=date(2025, 12, 31))
    assert contracts_daily()["closed"] == 1
    assert refresh(contract).state == ContractState.EVALUATED
    assert contracts_daily() == {
        "signing_expired": 0,
        "sign_reminders": 0,
        "idle_reminders": 0,
        "milestones_soon": 0,
        "milestones_overdue": 0,
        "evaluation_notices": 0,
        "opened": 0,
        "closed": 0,
    }


def test_the_task_runs_once_per_day(district):
    w = pairing_world(district)
    contract = draft(w)
    Contract.objects.filter(pk=contract.pk).update(updated_at=timezone.now() - timedelta(days=8))

    first = contracts_daily_task()
    second = contracts_daily_task()

    assert first["idle_reminders"] == 2
    assert second is None
    assert Notice.objects.filter(kind="contract-idle").count() == 2


def test_sides_that_have_not_rated_are_told_once_when_the_evaluation_opens_and_once_before_it_closes(
    district, settings
):
    from contracts import services

    settings.CONTRACT_EVALUATION_DAYS = 30
    w = pairing_world(district)
    contract = contract_in(w, ContractState.EVALUATING)
    services.contract_rate(actor=district.unit_contact1, contract=contract, score=5)
    Contract.objects.filter(pk=contract.pk).update(term_end=timezone.localdate() - timedelta(days=10))

    first, second = contracts_daily(), contracts_daily()

    assert (first["evaluation_notices"], second["evaluation_notices"]) == (1, 0)
    opened = Notice.objects.get(kind="contract-evaluation-open")
    assert opened.recipient == w.community_signer  # the unit side has rated: nobody there is told
    assert not Notice.objects.filter(kind="contract-evaluation-closing").exists()
    Contract.objects.filter(pk=contract.pk).update(term_end=timezone.localdate() - timedelta(days=28))
    assert contracts_daily()["evaluation_notices"] == 1
    assert contracts_daily()["evaluation_notices"] == 0
    assert Notice.objects.get(kind="contract-evaluation-closing").recipient == w.community_signer
