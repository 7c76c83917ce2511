"""The dashboards' main journey: the district administrator opens the district dashboard, switches to a
street, downloads one ledger (台账) for it, opens the Party-and-people map; then, logged out, the public
portal shows the headline figures and no personal data."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from community import services as community_services
from tests.dashboards.test_ledgers_support import add_rows
from tests.e2e.conftest import DESKTOP, PHONE, sign_in
from tests.factories import build_district

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_district_dashboard_street_ledger_map_and_portal(
    live_server, new_page, screenshot, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    d = build_district()
    add_rows("issues", d, 3)  # three council issues in 越都社区, in 塔山街道
    for n, area in enumerate((d.community1, d.compound1, d.community3)):
        community_services.area_update(
            actor=None,
            area=area,
            latitude=Decimal("30.0") + Decimal(n) / 100,
            longitude=Decimal("120.58") + Decimal(n) / 100,
        )
    base = live_server.url
    page = new_page(viewport=DESKTOP)
    sign_in(page, base, "district_admin")

    page.goto(f"{base}/dashboards/")
    assert page.get_by_test_id("dashboard-area").inner_text().strip().startswith("越城区")
    assert page.get_by_test_id("section-councils").is_visible()
    screenshot(page, "1-district")

    page.get_by_test_id("child-area").filter(has_text="塔山街道").click()
    page.wait_for_url(re.compile(rf"{base}/dashboards/{d.street1.pk}/"))
    assert "塔山街道" in page.get_by_test_id("dashboard-area").inner_text()
    raised = page.locator(
        "[data-testid=figure][data-key='councils.issues_raised'] [data-testid=figure-value]"
    )
    assert raised.inner_text().strip() == "3"
    screenshot(page, "2-street")

    page.get_by_test_id("ledger-issues").click()
    page.wait_for_load_state()
    with page.expect_download() as download:
        page.get_by_test_id("ledger-download").first.click()
    name = download.value.suggested_filename
    assert name.startswith("塔山街道_") and name.endswith(".xlsx")
    screenshot(page, "3-ledgers")

    page.goto(f"{base}/dashboards/map/")
    page.locator("[data-testid=party-map][data-ready=true]").wait_for()
    assert int(page.get_by_test_id("party-map").get_attribute("data-markers")) > 0
    screenshot(page, "4-map")

    public = new_page(viewport=PHONE)
    public.goto(f"{base}/")
    assert public.get_by_test_id("headline-figure").count() == 8
    assert public.get_by_test_id("portal-verify").is_visible()
    text = public.content()
    for person in (d.resident, d.member_person, d.resident3):
        assert person.name not in text and person.phone not in text
    screenshot(public, "5-portal")
