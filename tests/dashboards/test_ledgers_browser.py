"""Ledgers in the browser: a secretary on a phone asks for a small ledger and downloads it under its
Chinese name; a large one waits in "my ledgers", whose list polls by itself and offers the download
once the job has made it."""

from __future__ import annotations

import pytest

from dashboards import services
from dashboards.models import ExportState, LedgerExport
from tests.dashboards.test_ledgers_support import add_rows
from tests.e2e.conftest import PHONE, browser, new_page, screenshot, sign_in  # noqa: F401 - fixtures
from tests.factories import build_district

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_secretary_makes_and_downloads_ledgers_on_a_phone(
    live_server,
    new_page,  # noqa: F811 - the fixture imported above
    screenshot,  # noqa: F811
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path
    settings.LEDGER_SYNC_ROWS = 5
    d = build_district()
    add_rows("issues", d, 3)
    add_rows("orders", d, 8)
    base = live_server.url
    page = new_page(viewport=PHONE)
    sign_in(page, base, "secretary1")

    page.goto(f"{base}/dashboards/ledgers/")
    page.locator("#ledger-kind").select_option("issues")
    page.get_by_test_id("ledger-submit").click()
    page.wait_for_load_state()
    small = LedgerExport.objects.get(kind="issues")
    assert small.state == ExportState.DONE
    with page.expect_download() as download:
        page.locator(f"#export-{small.pk}").get_by_test_id("ledger-download").click()
    name = download.value.suggested_filename
    assert small.language == "zh-hans"  # the page speaks Chinese first: the file is named in Chinese
    assert name == services.download_name(small)
    assert name.startswith("越都社区_") and name.endswith(f"_{small.period_start}_{small.period_end}.xlsx")

    page.locator("#ledger-kind").select_option("orders")
    page.get_by_test_id("ledger-submit").click()
    page.wait_for_load_state()
    large = LedgerExport.objects.get(kind="orders")
    assert large.state == ExportState.QUEUED
    row = page.locator(f"#export-{large.pk}")
    assert row.get_attribute("data-state") == "queued"
    assert page.get_by_test_id("ledger-exports").get_attribute("data-polling") == "true"
    screenshot(page, "queued")

    services.ledger_build(large.pk)  # what the worker does

    page.locator(f"#export-{large.pk}[data-state=done]").wait_for(timeout=10_000)  # htmx polls every 2 s
    assert page.locator(f"#export-{large.pk}").get_by_test_id("ledger-download").is_visible()
    assert page.get_by_test_id("ledger-exports").get_attribute("data-polling") is None
    screenshot(page, "done")
