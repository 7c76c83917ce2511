"""The dashboard page and the figure lists: who may open which area, bad periods, the empty state, and
lists whose "N rows" is the figure."""

from __future__ import annotations

import pytest
from django.test import Client

from dashboards.figures import FIGURES, compute
from tests.dashboards.test_figures_support import EXPECTED, THIS_YEAR, Y, figures_world

pytestmark = pytest.mark.django_db
PERIOD = f"from={Y}-01-01&to={Y}-12-31"


@pytest.fixture
def w(district):
    return figures_world(district)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_district_dashboard_shows_every_figure_as_a_link_to_its_list(w):
    d = w.d
    page = client_for(d.district_admin).get(f"/dashboards/?{PERIOD}")
    assert page.status_code == 200
    assert page.context["area"] == d.district
    html = page.content.decode()
    for key in FIGURES:
        assert f"/dashboards/{d.district.pk}/figures/{key}/?{PERIOD.replace('&', '&amp;')}" in html, key
    shown = {
        fig["key"]: fig["display"]
        for section in page.context["sections"]
        for fig in section["tiles"] + [f for g in section["groups"] for f in g["figures"]]
    }
    assert shown["councils.resolution_rate"] == "75.0%"
    assert shown["volunteers.claims"] == "8"
    assert 'data-testid="dashboard-empty"' not in html
    # The district's streets, to switch to; the charts and the ledgers' links are included.
    assert {a.name for a in page.context["switcher"]["children"]} == {"府山街道", "塔山街道"}
    assert 'data-testid="dashboard-charts"' in html


def test_a_street_administrator_opens_the_street_and_its_communities_but_no_other(w):
    d = w.d
    client = client_for(d.street_admin)
    top = client.get("/dashboards/")
    assert top.status_code == 200 and top.context["area"] == d.street1
    assert client.get(f"/dashboards/{d.community1.pk}/?{PERIOD}").status_code == 200
    assert client.get(f"/dashboards/{d.community3.pk}/").status_code == 404
    assert client.get(f"/dashboards/{d.district.pk}/").status_code == 404
    assert client.get(f"/dashboards/{d.community3.pk}/figures/councils.issues_raised/").status_code == 404
    assert client.get(f"/dashboards/?area={d.community3.pk}").status_code == 404


def test_the_area_switcher_keeps_the_period(w):
    d = w.d
    page = client_for(d.district_admin).get(f"/dashboards/?area={d.street1.pk}&{PERIOD}")
    assert page.status_code == 302
    assert page.url == f"/dashboards/{d.street1.pk}/?{PERIOD}"


@pytest.mark.parametrize(
    "query, message",
    [
        (f"from={Y}-12-31&to={Y}-01-01", "The period ends before it starts"),
        ("from=1999-01-01&to=2000-01-01", "Choose dates between"),
        ("from=abc", "Write dates as YYYY-MM-DD"),
        ("year=1900", "Choose a year from"),
    ],
)
def test_a_bad_period_is_refused_with_its_message_and_nothing_is_computed(w, query, message):
    client = client_for(w.d.district_admin)
    client.cookies["django_language"] = "en"
    page = client.get(f"/dashboards/{w.d.district.pk}/?{query}")
    assert page.status_code == 400
    assert message in page.content.decode()
    assert "sections" not in page.context
    assert page.context["period"] is None
    listed = client.get(f"/dashboards/{w.d.district.pk}/figures/councils.issues_raised/?{query}")
    assert listed.status_code == 400 and "page_obj" not in listed.context


def test_a_login_without_a_dashboard_gets_a_clear_403(w):
    page = client_for(w.d.member_user).get("/dashboards/")
    assert page.status_code == 403
    assert 'data-testid="no-dashboard"' in page.content.decode()
    assert client_for(w.d.convener1).get("/dashboards/").status_code == 403


def test_signing_in_comes_first():
    page = Client().get("/dashboards/")
    assert page.status_code == 302 and page.url.startswith("/accounts/login/")


def test_an_empty_community_shows_zeros_and_says_so(w):
    d = w.d
    page = client_for(d.secretary2).get(f"/dashboards/?{PERIOD}")
    assert page.status_code == 200
    assert page.context["area"] == d.community2
    html = page.content.decode()
    assert 'data-testid="dashboard-empty"' in html
    tiles = {f["key"]: f["display"] for s in page.context["sections"] for f in s["tiles"]}
    assert tiles["councils.issues_raised"] == "0"
    assert tiles["councils.resolution_rate"] == "—"
    empty_list = client_for(d.secretary2).get(
        f"/dashboards/{d.community2.pk}/figures/councils.issues_raised/"
    )
    assert empty_list.status_code == 200
    assert 'data-testid="rows-empty"' in empty_list.content.decode()


@pytest.mark.parametrize(
    "key",
    [
        "contracts.units_paired",
        "contracts.signed",
        "contracts.milestones_on_time",
        "councils.issues_raised",
        "councils.issues_solved",
        "volunteers.wishes_claimed",
        "volunteers.claims",
        "volunteers.orders_taken",
        "points.market_redemptions",
    ],
)
def test_a_count_figures_list_has_as_many_rows_as_the_figure(w, key):
    d = w.d
    page = client_for(d.district_admin).get(f"/dashboards/{d.district.pk}/figures/{key}/?{PERIOD}")
    assert page.status_code == 200
    value = compute([key], d.district, THIS_YEAR)[key]
    assert value == EXPECTED[key]
    assert page.context["paginator"].count == value
    assert len(page.context["rows"]) == value
    assert page.context["value"]["value"] == value
    assert page.content.decode().count('data-testid="row"') == value


def test_a_sum_figures_list_adds_up_to_the_figure(w):
    d = w.d
    page = client_for(d.district_admin).get(f"/dashboards/{d.district.pk}/figures/volunteers.hours/?{PERIOD}")
    assert page.status_code == 200
    assert sum(row["measure"] for row in page.context["rows"]) == EXPECTED["volunteers.hours"]
    funding = client_for(d.district_admin).get(
        f"/dashboards/{d.district.pk}/figures/contracts.funding/?{PERIOD}"
    )
    assert sum(row["measure"] for row in funding.context["rows"]) == 18000


def test_a_rate_lists_its_base_and_links_its_parts(w):
    d = w.d
    page = client_for(d.district_admin).get(
        f"/dashboards/{d.district.pk}/figures/councils.resolution_rate/?{PERIOD}"
    )
    assert page.status_code == 200
    assert page.context["paginator"].count == 4
    assert [p["display"] for p in page.context["parts"]] == ["3", "4"]
    assert "75.0%" in page.content.decode()


def test_lists_show_no_phone_numbers_addresses_or_residents_full_names(w):
    d = w.d
    client = client_for(d.district_admin)
    for key in FIGURES:
        html = client.get(f"/dashboards/{d.district.pk}/figures/{key}/?{PERIOD}").content.decode()
        assert "13900002222" not in html and "13900001111" not in html, key
        assert "2单元501" not in html, key
        assert "李秀英" not in html, key


def test_an_unknown_figure_is_not_found(w):
    page = client_for(w.d.district_admin).get(f"/dashboards/{w.d.district.pk}/figures/nothing.here/")
    assert page.status_code == 404


def test_the_page_reads_in_english_too(w):
    client = client_for(w.d.district_admin)
    client.cookies["django_language"] = "en"
    english = client.get(f"/dashboards/?{PERIOD}").content.decode()
    assert "Issues raised" in english and "Resolution rate" in english
