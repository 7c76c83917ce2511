"""The points API: wallet and statement, market items, redemptions (create, cancel, lookup, verify), leaderboards."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from points import market as svc
from points.models import Redemption
from tests.api.helpers import assert_error, ids
from tests.points import market_support
from tests.points.market_support import balance, give, make_item, snapshot, stock

pytestmark = pytest.mark.django_db

market = market_support.market  # the fixture
_n = itertools.count(1)


@pytest.fixture
def api():
    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_login(user)
        return client

    return make


def test_anonymous_callers_get_401(api):
    for url in [
        "/api/v1/wallet/",
        "/api/v1/wallet/statement/",
        "/api/v1/market-items/",
        "/api/v1/redemptions/",
    ]:
        assert_error(api().get(url), 401)


# --- Wallet ------------------------------------------------------------------------------------


def test_my_wallet(api, market):
    body = api(market.member_user).get("/api/v1/wallet/").json()

    assert body["balance"] == 200
    assert body["community"] == {"id": market.community1.pk, "name": "越都社区"}
    assert isinstance(body["expiring"], list)


def test_a_login_without_a_resident_record_has_no_wallet(api, market):
    assert_error(api(market.unit_contact1).get("/api/v1/wallet/"), 404, "no_wallet")
    assert_error(api(market.unit_contact1).get("/api/v1/wallet/statement/"), 404, "no_wallet")


def test_the_statement_is_cursor_paged_with_signed_amounts_and_causes(api, market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)
    client = api(d.member_user)

    first = client.get("/api/v1/wallet/statement/", {"page_size": 1}).json()
    second = client.get(first["next"]).json()

    assert [line["amount"] for line in first["results"]] == [-30]
    line = first["results"][0]
    assert line["direction"] == "out" and line["kind"] == "redemption"
    assert line["cause"] == f"points.Redemption:{r.pk}"
    assert line["cause_url"] == f"/points/codes/#redemption-{r.pk}"
    assert [line["amount"] for line in second["results"]] == [200]
    assert "count" not in first  # cursor pages: no COUNT(*)


# --- Market items ------------------------------------------------------------------------------


def test_market_items_of_my_community_with_filters(api, market):
    d = market
    ended = make_item(d, name="已结束", available_from=timezone.now() - timedelta(days=5))
    svc.item_update(actor=None, item=ended, active=False)
    client = api(d.member_user)

    assert ids(client.get("/api/v1/market-items/")) == {d.haircut.pk, d.rice.pk, ended.pk}
    assert ids(client.get("/api/v1/market-items/", {"available": "true"})) == {d.haircut.pk, d.rice.pk}
    assert ids(client.get("/api/v1/market-items/", {"available": "false"})) == {ended.pk}
    assert ids(client.get("/api/v1/market-items/", {"merchant": d.unit1.pk})) == {
        d.haircut.pk,
        d.rice.pk,
        ended.pk,
    }
    item = client.get(f"/api/v1/market-items/{d.haircut.pk}/").json()
    assert item["price"] == 30 and item["stock"] == 10 and item["held"] == 0 and item["available_now"] is True
    assert item["merchant"]["name"] == "越城区人民医院党委"


def test_an_item_of_another_community_is_404(api, market):
    d = market
    assert_error(api(d.resident3_user).get(f"/api/v1/market-items/{d.haircut.pk}/"), 404)
    assert ids(api(d.resident3_user).get("/api/v1/market-items/")) == {d.fushan_item.pk}
    assert_error(api(d.resident3_user).get("/api/v1/market-items/abc/"), 404)


# --- Redemptions -------------------------------------------------------------------------------


def test_redeem_over_the_api(api, market):
    d = market

    response = api(d.member_user).post("/api/v1/redemptions/", {"item": d.haircut.pk}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    r = Redemption.objects.get(pk=body["id"])
    assert body["code"] == r.code and body["grouped_code"] == r.grouped_code
    assert body["state"] == "reserved" and body["points"] == 30
    assert body["qr_link"].endswith(f"/points/verify/?code={r.code}&t={r.token}")
    assert stock(d.haircut) == 9 and balance(d.member_user) == 170
    assert ids(api(d.member_user).get("/api/v1/redemptions/")) == {r.pk}
    assert ids(api(d.resident_user).get("/api/v1/redemptions/")) == set()
    assert_error(api(d.resident_user).get(f"/api/v1/redemptions/{r.pk}/"), 404)


@pytest.mark.parametrize(
    "case, status, code",
    [
        ("beyond-stock", 409, "out_of_stock"),
        ("beyond-limit", 400, "limit_reached"),
        ("not-enough-points", 409, "insufficient_points"),
        ("outside-window", 400, "not_available"),
        ("other-community", 400, "invalid"),
        ("bad-quantity", 400, "invalid"),
    ],
)
def test_bad_redemptions_answer_a_clear_error_and_change_nothing(api, market, case, status, code):
    d = market
    user, item, quantity = d.member_user, d.haircut, 1
    if case == "beyond-stock":
        item = make_item(d, stock=0)
    elif case == "beyond-limit":
        item, quantity = d.rice, 1
        svc.redemption_create(actor=user, item=item)
    elif case == "not-enough-points":
        user, item = d.resident_user, d.rice
    elif case == "outside-window":
        item = make_item(d, available_from=timezone.now() + timedelta(days=2))
    elif case == "other-community":
        user = d.resident3_user
    elif case == "bad-quantity":
        quantity = 0
    before = snapshot(item)

    response = api(user).post("/api/v1/redemptions/", {"item": item.pk, "quantity": quantity}, format="json")

    assert_error(response, status, code)
    assert snapshot(item) == before


def test_cancel_over_the_api(api, market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)
    client = api(d.member_user)

    body = client.post(f"/api/v1/redemptions/{r.pk}/cancel/").json()

    assert body["state"] == "cancelled" and body["qr_link"] is None
    assert balance(d.member_user) == 200
    assert_error(client.post(f"/api/v1/redemptions/{r.pk}/cancel/"), 409, "cancelled")
    assert_error(api(d.resident_user).post(f"/api/v1/redemptions/{r.pk}/cancel/"), 404)


def test_the_merchant_looks_up_and_verifies_a_code(api, market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)
    client = api(d.unit_contact1)

    looked = client.post("/api/v1/redemptions/lookup/", {"code": r.grouped_code}, format="json")
    assert looked.status_code == 200 and looked.json()["holder"] == "王*国"
    assert Redemption.objects.get(pk=r.pk).state == "reserved"

    done = client.post("/api/v1/redemptions/verify/", {"code": r.code, "token": r.token}, format="json")

    assert done.status_code == 200, done.content
    assert done.json()["state"] == "completed" and done.json()["completed_at"]
    assert stock(d.haircut) == 9


@pytest.mark.parametrize(
    "case, status, code",
    [
        ("wrong", 404, "wrong_code"),
        ("used", 409, "already_used"),
        ("expired", 409, "expired"),
        ("cancelled", 409, "cancelled"),
        ("malformed", 400, "invalid_code"),
        ("not-a-merchant", 403, "permission_denied"),
        ("other-merchant", 404, "wrong_code"),
    ],
)
def test_bad_codes_answer_a_clear_error_and_change_nothing(api, market, case, status, code):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)
    verifier, typed = d.unit_contact1, r.code
    if case == "wrong":
        typed = f"{(int(r.code) + 3) % 10**8:08d}"
    elif case == "used":
        svc.redemption_verify(actor=d.unit_contact1, code=r.code)
    elif case == "expired":
        svc.redemptions_expire(now=r.expires_at)
    elif case == "cancelled":
        svc.redemption_cancel(actor=d.member_user, redemption=r)
    elif case == "malformed":
        typed = "1234"
    elif case == "not-a-merchant":
        verifier = d.resident_user
    elif case == "other-merchant":
        verifier = d.unit_contact2
    before = snapshot(d.haircut)

    response = api(verifier).post("/api/v1/redemptions/verify/", {"code": typed}, format="json")

    assert_error(response, status, code)
    assert snapshot(d.haircut) == before


# --- Leaderboards ------------------------------------------------------------------------------


def test_the_leaderboard_of_my_community_this_month(api, market):
    d = market

    body = api(d.resident_user).get("/api/v1/leaderboards/").json()

    assert body["community"]["id"] == d.community1.pk
    assert body["month"] == timezone.localdate().strftime("%Y-%m")
    assert [(row["name"], row["points"], row["is_me"]) for row in body["rows"]] == [
        ("王*国", 200, False),
        ("李*英", 50, True),
    ]


def test_leaderboard_bad_input(api, market):
    d = market
    client = api(d.resident_user)
    assert_error(client.get("/api/v1/leaderboards/", {"community": d.community3.pk}), 404)
    assert_error(client.get("/api/v1/leaderboards/", {"month": "2026-13"}), 400, "invalid")
    assert client.get("/api/v1/leaderboards/", {"month": "2020-01"}).json()["rows"] == []


# --- No query per row --------------------------------------------------------------------------


def _add_items(d, count):
    for _ in range(count):
        make_item(d, name=f"商品{next(_n)}", price=1, stock=5)


def _add_redemptions(d, count):
    for _ in range(count):
        svc.redemption_create(
            actor=d.member_user, item=make_item(d, name=f"商品{next(_n)}", price=1, stock=5)
        )


def _add_lines(d, count):
    for _ in range(count):
        give(d.member_user, 1)


LISTS = {
    "/api/v1/market-items/": _add_items,
    "/api/v1/redemptions/": _add_redemptions,
    "/api/v1/wallet/statement/": _add_lines,
}


@pytest.mark.parametrize("url", list(LISTS))
def test_list_apis_cost_the_same_queries_for_2_and_20_rows(api, market, django_assert_num_queries, url):
    d = market
    client = api(d.member_user)
    LISTS[url](d, 2)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"page_size": 50})
    assert response.status_code == 200
    few = len(queries)

    LISTS[url](d, 18)

    with django_assert_num_queries(few):
        response = client.get(url, {"page_size": 50})
    assert len(response.json()["results"]) >= 20


def test_the_schema_documents_the_points_api(api, market):
    response = api(market.member_user).get("/api/schema/", {"format": "json"})
    paths = response.json()["paths"]
    for path in [
        "/api/v1/wallet/",
        "/api/v1/wallet/statement/",
        "/api/v1/market-items/",
        "/api/v1/redemptions/",
        "/api/v1/redemptions/{id}/cancel/",
        "/api/v1/redemptions/verify/",
        "/api/v1/redemptions/lookup/",
        "/api/v1/leaderboards/",
    ]:
        assert path in paths, path
