"""The 亮约 board and a contract's public page: no login, only published contracts, fixed query cost."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from contracts.workflow import ContractState
from tests.contracts.support import contract_in, draft, pairing_world

pytestmark = pytest.mark.django_db


def test_the_board_shows_published_contracts_to_anyone_and_hides_drafts(district):
    w = pairing_world(district)
    published = contract_in(w, ContractState.PUBLISHED)
    drafted = draft(w, title="尚在谈约的契约")

    page = Client().get("/contracts/")

    assert page.status_code == 200
    html = page.content.decode()
    assert published.title in html and drafted.title not in html
    assert Client().get(f"/contracts/{drafted.pk}/").status_code == 404


def test_a_published_contract_shows_its_commitments_signatures_and_record_hash_logged_out(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED)

    page = Client().get(f"/contracts/{contract.pk}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "每月义诊一次" in html and "提供活动场地" in html
    assert contract.frozen_version.text_hash in html
    assert page.context["entry"].entry_hash in html
    assert "<svg" in html  # the QR code
    english = Client()
    english.cookies["django_language"] = "en"
    assert "Signed by" in english.get(f"/contracts/{contract.pk}/").content.decode()


def test_the_board_costs_the_same_queries_for_one_or_many_contracts(district):
    w = pairing_world(district)
    client = Client()
    contract_in(w, ContractState.PUBLISHED)
    client.get("/contracts/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/contracts/").status_code == 200
    for _n in range(5):
        contract_in(w, ContractState.EVALUATING)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/contracts/")
    assert len(response.context["contracts"]) == 6
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_the_public_page_shows_progress_and_the_score(district):
    from datetime import date

    from contracts import services

    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED)
    services.contract_record(
        actor=district.unit_contact1,
        contract=contract,
        item_index=0,
        done_on=date(2026, 3, 7),
        description="义诊",
        people_served=48,
        hours=3,
    )
    services.contract_open_evaluation(actor=district.secretary1, contract=contract)
    services.contract_rate(actor=district.resident_user, contract=contract, score=4)
    services.contract_close_evaluation(actor=district.secretary1, contract=contract)

    html = Client().get(f"/contracts/{contract.pk}/").content.decode()

    assert "48" in html and "80.0" in html and "良好" in html
