"""Creating and changing organisations through the API: in one's own areas, through the services,
and bad input refused with a field-level JSON error that changes nothing."""

import pytest

from community.models import Organisation, Role
from tests.api.helpers import assert_error
from tests.factories import make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/organisations/"


def new_unit(area, **extra):
    return {
        "name": "越都小学党支部",
        "kind": "unit_party",
        "unit_type": "institution",
        "area": area.pk,
        **extra,
    }


def test_secretary_creates_an_organisation_in_their_community(district, api):
    response = api(district.secretary1).post(URL, new_unit(district.community1, sector="学校"), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "越都小学党支部"
    assert body["area"] == {"id": district.community1.pk, "name": "越都社区"}
    org = Organisation.objects.get(pk=body["id"])
    assert org.sector == "学校"
    # Written by the service, so the history knows who did it.
    assert org.history.get().history_user == district.secretary1


def test_creating_in_a_compound_of_the_community_is_fine(district, api):
    response = api(district.secretary1).post(URL, new_unit(district.compound1), format="json")

    assert response.status_code == 201


def test_creating_with_another_communitys_area_is_refused_and_creates_nothing(district, api):
    before = Organisation.objects.count()

    response = api(district.secretary1).post(URL, new_unit(district.community3), format="json")

    body = assert_error(response, 400, "invalid")
    assert list(body["errors"]) == ["area"]
    assert Organisation.objects.count() == before


def test_an_unknown_area_gets_the_same_answer_as_another_communitys(district, api):
    client = api(district.secretary1)

    outside = client.post(URL, new_unit(district.community3), format="json").json()
    unknown = client.post(URL, {**new_unit(district.community3), "area": 987654}, format="json").json()

    assert outside["code"] == unknown["code"] == "invalid"
    assert outside["errors"].keys() == unknown["errors"].keys() == {"area"}


def test_a_parent_organisation_of_another_community_is_refused(district, api):
    response = api(district.secretary1).post(
        URL, new_unit(district.community1, parent=district.party3.pk), format="json"
    )

    body = assert_error(response, 400, "invalid")
    assert list(body["errors"]) == ["parent"]
    assert not Organisation.objects.filter(name="越都小学党支部").exists()


def test_an_oversized_name_is_a_field_error(district, api):
    response = api(district.secretary1).post(
        URL, new_unit(district.community1, name="长" * 151), format="json"
    )

    body = assert_error(response, 400, "invalid")
    assert list(body["errors"]) == ["name"]
    assert not Organisation.objects.filter(name__startswith="长").exists()


def test_missing_fields_are_each_named(district, api):
    response = api(district.secretary1).post(URL, {}, format="json")

    body = assert_error(response, 400, "invalid")
    assert set(body["errors"]) == {"name", "kind", "area"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "pirate_ship"),
        ("area", "abc"),
        ("area", [1, 2]),
        ("latitude", "north"),
        ("is_active", "maybe"),
    ],
)
def test_malformed_values_are_field_errors(district, api, field, value):
    before = Organisation.objects.count()

    response = api(district.secretary1).post(
        URL, {**new_unit(district.community1), field: value}, format="json"
    )

    body = assert_error(response, 400, "invalid")
    assert field in body["errors"]
    assert Organisation.objects.count() == before


def test_a_malformed_json_body_is_a_400(district, api):
    response = api(district.secretary1).post(URL, "{not json", content_type="application/json")

    assert_error(response, 400, "parse_error")


def test_fields_the_api_does_not_offer_cannot_be_set(district, api):
    response = api(district.secretary1).post(
        URL,
        new_unit(district.community1, id=424242, created_at="2001-01-01T00:00:00Z", history="x"),
        format="json",
    )

    assert response.status_code == 201
    org = Organisation.objects.get(name="越都小学党支部")
    assert org.pk != 424242
    assert org.created_at.year != 2001


def test_a_duplicate_name_in_the_same_area_is_refused_by_the_service(district, api):
    response = api(district.secretary1).post(
        URL, new_unit(district.community1, name="越都社区党委"), format="json"
    )

    body = assert_error(response, 400, "invalid")
    assert Organisation.objects.filter(name="越都社区党委").count() == 1
    assert body["detail"]


def test_social_worker_may_create_in_their_community(district, api):
    worker = make_user("worker1", Role.SOCIAL_WORKER, area=district.community1)

    response = api(worker).post(URL, new_unit(district.community1), format="json")

    assert response.status_code == 201


def test_council_convener_sees_the_compound_but_may_not_create_there(district, api):
    before = Organisation.objects.count()

    response = api(district.convener1).post(URL, new_unit(district.compound1), format="json")

    assert_error(response, 403, "permission_denied")
    assert Organisation.objects.count() == before


@pytest.mark.parametrize("who", ["unit_contact1", "resident_user", "member_user"])
def test_people_without_a_caseworker_role_may_not_create(district, api, who):
    response = api(getattr(district, who)).post(URL, new_unit(district.community1), format="json")

    assert_error(response, 403, "permission_denied")
    assert not Organisation.objects.filter(name="越都小学党支部").exists()


def test_unit_contact_may_read_but_not_change_their_unit(district, api):
    client = api(district.unit_contact1)

    assert client.get(f"{URL}{district.unit1.pk}/").status_code == 200
    response = client.patch(f"{URL}{district.unit1.pk}/", {"name": "改名"}, format="json")

    assert_error(response, 403, "permission_denied")
    district.unit1.refresh_from_db()
    assert district.unit1.name == "越城区人民医院党委"


def test_patch_changes_only_what_is_sent(district, api):
    response = api(district.secretary1).patch(
        f"{URL}{district.unit1.pk}/", {"short_name": "区医院", "is_active": False}, format="json"
    )

    assert response.status_code == 200, response.content
    district.unit1.refresh_from_db()
    assert (district.unit1.short_name, district.unit1.is_active) == ("区医院", False)
    assert district.unit1.name == "越城区人民医院党委"
    assert district.unit1.history.count() == 2


def test_put_replaces_the_details(district, api):
    response = api(district.secretary1).put(
        f"{URL}{district.unit1.pk}/",
        {
            "name": "越城区人民医院党总支",
            "kind": "unit_party",
            "party_level": "general_branch",
            "area": district.compound1.pk,
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    district.unit1.refresh_from_db()
    assert district.unit1.party_level == "general_branch"
    assert district.unit1.area == district.compound1


def test_put_without_required_fields_is_refused(district, api):
    response = api(district.secretary1).put(f"{URL}{district.unit1.pk}/", {"short_name": "x"}, format="json")

    body = assert_error(response, 400, "invalid")
    assert {"name", "kind", "area"} <= set(body["errors"])


def test_moving_an_organisation_to_another_community_is_refused_and_changes_nothing(district, api):
    response = api(district.secretary1).patch(
        f"{URL}{district.unit1.pk}/", {"area": district.community3.pk, "name": "改名"}, format="json"
    )

    body = assert_error(response, 400, "invalid")
    assert list(body["errors"]) == ["area"]
    district.unit1.refresh_from_db()
    assert (district.unit1.area, district.unit1.name) == (district.community1, "越城区人民医院党委")


def test_street_admin_cannot_move_an_organisation_out_of_their_street(district, api):
    # 府山社区 is in the other street: not visible, so the id is refused like an unknown one.
    response = api(district.street_admin).patch(
        f"{URL}{district.unit1.pk}/", {"area": district.community3.pk}, format="json"
    )

    assert_error(response, 400, "invalid")
    district.unit1.refresh_from_db()
    assert district.unit1.area == district.community1


def test_filters_and_search(district, api):
    client = api(district.district_admin)

    units = client.get(URL, {"kind": "unit_party"}).json()["results"]
    assert {o["name"] for o in units} == {"越城区人民医院党委", "府山小学党支部"}
    in_street1 = client.get(URL, {"within": district.street1.pk}).json()["results"]
    assert {o["name"] for o in in_street1} == {"越都社区党委", "治平社区党委", "越城区人民医院党委"}
    assert [o["name"] for o in client.get(URL, {"search": "小学"}).json()["results"]] == ["府山小学党支部"]
    assert client.get(URL, {"unit_type": "institution", "area": district.community3.pk}).json()["count"] == 1


def test_lists_are_paginated(district, api):
    response = api(district.district_admin).get(URL, {"page_size": 2})

    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 5 and len(body["results"]) == 2
    assert "page=2" in body["next"]
    assert api(district.district_admin).get(URL, {"page": 99}).status_code == 404
