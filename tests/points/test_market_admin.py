"""The market's back office: items offered and changed through the services, redemptions read and cancelled, all scoped."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from points import market as svc
from points.models import MarketItem, Redemption
from tests.points import market_support
from tests.points.market_support import balance, make_item, stock

pytestmark = pytest.mark.django_db

market = market_support.market  # the fixture
_n = itertools.count(1)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed(client, model: str) -> set[int]:
    response = client.get(f"/admin/points/{model}/")
    assert response.status_code == 200, response.status_code
    return {obj.pk for obj in response.context["cl"].result_list}


def test_staff_see_the_items_of_their_communities_only(market):
    d = market
    assert listed(signed_in(d.secretary1), "marketitem") == {d.haircut.pk, d.rice.pk}
    assert listed(signed_in(d.secretary3), "marketitem") == {d.fushan_item.pk}
    assert signed_in(d.secretary3).get(f"/admin/points/marketitem/{d.haircut.pk}/change/").status_code == 404


def test_residents_and_unit_contacts_have_no_market_back_office(market):
    for user in (market.member_user, market.unit_contact1):
        assert signed_in(user).get("/admin/points/marketitem/").status_code in (302, 403)


def test_an_item_is_offered_through_the_service(market):
    d = market
    now = timezone.localtime()
    response = signed_in(d.secretary1).post(
        "/admin/points/marketitem/add/",
        {
            "name": "义诊券",
            "description": "",
            "merchant": d.unit1.pk,
            "community": d.community1.pk,
            "price": "25",
            "stock": "8",
            "per_person_limit": "1",
            "available_from_0": now.strftime("%Y-%m-%d"),
            "available_from_1": now.strftime("%H:%M:%S"),
            "available_until_0": "",
            "available_until_1": "",
            "pickup_place": "人民医院门诊楼",
            "active": "on",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    item = MarketItem.objects.get(name="义诊券")
    assert item.created_by == d.secretary1 and item.stock == 8


def test_a_bad_item_is_shown_again_with_the_reason(market):
    d = market
    now = timezone.localtime()
    response = signed_in(d.secretary1).post(
        "/admin/points/marketitem/add/",
        {
            "name": "义诊券",
            "merchant": d.unit1.pk,
            "community": d.community1.pk,
            "price": "10",
            "stock": "8",
            "per_person_limit": "1",
            "available_from_0": now.strftime("%Y-%m-%d"),
            "available_from_1": now.strftime("%H:%M:%S"),
            "available_until_0": (now - timedelta(days=2)).strftime("%Y-%m-%d"),
            "available_until_1": "08:00:00",
            "pickup_place": "人民医院",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not MarketItem.objects.filter(name="义诊券").exists()


def test_staff_read_redemptions_and_cancel_them_with_a_refund(market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)
    client = signed_in(d.secretary1)

    assert listed(client, "redemption") == {r.pk}
    assert client.get(f"/admin/points/redemption/{r.pk}/change/").status_code == 200
    assert listed(signed_in(d.secretary3), "redemption") == set()

    response = client.post(
        "/admin/points/redemption/", {"action": "cancel_selected", "_selected_action": [r.pk]}, follow=True
    )

    assert response.status_code == 200
    assert Redemption.objects.get(pk=r.pk).state == "cancelled"
    assert balance(d.member_user) == 200 and stock(d.haircut) == 10


def test_a_redemption_is_never_edited_in_the_back_office(market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)
    client = signed_in(d.secretary1)

    client.post(f"/admin/points/redemption/{r.pk}/change/", {"state": "completed", "points": 1})

    assert Redemption.objects.get(pk=r.pk).state == "reserved"
    assert client.get("/admin/points/redemption/add/").status_code == 403


def test_changelists_do_not_query_per_row(market, django_assert_num_queries):
    d = market
    client = signed_in(d.secretary1)

    def add(count):
        for _ in range(count):
            item = make_item(d, name=f"商品{next(_n)}", price=1, stock=5)
            svc.redemption_create(actor=d.member_user, item=item)

    for model in ("marketitem", "redemption"):
        add(2)
        with CaptureQueriesContext(connection) as queries:
            client.get(f"/admin/points/{model}/")
        add(18)
        with django_assert_num_queries(len(queries)):
            client.get(f"/admin/points/{model}/")
