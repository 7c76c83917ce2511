"""The four menus (四类菜单) both ways, community needs, and matching by kind and area."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from contracts import services
from contracts.models import MenuOffer, Need
from contracts.selectors import needs_for_offer, offers_for_need
from core.exceptions import ApplicationError
from tests.api.helpers import assert_error, ids

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def offer(d, org=None, actor=None, **fields):
    values = {
        "kind": "service",
        "title": "健康义诊",
        "description": "每月一次",
        "quantity": 12,
        "unit": "次",
        **fields,
    }
    return services.menu_offer_create(actor=actor, organisation=org or d.unit1, **values)


def test_units_and_communities_offer_and_communities_post_needs(district):
    d = district
    clinic = offer(d, actor=d.unit_contact1)
    venue = offer(d, org=d.party1, actor=d.secretary1, kind="resource", title="活动场地")
    need = services.need_post(
        actor=d.secretary1, community=d.community1, kind="service", title="老人健康检查"
    )

    assert (clinic.area, venue.area, need.community) == (d.community1, d.community1, d.community1)


@pytest.mark.parametrize(
    ("who", "org", "status"),
    [("unit_contact2", "unit1", 403), ("secretary3", "party1", 403), ("unit_contact1", "party1", 403)],
)
def test_only_an_organisations_own_people_change_its_menu(district, who, org, status):
    with pytest.raises(ApplicationError) as error:
        offer(district, org=getattr(district, org), actor=getattr(district, who))
    assert error.value.status_code == status
    assert not MenuOffer.objects.exists()


def test_bad_menu_input_is_refused(district):
    d = district
    for fields in ({"kind": "other"}, {"title": ""}, {"quantity": -1}, {"estimated_value": 1.5}):
        with pytest.raises(ApplicationError) as error:
            offer(d, actor=d.unit_contact1, **fields)
        assert error.value.status_code == 400
    with pytest.raises(ApplicationError):
        services.need_post(actor=d.secretary3, community=d.community1, kind="service", title="x")
    assert not MenuOffer.objects.exists() and not Need.objects.exists()


def test_matching_is_by_kind_and_street_with_the_own_community_first(district):
    d = district
    need = services.need_post(actor=None, community=d.community2, kind="service", title="老人健康检查")
    same_community = offer(d, org=d.unit1, title="义诊")  # unit1 is in community1, same street as community2
    other_street = offer(d, org=d.unit2, title="心理讲座")  # community3, the other street
    other_kind = offer(d, org=d.unit1, kind="resource", title="会议室")

    found = list(offers_for_need(need))

    assert same_community in found and other_street not in found and other_kind not in found
    assert need in list(needs_for_offer(same_community))
    assert need not in list(needs_for_offer(other_street))


def test_the_api_lists_creates_and_matches_with_fixed_queries(district):
    d = district
    created = api(d.unit_contact1).post(
        "/api/v1/menu-offers/",
        {"organisation": d.unit1.pk, "kind": "service", "title": "义诊"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert_error(
        api(d.unit_contact2).post(
            "/api/v1/menu-offers/",
            {"organisation": d.unit1.pk, "kind": "service", "title": "x"},
            format="json",
        ),
        400,  # another unit's organisation is not a valid choice for them
    )
    need = api(d.secretary1).post(
        "/api/v1/needs/",
        {"community": d.community1.pk, "kind": "service", "title": "健康检查"},
        format="json",
    )
    assert need.status_code == 201, need.content
    matches = api(d.secretary1).get(f"/api/v1/needs/{need.json()['id']}/matches/")
    assert [m["id"] for m in matches.json()] == [created.json()["id"]]

    client = api(d.district_admin)
    client.get("/api/v1/menu-offers/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/menu-offers/").status_code == 200
    for n in range(15):
        offer(d, title=f"服务{n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/v1/menu-offers/", {"kind": "service"})
    assert len(ids(response)) == 16
    assert len(many) == len(few)
