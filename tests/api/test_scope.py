"""A community secretary sees their own community through the API and nothing else: lists hold only
in-scope rows, and another community's id answers 404 on every resource and every verb."""

import pytest

from community import services
from community.models import MembershipType, Organisation, PartyMember, Person, RoleGrant
from tests.api.helpers import assert_error, ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def d(district):
    # A Party member in the third community, so that every resource has a row out of secretary1's reach.
    district.member3 = services.party_member_register(
        actor=None,
        person=district.resident3,
        membership_type=MembershipType.REGISTERED,
        party_organisation=district.party3,
    )
    return district


def test_lists_hold_only_the_secretarys_community(d, api):
    client = api(d.secretary1)

    assert ids(client.get("/api/v1/areas/")) == {d.community1.pk, d.grid1.pk, d.compound1.pk, d.building1.pk}
    assert ids(client.get("/api/v1/organisations/")) == {d.party1.pk, d.unit1.pk}
    assert ids(client.get("/api/v1/people/")) == {d.member_person.pk, d.resident.pk}
    assert ids(client.get("/api/v1/party-members/")) == {d.member.pk}
    grants = RoleGrant.objects.filter(user__in=[d.secretary1, d.convener1, d.unit_contact1])
    assert ids(client.get("/api/v1/role-grants/")) == set(grants.values_list("pk", flat=True))


def test_district_admin_lists_everything(d, api):
    client = api(d.district_admin)

    assert client.get("/api/v1/organisations/").json()["count"] == Organisation.objects.count()
    assert client.get("/api/v1/people/").json()["count"] == Person.objects.count()
    assert client.get("/api/v1/party-members/").json()["count"] == PartyMember.objects.count()
    assert client.get("/api/v1/role-grants/").json()["count"] == RoleGrant.objects.count()


def test_unit_contact_sees_their_organisation_and_nothing_of_the_community(d, api):
    client = api(d.unit_contact1)

    assert ids(client.get("/api/v1/organisations/")) == {d.unit1.pk}
    assert ids(client.get("/api/v1/areas/")) == set()
    assert ids(client.get("/api/v1/people/")) == set()


def test_resident_sees_only_their_own_person_record(d, api):
    client = api(d.resident_user)

    assert ids(client.get("/api/v1/people/")) == {d.resident.pk}
    assert ids(client.get("/api/v1/organisations/")) == set()
    assert ids(client.get("/api/v1/party-members/")) == set()


def _other_community_objects(d):
    return {
        "areas": d.community3.pk,
        "organisations": d.party3.pk,
        "people": d.resident3.pk,
        "party-members": d.member3.pk,
        "role-grants": RoleGrant.objects.get(user=d.secretary3).pk,
    }


@pytest.mark.parametrize("resource", ["areas", "organisations", "people", "party-members", "role-grants"])
def test_another_communitys_object_is_404_on_retrieve(d, api, resource):
    pk = _other_community_objects(d)[resource]

    response = api(d.secretary1).get(f"/api/v1/{resource}/{pk}/")

    assert_error(response, 404, "not_found")
    # The same object is there for its own community's secretary.
    assert api(d.secretary3).get(f"/api/v1/{resource}/{pk}/").status_code == 200


@pytest.mark.parametrize("resource", ["areas", "organisations", "people", "party-members", "role-grants"])
def test_an_absent_id_and_an_out_of_scope_id_answer_alike(d, api, resource):
    pk = _other_community_objects(d)[resource]
    client = api(d.secretary1)

    outside = client.get(f"/api/v1/{resource}/{pk}/")
    absent = client.get(f"/api/v1/{resource}/987654/")

    assert outside.status_code == absent.status_code == 404
    assert outside.json() == absent.json()


@pytest.mark.parametrize("resource", ["areas", "organisations", "people", "party-members", "role-grants"])
@pytest.mark.parametrize("bad_id", ["abc", "1.5", "-1", "0x10", "９"])
def test_a_malformed_id_is_a_json_404(d, api, resource, bad_id):
    response = api(d.secretary1).get(f"/api/v1/{resource}/{bad_id}/")

    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("method", ["put", "patch"])
def test_updating_another_communitys_organisation_is_404_and_changes_nothing(d, api, method):
    body = {"name": "改名", "kind": "community_party", "area": d.community1.pk}

    response = getattr(api(d.secretary1), method)(
        f"/api/v1/organisations/{d.party3.pk}/", body, format="json"
    )

    assert_error(response, 404, "not_found")
    d.party3.refresh_from_db()
    assert d.party3.name == "府山社区党委"
    assert d.party3.area == d.community3


def test_revoking_another_communitys_role_grant_is_404_and_changes_nothing(d, api):
    grant = RoleGrant.objects.get(user=d.secretary3)

    response = api(d.secretary1).delete(f"/api/v1/role-grants/{grant.pk}/")

    assert_error(response, 404, "not_found")
    assert RoleGrant.objects.filter(pk=grant.pk).exists()


@pytest.mark.parametrize(
    ("method", "resource"),
    [
        ("put", "areas"),
        ("patch", "areas"),
        ("delete", "areas"),
        ("put", "people"),
        ("delete", "people"),
        ("patch", "party-members"),
        ("delete", "party-members"),
        ("delete", "organisations"),
        ("patch", "role-grants"),
    ],
)
def test_verbs_a_resource_does_not_offer_are_405_whatever_the_id(d, api, method, resource):
    """Read-only resources refuse writes before looking at the id, so the answer tells nothing."""
    client = api(d.secretary1)
    own = {
        "areas": d.community1.pk,
        "people": d.resident.pk,
        "party-members": d.member.pk,
        "organisations": d.party1.pk,
        "role-grants": RoleGrant.objects.get(user=d.secretary1).pk,
    }[resource]
    other = _other_community_objects(d)[resource]

    for pk in (own, other):
        response = getattr(client, method)(f"/api/v1/{resource}/{pk}/", {"name": "x"}, format="json")
        assert_error(response, 405, "method_not_allowed")


def test_filtering_by_another_communitys_area_is_refused_like_an_unknown_id(d, api):
    client = api(d.secretary1)

    outside = client.get("/api/v1/organisations/", {"area": d.community3.pk})
    unknown = client.get("/api/v1/organisations/", {"area": 987654})

    body = assert_error(outside, 400, "invalid")
    assert "area" in body["errors"]
    assert outside.json()["errors"].keys() == unknown.json()["errors"].keys()


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/areas/", "within"),
        ("/api/v1/areas/", "parent"),
        ("/api/v1/organisations/", "within"),
        ("/api/v1/people/", "community"),
        ("/api/v1/party-members/", "community"),
        ("/api/v1/role-grants/", "area"),
    ],
)
def test_no_filter_reaches_outside_the_scope(d, api, url, param):
    response = api(d.secretary1).get(url, {param: d.community3.pk})

    body = assert_error(response, 400, "invalid")
    assert param in body["errors"]
