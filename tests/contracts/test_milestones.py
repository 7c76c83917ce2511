"""Dated milestones (节点) of contract items: entered with the items, reached through records, overdue
ones highlighted, reminded once before and once after their date, carried a year on by renewal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contracts import selectors, services
from contracts.jobs import contracts_daily
from contracts.models import Contract, ContractVersion, FulfilmentRecord
from contracts.workflow import ContractState
from core.exceptions import Conflict, ValidationFailed
from notices.models import Notice
from tests.contracts.support import ITEMS, contract_in, draft, pairing_world, refresh

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def term():
    """A term around today, so that the dates below fall inside it whatever day the tests run."""
    return {"term_start": today() - timedelta(days=200), "term_end": today() + timedelta(days=100)}


def items_with_milestones():
    t = today()
    return [
        {
            **ITEMS[0],
            "milestones": [
                {"due": (t + timedelta(days=30)).isoformat(), "what": "第三季度义诊"},
                {"due": (t - timedelta(days=20)).isoformat(), "what": "第一次义诊"},
                {"due": (t - timedelta(days=10)).isoformat(), "what": "第二次义诊"},
                {"due": (t + timedelta(days=3)).isoformat(), "what": "秋季健康讲座"},
            ],
        },
        ITEMS[1],
    ]


def signed_in(user, language: str = "zh-hans") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_milestones_are_kept_sorted_by_date_and_part_of_the_signed_text(district):
    w = pairing_world(district)
    contract = draft(w, items=items_with_milestones(), **term())
    version = contract.versions.get()
    dues = [m["due"] for m in version.items[0]["milestones"]]
    assert dues == sorted(dues) and len(dues) == 4
    assert version.items[1]["milestones"] == []
    without = draft(w, title="无节点的契约", items=ITEMS, **term())
    assert without.versions.get().text_hash != version.text_hash


@pytest.mark.parametrize(
    ("milestones", "code"),
    [
        ([{"due": "2026-13-01", "what": "义诊"}], "invalid_milestone"),
        ([{"due": "2026-03-01", "what": ""}], "invalid_milestone"),
        ([{"due": "2026-03-01", "what": "长" * 121}], "invalid_milestone"),
        ("2026-03-01 义诊", "invalid_milestone"),
        ([{"due": "2026-03-01", "what": "义诊"}] * 13, "invalid_milestone"),
        ([{"due": "2027-03-01", "what": "义诊"}], "milestone_outside_term"),
    ],
)
def test_a_bad_milestone_is_refused_and_nothing_is_drafted(district, milestones, code):
    w = pairing_world(district)
    with pytest.raises(ValidationFailed) as refused:
        draft(w, items=[{**ITEMS[0], "milestones": milestones}])
    assert refused.value.code == code
    assert Contract.objects.count() == 0


def test_statuses_reached_overdue_due_soon_and_upcoming(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED, items=items_with_milestones(), **term())
    # Sorted: -20 (reached below), -10 (overdue), +3 (due soon), +30 (upcoming).
    services.contract_record(
        actor=district.unit_contact1,
        contract=contract,
        item_index=0,
        done_on=today() - timedelta(days=19),
        description="义诊一次，服务60人",
        people_served=60,
        milestone=0,
    )
    rows = selectors.milestones_by_item(contract, contract.frozen_version.items, today())
    assert [m["status"] for m in rows[0]] == ["reached", "overdue", "due_soon", "upcoming"]
    assert rows[0][0]["reached_on"] == today() - timedelta(days=19)
    assert rows[1] == []


def test_a_milestone_is_reached_once_and_must_be_one_of_the_items(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED, items=items_with_milestones(), **term())
    record = dict(contract=contract, item_index=0, done_on=today(), description="第一次义诊完成", milestone=0)
    services.contract_record(actor=district.unit_contact1, **record)
    with pytest.raises(Conflict) as again:
        services.contract_record(actor=district.secretary1, **record)
    assert again.value.code == "milestone_reached"
    with pytest.raises(ValidationFailed) as wrong:
        services.contract_record(actor=district.unit_contact1, **{**record, "milestone": 4})
    assert wrong.value.code == "invalid_milestone"
    with pytest.raises(ValidationFailed):
        services.contract_record(actor=district.unit_contact1, **{**record, "item_index": 1})
    assert FulfilmentRecord.objects.count() == 1


def test_the_daily_job_reminds_of_a_milestone_due_soon_and_one_overdue_once_each(district):
    w = pairing_world(district)
    contract_in(w, ContractState.PUBLISHED, items=items_with_milestones(), **term())

    first = contracts_daily()
    second = contracts_daily()

    # Two overdue milestones (-20, -10), one due within 7 days (+3); the +30 one is not yet due.
    assert (first["milestones_overdue"], second["milestones_overdue"]) == (2 * 2, 0)  # both contacts
    assert (first["milestones_soon"], second["milestones_soon"]) == (1, 0)  # the unit (provider) only
    soon = Notice.objects.get(kind="contract-milestone-soon")
    assert soon.recipient == w.unit_signer
    assert "秋季健康讲座" in soon.title
    assert Notice.objects.filter(kind="contract-milestone-overdue").count() == 4


def test_renewal_carries_the_milestones_a_year_on(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED, items=items_with_milestones(), **term())
    renewed = services.contract_renew(actor=district.secretary1, contract=contract)
    old = contract.frozen_version.items[0]["milestones"]
    new = renewed.versions.get().items[0]["milestones"]
    assert [m["what"] for m in new] == [m["what"] for m in old]
    assert all(int(n["due"][:4]) == int(o["due"][:4]) + 1 for n, o in zip(new, old, strict=True))


def test_the_public_page_highlights_overdue_milestones_and_counts_them(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED, items=items_with_milestones(), **term())
    html = Client().get(f"/contracts/{contract.pk}/").content.decode()
    assert 'data-status="overdue" class="text-danger fw-bold"' in html
    assert html.count('data-status="overdue"') == 2
    assert "第二次义诊" in html and "秋季健康讲座" in html
    assert "4个节点中已完成0个" in html
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "0 of 4 milestones reached" in english.get(f"/contracts/{contract.pk}/").content.decode()


def test_the_workspace_record_form_reaches_a_milestone(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED, items=items_with_milestones(), **term())
    client = signed_in(district.unit_contact1)
    data = {
        "step": "record",
        "item_index": 0,
        "done_on": today().isoformat(),
        "description": "第二次义诊完成",
        "people_served": 40,
        "hours": 3,
        "milestone": "0:1",
    }
    assert client.post(f"/contracts/mine/{contract.pk}/", {**data, "milestone": "1:0"}).status_code == 400
    assert FulfilmentRecord.objects.count() == 0
    assert client.post(f"/contracts/mine/{contract.pk}/", data).status_code == 302
    assert FulfilmentRecord.objects.get().milestone == 1
    response = client.post(f"/contracts/mine/{contract.pk}/", data)
    assert response.status_code == 409
    assert FulfilmentRecord.objects.count() == 1


# --- Revising a draft on its page ---------------------------------------------------------------


def revision_post(version_items, **extra):
    data = {
        "items-TOTAL_FORMS": str(len(version_items)),
        "items-INITIAL_FORMS": str(len(version_items)),
        "items-MIN_NUM_FORMS": "1",
        "items-MAX_NUM_FORMS": "1000",
        "note": "增加节点",
    }
    for n, item in enumerate(version_items):
        for field in ("side", "kind", "title", "deliverable", "quantity", "unit", "schedule", "budget"):
            value = item.get(field)
            data[f"items-{n}-{field}"] = "" if value is None else str(value)
        data[f"items-{n}-milestones"] = item.get("milestones_text", "")
    data.update(extra)
    return data


def test_the_revise_page_shows_the_latest_items_and_saves_a_new_version(district):
    w = pairing_world(district)
    contract = draft(w)
    client = signed_in(district.unit_contact1)
    page = client.get(f"/contracts/mine/{contract.pk}/revise/")
    assert page.status_code == 200
    assert "每月义诊一次" in page.content.decode()

    items = [{**ITEMS[0], "milestones_text": "2026-03-31 第一次义诊\n2026/06/30 第二次义诊"}, ITEMS[1]]
    response = client.post(f"/contracts/mine/{contract.pk}/revise/", revision_post(items))

    assert response.status_code == 302
    latest = contract.versions.order_by("-number").first()
    assert latest.number == 2 and latest.note == "增加节点"
    assert latest.items[0]["milestones"] == [
        {"due": "2026-03-31", "what": "第一次义诊"},
        {"due": "2026-06-30", "what": "第二次义诊"},
    ]
    compare = client.get(f"/contracts/mine/{contract.pk}/compare/").content.decode()
    assert "2026-03-31 第一次义诊" in compare


def test_a_removed_item_is_left_out_of_the_new_version(district):
    w = pairing_world(district)
    contract = draft(w)
    response = signed_in(district.secretary1).post(
        f"/contracts/mine/{contract.pk}/revise/", revision_post(ITEMS, **{"items-1-DELETE": "on"})
    )
    assert response.status_code == 302
    assert [i["title"] for i in contract.versions.get(number=2).items] == ["每月义诊一次"]


@pytest.mark.parametrize(
    ("milestones_text", "message"),
    [("三月底 第一次义诊", "2026-03-31"), ("2026-03-31", "after the date"), ("2027-03-31 义诊", "outside")],
)
def test_a_bad_milestone_line_is_a_clear_error_and_makes_no_version(district, milestones_text, message):
    w = pairing_world(district)
    contract = draft(w)
    items = [{**ITEMS[0], "milestones_text": milestones_text}]
    response = signed_in(district.secretary1, "en").post(
        f"/contracts/mine/{contract.pk}/revise/",
        revision_post(items),
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ContractVersion.objects.filter(contract=contract).count() == 1


def test_revising_is_for_drafts_and_the_two_parties_only(district):
    w = pairing_world(district)
    agreed = contract_in(w, ContractState.AGREED)
    response = signed_in(district.secretary1).post(
        f"/contracts/mine/{agreed.pk}/revise/", revision_post(ITEMS)
    )
    assert response.status_code == 409
    assert agreed.versions.count() == 1 and refresh(agreed).state == ContractState.AGREED
    other = draft(w, title="另一份草案")
    assert signed_in(district.secretary3).get(f"/contracts/mine/{other.pk}/revise/").status_code == 404
    assert (
        signed_in(district.secretary3)
        .post(f"/contracts/mine/{other.pk}/revise/", revision_post(ITEMS))
        .status_code
        == 404
    )
    assert other.versions.count() == 1


def test_the_public_page_costs_the_same_queries_with_many_milestones(district):
    w = pairing_world(district)
    few = contract_in(w, ContractState.PUBLISHED, items=items_with_milestones(), **term())
    t = today()
    many_items = [
        {
            **ITEMS[0],
            "title": f"事项{n}",
            "milestones": [
                {"due": (t - timedelta(days=k)).isoformat(), "what": f"节点{k}"} for k in range(12)
            ],
        }
        for n in range(10)
    ]
    many = contract_in(w, ContractState.PUBLISHED, title="多节点契约", items=many_items, **term())
    for contract in (few, many):
        Client().get(f"/contracts/{contract.pk}/")
    with CaptureQueriesContext(connection) as q_few:
        Client().get(f"/contracts/{few.pk}/")
    with CaptureQueriesContext(connection) as q_many:
        html = Client().get(f"/contracts/{many.pk}/").content.decode()
    assert html.count('data-status="overdue"') == 10 * 11  # day 0 is today: due, not overdue
    assert len(q_many) == len(q_few)


def test_the_api_records_a_reached_milestone_once(district):
    from rest_framework.test import APIClient

    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED, items=items_with_milestones(), **term())
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(district.unit_contact1)
    body = {"item_index": 0, "done_on": today().isoformat(), "description": "第一次义诊完成", "milestone": 0}
    first = client.post(f"/api/v1/contracts/{contract.pk}/record/", body, format="json")
    assert first.status_code == 201 and first.json()["milestone"] == 0
    again = client.post(f"/api/v1/contracts/{contract.pk}/record/", body, format="json")
    assert again.status_code == 409 and again.json()["code"] == "milestone_reached"
    assert FulfilmentRecord.objects.count() == 1
