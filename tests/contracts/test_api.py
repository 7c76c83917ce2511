"""/api/v1/contracts/: the five steps through the API, filters, JSON errors, and a fixed query cost."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from audit.models import Entry
from contracts.models import Contract, Signature
from contracts.workflow import ContractState
from tests.api.helpers import assert_error, ids
from tests.contracts.support import ITEMS, contract_in, draft, pairing_world
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/api/v1/contracts/"


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def body(w, **fields) -> dict:
    return {
        "pairing": w.pairing.pk,
        "title": "2026年度共建契约",
        "term_start": "2026-01-01",
        "term_end": "2026-12-31",
        "items": ITEMS,
        **fields,
    }


def test_a_contract_goes_from_draft_to_published_through_the_api(district):
    w = pairing_world(district)
    secretary, unit = api(district.secretary1), api(district.unit_contact1)

    created = secretary.post(URL, body(w), format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["state"] == "draft" and created.json()["latest_version"] == 1
    revised = unit.post(f"{URL}{pk}/revise/", {"items": ITEMS[:1], "note": "只保留义诊"}, format="json")
    assert revised.json()["latest_version"] == 2
    assert secretary.post(f"{URL}{pk}/agree/", {"version": 2}, format="json").json()["state"] == "draft"
    agreed = unit.post(f"{URL}{pk}/agree/", {"version": 2}, format="json").json()
    assert (agreed["state"], agreed["frozen_version"]) == ("agreed", 2)
    api(w.community_signer).post(f"{URL}{pk}/sign/", {"version": 2, "password": PASSWORD}, format="json")
    signed = api(w.unit_signer).post(
        f"{URL}{pk}/sign/", {"version": 2, "password": PASSWORD}, format="json", HTTP_USER_AGENT="Phone"
    )
    assert signed.status_code == 200, signed.content
    assert signed.json()["state"] == "signed"
    assert [s["side"] for s in signed.json()["signatures"]] == ["community", "unit"]
    assert Signature.objects.get(side="unit").user_agent == "Phone"
    published = secretary.post(f"{URL}{pk}/publish/")
    assert published.json()["state"] == "published"
    assert Entry.objects.filter(kind="contracts.published").count() == 1


def test_steps_the_state_does_not_allow_are_409_in_json_and_change_nothing(district):
    w = pairing_world(district)
    contract = draft(w)

    assert_error(api(district.secretary1).post(f"{URL}{contract.pk}/publish/"), 409, "still_negotiating")
    assert_error(
        api(w.community_signer).post(
            f"{URL}{contract.pk}/sign/", {"version": 1, "password": PASSWORD}, format="json"
        ),
        409,
        "still_negotiating",
    )
    assert Contract.objects.get(pk=contract.pk).state == ContractState.DRAFT


def test_the_wrong_actor_gets_403_or_404(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.AGREED)

    assert_error(
        api(district.unit_contact1).post(
            f"{URL}{contract.pk}/sign/", {"version": 1, "password": PASSWORD}, format="json"
        ),
        403,
        "not_a_signer",
    )
    assert_error(
        api(district.secretary3).post(f"{URL}{contract.pk}/request-change/", {"reason": "x"}, format="json"),
        404,
    )
    assert_error(api(district.secretary3).get(f"{URL}{contract.pk}/"), 404)
    assert_error(
        api(district.unit_contact1).post(f"{URL}{contract.pk}/terminate/", {"reason": "x"}, format="json"),
        403,
    )


def test_bad_input_is_400_and_changes_nothing(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.AGREED)

    wrong = api(w.community_signer).post(
        f"{URL}{contract.pk}/sign/", {"version": 1, "password": "nope"}, format="json"
    )
    assert_error(wrong, 403, "wrong_password")
    assert_error(
        api(w.community_signer).post(f"{URL}{contract.pk}/sign/", {"version": 1}, format="json"), 400
    )
    bad_items = api(district.secretary1).post(
        URL, body(w, items=[{"side": "both", "kind": "service", "title": "x"}]), format="json"
    )
    assert_error(bad_items, 400)
    assert_error(
        api(district.secretary1).post(URL, body(w, term_end="2025-01-01"), format="json"), 400, "invalid_term"
    )
    assert Signature.objects.count() == 0
    assert Contract.objects.count() == 1


def test_filters_and_scope(district):
    w = pairing_world(district)
    drafted = draft(w, title="草稿")
    published = contract_in(w, ContractState.PUBLISHED)
    admin = api(district.district_admin)

    assert ids(admin.get(URL)) == {drafted.pk, published.pk}
    assert ids(admin.get(URL, {"state": "published"})) == {published.pk}
    assert ids(admin.get(URL, {"community": district.community1.pk, "year": 2026})) == {
        drafted.pk,
        published.pk,
    }
    assert ids(admin.get(URL, {"unit": district.unit2.pk})) == set()
    assert ids(api(district.secretary3).get(URL)) == set()
    assert ids(api(district.unit_contact1).get("/api/v1/pairings/")) == {w.pairing.pk}


def test_the_contract_list_costs_the_same_queries_for_two_or_twenty(district):
    w = pairing_world(district)
    client = api(district.district_admin)
    contract_in(w, ContractState.SIGNED)
    draft(w, title="契约1")
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    for n in range(2, 20):
        draft(w, title=f"契约{n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert (
        response.json()["count"] == 20
        if "count" in response.json()
        else len(response.json()["results"]) == 20
    )
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
