"""Consultation (谈约): meeting minutes, comments on versions and items, two versions side by side."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from contracts import services
from contracts.models import Comment, Meeting
from contracts.selectors import compare_versions
from contracts.workflow import ContractState
from core.exceptions import ApplicationError
from tests.contracts.support import ITEMS, contract_in, draft, pairing_world

pytestmark = pytest.mark.django_db


def meeting(w, contract, actor=None, **fields):
    values = {
        "held_on": date(2025, 12, 10),
        "place": "越都社区党群服务中心",
        "attendees": "社区书记、医院党委书记、居民代表3人",
        "minutes": "双方就义诊频次和场地安排进行了协商。",
        "decisions": "义诊改为每月一次。",
        **fields,
    }
    return services.meeting_record(actor=actor or w.d.secretary1, contract=contract, **values)


def test_either_side_records_meetings_and_comments_while_negotiating(district):
    w = pairing_world(district)
    contract = draft(w)

    recorded = meeting(w, contract, actor=district.unit_contact1)
    remark = services.comment_add(
        actor=district.secretary1, contract=contract, version=1, item_index=0, body="义诊时间能否改到周六？"
    )

    assert (recorded.contract, Meeting.objects.count()) == (contract, 1)
    assert (remark.side, remark.item_index) == ("community", 0)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"place": ""}, "invalid_meeting"),
        ({"minutes": "记" * 5001}, "invalid_meeting"),
        ({"held_on": timezone.localdate() + timedelta(days=1)}, "invalid_date"),
    ],
)
def test_bad_minutes_are_refused(district, fields, code):
    w = pairing_world(district)
    contract = draft(w)
    with pytest.raises(ApplicationError) as error:
        meeting(w, contract, **fields)
    assert (error.value.status_code, error.value.code) == (400, code)
    assert not Meeting.objects.exists()


def test_comments_need_a_real_version_and_item_a_party_and_negotiation(district):
    w = pairing_world(district)
    contract = draft(w)
    for kwargs, status in [
        ({"version": 9, "body": "?"}, 400),
        ({"version": 1, "item_index": 7, "body": "?"}, 400),
        ({"version": 1, "body": ""}, 400),
    ]:
        with pytest.raises(ApplicationError) as error:
            services.comment_add(actor=district.secretary1, contract=contract, **kwargs)
        assert error.value.status_code == status
    with pytest.raises(ApplicationError) as error:
        services.comment_add(actor=district.secretary3, contract=contract, version=1, body="?")
    assert error.value.status_code == 404
    signed = contract_in(w, ContractState.SIGNED)
    with pytest.raises(ApplicationError) as error:
        services.comment_add(actor=district.secretary1, contract=signed, version=1, body="?")
    assert error.value.status_code == 409
    assert not Comment.objects.exists()


def test_two_versions_side_by_side():
    old = [dict(ITEMS[0]), dict(ITEMS[1])]
    new = [dict(ITEMS[0], quantity=24), dict(ITEMS[1]), {**ITEMS[0], "title": "健康讲座"}]

    rows = compare_versions(old, new)

    assert [r["status"] for r in rows] == ["changed", "unchanged", "added"]
    assert rows[0]["changed"] == ("quantity",)
    assert [r["status"] for r in compare_versions(new, old)] == ["changed", "unchanged", "removed"]


def test_the_compare_page_marks_the_differences(district):
    w = pairing_world(district)
    contract = draft(w)
    services.contract_revise(
        actor=district.unit_contact1, contract=contract, items=[dict(ITEMS[0], quantity=24)], note="义诊加倍"
    )
    client = Client()
    client.force_login(district.secretary1)

    page = client.get(f"/contracts/mine/{contract.pk}/compare/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-status="changed"' in html and 'data-status="removed"' in html
    assert "<del" in html and "24" in html
    outsider = Client()
    outsider.force_login(district.secretary3)
    assert outsider.get(f"/contracts/mine/{contract.pk}/compare/").status_code == 404
