"""/api/v1/stats/: the dashboard's figures for a province platform, the rows behind one figure, and the
JSON errors (400 bad period, 403 no dashboard, 404 outside one's areas)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from dashboards.figures import FIGURES
from tests.dashboards.test_figures_support import EXPECTED, Y, figures_world

pytestmark = pytest.mark.django_db
PERIOD = f"from={Y}-01-01&to={Y}-12-31"


@pytest.fixture
def w(district):
    return figures_world(district)


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_the_figures_of_an_area_and_a_period(w):
    d = w.d
    answer = api(d.district_admin).get(f"/api/v1/stats/?area={d.district.pk}&{PERIOD}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["area"] == {"id": d.district.pk, "name": "越城区", "kind": "district", "code": ""}
    assert body["period"] == {"from": f"{Y}-01-01", "to": f"{Y}-12-31"}
    assert [f["key"] for f in body["figures"]] == list(FIGURES)
    assert {f["key"]: f["value"] for f in body["figures"]} == EXPECTED
    rate = next(f for f in body["figures"] if f["key"] == "councils.resolution_rate")
    assert rate["kind"] == "rate" and rate["section"] == "councils"


def test_without_an_area_it_is_the_callers_own(w):
    answer = api(w.d.street_admin).get(f"/api/v1/stats/?{PERIOD}")
    assert answer.status_code == 200
    assert answer.json()["area"]["id"] == w.d.street1.pk


@pytest.mark.parametrize("area", ["community3", "district"])
def test_an_area_outside_ones_own_is_not_found(w, area):
    answer = api(w.d.street_admin).get(f"/api/v1/stats/?area={getattr(w.d, area).pk}")
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"
    rows = api(w.d.street_admin).get(
        f"/api/v1/stats/figures/councils.issues_raised/?area={getattr(w.d, area).pk}"
    )
    assert rows.status_code == 404


@pytest.mark.parametrize("area", ["abc", "９", "-1", "99999"])
def test_a_malformed_area_is_not_found(w, area):
    assert api(w.d.district_admin).get(f"/api/v1/stats/?area={area}").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        f"from={Y}-12-31&to={Y}-01-01",
        "from=1900-01-01",
        "to=31/12/2026",
        "year=abc",
        "from=2008-01-01&to=2099-01-01",
    ],
)
def test_a_bad_period_is_400_with_the_json_error(w, query):
    answer = api(w.d.district_admin).get(f"/api/v1/stats/?{query}")
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid_period" and body["detail"]


def test_a_login_without_a_dashboard_is_forbidden_and_anonymous_must_sign_in(w):
    answer = api(w.d.member_user).get("/api/v1/stats/")
    assert answer.status_code == 403 and answer.json()["code"] == "no_dashboard"
    assert api().get("/api/v1/stats/").status_code == 401


def test_the_rows_behind_a_figure(w):
    d = w.d
    answer = api(d.district_admin).get(f"/api/v1/stats/figures/councils.issues_raised/?{PERIOD}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["figure"]["value"] == body["count"] == 4
    assert {row["model"] for row in body["results"]} == {"councils.issue"}
    assert {row["text"].split(" · ")[0] for row in body["results"]} == {"问题0", "问题1", "问题2", "仍在办理"}
    paged = api(d.district_admin).get(f"/api/v1/stats/figures/volunteers.claims/?{PERIOD}&page_size=3")
    body = paged.json()
    assert body["count"] == 8 and len(body["results"]) == 3 and body["next"]
    second = api(d.district_admin).get(body["next"]).json()
    assert len(second["results"]) == 3 and second["previous"]


def test_rows_carry_no_phone_numbers_or_addresses(w):
    d = w.d
    for key in (
        "volunteers.orders_taken",
        "volunteers.orders_ordered",
        "points.in_circulation",
        "volunteers.claims",
    ):
        body = api(d.district_admin).get(f"/api/v1/stats/figures/{key}/?{PERIOD}").json()
        text = str(body)
        assert body["results"]
        assert "13900002222" not in text and "2单元501" not in text and "李秀英" not in text


def test_an_unknown_figure_is_not_found(w):
    answer = api(w.d.district_admin).get("/api/v1/stats/figures/no.such/")
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"


def test_the_schema_documents_the_stats(db):
    schema = APIClient().get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "/api/v1/stats/" in text and "/api/v1/stats/figures/{key}/" in text
