"""The points back office: accounts and transfers read-only and scoped, rules and manual awards through
services, the district's allocation form, and changelists whose query count does not grow with rows."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from audit.models import Entry
from community import services as community_services
from points.earning import points_award_for_event, points_manual_adjust
from points.models import (
    Account,
    AccountKind,
    AdjustmentDirection,
    EarningRule,
    EventType,
    ManualAdjustment,
    Transfer,
    TransferKind,
)
from points.services import community_account, district_fund, expiry_sink
from tests.factories import make_user
from tests.points.earning_support import funded, make_rule, request_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def d(district):
    return funded(district)


_serial = itertools.count(1)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(model: str, *parts) -> str:
    return "/".join(["/admin/points", model, *(str(p) for p in parts)]) + "/"


def listed(client, model, **params) -> set[int]:
    response = client.get(url(model), params)
    assert response.status_code == 200, response.status_code
    return {obj.pk for obj in response.context["cl"].result_list}


@pytest.fixture
def root(db):
    return make_user("root", is_superuser=True, is_staff=True)


@pytest.fixture
def earned(d):
    make_rule(district=d.district, points=10)
    return points_award_for_event(
        event_type=EventType.MEETING_ATTENDED, user=d.member_user, community=d.community1, cause_key="admin:1"
    )


# --- Transfers: read-only for everybody -------------------------------------------------------------


@pytest.mark.parametrize("who", ["root", "district_admin", "secretary1"])
def test_transfers_cannot_be_added_changed_or_deleted(d, earned, root, who):
    client = signed_in(root if who == "root" else getattr(d, who))

    assert client.get(url("transfer")).status_code == 200
    assert client.get(url("transfer", "add")).status_code == 403
    page = client.get(url("transfer", earned.pk, "change"))
    assert page.status_code == 200
    assert not page.context["has_change_permission"] and not page.context["has_delete_permission"]
    assert client.post(url("transfer", earned.pk, "change"), {"amount": 999}).status_code == 403
    assert client.post(url("transfer", earned.pk, "delete"), {"post": "yes"}).status_code == 403
    assert Transfer.objects.get(pk=earned.pk).amount == 10


def test_transfers_are_scoped_and_searchable(d, earned):
    assert earned.pk in listed(signed_in(d.secretary1), "transfer")
    assert earned.pk not in listed(signed_in(d.secretary3), "transfer")
    assert listed(signed_in(d.district_admin), "transfer", q="admin:1") == {earned.pk}
    assert earned.pk in listed(signed_in(d.district_admin), "transfer", kind=TransferKind.EARNING)
    assert signed_in(d.secretary3).get(url("transfer", earned.pk, "change")).status_code == 404


# --- Accounts ---------------------------------------------------------------------------------------


def test_a_secretary_sees_only_the_own_communitys_accounts(d):
    community1_accounts = {
        community_account(community=d.community1).pk,
        d.member_wallet.pk,
        d.resident_wallet.pk,
    }

    assert listed(signed_in(d.secretary1), "account") == community1_accounts
    assert signed_in(d.secretary2).get(url("account", d.member_wallet.pk, "change")).status_code == 404
    everything = listed(signed_in(d.district_admin), "account")
    assert community1_accounts < everything
    assert {district_fund(area=d.district).pk, community_account(community=d.community3).pk} < everything


def test_an_account_page_shows_its_statement_and_expiry_and_cannot_change(d, earned):
    page = signed_in(d.secretary1).get(url("account", d.member_wallet.pk, "change"))

    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    content = page.content.decode()
    assert "越都社区积分账户" in content and "+10" in content
    assert signed_in(d.secretary1).get(url("account", "add")).status_code == 403


@pytest.mark.parametrize("who", ["resident_user", "member_user", "unit_contact1"])
def test_no_back_office_for_residents_members_and_unit_contacts(d, who):
    response = signed_in(getattr(d, who)).get(url("account"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- Earning rules ----------------------------------------------------------------------------------

RULE_FORM = {
    "event_type": EventType.WISH_FULFILLED,
    "points": "15",
    "unit_label": "次",
    "daily_cap": "30",
    "monthly_cap": "300",
    "active": "on",
    "valid_from": "2026-01-01",
    "valid_until": "",
    "note": "",
}


def test_the_district_admin_adds_a_default_rule_through_the_form(d):
    response = signed_in(d.district_admin).post(
        url("earningrule", "add"), {**RULE_FORM, "district": d.district.pk}
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    rule = EarningRule.objects.get()
    assert (rule.district, rule.community, rule.points, rule.daily_cap) == (d.district, None, 15, 30)
    assert rule.history.get().history_user == d.district_admin


def test_a_secretary_adds_an_override_and_cannot_touch_the_default(d):
    default = make_rule(district=d.district, points=10)
    client = signed_in(d.secretary1)

    form = client.get(url("earningrule", "add")).context["adminform"].form
    assert "district" not in form.fields
    assert set(form.fields["community"].queryset) == {d.community1}
    response = client.post(url("earningrule", "add"), {**RULE_FORM, "community": d.community1.pk})
    assert response.status_code == 302
    override = EarningRule.objects.get(community=d.community1)
    assert override.district == d.district

    # The default is in sight (it applies to the community) but not to be changed.
    assert listed(client, "earningrule") == {default.pk, override.pk}
    page = client.get(url("earningrule", default.pk, "change"))
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert (
        client.post(url("earningrule", default.pk, "change"), {**RULE_FORM, "points": "99"}).status_code
        == 403
    )
    assert EarningRule.objects.get(pk=default.pk).points == 10
    # Another community's secretary sees the default, not community1's override.
    assert listed(signed_in(d.secretary3), "earningrule") == {default.pk}


def test_a_secretary_changes_the_own_override_through_the_service(d):
    override = make_rule(d.community1, points=10)
    response = signed_in(d.secretary1).post(
        url("earningrule", override.pk, "change"),
        {**RULE_FORM, "event_type": override.event_type, "points": "12"},
    )

    assert response.status_code == 302
    override.refresh_from_db()
    assert override.points == 12
    assert override.history.first().history_user == d.secretary1


def test_a_refused_rule_shows_the_reason_and_saves_nothing(d):
    make_rule(d.community1, event_type=EventType.WISH_FULFILLED, points=10, valid_from=date(2025, 1, 1))

    response = signed_in(d.secretary1).post(
        url("earningrule", "add"), {**RULE_FORM, "community": d.community1.pk}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert EarningRule.objects.count() == 1


# --- Manual awards ----------------------------------------------------------------------------------


def award_form(d, **fields):
    return {
        "recipient": d.member_person.pk,
        "direction": AdjustmentDirection.AWARD,
        "amount": "50",
        "reason": "协助社区疫苗接种登记",
        "request_id": request_id(),
        **fields,
    }


def test_the_manual_award_form_awards_and_publishes(d):
    client = signed_in(d.secretary1)
    form = client.get(url("manualadjustment", "add")).context["adminform"].form
    assert set(form.fields["recipient"].queryset) == {d.member_person, d.resident}

    response = client.post(url("manualadjustment", "add"), award_form(d))

    assert response.status_code == 302
    adjustment = ManualAdjustment.objects.get()
    assert (adjustment.actor, adjustment.amount, adjustment.wallet) == (d.secretary1, 50, d.member_wallet)
    assert Entry.objects.filter(kind="points.manual_award").count() == 1
    page = client.get(url("manualadjustment", adjustment.pk, "change"))
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert client.post(url("manualadjustment", adjustment.pk, "delete"), {"post": "yes"}).status_code == 403


def test_the_form_shows_a_refusal_and_changes_nothing(d, settings):
    settings.POINTS_MANUAL_MONTHLY_LIMIT = 40
    client = signed_in(d.secretary1)

    response = client.post(url("manualadjustment", "add"), award_form(d))

    assert response.status_code == 200
    assert "40" in " ".join(response.context["adminform"].form.non_field_errors())
    assert (
        not ManualAdjustment.objects.exists()
        and not Entry.objects.filter(kind__startswith="points.manual").exists()
    )


def test_the_form_refuses_a_missing_reason_and_another_communitys_resident(d):
    client = signed_in(d.secretary2)
    response = client.post(url("manualadjustment", "add"), award_form(d, reason=""))
    form = response.context["adminform"].form
    assert response.status_code == 200 and "recipient" in form.errors and "reason" in form.errors
    assert not ManualAdjustment.objects.exists()


@pytest.mark.parametrize("who", ["district_admin", "street_admin", "convener1"])
def test_only_community_staff_get_the_award_form(d, who):
    assert signed_in(getattr(d, who)).get(url("manualadjustment", "add")).status_code == 403


# --- Allocation -------------------------------------------------------------------------------------


def test_the_district_admin_allocates_through_the_form(d):
    client = signed_in(d.district_admin)
    assert "points/account/allocate/" in client.get(url("account")).content.decode()
    before = Account.objects.get(pk=community_account(community=d.community2).pk).balance

    page = client.get(url("account", "allocate"))
    data = {
        "community": d.community2.pk,
        "amount": "3000",
        "reason": "二季度积分划拨",
        "request_id": page.context["form"]["request_id"].value(),
    }
    assert client.post(url("account", "allocate"), data).status_code == 302
    assert client.post(url("account", "allocate"), data).status_code == 302  # a double click

    assert Account.objects.get(pk=community_account(community=d.community2).pk).balance == before + 3000


def test_the_allocation_form_refuses_bad_input(d):
    response = signed_in(d.district_admin).post(
        url("account", "allocate"),
        {"community": d.community2.pk, "amount": "1.5", "reason": "", "request_id": "x"},
    )
    assert response.status_code == 200 and {"amount", "reason"} <= set(response.context["form"].errors)


@pytest.mark.parametrize("who", ["secretary1", "street_admin"])
def test_only_the_district_admin_allocates(d, who):
    client = signed_in(getattr(d, who))
    assert client.get(url("account", "allocate")).status_code == 403
    assert "points/account/allocate/" not in client.get(url("account")).content.decode()


# --- Query counts -------------------------------------------------------------------------------------


def grow(d, model: str, count: int) -> None:
    for _ in range(count):
        n = next(_serial)
        user = make_user(f"grow{n}")
        community_services.person_create(actor=None, name=f"测试{n}", community=d.community1, user=user)
        if model in ("transfer", "earning", "account"):
            points_award_for_event(
                event_type=EventType.MEETING_ATTENDED,
                user=user,
                community=d.community1,
                cause_key=f"grow:{n}",
            )
        elif model == "manualadjustment":
            points_manual_adjust(
                actor=d.secretary1,
                user=user,
                amount=1,
                direction=AdjustmentDirection.AWARD,
                reason="社区志愿服务表彰",
                request_key=request_id(),
            )
        elif model == "earningrule":
            make_rule(d.community1, event_type=EventType.ISSUE_REPORTED, points=1, active=False)


@pytest.mark.parametrize("model", ["account", "transfer", "earningrule", "earning", "manualadjustment"])
@pytest.mark.parametrize("who", ["district_admin", "secretary1"])
def test_changelist_queries_do_not_grow_with_rows(d, model, who):
    make_rule(district=d.district, points=1)
    expiry_sink(area=d.district)
    grow(d, model, 2)
    client = signed_in(getattr(d, who))
    client.get(url(model))  # warm the session and the content types

    with CaptureQueriesContext(connection) as few:
        assert client.get(url(model)).status_code == 200
    grow(d, model, 18)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url(model))

    assert len(response.context["cl"].result_list) >= 20
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(many) <= 25


def test_the_account_list_filters_by_kind(d):
    wallets = listed(signed_in(d.district_admin), "account", kind=AccountKind.WALLET)
    assert wallets == {d.member_wallet.pk, d.resident_wallet.pk}


def test_a_rules_history_is_in_the_back_office(d):
    override = make_rule(d.community1, points=10)
    client = signed_in(d.secretary1)
    client.post(
        url("earningrule", override.pk, "change"),
        {**RULE_FORM, "event_type": override.event_type, "points": "11"},
    )

    page = client.get(url("earningrule", override.pk, "history"))

    assert page.status_code == 200
    assert str(d.secretary1) in page.content.decode()
    assert signed_in(d.secretary3).get(url("earningrule", override.pk, "history")).status_code == 404
