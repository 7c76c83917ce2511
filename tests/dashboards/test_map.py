"""The Party-and-people map: its points as GeoJSON (kinds, coordinates and their fall-backs, filters),
public and without personal data, the page with and without a tile server, bounded queries."""

from __future__ import annotations

import html
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community import services as community_services
from community.models import AreaKind, OrgKind, UnitType
from councils import services as council_services
from tests.api.helpers import assert_error
from volunteers.models import Activity
from volunteers.services import activities as activity_services

pytestmark = pytest.mark.django_db

API = "/api/v1/map-points/"
PAGE = "/dashboards/map/"


def publish(d, title="义诊进社区", *, days=2, community=None, actor=None):
    starts = timezone.now().replace(microsecond=0) + timedelta(days=days)
    return activity_services.activity_publish(
        actor=actor or d.secretary1,
        community=community or d.community1,
        title=title,
        field="everyday",
        place="越都社区党群服务中心一楼大厅",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        signup_deadline=starts - timedelta(hours=12),
        capacity=10,
    )


@pytest.fixture
def d(district):
    """The test district with coordinates on some places, a council in 越都花园 and a coming activity."""
    place = community_services.area_update
    place(
        actor=None, area=district.community1, latitude=Decimal("29.992500"), longitude=Decimal("120.583500")
    )
    place(actor=None, area=district.compound1, latitude=Decimal("29.993100"), longitude=Decimal("120.584000"))
    place(actor=None, area=district.street2, latitude=Decimal("30.004500"), longitude=Decimal("120.574500"))
    community_services.organisation_update(
        actor=None,
        organisation=district.unit1,
        latitude=Decimal("29.990000"),
        longitude=Decimal("120.580000"),
        address="绍兴市越城区中兴南路120号",
        contact_phone="0575-88886666",
    )
    council_services.council_create(actor=district.convener1, compound=district.compound1)
    district.activity = publish(district)
    return district


def features_by(body, kind):
    return [f for f in body["features"] if f["properties"]["kind"] == kind]


def test_the_api_answers_a_feature_collection_of_the_four_kinds(client, d):
    response = client.get(API)

    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    kinds = {f["properties"]["kind"] for f in body["features"]}
    assert kinds == {"station", "organisation", "compound", "activity"}
    for feature in body["features"]:
        assert feature["type"] == "Feature"
        assert set(feature["properties"]) == {"kind", "kind_label", "name", "detail", "area", "url", "when"}
        geometry = feature["geometry"]
        assert geometry is None or (geometry["type"] == "Point" and len(geometry["coordinates"]) == 2)

    # One service centre per community Party organisation, one point per unit, compound and activity.
    assert len(features_by(body, "station")) == 3
    assert {f["properties"]["name"] for f in features_by(body, "organisation")} == {
        d.unit1.name,
        d.unit2.name,
    }
    assert {f["properties"]["name"] for f in features_by(body, "compound")} == {
        d.compound1.name,
        d.compound2.name,
        d.compound3.name,
    }
    [activity] = features_by(body, "activity")
    assert activity["properties"]["name"] == "义诊进社区"
    assert activity["properties"]["url"] == f"/volunteers/activities/{d.activity.pk}/"
    assert activity["properties"]["when"].startswith(str(timezone.localtime(d.activity.starts_at).date()))
    assert "越都社区党群服务中心一楼大厅" in activity["properties"]["detail"]


def test_coordinates_are_longitude_first_and_fall_back_to_the_area(client, d):
    body = client.get(API).json()
    by_name = {f["properties"]["name"]: f for f in body["features"]}

    # Its own coordinates, [longitude, latitude] as GeoJSON orders them.
    assert by_name[d.unit1.name]["geometry"]["coordinates"] == [120.58, 29.99]
    assert by_name[d.compound1.name]["geometry"]["coordinates"] == [120.584, 29.9931]
    # None of its own: its community's, then the community's street's.
    [station1] = [f for f in features_by(body, "station") if f["properties"]["area"] == d.community1.name]
    assert station1["geometry"]["coordinates"] == [120.5835, 29.9925]
    assert by_name["义诊进社区"]["geometry"]["coordinates"] == [120.5835, 29.9925]
    assert by_name[d.unit2.name]["geometry"]["coordinates"] == [120.5745, 30.0045]  # 府山社区 → 府山街道
    # Nothing known anywhere above it: listed without a geometry.
    assert by_name[d.compound2.name]["geometry"] is None


def test_compounds_link_to_their_council_results_and_stations_to_the_board(client, d):
    body = client.get(API).json()
    by_name = {f["properties"]["name"]: f for f in body["features"]}

    assert by_name[d.compound1.name]["properties"]["url"] == f"/councils/board/?compound={d.compound1.pk}"
    assert by_name[d.compound2.name]["properties"]["url"] == ""  # no council there
    [station1] = [f for f in features_by(body, "station") if f["properties"]["area"] == d.community1.name]
    assert station1["properties"]["url"] == f"/contracts/?community={d.community1.pk}"
    assert d.community1.name in station1["properties"]["name"]


def test_only_coming_activities_that_are_not_cancelled(client, d):
    past = publish(d, "上个月的巡逻")
    Activity.objects.filter(pk=past.pk).update(
        starts_at=timezone.now() - timedelta(days=30), ends_at=timezone.now() - timedelta(days=30, hours=-2)
    )
    cancelled = publish(d, "取消的活动")
    activity_services.activity_cancel(actor=d.secretary1, activity=cancelled, reason="天气原因")
    publish(d, "半年后的活动", days=150)

    names = {f["properties"]["name"] for f in features_by(client.get(API).json(), "activity")}

    assert names == {"义诊进社区"}


def test_filters_by_kind_and_by_area(client, d):
    only = client.get(API, {"kind": "station"}).json()
    assert {f["properties"]["kind"] for f in only["features"]} == {"station"}

    two = client.get(f"{API}?kind=compound&kind=activity").json()
    assert {f["properties"]["kind"] for f in two["features"]} == {"compound", "activity"}
    assert client.get(API, {"kind": "compound,activity"}).json() == two

    street2 = client.get(API, {"area": d.street2.pk}).json()
    assert {f["properties"]["area"] for f in street2["features"]} == {d.community3.name}
    assert {f["properties"]["name"] for f in features_by(street2, "organisation")} == {d.unit2.name}


def test_bad_filters_are_refused_in_the_platform_format(client, d):
    assert_error(client.get(API, {"kind": "shops"}), 400, "invalid_kind")
    assert_error(client.get(API, {"area": "abc"}), 400, "invalid_area")
    assert_error(client.get(API, {"area": "99999"}), 404, "not_found")


def test_no_personal_data_in_the_api_or_the_page(client, d):
    d.unit1.refresh_from_db()
    texts = [client.get(API).content.decode(), html.unescape(client.get(PAGE).content.decode())]

    for text in texts:
        for person in (d.resident, d.member_person, d.resident3):
            assert person.name not in text
            assert person.phone not in text
        assert d.unit1.contact_phone not in text
        for user in (d.secretary1, d.convener1, d.unit_contact1):
            assert user.display_name not in text
            assert user.phone not in text
    # The public facts are there: a unit's name and address.
    assert d.unit1.address in texts[1]


def test_the_page_is_public_and_lists_the_same_points(client, d):
    response = client.get(PAGE)

    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert 'id="party-map"' in text
    assert "vendor/leaflet/leaflet.js" in text and "vendor/leaflet/leaflet.css" in text
    assert "vendor/leaflet.markercluster/leaflet.markercluster.js" in text
    assert "js/dashboards-map.js" in text
    assert 'id="map-points-data"' in text
    api_count = len(client.get(API).json()["features"])
    assert text.count('data-testid="map-point"') == api_count
    assert "<script>" not in text.replace('<script id="map-points-data" type="application/json">', "")


def test_beyond_the_limit_the_page_lists_the_first_points_and_the_map_reads_them_from_the_api(
    client, d, monkeypatch
):
    from dashboards import views_map

    monkeypatch.setattr(views_map, "MAP_LIST_LIMIT", 2)
    api_count = len(client.get(API).json()["features"])
    assert api_count > 2
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = html.unescape(client.get(PAGE).content.decode())
    assert text.count('data-testid="map-point"') == 2
    assert 'id="map-points-data"' not in text  # the map fetches data-points-api instead
    assert 'data-points-api="/api/v1/map-points/"' in text
    assert f"The first 2 of {api_count} points are listed here" in text
    assert f"{api_count} points" in text
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = html.unescape(client.get(PAGE).content.decode())
    assert f"这里列出 {api_count} 个点位中的前 2 个" in chinese


@override_settings(MAP_TILE_URL="", MAP_TILE_ATTRIBUTION="")
def test_without_a_tile_server_the_page_names_none_and_uses_a_plain_background(client, d):
    text = client.get(PAGE).content.decode()

    assert "data-tile-url" not in text
    assert "map-canvas-plain" in text


@override_settings(
    MAP_TILE_URL="https://tiles.example.org/{z}/{x}/{y}.png", MAP_TILE_ATTRIBUTION="© Example Maps"
)
def test_with_a_tile_server_the_page_passes_its_url_and_attribution(client, d):
    text = html.unescape(client.get(PAGE).content.decode())

    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in text
    assert 'data-tile-attribution="© Example Maps"' in text
    assert "map-canvas-plain" not in text


def test_the_kind_chips_filter_the_list(client, d):
    text = client.get(PAGE, {"kind": "compound"}).content.decode()

    assert text.count('data-testid="map-point"') == 3
    assert text.count('data-kind="compound"') >= 3
    assert 'data-testid="map-point" data-kind="station"' not in text
    # The compound chip is on; following it again turns the filter off.
    assert 'href="?" aria-current="true" data-testid="map-chip" data-kind="compound"' in " ".join(
        text.split()
    )


def test_the_page_shows_a_bad_filter_as_a_message(client, d):
    response = client.get(PAGE, {"area": "99999"})

    assert response.status_code == 404
    assert 'data-testid="map-point"' not in response.content.decode()


def _more_points(d, n: int) -> None:
    for i in range(n):
        community_services.organisation_create(
            actor=None,
            name=f"测试单位{i}党支部",
            kind=OrgKind.UNIT_PARTY,
            unit_type=UnitType.ENTERPRISE,
            area=d.community2,
        )
        compound = community_services.area_create(
            actor=None, name=f"测试小区{i}", kind=AreaKind.COMPOUND, parent=d.community2
        )
        council_services.council_create(actor=None, compound=compound)
        publish(d, f"测试活动{i}", days=3 + i)


@pytest.mark.parametrize("url", [API, PAGE])
def test_queries_do_not_grow_with_the_points(client, d, url):
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _more_points(d, 4)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(few) <= 8
