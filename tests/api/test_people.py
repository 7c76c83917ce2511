"""People through the API: phone and ID numbers are masked except for those who must contact them."""

import pytest

from community import services
from community.models import MembershipType, Role
from tests.api.helpers import assert_error, ids
from tests.factories import make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/people/"


@pytest.fixture
def d(district):
    services.person_update(actor=None, person=district.resident, id_number="330602195001011234")
    return district


def row(client, person):
    response = client.get(f"{URL}{person.pk}/")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_community_secretary_sees_the_full_numbers(d, api):
    body = row(api(d.secretary1), d.resident)

    assert (body["phone"], body["id_number"]) == ("13900002222", "330602195001011234")


def test_a_social_worker_of_the_community_sees_them_too(d, api):
    worker = make_user("worker1", Role.SOCIAL_WORKER, area=d.community1)

    assert row(api(worker), d.resident)["phone"] == "13900002222"


@pytest.mark.parametrize("who", ["district_admin", "street_admin"])
def test_district_and_street_administrators_see_them_masked(d, api, who):
    body = row(api(getattr(d, who)), d.resident)

    assert (body["phone"], body["id_number"]) == ("139****2222", "3306**********1234")


def test_the_person_sees_their_own_numbers(d, api):
    body = row(api(d.resident_user), d.resident)

    assert body["phone"] == "13900002222"


def test_masking_holds_in_lists(d, api):
    rows = api(d.district_admin).get(URL).json()["results"]

    assert {r["phone"] for r in rows} == {"139****1111", "139****2222", "139****3333"}


def test_people_cannot_be_ordered_by_what_the_mask_hides(d, api):
    client = api(d.district_admin)

    by_phone = [r["id"] for r in client.get(URL, {"ordering": "phone"}).json()["results"]]
    default = [r["id"] for r in client.get(URL).json()["results"]]

    assert by_phone == default


def test_filters(d, api):
    client = api(d.district_admin)

    assert ids(client.get(URL, {"community": d.community3.pk})) == {d.resident3.pk}
    assert ids(client.get(URL, {"search": "李"})) == {d.resident.pk}
    assert_error(client.get(URL, {"community": d.grid1.pk}), 400, "invalid")


def test_party_members_filters(d, api):
    member3 = services.party_member_register(
        actor=None, person=d.resident3, membership_type=MembershipType.REGISTERED, party_organisation=d.party3
    )
    client = api(d.district_admin)

    assert ids(client.get("/api/v1/party-members/", {"membership_type": "registered"})) == {member3.pk}
    assert ids(client.get("/api/v1/party-members/", {"grid": d.grid1.pk})) == {d.member.pk}
    assert ids(client.get("/api/v1/party-members/", {"community": d.community3.pk})) == {member3.pk}
    body = api(d.secretary1).get(f"/api/v1/party-members/{d.member.pk}/").json()
    assert body["person"] == {"id": d.member_person.pk, "name": "王建国"}
    assert body["community"]["name"] == "越都社区"
    assert body["grid"]["name"] == "越都一网格"
