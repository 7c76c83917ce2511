"""/api/v1/earning-rules/: the staff read and edit the rule table through the same service as the admin."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from points.models import EarningRule, EventType
from tests.api.helpers import assert_error, ids
from tests.points.earning_support import make_rule

pytestmark = pytest.mark.django_db

URL = "/api/v1/earning-rules/"


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def body(**fields) -> dict:
    return {"event_type": EventType.WISH_FULFILLED, "points": 15, "valid_from": "2026-01-01", **fields}


def test_staff_see_the_default_and_their_own_communitys_rules_only(district):
    d = district
    default = make_rule(district=d.district)
    mine = make_rule(d.community1)
    other = make_rule(d.community3)

    assert ids(api(d.secretary1).get(URL)) == {default.pk, mine.pk}
    assert ids(api(d.district_admin).get(URL)) == {default.pk, mine.pk, other.pk}
    assert ids(api(d.district_admin).get(URL, {"district_default": "true"})) == {default.pk}
    assert ids(api(d.district_admin).get(URL, {"community": d.community3.pk})) == {other.pk}
    assert_error(api(d.secretary1).get(f"{URL}{other.pk}/"), 404)


def test_residents_and_members_see_no_rules(district):
    make_rule(district=district.district)
    assert ids(api(district.resident_user).get(URL)) == set()
    assert ids(api(district.member_user).get(URL)) == set()


def test_a_secretary_adds_and_changes_an_override(district):
    d = district
    client = api(d.secretary1)

    created = client.post(
        URL, body(district=d.district.pk, community=d.community1.pk, daily_cap=30), format="json"
    )

    assert created.status_code == 201, created.content
    rule = EarningRule.objects.get(pk=created.json()["id"])
    assert (rule.community, rule.points, rule.daily_cap) == (d.community1, 15, 30)
    changed = client.patch(f"{URL}{rule.pk}/", {"points": 20}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["points"] == 20
    assert EarningRule.objects.get(pk=rule.pk).history.count() == 2


def test_a_secretary_cannot_add_a_district_default_and_nothing_changes(district):
    response = api(district.secretary1).post(URL, body(district=district.district.pk), format="json")

    assert_error(response, 403)
    assert EarningRule.objects.count() == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"points": -1},
        {"points": 1.5},
        {"event_type": "made_up"},
        {"daily_cap": 0},
        {"valid_from": "not a date"},
    ],
)
def test_bad_input_is_refused_in_json_and_changes_nothing(district, bad):
    d = district
    response = api(d.secretary1).post(
        URL, body(district=d.district.pk, community=d.community1.pk, **bad), format="json"
    )

    assert response.status_code == 400, response.content
    assert set(bad) <= set(response.json()["errors"])
    assert EarningRule.objects.count() == 0


def test_the_rule_list_costs_the_same_queries_for_two_or_twenty_rules(district):
    d = district
    client = api(d.district_admin)
    communities = [d.community1, d.community2, d.community3]
    for n in range(2):
        make_rule(communities[n], event_type=EventType.values[n])
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    for n in range(2, 20):
        make_rule(
            communities[n % 3],
            event_type=EventType.values[n % len(EventType.values)],
            valid_from=f"{2000 + n}-01-01",
            valid_until=f"{2000 + n}-12-31",
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert len(response.json()["results"]) == 20
    assert len(many) == len(few)


def test_a_rule_names_its_district_or_its_community(district):
    response = api(district.district_admin).post(URL, body(), format="json")

    assert_error(response, 400)
    assert "district" in response.json()["errors"]
    assert EarningRule.objects.count() == 0
    with_community_only = api(district.secretary1).post(
        URL, body(community=district.community1.pk), format="json"
    )
    assert with_community_only.status_code == 201, with_community_only.content
    assert with_community_only.json()["district"]["id"] == district.district.pk
