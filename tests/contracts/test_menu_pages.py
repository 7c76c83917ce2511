"""The menus page (四类菜单): browse offers and needs, see the offers that match a need, add to a menu,
post a need, and draft a contract whose items start from the chosen offers."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from contracts import services
from contracts.models import Contract, MenuOffer, Need
from tests.contracts.support import pairing_world

pytestmark = pytest.mark.django_db


def signed_in(user, language: str = "zh-hans") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def menus(d):
    unit_offer = services.menu_offer_create(
        actor=d.unit_contact1,
        organisation=d.unit1,
        kind="service",
        title="专家义诊进社区",
        description="每月一次，内科、骨科专家",
        quantity=12,
        unit="次",
        estimated_value=6000,
    )
    community_offer = services.menu_offer_create(
        actor=d.secretary1, organisation=d.party1, kind="resource", title="提供党群服务中心场地"
    )
    need = services.need_post(
        actor=d.secretary1, community=d.community1, kind="service", title="老年人慢病随访"
    )
    return unit_offer, community_offer, need


def test_the_menus_page_lists_offers_and_needs_and_matches_a_need(district):
    unit_offer, community_offer, need = menus(district)
    client = signed_in(district.secretary1)
    page = client.get("/contracts/menus/").content.decode()
    assert "专家义诊进社区" in page and "提供党群服务中心场地" in page and "老年人慢病随访" in page
    matched = client.get(f"/contracts/menus/?need={need.pk}")
    assert [o.pk for o in matched.context["offers"]] == [unit_offer.pk]  # same kind; not the own community's
    assert "老年人慢病随访" in matched.content.decode()
    only_resources = client.get("/contracts/menus/?kind=resource")
    assert [o.pk for o in only_resources.context["offers"]] == [community_offer.pk]
    assert signed_in(district.secretary1).get("/contracts/menus/?kind=nonsense").status_code == 200
    assert Client().get("/contracts/menus/").status_code == 302  # sign in first


def test_a_unit_contact_puts_an_offer_on_the_units_menu_and_nowhere_else(district):
    client = signed_in(district.unit_contact1, "en")
    form = {"action": "offer", "kind": "service", "title": "健康讲座", "unit": "场", "quantity": "4"}
    assert client.post("/contracts/menus/", {**form, "organisation": district.unit1.pk}).status_code == 302
    offer = MenuOffer.objects.get()
    assert (offer.organisation, offer.area, offer.quantity) == (district.unit1, district.community1, 4)
    # Another unit's menu is not among the choices: a clear form error, nothing added.
    response = client.post("/contracts/menus/", {**form, "organisation": district.unit2.pk})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert MenuOffer.objects.count() == 1


def test_a_secretary_posts_a_need_and_a_missing_title_changes_nothing(district):
    client = signed_in(district.secretary1)
    assert (
        client.post(
            "/contracts/menus/",
            {
                "action": "need",
                "community": district.community1.pk,
                "kind": "resource",
                "title": "需要活动场地",
            },
        ).status_code
        == 302
    )
    assert Need.objects.get().community == district.community1
    bad = client.post(
        "/contracts/menus/", {"action": "need", "community": district.community1.pk, "kind": "resource"}
    )
    assert bad.status_code == 400
    assert Need.objects.count() == 1
    # A unit contact has no need form: needs are posted by communities.
    assert signed_in(district.unit_contact1).get("/contracts/menus/").context["need_form"] is None


def test_a_draft_starts_from_the_chosen_offers_with_the_pairing_chosen(district):
    w = pairing_world(district)
    unit_offer, community_offer, _need = menus(district)
    client = signed_in(district.secretary1)
    page = client.get(f"/contracts/mine/new/?offers={unit_offer.pk}&offers={community_offer.pk}&offers=x")
    assert page.status_code == 200
    assert page.context["form"].initial["pairing"] == w.pairing
    rows = [form.initial for form in page.context["items"].forms[:2]]
    assert [(r["side"], r["kind"], r["title"], r["budget"]) for r in rows] == [
        ("unit", "service", "专家义诊进社区", 6000),
        ("community", "resource", "提供党群服务中心场地", None),
    ]
    assert "专家义诊进社区" in page.content.decode()

    data = {
        "pairing": w.pairing.pk,
        "title": "2027年度共建契约",
        "term_start": "2027-01-01",
        "term_end": "2027-12-31",
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "1",
        "items-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        for field in ("side", "kind", "title", "deliverable", "quantity", "unit", "schedule", "budget"):
            data[f"items-{n}-{field}"] = "" if row.get(field) is None else row[field]
    response = client.post("/contracts/mine/new/", data)
    assert response.status_code == 302
    items = Contract.objects.get().versions.get().items
    assert [i["title"] for i in items] == ["专家义诊进社区", "提供党群服务中心场地"]


def test_the_menus_page_costs_the_same_queries_for_few_or_many_offers(district):
    pairing_world(district)
    client = signed_in(district.secretary1)
    for n in range(2):
        services.menu_offer_create(actor=None, organisation=district.unit1, kind="service", title=f"服务{n}")
        services.need_post(actor=None, community=district.community1, kind="service", title=f"需求{n}")
    client.get("/contracts/menus/")
    with CaptureQueriesContext(connection) as few:
        client.get("/contracts/menus/")
    for n in range(2, 25):
        services.menu_offer_create(actor=None, organisation=district.unit1, kind="service", title=f"服务{n}")
        services.need_post(actor=None, community=district.community1, kind="service", title=f"需求{n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/contracts/menus/")
    assert len(response.context["offers"]) == 25 and len(response.context["needs"]) == 25
    assert len(many) == len(few)
