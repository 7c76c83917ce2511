"""The ledgers (台账) as Excel: each kind makes a clean workbook of the area and period (title, period,
Chinese-first headers, dates as dates, frozen header, masked personal data), the area and period are
checked (404, 400), small ledgers are made at once and large ones queued through the outbox, a build
runs once however often it is asked for, and building costs the same queries for 10 rows or 200."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook

from core.exceptions import NotFound, ValidationFailed
from core.models import OutboxMessage
from dashboards import ledgers, services
from dashboards.models import ExportState, LedgerExport, LedgerKind
from dashboards.periods import Period, period_from
from dashboards.tasks import ledger_build_task
from tests.dashboards.test_ledgers_support import (
    ADDRESS,
    EXPECTED_ROWS,
    PERIOD_START,
    PHONE,
    add_rows,
    ledger_world,
    this_year,
)

pytestmark = pytest.mark.django_db

HEADERS = {
    LedgerKind.PAIRINGS: [
        [
            "No.",
            "Community",
            "Community Party organisation",
            "Paired unit Party organisation",
            "Type of unit",
            "Sector",
            "Paired since",
            "Pairing ended on",
            "Pairing active",
            "Contracts in the period",
        ]
    ],
    LedgerKind.CONTRACTS: [
        [
            "No.",
            "Community",
            "Paired unit Party organisation",
            "Contract",
            "Term starts",
            "Term ends",
            "Contract state",
            "Signed at",
            "Published at",
            "Number of items",
            "Budget (yuan)",
            "Evaluation score",
            "Evaluation grade",
        ],
        [
            "No.",
            "Contract",
            "Community",
            "Paired unit Party organisation",
            "Item number",
            "Provided by",
            "Menu",
            "Item",
            "Deliverable",
            "Quantity",
            "Unit of quantity",
            "Schedule",
            "Budget (yuan)",
            "Milestones",
        ],
    ],
    LedgerKind.CONSULTATIONS: [
        [
            "No.",
            "Held on",
            "Community",
            "Paired unit Party organisation",
            "Contract",
            "Meeting place",
            "Attendees",
            "Minutes",
            "Decisions",
            "Recorded by",
        ]
    ],
    LedgerKind.COUNCIL_MEETINGS: [
        [
            "No.",
            "Starts at",
            "Compound",
            "Council",
            "Meeting",
            "Meeting place",
            "Online (cloud consultation)",
            "Meeting state",
            "Issues on the agenda",
            "Seats attending",
            "Decisions",
            "Minutes approved at",
        ]
    ],
    LedgerKind.ISSUES: [
        [
            "No.",
            "Raised at",
            "Compound",
            "Building",
            "Issue category",
            "Issue",
            "Raised by",
            "Issue state",
            "Triage track",
            "To be done by",
            "Resolved at",
            "Days to resolve",
            "Residents' ratings",
            "Satisfied or basically satisfied",
        ]
    ],
    LedgerKind.ORDERS: [
        [
            "No.",
            "Ordered at",
            "Community",
            "Grid",
            "Field of service",
            "What is needed",
            "Resident",
            "Phone (masked)",
            "Address (masked)",
            "Order state",
            "Served by",
            "Grabbed from the pool",
            "Accepted at",
            "Done at",
            "Stars (1-5)",
            "Resident's comment",
        ]
    ],
    LedgerKind.ACTIVITIES: [
        [
            "No.",
            "Starts at",
            "Ends at",
            "Community",
            "Activity",
            "Together with",
            "Field of service",
            "Venue",
            "Places",
            "Signed up",
            "Attended",
            "Hours served",
        ],
        [
            "No.",
            "Starts at",
            "Activity",
            "Community",
            "Full name",
            "Phone (masked)",
            "Checked in at",
            "Hours",
        ],
    ],
    LedgerKind.POINTS: [
        [
            "No.",
            "Time",
            "Transfer number",
            "Kind of transfer",
            "From account",
            "To account",
            "Points",
            "What for",
            "Made by",
        ]
    ],
}
SHEETS = {
    LedgerKind.PAIRINGS: ["Pairings"],
    LedgerKind.CONTRACTS: ["Contracts", "Contract items"],
    LedgerKind.CONSULTATIONS: ["Consultation meetings"],
    LedgerKind.COUNCIL_MEETINGS: ["Council meetings held"],
    LedgerKind.ISSUES: ["Council issues"],
    LedgerKind.ORDERS: ["Service orders"],
    LedgerKind.ACTIVITIES: ["Activities", "Hours per person"],
    LedgerKind.POINTS: ["Points transfers"],
}
# The first date column of each ledger's first sheet (1-based), read back as a date.
DATE_COLUMN = {
    LedgerKind.PAIRINGS: 7,
    LedgerKind.CONTRACTS: 5,
    LedgerKind.CONSULTATIONS: 2,
    LedgerKind.COUNCIL_MEETINGS: 2,
    LedgerKind.ISSUES: 2,
    LedgerKind.ORDERS: 2,
    LedgerKind.ACTIVITIES: 2,
    LedgerKind.POINTS: 2,
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def request_in(language: str, **kwargs) -> LedgerExport:
    with translation.override(language):
        return services.ledger_request(**kwargs)


def workbook(export: LedgerExport):
    with export.file.open("rb") as handle:
        return load_workbook(handle)


def header(ws) -> list[str]:
    return [cell.value for cell in ws[3]]


def data_rows(ws) -> list[tuple]:
    return [row for row in ws.iter_rows(min_row=4, values_only=True) if any(v is not None for v in row)]


# --- Every kind makes a clean workbook -------------------------------------------------------------------


@pytest.mark.parametrize("kind", LedgerKind.values)
def test_each_ledger_is_a_clean_workbook_of_the_area_and_period(district, kind):
    ledger_world(district)

    export = request_in(
        "en", actor=district.secretary1, kind=kind, area=district.community1, period=this_year()
    )

    assert export.state == ExportState.DONE, export.error
    assert export.language == "en"
    # Progress counts the rows of the ledger: an activity and each attendance; a contract (not its items).
    attendances = 3 * 2 if kind == LedgerKind.ACTIVITIES else 0
    assert export.rows_done == export.rows_total == EXPECTED_ROWS[kind] + attendances
    book = workbook(export)
    assert book.sheetnames == SHEETS[kind]
    first = book.worksheets[0]
    with translation.override("en"):  # the title is in the language the ledger was asked in
        assert first["A1"].value == f"越都社区 {LedgerKind(kind).label}"
    assert first["A2"].value.startswith(
        f"Period: {PERIOD_START.isoformat()} to {timezone.localdate().isoformat()}"
    )
    for ws, headers in zip(book.worksheets, HEADERS[kind], strict=True):
        assert header(ws) == headers
        assert ws.freeze_panes == "B4"
        assert f"A1:{ws.cell(3, len(headers)).column_letter}1" in {str(r) for r in ws.merged_cells.ranges}
    rows = data_rows(first)
    assert len(rows) == EXPECTED_ROWS[kind]
    assert [row[0] for row in rows] == list(range(1, len(rows) + 1))
    dated = first.cell(4, DATE_COLUMN[kind])
    assert isinstance(dated.value, datetime)
    assert dated.number_format in ("yyyy-mm-dd", "yyyy-mm-dd hh:mm")
    assert first.auto_filter.ref == f"A3:{first.cell(3, len(HEADERS[kind][0])).column_letter}{3 + len(rows)}"


def test_the_district_ledger_takes_every_community_and_the_street_only_its_own(district):
    ledger_world(district)
    period = this_year()

    whole = request_in(
        "en", actor=district.district_admin, kind="orders", area=district.district, period=period
    )
    street = request_in(
        "en", actor=district.street_admin, kind="orders", area=district.street1, period=period
    )

    assert whole.rows_total == 3 + 1  # community1's and community3's
    assert street.rows_total == 3  # community3 lies in the other street
    assert {row[2] for row in data_rows(workbook(whole).active)} == {"越都社区", "府山社区"}


def test_the_period_keeps_rows_of_its_days_only(district):
    ledger_world(district)
    last_year = Period(date(PERIOD_START.year - 1, 1, 1), date(PERIOD_START.year - 1, 12, 31))

    export = request_in(
        "en", actor=district.secretary1, kind="issues", area=district.community1, period=last_year
    )

    rows = data_rows(workbook(export).active)
    assert len(rows) == 1  # the issue raised on 1 June last year
    assert rows[0][1] == datetime(PERIOD_START.year - 1, 6, 1, 10, 0)  # local wall-clock time


def test_service_orders_never_show_the_full_address_or_phone(district):
    add_rows("orders", district, 2)

    export = request_in(
        "en", actor=district.secretary1, kind="orders", area=district.community1, period=this_year()
    )

    ws = workbook(export).active
    row = data_rows(ws)[0]
    assert row[7] == "139****2222"
    assert row[8] == "越都花园3幢****"
    values = [str(v) for r in ws.iter_rows(values_only=True) for v in r if v is not None]
    assert not any(PHONE in v or ADDRESS in v for v in values)


def test_activities_ledger_lists_the_hours_of_each_person_with_masked_phones(district):
    add_rows("activities", district, 2)

    export = request_in(
        "en", actor=district.secretary1, kind="activities", area=district.community1, period=this_year()
    )

    activities, hours = workbook(export).worksheets
    assert [row[10:12] for row in data_rows(activities)] == [(2, 4.0), (2, 4.0)]  # attended, hours served
    people = data_rows(hours)
    assert len(people) == 4
    assert {row[5] for row in people} == {
        "138****" + district.member_user.phone[-4:],
        "138****" + district.resident_user.phone[-4:],
    }
    assert sum(row[7] for row in people) == 8.0


def test_contracts_ledger_has_their_items_on_a_second_sheet(district):
    add_rows("contracts", district, 2)

    export = request_in(
        "en", actor=district.secretary1, kind="contracts", area=district.community1, period=this_year()
    )

    contracts, items = workbook(export).worksheets
    assert [(row[6], row[9], row[10]) for row in data_rows(contracts)] == [
        ("Signed", 2, 6000),
        ("Negotiating", 2, 6000),
    ]
    rows = data_rows(items)
    assert len(rows) == 4
    assert rows[0][4:9] == (1, "Unit side", "Service", "每月义诊一次", "为社区老人免费测血压、血糖")
    assert rows[0][13] == f"{PERIOD_START.year}-06-30 完成上半年6次"


def test_headers_and_title_follow_the_language_the_ledger_was_asked_in(district):
    add_rows("orders", district, 1)

    export = request_in(
        "zh-hans", actor=district.secretary1, kind="orders", area=district.community1, period=this_year()
    )

    assert export.language == "zh-hans"
    ws = workbook(export).active
    with translation.override("zh-hans"):
        expected = [str(column.header) for column in ledgers.ORDERS.sheets[0].columns]
        title = str(LedgerKind.ORDERS.label)
        assert ws.title == str(ledgers.ORDERS.sheets[0].name)
    assert header(ws) == ["序号", *expected]
    assert ws["A1"].value.startswith("越都社区") and ws["A1"].value.endswith(title)


# --- Bad input -------------------------------------------------------------------------------------------------


def test_an_area_outside_ones_dashboards_is_not_found_and_nothing_is_made(district):
    with pytest.raises(NotFound):
        services.ledger_request(
            actor=district.secretary1, kind="orders", area=district.community3, period=this_year()
        )
    with pytest.raises(NotFound):
        services.ledger_request(
            actor=district.street_admin, kind="orders", area=district.community3.pk, period=this_year()
        )
    assert not LedgerExport.objects.exists()


def test_an_unknown_kind_or_a_reversed_period_is_refused(district):
    with pytest.raises(ValidationFailed) as refused:
        services.ledger_request(actor=district.secretary1, kind="salaries", area=None, period=this_year())
    assert refused.value.code == "invalid_kind"
    with pytest.raises(ValidationFailed) as refused:
        period_from({"from": "2026-05-01", "to": "2026-04-01"})
    assert refused.value.code == "invalid_period"
    assert not LedgerExport.objects.exists()


# --- Small at once, large through the outbox; a build runs once ---------------------------------------------------


def test_a_large_ledger_is_queued_through_the_outbox_and_the_task_run_twice_builds_once(
    district, settings, monkeypatch
):
    settings.LEDGER_SYNC_ROWS = 2
    add_rows("orders", district, 3)
    builds = []
    real_write = services.write_ledger
    monkeypatch.setattr(services, "write_ledger", lambda *a, **kw: builds.append(1) or real_write(*a, **kw))

    export = services.ledger_request(
        actor=district.secretary1, kind="orders", area=district.community1, period=this_year()
    )

    assert export.state == ExportState.QUEUED and export.rows_total == 3 and not export.file
    message = OutboxMessage.objects.get(task_name="dashboards.build_ledger")
    assert message.args == [export.pk]
    # Asking again while it waits returns the same export, queued once.
    again = services.ledger_request(
        actor=district.secretary1, kind="orders", area=district.community1, period=this_year()
    )
    assert (
        again.pk == export.pk
        and OutboxMessage.objects.filter(task_name="dashboards.build_ledger").count() == 1
    )

    assert ledger_build_task(*message.args) == ExportState.DONE
    first = LedgerExport.objects.get(pk=export.pk)
    assert ledger_build_task(*message.args) == ExportState.DONE
    second = LedgerExport.objects.get(pk=export.pk)

    assert builds == [1]
    assert second.file.name == first.file.name and second.finished_at == first.finished_at
    assert (second.rows_done, second.rows_total, second.attempts) == (3, 3, 1)
    assert len(data_rows(workbook(second).active)) == 3


def test_a_build_another_live_worker_holds_is_left_alone_and_a_silent_one_taken_over(district, settings):
    settings.LEDGER_SYNC_ROWS = 0
    add_rows("orders", district, 2)
    export = services.ledger_request(
        actor=district.secretary1, kind="orders", area=district.community1, period=this_year()
    )
    LedgerExport.objects.filter(pk=export.pk).update(
        state=ExportState.RUNNING, claim="other", heartbeat_at=timezone.now()
    )

    held = services.ledger_build(export.pk)

    assert held.state == ExportState.RUNNING and held.claim == "other" and not held.file

    LedgerExport.objects.filter(pk=export.pk).update(heartbeat_at=timezone.now() - services.STALE_AFTER * 2)
    taken = services.ledger_build(export.pk)

    assert taken.state == ExportState.DONE and taken.file and taken.attempts == 1


def test_progress_is_written_while_building(district, settings, monkeypatch):
    settings.LEDGER_SYNC_ROWS = 0
    monkeypatch.setattr(ledgers, "PROGRESS_EVERY", 4)
    add_rows("points", district, 10)
    export = services.ledger_request(
        actor=district.secretary1, kind="points", area=district.community1, period=this_year()
    )
    seen = []
    real_report = services._report

    def report(export_id, claim, **fields):
        real_report(export_id, claim, **fields)
        stored = LedgerExport.objects.get(pk=export_id)
        seen.append((stored.state, stored.rows_done, stored.rows_total))

    monkeypatch.setattr(services, "_report", report)

    done = services.ledger_build(export.pk)

    assert seen == [("running", 0, 10), ("running", 4, 10), ("running", 8, 10)]
    assert (done.state, done.rows_done, done.rows_total, done.percent) == ("done", 10, 10, 100)


def test_a_failure_is_recorded_and_can_be_tried_again(district, monkeypatch):
    add_rows("issues", district, 2)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(services, "write_ledger", broken)
    failed = services.ledger_request(
        actor=district.secretary1, kind="issues", area=district.community1, period=this_year()
    )
    assert failed.state == ExportState.FAILED and "disk full" in failed.error and not failed.file

    monkeypatch.undo()
    retried = services.ledger_retry(actor=district.secretary1, export=failed)

    assert retried.state == ExportState.DONE and retried.error == "" and retried.attempts == 2
    assert len(data_rows(workbook(retried).active)) == 2


# --- Bounded queries ---------------------------------------------------------------------------------------------


def _build_queries(district, kind: str) -> tuple[int, int]:
    export = LedgerExport.objects.create(
        kind=kind,
        area=district.community1,
        period_start=this_year().start,
        period_end=this_year().end,
        requested_by=district.secretary1,
        language="en",
    )
    with CaptureQueriesContext(connection) as queries:
        built = services.ledger_build(export.pk)
    assert built.state == ExportState.DONE, built.error
    return len(queries), built.rows_total


@pytest.mark.parametrize("kind", LedgerKind.values)
def test_building_costs_the_same_queries_for_10_rows_or_200(district, kind, monkeypatch):
    # Progress is written once every PROGRESS_EVERY rows, by design: not part of this count.
    monkeypatch.setattr(ledgers, "PROGRESS_EVERY", 10**9)
    per_row = 3 if kind == LedgerKind.ACTIVITIES else 1  # an activity and its two attendances
    add_rows(kind, district, 10)
    few, rows = _build_queries(district, kind)
    assert rows == 10 * per_row
    add_rows(kind, district, 190)
    many, rows = _build_queries(district, kind)
    assert rows == 200 * per_row

    assert many == few
