"""The map in a real browser (Chromium): Leaflet draws the page's points as markers, without tiles on a
plain background and with the tile server's layer when one is configured; a marker opens its popup."""

from __future__ import annotations

from decimal import Decimal

import pytest

from community import services as community_services
from tests.e2e.conftest import PHONE, browser, new_page  # noqa: F401 - the browser fixtures

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def placed(district):
    place = community_services.area_update
    place(
        actor=None, area=district.community1, latitude=Decimal("29.992500"), longitude=Decimal("120.583500")
    )
    place(actor=None, area=district.compound1, latitude=Decimal("29.995100"), longitude=Decimal("120.586000"))
    place(actor=None, area=district.street2, latitude=Decimal("30.004500"), longitude=Decimal("120.574500"))
    return district


def open_map(page, url):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.wait_for_selector("#party-map[data-ready=true][data-markers]")
    return errors


def test_the_markers_show_on_a_plain_background(new_page, live_server, placed, settings):  # noqa: F811
    settings.MAP_TILE_URL = ""
    page = new_page(viewport=PHONE)

    errors = open_map(page, f"{live_server.url}/dashboards/map/?kind=station&kind=compound")

    assert errors == []
    # 越都社区's service centre and 越都花园 placed, 府山社区's centre and 府山新村 at 府山街道's place;
    # 治平社区's centre and 治平小区 have no place anywhere above them.
    assert page.get_attribute("#party-map", "data-markers") == "4"
    assert page.locator(".leaflet-tile").count() == 0
    assert page.locator(".leaflet-marker-icon").count() >= 1
    assert page.locator("[data-testid=map-point]").count() == 6

    page.locator(".map-marker").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.inner_text().strip()


def test_the_tile_layer_comes_from_the_configured_server(new_page, live_server, placed, settings):  # noqa: F811
    settings.MAP_TILE_URL = f"{live_server.url}/static/tiles/{{z}}/{{x}}/{{y}}.png"
    settings.MAP_TILE_ATTRIBUTION = "© 测试地图"
    page = new_page()

    errors = open_map(page, f"{live_server.url}/dashboards/map/")

    assert errors == []
    page.wait_for_selector(".leaflet-tile", state="attached")
    assert (
        page.locator(".leaflet-tile")
        .first.get_attribute("src")
        .startswith(f"{live_server.url}/static/tiles/")
    )
    assert "© 测试地图" in page.locator(".leaflet-control-attribution").inner_text()


def test_beyond_the_list_limit_the_map_loads_its_points_from_the_api(  # noqa: F811
    new_page,  # noqa: F811
    live_server,
    placed,
    settings,
    monkeypatch,
):
    from dashboards import views_map

    settings.MAP_TILE_URL = ""
    monkeypatch.setattr(views_map, "MAP_LIST_LIMIT", 2)
    page = new_page(viewport=PHONE)

    errors = open_map(page, f"{live_server.url}/dashboards/map/?kind=station&kind=compound")

    assert errors == []
    assert page.locator("#map-points-data").count() == 0
    assert page.get_attribute("#party-map", "data-markers") == "4"  # the same four placed points
    assert page.locator("[data-testid=map-point]").count() == 2
    assert page.locator("[data-testid=map-list-limit]").is_visible()
