"""Granting and revoking roles through the API: managers within their areas, through the services."""

import pytest

from community.models import Role, RoleGrant
from tests.api.helpers import assert_error
from tests.factories import make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/role-grants/"


def test_secretary_appoints_a_social_worker_of_their_community(district, api):
    d = district

    response = api(d.secretary1).post(
        URL, {"user": d.member_user.pk, "role": Role.SOCIAL_WORKER, "area": d.community1.pk}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["role"] == "social_worker"
    grant = RoleGrant.objects.get(user=d.member_user)
    assert grant.granted_by == d.secretary1
    d.member_user.refresh_from_db()
    assert d.member_user.is_staff  # back-office access follows the role (the service did it)


def test_granting_in_another_community_is_refused_and_grants_nothing(district, api):
    d = district
    before = RoleGrant.objects.count()

    response = api(d.secretary1).post(
        URL, {"user": d.member_user.pk, "role": Role.SOCIAL_WORKER, "area": d.community3.pk}, format="json"
    )

    body = assert_error(response, 400, "invalid")
    assert list(body["errors"]) == ["area"]
    assert RoleGrant.objects.count() == before


def test_a_login_outside_the_scope_cannot_be_named(district, api):
    d = district

    response = api(d.secretary1).post(
        URL, {"user": d.secretary3.pk, "role": Role.SOCIAL_WORKER, "area": d.community1.pk}, format="json"
    )

    body = assert_error(response, 400, "invalid")
    assert list(body["errors"]) == ["user"]


def test_is_staff_cannot_be_set_through_a_grant(district, api):
    d = district

    response = api(d.secretary1).post(
        URL,
        {"user": d.resident_user.pk, "role": Role.GRID_WORKER, "area": d.grid1.pk, "is_staff": True},
        format="json",
    )

    assert response.status_code == 201
    d.resident_user.refresh_from_db()
    assert not d.resident_user.is_staff  # a grid worker does not work in the back office


def test_the_role_must_fit_the_kind_of_area(district, api):
    d = district

    response = api(d.secretary1).post(
        URL, {"user": d.member_user.pk, "role": Role.STREET_ADMIN, "area": d.community1.pk}, format="json"
    )

    assert_error(response, 400, "invalid")
    assert not RoleGrant.objects.filter(user=d.member_user).exists()


def test_social_worker_may_read_grants_but_not_grant(district, api):
    d = district
    worker = make_user("worker1", Role.SOCIAL_WORKER, area=d.community1)
    client = api(worker)

    assert client.get(URL).json()["count"] == 4
    response = client.post(
        URL, {"user": d.member_user.pk, "role": Role.SOCIAL_WORKER, "area": d.community1.pk}, format="json"
    )
    assert_error(response, 403, "permission_denied")
    grant = RoleGrant.objects.get(user=d.convener1)
    assert_error(client.delete(f"{URL}{grant.pk}/"), 403, "permission_denied")
    assert RoleGrant.objects.filter(pk=grant.pk).exists()


def test_secretary_revokes_a_grant_in_their_community(district, api):
    d = district
    grant = RoleGrant.objects.get(user=d.convener1)

    response = api(d.secretary1).delete(f"{URL}{grant.pk}/")

    assert response.status_code == 204
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()
    d.convener1.refresh_from_db()
    assert not d.convener1.is_staff


def test_unit_contact_grant_is_in_the_community_of_the_unit(district, api):
    d = district
    grant = RoleGrant.objects.get(user=d.unit_contact1)

    assert api(d.secretary1).get(f"{URL}{grant.pk}/").status_code == 200
    assert api(d.secretary3).get(f"{URL}{grant.pk}/").status_code == 404


def test_missing_fields_are_named(district, api):
    body = assert_error(api(district.secretary1).post(URL, {}, format="json"), 400, "invalid")

    assert set(body["errors"]) == {"user", "role"}


def test_everyone_sees_their_own_grants(district, api):
    response = api(district.unit_contact1).get(URL)

    assert [g["role"] for g in response.json()["results"]] == ["unit_contact"]
