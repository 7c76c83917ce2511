"""The ledger pages: asking for one from the dashboard's buttons or the form, "my ledgers" with its
progress polled by htmx, trying again, and the download (the requester or the area's staff only,
with a Chinese file name), errors shown with their status and nothing made."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from core.models import OutboxMessage
from dashboards import services
from dashboards.models import ExportState, LedgerExport, LedgerKind
from tests.dashboards.test_ledgers_support import PERIOD_START, add_rows, this_year
from tests.factories import make_user

pytestmark = pytest.mark.django_db

LIST = reverse("dashboards:ledgers")
REQUEST = reverse("dashboards:ledger_request")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def signed_in(user, *, english: bool = False) -> Client:
    client = Client()
    client.force_login(user)
    if english:
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def ask(client, district, kind="orders", area=None, **period):
    data = {"kind": kind, "area": (area or district.community1).pk, **period}
    return client.post(REQUEST, data)


def test_asking_for_a_small_ledger_makes_it_at_once_and_the_list_offers_it(district):
    add_rows("orders", district, 2)
    client = signed_in(district.secretary1, english=True)

    response = ask(
        client, district, **{"from": f"{PERIOD_START.year}-01-01", "to": this_year().end.isoformat()}
    )

    export = LedgerExport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?export={export.pk}#export-{export.pk}"
    assert (export.state, export.language, export.rows_total) == ("done", "en", 2)
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "The ledger is ready: download it below." in html
    assert reverse("dashboards:ledger_download", args=[export.pk]) in html
    assert 'hx-trigger="every 2s"' not in html  # nothing on its way: no polling


def test_a_large_ledger_is_queued_and_the_list_polls_until_it_is_made(district, settings):
    settings.LEDGER_SYNC_ROWS = 1
    add_rows("orders", district, 3)
    client = signed_in(district.secretary1, english=True)

    ask(client, district)

    export = LedgerExport.objects.get()
    assert export.state == ExportState.QUEUED
    assert OutboxMessage.objects.filter(task_name="dashboards.build_ledger", args=[export.pk]).exists()
    page = client.get(LIST).content.decode()
    assert "The ledger is being made" in page
    assert 'hx-trigger="every 2s"' in page and "Waiting for its turn" in page

    LedgerExport.objects.filter(pk=export.pk).update(state=ExportState.RUNNING, rows_done=1)
    fragment = client.get(LIST, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="ledger-exports"')
    assert "<html" not in fragment and 'hx-trigger="every 2s"' in fragment
    assert "1 of 3 rows written" in fragment and "33%" in fragment

    # The worker's turn (the "running" above was only shown, no build holds it).
    LedgerExport.objects.filter(pk=export.pk).update(state=ExportState.QUEUED, rows_done=0)
    assert services.ledger_build(export.pk).state == ExportState.DONE
    fragment = client.get(LIST, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' not in fragment  # polling stops once it is made
    assert reverse("dashboards:ledger_download", args=[export.pk]) in fragment


def test_the_download_is_the_xlsx_with_a_chinese_file_name(district):
    add_rows("orders", district, 2)
    client = signed_in(district.secretary1)
    ask(client, district)
    export = LedgerExport.objects.get()

    response = client.get(reverse("dashboards:ledger_download", args=[export.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    with translation.override("zh-hans"):
        name = f"越都社区_{LedgerKind.ORDERS.label}_{export.period_start}_{export.period_end}.xlsx"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="ledger-orders-')
    assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition
    book = load_workbook(_bytes(response))
    assert book.active["A1"].value.startswith("越都社区")


def _bytes(response):
    return io.BytesIO(b"".join(response.streaming_content))


def test_only_the_requester_and_the_areas_staff_may_download(district):
    add_rows("orders", district, 1)
    ask(signed_in(district.secretary1), district)
    url = reverse("dashboards:ledger_download", args=[LedgerExport.objects.get().pk])
    social_worker = make_user("sw1", "social_worker", area=district.community1)

    assert signed_in(district.street_admin).get(url).status_code == 200  # staff over 越都社区
    assert signed_in(social_worker).get(url).status_code == 200
    for outsider in (district.secretary2, district.secretary3, district.member_user, district.convener1):
        assert signed_in(outsider).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page
    # Nor does someone else's export appear in their "my ledgers".
    assert "ledger-download" not in signed_in(district.street_admin).get(LIST).content.decode()


def test_a_ledger_not_made_yet_cannot_be_downloaded(district, settings):
    settings.LEDGER_SYNC_ROWS = 0
    add_rows("orders", district, 1)
    client = signed_in(district.secretary1, english=True)
    ask(client, district)

    response = client.get(reverse("dashboards:ledger_download", args=[LedgerExport.objects.get().pk]))

    assert response.status_code == 409
    assert "not ready yet" in response.content.decode()


def test_a_reversed_or_absurd_period_is_refused_with_400_and_nothing_is_made(district):
    client = signed_in(district.secretary1, english=True)

    reversed_ = ask(client, district, **{"from": "2026-05-01", "to": "2026-04-01"})
    absurd = ask(client, district, **{"from": "1999-01-01", "to": "2026-04-01"})
    garbled = ask(client, district, **{"from": "yesterday"})

    assert [r.status_code for r in (reversed_, absurd, garbled)] == [400, 400, 400]
    assert "The period ends before it starts" in reversed_.content.decode()
    assert not LedgerExport.objects.exists()


def test_an_area_outside_ones_dashboards_answers_404_and_nothing_is_made(district):
    client = signed_in(district.secretary1, english=True)

    response = ask(client, district, area=district.community3)

    assert response.status_code == 404
    assert not LedgerExport.objects.exists()


def test_a_resident_has_no_ledgers_to_ask_for(district):
    client = signed_in(district.resident_user)

    assert client.get(LIST).status_code == 200
    assert 'data-testid="ledger-form"' not in client.get(LIST).content.decode()
    response = client.post(REQUEST, {"kind": "orders"})
    assert response.status_code == 403
    assert not LedgerExport.objects.exists()


def test_a_failed_ledger_can_be_tried_again_from_the_list(district, monkeypatch):
    add_rows("issues", district, 1)
    monkeypatch.setattr(services, "write_ledger", lambda *a, **kw: 1 / 0)
    client = signed_in(district.secretary1, english=True)
    ask(client, district, kind="issues")
    export = LedgerExport.objects.get()
    assert export.state == ExportState.FAILED
    assert 'data-testid="ledger-retry"' in client.get(LIST).content.decode()
    monkeypatch.undo()

    response = client.post(reverse("dashboards:ledger_retry", args=[export.pk]))

    assert response.status_code == 302
    export.refresh_from_db()
    assert export.state == ExportState.DONE
    # Done: nothing to try again (409), and someone else's export is not theirs to retry (404).
    assert client.post(reverse("dashboards:ledger_retry", args=[export.pk])).status_code == 409
    other = signed_in(district.secretary2)
    assert other.post(reverse("dashboards:ledger_retry", args=[export.pk])).status_code == 404


def test_the_dashboards_buttons_ask_for_each_ledger_of_the_area_and_period(district):
    request = RequestFactory().get("/dashboards/")
    request.user = district.secretary1
    period = this_year()

    html = render_to_string(
        "dashboards/includes/ledger_links.html",
        {"area": district.community1, "period": period},
        request=request,
    )

    assert html.count(f'action="{REQUEST}"') == len(LedgerKind.values)
    for kind in LedgerKind.values:
        assert f'data-testid="ledger-{kind}"' in html
        assert f'name="kind" value="{kind}"' in html
    assert html.count(f'name="area" value="{district.community1.pk}"') == len(LedgerKind.values)
    assert html.count(f'name="from" value="{period.start.isoformat()}"') == len(LedgerKind.values)
    assert html.count(f'name="to" value="{period.end.isoformat()}"') == len(LedgerKind.values)
    assert "csrfmiddlewaretoken" in html


def test_a_button_of_the_dashboard_makes_that_ledger(district):
    add_rows("council_meetings", district, 2)
    client = signed_in(district.street_admin)
    period = this_year()

    client.post(
        REQUEST,
        {
            "kind": "council_meetings",
            "area": district.community1.pk,
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
        },
    )

    export = LedgerExport.objects.get()
    assert (export.kind, export.area, export.requested_by) == (
        "council_meetings",
        district.community1,
        district.street_admin,
    )
    assert export.state == ExportState.DONE and export.rows_total == 2


def test_my_ledgers_costs_the_same_queries_for_2_exports_or_12(district, django_assert_max_num_queries):
    add_rows("orders", district, 1)
    client = signed_in(district.secretary1)
    for _ in range(2):
        ask(client, district)
    with django_assert_max_num_queries(12) as few:
        client.get(LIST)
    for _ in range(10):
        ask(client, district)
    with django_assert_max_num_queries(12) as many:
        client.get(LIST)
    assert len(many) == len(few)
