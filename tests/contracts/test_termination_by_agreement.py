"""Ending a contract by agreement: one side proposes, the other agrees; neither alone can end it."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import Entry
from contracts import services
from contracts.models import Contract
from contracts.workflow import ContractState
from core.exceptions import ApplicationError
from tests.contracts.support import contract_in, pairing_world, refresh

pytestmark = pytest.mark.django_db


def test_one_side_proposes_and_the_other_agrees(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED)

    proposed = services.contract_terminate_by_agreement(
        actor=district.unit_contact1, contract=contract, reason="医院搬迁"
    )
    assert (proposed.state, proposed.termination_proposed_by) == (ContractState.PUBLISHED, "unit")
    with pytest.raises(ApplicationError) as error:
        services.contract_terminate_by_agreement(actor=w.unit_signer, contract=contract, reason="医院搬迁")
    assert error.value.code == "already_proposed"

    ended = services.contract_terminate_by_agreement(
        actor=district.secretary1, contract=contract, reason="医院搬迁，双方同意"
    )

    assert ended.state == ContractState.TERMINATED
    assert Entry.objects.get(kind="contracts.terminated").payload["by"] == "agreement"


def test_outsiders_final_states_and_empty_reasons_are_refused(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.EVALUATED)
    with pytest.raises(ApplicationError) as error:
        services.contract_terminate_by_agreement(actor=district.secretary1, contract=contract, reason="x")
    assert error.value.status_code == 409
    draft = contract_in(w, ContractState.DRAFT)
    with pytest.raises(ApplicationError) as error:
        services.contract_terminate_by_agreement(actor=district.secretary3, contract=draft, reason="x")
    assert error.value.status_code == 404
    with pytest.raises(ApplicationError) as error:
        services.contract_terminate_by_agreement(actor=district.secretary1, contract=draft, reason=" ")
    assert error.value.status_code == 400
    assert refresh(draft).termination_proposed_by == ""


def test_the_workspace_and_the_api_end_it_by_agreement(district):
    from rest_framework.test import APIClient

    w = pairing_world(district)
    contract = contract_in(w, ContractState.SIGNED)
    page = Client()
    page.force_login(district.secretary1)
    response = page.post(
        f"/contracts/mine/{contract.pk}/", {"step": "terminate_by_agreement", "reason": "社区合并"}
    )
    assert response.status_code == 302
    client = APIClient()
    client.force_login(district.unit_contact1)
    ended = client.post(
        f"/api/v1/contracts/{contract.pk}/terminate-by-agreement/", {"reason": "同意"}, format="json"
    )
    assert ended.status_code == 200, ended.content
    assert ended.json()["state"] == "terminated"
    assert Contract.objects.get(pk=contract.pk).state == ContractState.TERMINATED
