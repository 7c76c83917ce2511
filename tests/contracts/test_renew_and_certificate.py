"""Renewal starts next year's draft from the signed items, once; the signing certificate lists every event."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from rest_framework.test import APIClient

from contracts import services
from contracts.models import Contract
from contracts.workflow import ContractState
from core.exceptions import ApplicationError
from tests.contracts.support import contract_in, pairing_world

pytestmark = pytest.mark.django_db


def test_renewing_makes_next_years_draft_from_the_signed_items_once(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.EVALUATED)

    renewed = services.contract_renew(actor=district.unit_contact1, contract=contract)

    assert (renewed.state, renewed.renewed_from, renewed.term_start, renewed.term_end) == (
        ContractState.DRAFT,
        contract,
        date(2027, 1, 1),
        date(2027, 12, 31),
    )
    assert renewed.title.startswith("2027年度")
    assert renewed.versions.get().items == contract.frozen_version.items
    with pytest.raises(ApplicationError) as error:
        services.contract_renew(actor=district.secretary1, contract=contract)
    assert (error.value.status_code, error.value.code) == (409, "already_renewed")


def test_a_draft_cannot_be_renewed_and_outsiders_cannot_renew(district):
    w = pairing_world(district)
    drafted = contract_in(w, ContractState.DRAFT)
    with pytest.raises(ApplicationError) as error:
        services.contract_renew(actor=district.secretary1, contract=drafted)
    assert error.value.status_code == 409
    published = contract_in(w, ContractState.PUBLISHED)
    response = APIClient()
    response.force_login(district.secretary3)
    assert response.post(f"/api/v1/contracts/{published.pk}/renew/").status_code == 404
    assert Contract.objects.filter(renewed_from__isnull=False).count() == 0


def test_the_certificate_shows_the_hash_each_signature_and_the_record(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED)
    client = Client()
    client.force_login(district.secretary1)

    page = client.get(f"/contracts/mine/{contract.pk}/certificate/")

    assert page.status_code == 200
    html = page.content.decode()
    assert contract.frozen_version.text_hash in html
    assert html.count("contracts.signature") == 2 and "contracts.published" in html
    outsider = Client()
    outsider.force_login(district.secretary3)
    assert outsider.get(f"/contracts/mine/{contract.pk}/certificate/").status_code == 404
