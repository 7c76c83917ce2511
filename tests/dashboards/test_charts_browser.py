"""The charts in a browser: ECharts draws every chart that has data, fits a phone, switches the
comparison's views, shows the table view, and lays itself out again when the window changes size."""

from __future__ import annotations

import pytest

from tests.dashboards.test_charts_support import chart_world
from tests.e2e.conftest import PHONE, browser, new_page, sign_in  # noqa: F401  (fixtures)
from tests.factories import build_district

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dashboards_charts_are_drawn_on_a_phone_and_answer_taps(live_server, new_page):  # noqa: F811
    d = chart_world(build_district())
    page = new_page(viewport=PHONE)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server.url, "district_admin")

    page.goto(f"{live_server.url}/dashboards/{d.district.pk}/?from=2025-01-01&to=2025-12-31")

    charts = page.locator("[data-testid=dashboard-charts]")
    page.wait_for_function("document.querySelectorAll('.dash-chart canvas').length === 9")
    # Every chart is as wide as its box, which fits the phone's screen.
    boxes = page.evaluate(
        "Array.from(document.querySelectorAll('.dash-chart')).map(b => [b.clientWidth,"
        " echarts.getInstanceByDom(b).getWidth(), b.getBoundingClientRect().right <= window.innerWidth])"
    )
    assert len(boxes) == 9
    assert all(width > 300 and chart == width and inside for width, chart, inside in boxes)

    # The comparison: the first view is pressed; a tap on "Resolution rate" switches to it.
    compared = charts.locator("[data-chart=comparison]")
    views = compared.locator("[data-chart-view]")
    assert views.count() == 6
    assert views.nth(0).get_attribute("aria-pressed") == "true"
    views.nth(1).click()
    assert views.nth(1).get_attribute("aria-pressed") == "true"
    assert views.nth(0).get_attribute("aria-pressed") == "false"
    shown = page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('dash-chart-comparison')).getOption().series[0].data"
    )
    assert shown == [66.7, 50.0]

    # The table view opens with the same numbers.
    table = compared.locator("details")
    table.locator("summary").click()
    assert table.locator("tfoot td").all_inner_texts() == ["5", "3", "60.0%", "4", "4", "3", "35"]

    # Turned to landscape, the charts follow the new width.
    page.set_viewport_size({"width": 844, "height": 390})
    page.wait_for_function(
        "(() => { const b = document.getElementById('dash-chart-trend-issues');"
        " return echarts.getInstanceByDom(b).getWidth() === b.clientWidth && b.clientWidth > 390; })()"
    )
    assert errors == []
