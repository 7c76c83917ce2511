"""The parties' pages: my contracts (fixed queries), the workspace's steps, clear errors that change nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from contracts.models import Contract, Signature
from contracts.workflow import ContractState
from tests.contracts.support import contract_in, draft, pairing_world
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_my_contracts_costs_the_same_queries_for_two_or_twenty(district):
    w = pairing_world(district)
    client = signed_in(district.unit_contact1)
    for n in range(2):
        draft(w, title=f"契约{n}")
    client.get("/contracts/mine/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/contracts/mine/").status_code == 200
    for n in range(2, 20):
        draft(w, title=f"契约{n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/contracts/mine/")
    assert len(response.context["contracts"]) == 20
    assert len(many) == len(few)


def test_a_wrong_password_on_the_page_is_a_clear_error_and_signs_nothing(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.AGREED)

    response = signed_in(w.community_signer).post(
        f"/contracts/mine/{contract.pk}/", {"step": "sign", "version": 1, "password": "guess"}
    )

    assert response.status_code == 403
    assert "密码不正确" in response.content.decode()
    assert Signature.objects.count() == 0


def test_another_communitys_secretary_gets_404_and_a_step_out_of_order_409(district):
    w = pairing_world(district)
    contract = draft(w)
    assert signed_in(district.secretary3).get(f"/contracts/mine/{contract.pk}/").status_code == 404
    response = signed_in(district.secretary1).post(f"/contracts/mine/{contract.pk}/", {"step": "publish"})
    assert response.status_code == 409
    assert Contract.objects.get(pk=contract.pk).state == ContractState.DRAFT


def test_the_workspace_agrees_and_publishes_through_the_services(district):
    w = pairing_world(district)
    contract = draft(w)
    for user in (district.secretary1, district.unit_contact1):
        response = signed_in(user).post(f"/contracts/mine/{contract.pk}/", {"step": "agree", "version": 1})
        assert response.status_code == 302
    assert Contract.objects.get(pk=contract.pk).state == ContractState.AGREED
    signed_in(w.community_signer).post(
        f"/contracts/mine/{contract.pk}/", {"step": "sign", "version": 1, "password": PASSWORD}
    )
    signed_in(w.unit_signer).post(
        f"/contracts/mine/{contract.pk}/", {"step": "sign", "version": 1, "password": PASSWORD}
    )
    assert (
        signed_in(district.secretary1)
        .post(f"/contracts/mine/{contract.pk}/", {"step": "publish"})
        .status_code
        == 302
    )
    assert Contract.objects.get(pk=contract.pk).state == ContractState.PUBLISHED
    english = signed_in(district.secretary1)
    english.cookies["django_language"] = "en"
    assert "Record what was done" in english.get(f"/contracts/mine/{contract.pk}/").content.decode()


def test_the_record_form_credits_the_members_chosen(district):
    from core.models import OutboxMessage

    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED)
    client = signed_in(district.unit_contact1)
    assert (
        district.member_user
        in client.get(f"/contracts/mine/{contract.pk}/").context["record_form"].fields["served_by"].queryset
    )

    response = client.post(
        f"/contracts/mine/{contract.pk}/",
        {
            "step": "record",
            "item_index": "0",
            "done_on": "2026-03-07",
            "description": "义诊",
            "people_served": "30",
            "hours": "2",
            "served_by": [district.member_user.pk],
        },
    )

    assert response.status_code == 302
    assert list(contract.records.get().served_by.all()) == [district.member_user]
    assert OutboxMessage.objects.filter(task_name="points.award_for_event").count() == 1
