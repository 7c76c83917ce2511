"""The back office lists contracts within the user's areas at a fixed query cost; the demo has every state."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from contracts.models import Contract, FulfilmentRecord
from contracts.workflow import ContractState
from tests.contracts.support import draft, pairing_world

pytestmark = pytest.mark.django_db

LIST = "/admin/contracts/contract/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_secretary_sees_the_own_communitys_contracts_only(district):
    w = pairing_world(district)
    contract = draft(w)

    mine = signed_in(district.secretary1).get(LIST)
    assert mine.status_code == 200 and contract.title in mine.content.decode()
    other = signed_in(district.secretary3).get(LIST)
    assert other.status_code == 200 and contract.title not in other.content.decode()
    assert signed_in(district.secretary3).get(f"{LIST}{contract.pk}/change/").status_code == 404
    page = signed_in(district.secretary1).get(f"{LIST}{contract.pk}/change/")
    assert page.status_code == 200 and contract.versions.get().text_hash in page.content.decode()


def test_the_contract_list_costs_the_same_queries_for_two_or_twenty_contracts(district):
    w = pairing_world(district)
    client = signed_in(district.district_admin)
    for n in range(2):
        draft(w, title=f"契约{n}")
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    for n in range(2, 20):
        draft(w, title=f"契约{n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST)
    assert len(response.context["cl"].result_list) == 20
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_the_demo_has_contracts_in_every_state_with_versions_and_signatures_and_runs_twice():
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())

    assert set(Contract.objects.values_list("state", flat=True)) == set(ContractState.values)
    signed = Contract.objects.filter(state=ContractState.PUBLISHED).first()
    assert signed.versions.count() == 2 and signed.signatures.filter(voided_at__isnull=True).count() == 2
    assert Contract.objects.count() == 7
    # Milestones: the published contract's first item has four, two reached, one overdue (30 September).
    milestones = signed.frozen_version.items[0]["milestones"]
    assert [m["due"] for m in milestones] == ["2026-03-31", "2026-06-30", "2026-09-30", "2026-12-15"]
    assert sorted(
        FulfilmentRecord.objects.filter(contract=signed, milestone__isnull=False).values_list(
            "milestone", flat=True
        )
    ) == [0, 1]
