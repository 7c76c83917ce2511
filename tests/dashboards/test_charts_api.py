"""/api/v1/stats/trends|comparison|scores/: the charts' numbers for a province platform, their JSON shape,
who may ask for which area, and the errors (400 bad period, 403 no dashboard, 404 outside)."""

from __future__ import annotations

import pytest
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from tests.api.helpers import assert_error
from tests.dashboards.test_charts_support import chart_world

pytestmark = pytest.mark.django_db

YEAR_2025 = {"from": "2025-01-01", "to": "2025-12-31"}


@pytest.fixture
def world(district):
    return chart_world(district)


def api(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def test_trends_give_every_series_by_month(world):
    d = world

    response = api(d.district_admin).get("/api/v1/stats/trends/", {"area": d.district.pk, **YEAR_2025})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["area"] == {"id": d.district.pk, "name": "越城区", "kind": "district"}
    assert body["period"] == {"start": "2025-01-01", "end": "2025-12-31"}
    assert body["months"][0] == "2025-01" and body["months"][-1] == "2025-12"
    series = {s["key"]: s for s in body["series"]}
    assert list(series) == [
        "contracts_signed",
        "consultation_meetings",
        "issues_raised",
        "issues_solved",
        "orders_done",
        "wishes_fulfilled",
        "activity_hours",
        "points_issued",
    ]
    assert series["contracts_signed"] == {
        "key": "contracts_signed",
        "label": "Contracts signed",
        "unit": "count",
        "data": [1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    }
    assert all(isinstance(n, int) for n in series["contracts_signed"]["data"])
    assert series["activity_hours"]["data"][8] == 6.0
    assert series["points_issued"]["data"][9:11] == [30, 5]


def test_comparison_gives_each_part_and_the_total(world):
    d = world

    response = api(d.street_admin).get("/api/v1/stats/comparison/", {"area": d.street1.pk, **YEAR_2025})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["part_kind"] == "community"
    assert [m["key"] for m in body["measures"]][:3] == ["issues_raised", "issues_solved", "resolution_rate"]
    parts = {p["name"]: p for p in body["parts"]}
    assert parts["越都社区"]["id"] == d.community1.pk
    assert parts["越都社区"]["values"] == {
        "issues_raised": 3,
        "issues_solved": 2,
        "resolution_rate": 66.7,
        "contracts_signed": 2,
        "members_reported": 2,
        "orders_done": 0,
        "points_issued": 10,
    }
    assert parts["治平社区"]["values"]["resolution_rate"] is None
    assert body["total"]["members_reported"] == 4
    assert body["total"]["orders_done"] == 2


def test_a_communitys_comparison_leaves_out_what_is_not_compared_by_compound(world):
    d = world

    body = api(d.secretary1).get("/api/v1/stats/comparison/", {"area": d.community1.pk, **YEAR_2025}).json()

    assert body["part_kind"] == "compound"
    assert body["parts"][0]["values"] == {"issues_raised": 3, "issues_solved": 2, "resolution_rate": 66.7}
    assert "contracts_signed" not in body["total"]


def test_scores_give_the_three_distributions(world):
    d = world

    response = api(d.district_admin).get("/api/v1/stats/scores/", {"year": "2025"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["area"]["id"] == d.district.pk  # the caller's own top area by default
    distributions = {x["key"]: x for x in body["distributions"]}
    assert list(distributions) == ["contract_scores", "issue_satisfaction", "order_stars"]
    assert distributions["contract_scores"]["buckets"][0] == {
        "key": "below_60",
        "label": "Below 60",
        "count": 1,
    }
    assert distributions["issue_satisfaction"]["total"] == 3
    assert distributions["order_stars"]["total"] == 3


def test_an_empty_period_answers_zeros_not_an_error(world):
    d = world

    trends = api(d.district_admin).get("/api/v1/stats/trends/", {"year": "2021"}).json()
    compared = api(d.district_admin).get("/api/v1/stats/comparison/", {"year": "2021"}).json()

    assert all(n == 0 for s in trends["series"] for n in s["data"])
    assert compared["total"]["issues_raised"] == 0
    assert compared["total"]["resolution_rate"] is None


@pytest.mark.parametrize("route", ["trends", "comparison", "scores"])
@pytest.mark.parametrize(
    "params",
    [
        {"from": "2025-13-01"},
        {"from": "2025-06-01", "to": "2025-05-31"},
        {"year": "1999"},
        {"from": "2001-01-01", "to": "2001-12-31"},
    ],
)
def test_a_bad_period_answers_400_and_says_why(district, route, params):
    response = api(district.district_admin).get(f"/api/v1/stats/{route}/", params)

    body = assert_error(response, 400, "invalid_period")
    assert body["errors"]


@pytest.mark.parametrize("route", ["trends", "comparison", "scores"])
def test_an_area_outside_the_callers_dashboards_answers_404(district, route):
    d = district

    assert_error(
        api(d.secretary3).get(f"/api/v1/stats/{route}/", {"area": d.community1.pk}), 404, "not_found"
    )
    assert_error(
        api(d.street_admin).get(f"/api/v1/stats/{route}/", {"area": d.district.pk}), 404, "not_found"
    )
    assert_error(api(d.street_admin).get(f"/api/v1/stats/{route}/", {"area": "abc"}), 404, "not_found")
    # A compound is no dashboard's area.
    assert_error(api(d.district_admin).get(f"/api/v1/stats/{route}/", {"area": d.compound1.pk}), 404)


def test_the_area_is_checked_before_the_period(district):
    d = district

    response = api(d.secretary3).get("/api/v1/stats/trends/", {"area": d.community1.pk, "from": "nonsense"})

    assert_error(response, 404, "not_found")


def test_residents_have_no_dashboard_and_strangers_must_sign_in(district):
    assert_error(api(district.resident_user).get("/api/v1/stats/trends/"), 403, "no_dashboard")
    assert_error(api().get("/api/v1/stats/trends/"), 401)


def test_the_schema_documents_the_three_routes(client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    for route in ("trends", "comparison", "scores"):
        operation = schema["paths"][f"/api/v1/stats/{route}/"]["get"]
        assert {p["name"] for p in operation["parameters"]} >= {"area", "from", "to", "year"}
        assert {"200", "400", "403", "404"} <= set(operation["responses"])
