"""/api/v1/ledger-exports/: ask for a ledger, follow it, download it; JSON errors (400 a bad period or
kind, 404 outside one's areas or someone else's export, 409 not ready) that make nothing; a list
whose query count does not grow."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from drf_spectacular.validation import validate_schema
from openpyxl import load_workbook
from rest_framework.test import APIClient

from core.models import OutboxMessage
from dashboards import services
from dashboards.models import ExportState, LedgerExport
from tests.api.helpers import assert_error, ids
from tests.dashboards.test_ledgers_support import PERIOD_START, add_rows, this_year

pytestmark = pytest.mark.django_db

URL = "/api/v1/ledger-exports/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def api(user, language="en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user)
    return client


def test_a_small_ledger_comes_back_done_with_its_download(district):
    add_rows("issues", district, 2)
    client = api(district.secretary1)
    period = this_year()

    created = client.post(
        URL,
        {
            "kind": "issues",
            "area": district.community1.pk,
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
        },
        format="json",
    )

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "done" and body["percent"] == 100 and body["language"] == "en"
    assert (body["rows_done"], body["rows_total"], body["area_name"]) == (2, 2, "越都社区")
    assert body["file_name"] == f"越都社区_Council issues ledger_{period.start}_{period.end}.xlsx"
    assert body["download_url"].endswith(f"{URL}{body['id']}/download/")

    download = client.get(f"{URL}{body['id']}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"filename*=UTF-8''{quote(body['file_name'], safe='')}" in download["Content-Disposition"]
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert book.active["A3"].value == "No." and book.active.max_row == 3 + 2


def test_a_large_ledger_comes_back_queued_and_is_followed_until_done(district, settings):
    settings.LEDGER_SYNC_ROWS = 1
    add_rows("points", district, 3)
    client = api(district.secretary1)

    created = client.post(URL, {"kind": "points", "year": PERIOD_START.year}, format="json")

    assert created.status_code == 201
    body = created.json()
    assert (body["state"], body["download_url"], body["file_name"], body["area"]) == (
        "queued",
        None,
        None,
        district.community1.pk,  # no area: the secretary's own community
    )
    assert OutboxMessage.objects.filter(task_name="dashboards.build_ledger", args=[body["id"]]).exists()
    assert_error(client.get(f"{URL}{body['id']}/download/"), 409, "not_ready")

    services.ledger_build(body["id"])

    followed = client.get(f"{URL}{body['id']}/").json()
    assert (followed["state"], followed["rows_done"], followed["rows_total"]) == ("done", 3, 3)
    assert client.get(followed["download_url"]).status_code == 200


def test_bad_input_is_refused_and_nothing_is_made(district):
    client = api(district.secretary1)

    assert_error(
        client.post(URL, {"kind": "orders", "from": "2026-05-01", "to": "2026-04-01"}, format="json"),
        400,
        "invalid_period",
    )
    assert_error(
        client.post(URL, {"kind": "orders", "from": "2001-01-01"}, format="json"), 400, "invalid_period"
    )
    assert_error(client.post(URL, {"kind": "orders", "year": 1990}, format="json"), 400, "invalid_period")
    assert_error(client.post(URL, {"kind": "salaries"}, format="json"), 400, "invalid")
    assert_error(
        client.post(URL, {"kind": "orders", "area": district.community3.pk}, format="json"), 404, "not_found"
    )
    assert_error(client.post(URL, {"kind": "orders", "area": 999999}, format="json"), 404, "not_found")
    assert_error(api(district.resident_user).post(URL, {"kind": "orders"}, format="json"), 403)
    assert not LedgerExport.objects.exists()


def test_someone_elses_export_is_not_found_but_the_areas_staff_see_it(district):
    add_rows("orders", district, 1)
    created = api(district.secretary1).post(URL, {"kind": "orders"}, format="json").json()

    for outsider in (district.secretary2, district.secretary3, district.member_user):
        client = api(outsider)
        assert_error(client.get(f"{URL}{created['id']}/"), 404)
        assert_error(client.get(f"{URL}{created['id']}/download/"), 404)
        assert ids(client.get(URL)) == set()
    street = api(district.street_admin)
    assert ids(street.get(URL)) == {created["id"]}
    assert street.get(f"{URL}{created['id']}/download/").status_code == 200
    assert_error(street.get(f"{URL}abc/"), 404)


def test_headers_follow_the_language_of_the_request(district):
    add_rows("orders", district, 1)

    created = api(district.secretary1, language="zh-hans").post(URL, {"kind": "orders"}, format="json").json()

    export = LedgerExport.objects.get(pk=created["id"])
    assert export.language == "zh-hans"
    with export.file.open("rb") as handle:
        assert load_workbook(handle).active["A3"].value == "序号"
    with translation.override("zh-hans"):
        assert created["file_name"] == services.download_name(export)


def test_the_list_costs_the_same_queries_for_2_exports_or_12(district):
    add_rows("orders", district, 1)
    client = api(district.secretary1)

    def listed(count):
        while LedgerExport.objects.count() < count:
            client.post(URL, {"kind": "orders"}, format="json")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"state": ExportState.DONE})
        assert len(response.json()["results"]) == count
        return len(queries)

    few = listed(2)
    many = listed(12)
    assert many == few


def test_the_schema_documents_the_ledger_exports(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    validate_schema(schema)

    paths = schema["paths"]
    assert set(paths["/api/v1/ledger-exports/"]) >= {"get", "post"}
    assert "get" in paths["/api/v1/ledger-exports/{id}/download/"]
    request = schema["components"]["schemas"]["LedgerExportInputRequest"]["properties"]
    assert {"kind", "area", "from", "to", "year"} <= set(request)
