"""The points pages for each role: my points, the market, redeeming, my codes, verifying, leaderboards."""

from __future__ import annotations

import itertools
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community import services as community_services
from points import market as svc
from points.models import Redemption
from tests.factories import make_user
from tests.points import market_support
from tests.points.market_support import balance, give, make_item, snapshot, stock

pytestmark = pytest.mark.django_db

market = market_support.market  # the fixture
HTMX = {"HTTP_HX_REQUEST": "true"}
_n = itertools.count(1)


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def test_urls_are_under_points():
    assert reverse("points:wallet") == "/points/"
    assert reverse("points:market") == "/points/market/"
    assert reverse("points:item", args=[3]) == "/points/market/3/"
    assert reverse("points:redeem", args=[3]) == "/points/market/3/redeem/"
    assert reverse("points:codes") == "/points/codes/"
    assert reverse("points:cancel", args=[3]) == "/points/codes/3/cancel/"
    assert reverse("points:verify") == "/points/verify/"
    assert reverse("points:leaderboard") == "/points/leaderboard/"


@pytest.mark.parametrize(
    "url", ["/points/", "/points/market/", "/points/codes/", "/points/verify/", "/points/leaderboard/"]
)
def test_every_points_page_needs_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_main_navigation_links_my_points_and_the_market(login, market):
    html = login(market.member_user).get("/").content.decode()
    assert 'href="/points/"' in html and 'href="/points/market/"' in html
    assert 'href="/points/verify/"' not in html


@pytest.mark.parametrize("who", ["unit_contact1", "secretary1"])
def test_merchants_contacts_and_market_staff_get_verify_in_the_navigation(login, market, who):
    html = login(getattr(market, who)).get("/").content.decode()
    assert 'class="nav-link" href="/points/verify/"' in html


# --- My points ---------------------------------------------------------------------------------


def test_my_points_shows_the_balance_and_every_line_with_its_cause(login, market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)

    response = login(d.member_user).get("/points/")

    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'data-testid="balance">\s*170\s*<', html)
    lines = response.context["lines"]
    assert [t.signed_amount for t, _url in lines] == [-30, 200]
    assert lines[0][1] == f"/points/codes/#redemption-{r.pk}"  # the redemption's line links to its code
    assert f'href="/points/codes/#redemption-{r.pk}"' in html
    assert "志愿服务" in html  # the earning's memo
    assert 'data-testid="expiry"' in html


def test_the_statement_pages_with_older_entries_also_by_htmx(login, market):
    d = market
    for _ in range(25):
        give(d.member_user, 1)
    client = login(d.member_user)

    first = client.get("/points/")
    more = first.context["more"]
    older = client.get("/points/", {"before": more}, **HTMX)

    assert len(first.context["lines"]) == 20 and more
    html = older.content.decode()
    assert "<html" not in html and html.count('data-testid="statement-line"') == 6
    assert 'data-testid="statement-more"' not in html


def test_a_login_without_a_resident_record_has_no_wallet(login, market):
    response = login(market.unit_contact1).get("/points/")

    assert response.status_code == 200
    assert 'data-testid="no-wallet"' in response.content.decode()
    assert 'href="/points/verify/"' in response.content.decode()


# --- Market ------------------------------------------------------------------------------------


def item_ids(response) -> set[int]:
    return {
        int(pk)
        for pk in re.findall(r'data-testid="market-item" data-item="(\d+)"', response.content.decode())
    }


def test_a_resident_sees_the_market_of_their_own_community(login, market):
    d = market

    response = login(d.resident_user).get("/points/market/")

    assert response.status_code == 200
    assert item_ids(response) == {d.haircut.pk, d.rice.pk}
    assert "50" in response.content.decode()  # my points


def test_a_resident_of_another_community_sees_theirs_and_gets_404_for_ours(login, market):
    d = market
    client = login(d.resident3_user)

    assert item_ids(client.get("/points/market/")) == {d.fushan_item.pk}
    assert client.get(f"/points/market/{d.haircut.pk}/").status_code == 404
    before = snapshot(d.haircut)
    assert client.post(f"/points/market/{d.haircut.pk}/redeem/", {"quantity": 1}).status_code == 404
    assert snapshot(d.haircut) == before


def test_the_merchants_contact_sees_the_items_of_their_unit(login, market):
    d = market

    response = login(d.unit_contact1).get("/points/market/")

    assert item_ids(response) == {d.haircut.pk, d.rice.pk}
    assert 'data-testid="redeem-start"' not in response.content.decode()


def test_items_that_cannot_be_redeemed_say_why(login, market):
    d = market
    make_item(d, name="已兑完", stock=0)
    svc.redemption_create(actor=d.member_user, item=d.rice)

    html = login(d.member_user).get("/points/market/").content.decode()

    assert html.count('data-testid="redeem-start"') == 1  # only the haircut is still open to me


def test_redeeming_goes_through_a_confirm_step_then_shows_the_code(login, market):
    d = market
    client = login(d.member_user)

    confirm = client.get(f"/points/market/{d.haircut.pk}/")
    assert confirm.status_code == 200 and 'data-testid="redeem-confirm"' in confirm.content.decode()
    assert stock(d.haircut) == 10  # looking changes nothing

    response = client.post(f"/points/market/{d.haircut.pk}/redeem/", {"quantity": 1}, follow=True)

    r = Redemption.objects.get(user=d.member_user)
    assert response.redirect_chain[-1][0] == f"/points/codes/#redemption-{r.pk}"
    html = response.content.decode()
    assert r.grouped_code in html and "<svg" in html
    assert stock(d.haircut) == 9 and balance(d.member_user) == 170


def test_a_refused_redemption_shows_why_and_changes_nothing(login, market):
    d = market
    before = snapshot(d.rice)

    response = login(d.resident_user).post(f"/points/market/{d.rice.pk}/redeem/", {"quantity": 1})

    assert response.status_code == 400
    assert 'data-code="insufficient_points"' in response.content.decode()
    assert snapshot(d.rice) == before


def test_redeeming_beyond_the_limit_on_the_page_is_refused(login, market):
    d = market
    client = login(d.member_user)
    client.post(f"/points/market/{d.rice.pk}/redeem/", {"quantity": 1})
    before = snapshot(d.rice)

    response = client.post(f"/points/market/{d.rice.pk}/redeem/", {"quantity": 1})

    assert response.status_code == 400
    assert snapshot(d.rice) == before


# --- My codes ----------------------------------------------------------------------------------


def test_my_codes_show_a_qr_and_large_digits_and_the_history(login, market):
    d = market
    open_one = svc.redemption_create(actor=d.member_user, item=d.haircut)
    done = svc.redemption_create(actor=d.member_user, item=d.rice)
    svc.redemption_verify(actor=d.unit_contact1, code=done.code)
    svc.redemption_create(actor=d.resident_user, item=d.haircut)  # not mine

    response = login(d.member_user).get("/points/codes/")

    html = response.content.decode()
    assert html.count('data-testid="open-code"') == 1
    assert open_one.grouped_code in html and f"t={open_one.token}" not in html  # the secret is in the QR only
    assert html.count('<svg class="points-qr"') == 1
    assert f'id="redemption-{done.pk}"' in html and 'data-state="completed"' in html
    assert done.grouped_code not in html  # a used code is not shown again


def test_the_holder_cancels_from_the_codes_page(login, market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)

    response = login(d.member_user).post(f"/points/codes/{r.pk}/cancel/", follow=True)

    assert response.status_code == 200
    assert Redemption.objects.get(pk=r.pk).state == "cancelled"
    assert balance(d.member_user) == 200 and stock(d.haircut) == 10


def test_nobody_else_can_cancel_my_code_from_the_page(login, market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)

    assert login(d.resident_user).post(f"/points/codes/{r.pk}/cancel/").status_code == 404
    assert Redemption.objects.get(pk=r.pk).state == "reserved"


# --- Verify ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member_user", "resident_user"])
def test_residents_and_members_may_not_open_the_verify_page(login, market, who):
    assert login(getattr(market, who)).get("/points/verify/").status_code == 403


def test_the_merchant_looks_up_then_completes_a_code(login, market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)
    client = login(d.unit_contact1)

    found = client.get("/points/verify/", {"code": r.grouped_code})
    html = found.content.decode()
    assert found.status_code == 200 and 'data-testid="verify-found"' in html
    assert "王*国" in html and "王建国" not in html
    assert Redemption.objects.get(pk=r.pk).state == "reserved"  # looking is not completing

    done = client.post("/points/verify/", {"code": r.code, "t": ""}, follow=True)

    assert done.status_code == 200
    assert Redemption.objects.get(pk=r.pk).state == "completed"


def test_a_scanned_qr_link_opens_the_lookup_with_its_secret(login, market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)
    client = login(d.unit_contact1)

    assert client.get("/points/verify/", {"code": r.code, "t": r.token}).status_code == 200
    assert client.get("/points/verify/", {"code": r.code, "t": "forged-secret"}).status_code == 404


@pytest.mark.parametrize(
    "case, status, code",
    [("wrong", 404, "wrong_code"), ("used", 409, "already_used"), ("malformed", 400, None)],
)
def test_bad_codes_on_the_verify_page_say_why_and_change_nothing(login, market, case, status, code):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)
    typed = {"wrong": f"{(int(r.code) + 7) % 10**8:08d}", "used": r.code, "malformed": "12 34"}[case]
    if case == "used":
        svc.redemption_verify(actor=d.unit_contact1, code=r.code)
    before = snapshot(d.haircut)

    response = login(d.unit_contact1).post("/points/verify/", {"code": typed})

    assert response.status_code == status
    if code:
        assert f'data-code="{code}"' in response.content.decode()
    assert snapshot(d.haircut) == before


def test_the_verify_lookup_answers_htmx_with_the_panel_only(login, market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)

    response = login(d.unit_contact1).get("/points/verify/", {"code": r.code}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="verify-panel">') and "<html" not in html


# --- Leaderboard -------------------------------------------------------------------------------


def test_the_leaderboard_shows_my_community_with_masked_names(login, market):
    d = market

    response = login(d.resident_user).get("/points/leaderboard/")

    html = response.content.decode()
    assert response.status_code == 200
    assert [row["points"] for row in response.context["rows"]] == [200, 50]
    assert "王*国" in html and "李*英" in html and "王建国" not in html


def test_another_communitys_leaderboard_is_404_for_a_resident_but_open_to_its_staff(login, market):
    d = market
    assert (
        login(d.resident_user).get("/points/leaderboard/", {"community": d.community3.pk}).status_code == 404
    )
    assert login(d.resident_user).get("/points/leaderboard/", {"community": "x"}).status_code == 404
    response = login(d.secretary3).get("/points/leaderboard/", {"community": d.community3.pk})
    assert response.status_code == 200 and [row["points"] for row in response.context["rows"]] == [100]


# --- No query per row --------------------------------------------------------------------------


def _queries(client, url, **extra) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200, response.content[:500]
    return len(queries)


def _add_items(d, count):
    for _ in range(count):
        make_item(d, name=f"商品{next(_n)}", price=1, stock=5)


def _add_codes(d, count):
    for _ in range(count):
        item = make_item(d, name=f"商品{next(_n)}", price=1, stock=5)
        svc.redemption_create(actor=d.member_user, item=item)


def _add_lines(d, count):
    for _ in range(count):
        give(d.member_user, 1)


def _add_neighbours(d, count):
    for _ in range(count):
        user = make_user(f"neighbour{next(_n)}")
        community_services.person_create(
            actor=None, name=f"邻居{next(_n)}", community=d.community1, user=user
        )
        user.refresh_from_db()
        give(user, 5)


def _add_verified(d, count):
    for _ in range(count):
        item = make_item(d, name=f"商品{next(_n)}", price=1, stock=5)
        r = svc.redemption_create(actor=d.member_user, item=item)
        svc.redemption_verify(actor=d.unit_contact1, code=r.code)


PAGES = {
    "market": ("/points/market/", "member_user", _add_items),
    "codes": ("/points/codes/", "member_user", _add_codes),
    "statement": ("/points/", "member_user", _add_lines),
    "leaderboard": ("/points/leaderboard/", "member_user", _add_neighbours),
    "verify-recent": ("/points/verify/", "unit_contact1", _add_verified),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_list_pages_cost_the_same_queries_for_2_and_20_rows(login, market, django_assert_num_queries, page):
    url, who, add = PAGES[page]
    d = market
    client = login(getattr(d, who))
    add(d, 2)
    few = _queries(client, url)

    add(d, 18)

    with django_assert_num_queries(few):
        client.get(url)
