"""Every list API costs the same number of queries for 2 rows as for 20: no query per row."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from community import services
from community.models import AreaKind, MembershipType, OrgKind, Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

_n = itertools.count(1)


def add_areas(d, count):
    for _ in range(count):
        services.area_create(
            actor=None, name=f"小区{next(_n)}", kind=AreaKind.COMPOUND, parent=d.community1, grid=d.grid1
        )


def add_organisations(d, count):
    for _ in range(count):
        services.organisation_create(
            actor=None, name=f"单位{next(_n)}", kind=OrgKind.UNIT_PARTY, area=d.compound1, parent=d.party1
        )


def add_people(d, count):
    for _ in range(count):
        services.person_create(actor=None, name=f"居民{next(_n)}", community=d.community1, home=d.building1)


def add_party_members(d, count):
    for _ in range(count):
        person = services.person_create(actor=None, name=f"党员{next(_n)}", community=d.community1)
        services.party_member_register(
            actor=None,
            person=person,
            membership_type=MembershipType.IN_SERVICE,
            party_organisation=d.unit1,
            workplace=d.unit1,
            grid=d.grid1,
        )


def add_role_grants(d, count):
    for _ in range(count):
        make_user(f"grid{next(_n)}", Role.GRID_WORKER, area=d.grid1)


CASES = {
    "areas": add_areas,
    "organisations": add_organisations,
    "people": add_people,
    "party-members": add_party_members,
    "role-grants": add_role_grants,
}


def measure(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"page_size": 50})
    assert response.status_code == 200, response.content
    return len(queries), response.json()["count"]


@pytest.mark.parametrize("resource", list(CASES))
def test_list_query_count_does_not_grow_with_rows(district, api, django_assert_num_queries, resource):
    url = f"/api/v1/{resource}/"
    client = api(district.secretary1)
    CASES[resource](district, 2)
    few_queries, few_rows = measure(client, url)

    CASES[resource](district, 18)

    with django_assert_num_queries(few_queries):
        response = client.get(url, {"page_size": 50})
    assert response.json()["count"] == few_rows + 18 >= 20
    assert few_queries <= 8


@pytest.mark.parametrize("resource", list(CASES))
def test_token_clients_too(district, api, django_assert_num_queries, resource):
    from rest_framework.authtoken.models import Token

    url = f"/api/v1/{resource}/"
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=district.district_admin).key}")
    CASES[resource](district, 2)
    few_queries, _ = measure(client, url)
    CASES[resource](district, 18)

    with django_assert_num_queries(few_queries):
        client.get(url, {"page_size": 50})
