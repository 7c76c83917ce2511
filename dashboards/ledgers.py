"""The ledgers (台账) as Excel workbooks: one builder per kind, each with its rows for an area and a period.

A ledger has one or more sheets. Each sheet states its Chinese-first column headers (translated
msgids, written in the language the ledger was asked in), its queryset for the area (a path prefix,
`dashboards.areas.within`) and the period, and how one object becomes rows. `write_ledger` streams
the rows with openpyxl's write-only mode from `.iterator()` over querysets shaped with
`select_related` and annotations, so memory and the number of queries stay the same for ten rows or
a million, and reports its progress every `PROGRESS_EVERY` objects.

Every sheet reads like a paper ledger: a title row (area and ledger), a row with the period and who
made it, the column headers, frozen, with a filter; dates are Excel dates; phone numbers and
addresses are masked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, JSONField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from community.models import Area, mask_phone
from contracts.models import Contract, ContractVersion, Meeting, MenuKind, Pairing
from contracts.models import Side as ContractSide
from councils.models import Issue, MeetingState
from councils.models import Meeting as CouncilMeeting
from points.models import Transfer, TransferKind
from volunteers.models import Activity, ServiceOrder, Signup, mask_address
from volunteers.workflow import PLACE_STATES, SignupState

from .areas import within
from .models import LedgerKind
from .periods import Period

# Objects fetched per round trip, and how often the progress is written.
CHUNK_SIZE = 2000
PROGRESS_EVERY = 500
# Excel's limit is 1,048,576 rows a sheet; a longer ledger goes on in a second sheet of the same kind.
MAX_SHEET_ROWS = 1_000_000
HEADER_ROW = 3

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

TEXT, DATE, DATETIME, INTEGER, DECIMAL = "text", "date", "datetime", "integer", "decimal"
NUMBER_FORMATS = {DATE: "yyyy-mm-dd", DATETIME: "yyyy-mm-dd hh:mm", INTEGER: "0", DECIMAL: "0.0"}


@dataclass(frozen=True)
class Column:
    header: Promise
    width: float
    kind: str = TEXT


@dataclass(frozen=True)
class Sheet:
    name: Promise
    columns: tuple[Column, ...]
    queryset: Callable[[Area, Period], QuerySet]
    # One object → its rows (values in the order of `columns`; the row number is added in front).
    rows: Callable[[Any], Iterable[list]]
    # Whether the sheet's objects count in the ledger's rows and progress (not a detail sheet that
    # goes over the same objects again, like the items of the contracts just listed).
    counted: bool = True


@dataclass(frozen=True)
class Ledger:
    kind: str
    sheets: tuple[Sheet, ...]

    @property
    def title(self) -> str:
        return str(LedgerKind(self.kind).label)

    def count(self, area: Area, period: Period) -> int:
        """How many rows the ledger has (its progress counts these): one COUNT per counted sheet."""
        return sum(sheet.queryset(area, period).count() for sheet in self.sheets if sheet.counted)


# --- Cell values -------------------------------------------------------------------------------------


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def _local(value: datetime | None) -> datetime | None:
    """Excel has no time zones: the local (Asia/Shanghai) wall-clock time, naive."""
    if value is None:
        return None
    return timezone.localtime(value).replace(tzinfo=None)


def _name(user) -> str:
    return str(user) if user is not None else ""


# --- Pairings (结对共建) --------------------------------------------------------------------------------


def _pairings(area: Area, period: Period) -> QuerySet:
    in_term = Q(contracts__term_start__lte=period.end, contracts__term_end__gte=period.start)
    return (
        Pairing.objects.filter(**within(area, "community"), since__lte=period.end)
        .filter(Q(ended_on__isnull=True, active=True) | Q(ended_on__gte=period.start))
        .select_related("community", "community_org", "unit_org")
        .annotate(contracts_in_period=Count("contracts", filter=in_term))
        .order_by("community__path", "unit_org__name", "pk")
    )


def _pairing_rows(pairing: Pairing) -> Iterable[list]:
    unit = pairing.unit_org
    yield [
        pairing.community.name,
        pairing.community_org.name,
        unit.name,
        unit.get_unit_type_display(),
        unit.sector,
        pairing.since,
        pairing.ended_on,
        _yes_no(pairing.active),
        pairing.contracts_in_period,
    ]


PAIRINGS = Ledger(
    LedgerKind.PAIRINGS,
    (
        Sheet(
            _l("Pairings"),
            (
                Column(_l("Community"), 14),
                Column(_l("Community Party organisation"), 24),
                Column(_l("Paired unit Party organisation"), 28),
                Column(_l("Type of unit"), 14),
                Column(_l("Sector"), 10),
                Column(_l("Paired since"), 12, DATE),
                Column(_l("Pairing ended on"), 12, DATE),
                Column(_l("Pairing active"), 10),
                Column(_l("Contracts in the period"), 12, INTEGER),
            ),
            _pairings,
            _pairing_rows,
        ),
    ),
)


# --- Contracts (共建合同) and their items --------------------------------------------------------------


def _contracts(area: Area, period: Period) -> QuerySet:
    # The contract's text: the version both sides agreed to (and signed), or while still being
    # negotiated its latest draft.
    latest_items = (
        ContractVersion.objects.filter(contract=OuterRef("pk")).order_by("-number").values("items")[:1]
    )
    return (
        Contract.objects.filter(
            **within(area, "pairing__community"), term_start__lte=period.end, term_end__gte=period.start
        )
        .select_related("pairing__community", "pairing__unit_org")
        .annotate(
            items=Coalesce(
                F("frozen_version__items"),
                Subquery(latest_items, output_field=JSONField()),
                output_field=JSONField(),
            )
        )
        .order_by("pairing__community__path", "term_start", "pk")
    )


def _items(contract: Contract) -> list[dict]:
    return contract.items if isinstance(contract.items, list) else []


def _contract_rows(contract: Contract) -> Iterable[list]:
    items = _items(contract)
    budgets = [item.get("budget") for item in items if isinstance(item.get("budget"), int)]
    yield [
        contract.pairing.community.name,
        contract.pairing.unit_org.name,
        contract.title,
        contract.term_start,
        contract.term_end,
        contract.get_state_display(),
        _local(contract.signed_at),
        _local(contract.published_at),
        len(items),
        sum(budgets) if budgets else None,
        contract.score,
        contract.get_grade_display(),
    ]


def _contract_item_rows(contract: Contract) -> Iterable[list]:
    sides, menus = dict(ContractSide.choices), dict(MenuKind.choices)
    for number, item in enumerate(_items(contract), start=1):
        milestones = item.get("milestones") or []
        yield [
            contract.title,
            contract.pairing.community.name,
            contract.pairing.unit_org.name,
            number,
            str(sides.get(item.get("side"), item.get("side") or "")),
            str(menus.get(item.get("kind"), item.get("kind") or "")),
            item.get("title") or "",
            item.get("deliverable") or "",
            item.get("quantity"),
            item.get("unit") or "",
            item.get("schedule") or "",
            item.get("budget"),
            "；".join(f"{m.get('due', '')} {m.get('what', '')}" for m in milestones if isinstance(m, dict)),
        ]


CONTRACTS = Ledger(
    LedgerKind.CONTRACTS,
    (
        Sheet(
            _l("Contracts"),
            (
                Column(_l("Community"), 14),
                Column(_l("Paired unit Party organisation"), 28),
                Column(_l("Contract"), 30),
                Column(_l("Term starts"), 12, DATE),
                Column(_l("Term ends"), 12, DATE),
                Column(_l("Contract state"), 16),
                Column(_l("Signed at"), 17, DATETIME),
                Column(_l("Published at"), 17, DATETIME),
                Column(_l("Number of items"), 10, INTEGER),
                Column(_l("Budget (yuan)"), 14, INTEGER),
                Column(_l("Evaluation score"), 10, DECIMAL),
                Column(_l("Evaluation grade"), 10),
            ),
            _contracts,
            _contract_rows,
        ),
        Sheet(
            _l("Contract items"),
            (
                Column(_l("Contract"), 30),
                Column(_l("Community"), 14),
                Column(_l("Paired unit Party organisation"), 28),
                Column(_l("Item number"), 8, INTEGER),
                Column(_l("Provided by"), 12),
                Column(_l("Menu"), 10),
                Column(_l("Item"), 28),
                Column(_l("Deliverable"), 36),
                Column(_l("Quantity"), 8, INTEGER),
                Column(_l("Unit of quantity"), 8),
                Column(_l("Schedule"), 18),
                Column(_l("Budget (yuan)"), 14, INTEGER),
                Column(_l("Milestones"), 40),
            ),
            _contracts,
            _contract_item_rows,
            counted=False,
        ),
    ),
)


# --- Consultation meetings (共建协商会议) ------------------------------------------------------------------


def _consultations(area: Area, period: Period) -> QuerySet:
    return (
        Meeting.objects.filter(
            **within(area, "contract__pairing__community"), held_on__range=(period.start, period.end)
        )
        .select_related("contract__pairing__community", "contract__pairing__unit_org", "recorded_by")
        .order_by("held_on", "pk")
    )


def _consultation_rows(meeting: Meeting) -> Iterable[list]:
    pairing = meeting.contract.pairing
    yield [
        meeting.held_on,
        pairing.community.name,
        pairing.unit_org.name,
        meeting.contract.title,
        meeting.place,
        meeting.attendees,
        meeting.minutes,
        meeting.decisions,
        _name(meeting.recorded_by),
    ]


CONSULTATIONS = Ledger(
    LedgerKind.CONSULTATIONS,
    (
        Sheet(
            _l("Consultation meetings"),
            (
                Column(_l("Held on"), 12, DATE),
                Column(_l("Community"), 14),
                Column(_l("Paired unit Party organisation"), 28),
                Column(_l("Contract"), 30),
                Column(_l("Meeting place"), 18),
                Column(_l("Attendees"), 30),
                Column(_l("Minutes"), 50),
                Column(_l("Decisions"), 40),
                Column(_l("Recorded by"), 12),
            ),
            _consultations,
            _consultation_rows,
        ),
    ),
)


# --- Council meetings (议事会议) -------------------------------------------------------------------------


def _council_meetings(area: Area, period: Period) -> QuerySet:
    start, end = period.bounds
    return (
        CouncilMeeting.objects.filter(
            **within(area, "council__compound"),
            state__in=(MeetingState.HELD, MeetingState.APPROVED),
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .select_related("council__compound")
        .annotate(
            agenda_size=Count("items", distinct=True),
            attended=Count("attendees", distinct=True),
        )
        .order_by("starts_at", "pk")
    )


def _council_meeting_rows(meeting: CouncilMeeting) -> Iterable[list]:
    yield [
        _local(meeting.starts_at),
        meeting.council.compound.name,
        meeting.council.name,
        meeting.title,
        meeting.place,
        _yes_no(meeting.online),
        meeting.get_state_display(),
        meeting.agenda_size,
        meeting.attended,
        meeting.decisions,
        _local(meeting.approved_at),
    ]


COUNCIL_MEETINGS = Ledger(
    LedgerKind.COUNCIL_MEETINGS,
    (
        Sheet(
            _l("Council meetings held"),
            (
                Column(_l("Starts at"), 17, DATETIME),
                Column(_l("Compound"), 14),
                Column(_l("Council"), 20),
                Column(_l("Meeting"), 28),
                Column(_l("Meeting place"), 18),
                Column(_l("Online (cloud consultation)"), 12),
                Column(_l("Meeting state"), 18),
                Column(_l("Issues on the agenda"), 10, INTEGER),
                Column(_l("Seats attending"), 10, INTEGER),
                Column(_l("Decisions"), 40),
                Column(_l("Minutes approved at"), 17, DATETIME),
            ),
            _council_meetings,
            _council_meeting_rows,
        ),
    ),
)


# --- Council issues (议事问题) ---------------------------------------------------------------------------


def _issues(area: Area, period: Period) -> QuerySet:
    start, end = period.bounds
    pleased = Q(ratings__rating__in=["satisfied", "basic"])
    return (
        Issue.objects.filter(**within(area, "compound"), created_at__gte=start, created_at__lt=end)
        .select_related("compound", "building", "raised_by")
        .annotate(ratings_count=Count("ratings"), pleased_count=Count("ratings", filter=pleased))
        .order_by("created_at", "pk")
    )


def _issue_rows(issue: Issue) -> Iterable[list]:
    days = (issue.resolved_at - issue.created_at).days if issue.resolved_at else None
    yield [
        _local(issue.created_at),
        issue.compound.name,
        issue.building.name if issue.building else "",
        issue.get_category_display(),
        issue.title,
        issue.raised_by.name,
        issue.get_state_display(),
        issue.get_track_display(),
        issue.due_on,
        _local(issue.resolved_at),
        days,
        issue.ratings_count,
        issue.pleased_count,
    ]


ISSUES = Ledger(
    LedgerKind.ISSUES,
    (
        Sheet(
            _l("Council issues"),
            (
                Column(_l("Raised at"), 17, DATETIME),
                Column(_l("Compound"), 14),
                Column(_l("Building"), 8),
                Column(_l("Issue category"), 14),
                Column(_l("Issue"), 30),
                Column(_l("Raised by"), 10),
                Column(_l("Issue state"), 16),
                Column(_l("Triage track"), 26),
                Column(_l("To be done by"), 12, DATE),
                Column(_l("Resolved at"), 17, DATETIME),
                Column(_l("Days to resolve"), 10, INTEGER),
                Column(_l("Residents' ratings"), 10, INTEGER),
                Column(_l("Satisfied or basically satisfied"), 12, INTEGER),
            ),
            _issues,
            _issue_rows,
        ),
    ),
)


# --- Service orders (服务订单) ---------------------------------------------------------------------------


def _orders(area: Area, period: Period) -> QuerySet:
    start, end = period.bounds
    return (
        ServiceOrder.objects.filter(**within(area, "community"), created_at__gte=start, created_at__lt=end)
        .select_related("community", "grid", "resident", "member")
        .order_by("created_at", "pk")
    )


def _order_rows(order: ServiceOrder) -> Iterable[list]:
    # Never the full address or phone number: a ledger is printed and passed around.
    yield [
        _local(order.created_at),
        order.community.name,
        order.grid.name if order.grid else "",
        order.get_field_display(),
        order.description,
        order.resident.name,
        mask_phone(order.contact_phone or order.resident.phone),
        mask_address(order.address),
        order.get_state_display(),
        _name(order.member),
        _yes_no(order.from_pool),
        _local(order.accepted_at),
        _local(order.done_at),
        order.stars,
        order.rating_comment,
    ]


ORDERS = Ledger(
    LedgerKind.ORDERS,
    (
        Sheet(
            _l("Service orders"),
            (
                Column(_l("Ordered at"), 17, DATETIME),
                Column(_l("Community"), 14),
                Column(_l("Grid"), 12),
                Column(_l("Field of service"), 12),
                Column(_l("What is needed"), 36),
                Column(_l("Resident"), 10),
                Column(_l("Phone (masked)"), 14),
                Column(_l("Address (masked)"), 16),
                Column(_l("Order state"), 16),
                Column(_l("Served by"), 10),
                Column(_l("Grabbed from the pool"), 10),
                Column(_l("Accepted at"), 17, DATETIME),
                Column(_l("Done at"), 17, DATETIME),
                Column(_l("Stars (1-5)"), 8, INTEGER),
                Column(_l("Resident's comment"), 30),
            ),
            _orders,
            _order_rows,
        ),
    ),
)


# --- Activities (共建活动) and hours served -------------------------------------------------------------


def _activities(area: Area, period: Period) -> QuerySet:
    start, end = period.bounds
    attended = Q(signups__state=SignupState.ATTENDED)
    return (
        Activity.objects.filter(
            **within(area, "community"), cancelled_at__isnull=True, starts_at__gte=start, starts_at__lt=end
        )
        .select_related("community", "organiser")
        .annotate(
            places_taken=Count("signups", filter=Q(signups__state__in=PLACE_STATES)),
            attended_count=Count("signups", filter=attended),
            hours_served=Sum("signups__hours", filter=attended),
        )
        .order_by("starts_at", "pk")
    )


def _activity_rows(activity: Activity) -> Iterable[list]:
    yield [
        _local(activity.starts_at),
        _local(activity.ends_at),
        activity.community.name,
        activity.title,
        activity.organiser.name if activity.organiser else "",
        activity.get_field_display(),
        activity.place,
        activity.capacity,
        activity.places_taken,
        activity.attended_count,
        activity.hours_served or Decimal("0"),
    ]


def _signups(area: Area, period: Period) -> QuerySet:
    start, end = period.bounds
    return (
        Signup.objects.filter(
            **within(area, "activity__community"),
            activity__cancelled_at__isnull=True,
            activity__starts_at__gte=start,
            activity__starts_at__lt=end,
            state=SignupState.ATTENDED,
        )
        .select_related("activity__community", "user")
        .order_by("activity__starts_at", "activity_id", "signed_up_at", "pk")
    )


def _signup_rows(signup: Signup) -> Iterable[list]:
    yield [
        _local(signup.activity.starts_at),
        signup.activity.title,
        signup.activity.community.name,
        _name(signup.user),
        mask_phone(signup.user.phone or ""),
        _local(signup.checked_in_at),
        signup.hours,
    ]


ACTIVITIES = Ledger(
    LedgerKind.ACTIVITIES,
    (
        Sheet(
            _l("Activities"),
            (
                Column(_l("Starts at"), 17, DATETIME),
                Column(_l("Ends at"), 17, DATETIME),
                Column(_l("Community"), 14),
                Column(_l("Activity"), 28),
                Column(_l("Together with"), 24),
                Column(_l("Field of service"), 12),
                Column(_l("Venue"), 20),
                Column(_l("Places"), 8, INTEGER),
                Column(_l("Signed up"), 8, INTEGER),
                Column(_l("Attended"), 8, INTEGER),
                Column(_l("Hours served"), 10, DECIMAL),
            ),
            _activities,
            _activity_rows,
        ),
        Sheet(
            _l("Hours per person"),
            (
                Column(_l("Starts at"), 17, DATETIME),
                Column(_l("Activity"), 28),
                Column(_l("Community"), 14),
                Column(_l("Full name"), 12),
                Column(_l("Phone (masked)"), 14),
                Column(_l("Checked in at"), 17, DATETIME),
                Column(_l("Hours"), 8, DECIMAL),
            ),
            _signups,
            _signup_rows,
        ),
    ),
)


# --- Points transfers (积分流水) ---------------------------------------------------------------------------


def _transfers(area: Area, period: Period) -> QuerySet:
    start, end = period.bounds
    touches = Q(**within(area, "source__area")) | Q(**within(area, "destination__area"))
    return (
        Transfer.objects.filter(touches, created_at__gte=start, created_at__lt=end)
        .exclude(kind=TransferKind.TILL)
        .select_related("source", "destination", "created_by")
        .order_by("created_at", "pk")
    )


def _transfer_rows(transfer: Transfer) -> Iterable[list]:
    yield [
        _local(transfer.created_at),
        transfer.pk,
        transfer.get_kind_display(),
        transfer.source.name,
        transfer.destination.name,
        transfer.amount,
        transfer.memo or transfer.cause,
        _name(transfer.created_by),
    ]


POINTS = Ledger(
    LedgerKind.POINTS,
    (
        Sheet(
            _l("Points transfers"),
            (
                Column(_l("Time"), 17, DATETIME),
                Column(_l("Transfer number"), 10, INTEGER),
                Column(_l("Kind of transfer"), 16),
                Column(_l("From account"), 22),
                Column(_l("To account"), 22),
                Column(_l("Points"), 8, INTEGER),
                Column(_l("What for"), 36),
                Column(_l("Made by"), 12),
            ),
            _transfers,
            _transfer_rows,
        ),
    ),
)


LEDGERS: dict[str, Ledger] = {
    ledger.kind: ledger
    for ledger in (PAIRINGS, CONTRACTS, CONSULTATIONS, COUNCIL_MEETINGS, ISSUES, ORDERS, ACTIVITIES, POINTS)
}


def ledger_for(kind: str) -> Ledger:
    return LEDGERS[kind]


# --- The workbook ------------------------------------------------------------------------------------------

_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_TITLE_FONT = Font(bold=True, size=14)
_NOTE_FONT = Font(size=10, color="555555")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", start_color="F3E3E4")
_HEADER_BORDER = Border(bottom=Side(style="thin", color="8E0E18"))
_HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center", horizontal="center")


def ledger_title(kind: str, area: Area) -> str:
    """The area and the ledger ("越都社区 服务订单台账"), in the active language."""
    return _("%(area)s %(ledger)s") % {"area": area.name, "ledger": ledger_for(kind).title}


class _SheetWriter:
    """Writes one sheet of a ledger, going on in a continuation sheet past Excel's row limit."""

    def __init__(self, workbook: Workbook, sheet: Sheet, *, title: str, note: str):
        self.workbook, self.sheet, self.title, self.note = workbook, sheet, title, note
        self.part = 0
        self.number = 0
        self._open()

    def _open(self) -> None:
        self.part += 1
        name = _SHEET_NAME_FORBIDDEN.sub("", str(self.sheet.name))[:31]
        if self.part > 1:
            suffix = f" ({self.part})"
            name = name[: 31 - len(suffix)] + suffix
        ws = self.workbook.create_sheet(name)
        columns = (Column(_l("No."), 7, INTEGER), *self.sheet.columns)
        last = get_column_letter(len(columns))
        # Widths, frozen panes and print titles go before the first row in write-only mode.
        for index, column in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        ws.freeze_panes = f"B{HEADER_ROW + 1}"
        ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.merged_cells.add(f"A1:{last}1")
        ws.merged_cells.add(f"A2:{last}2")

        title = WriteOnlyCell(ws, value=self.title)
        title.font = _TITLE_FONT
        note = WriteOnlyCell(ws, value=self.note)
        note.font = _NOTE_FONT
        ws.append([title])
        ws.append([note])
        headers = []
        for column in columns:
            cell = WriteOnlyCell(ws, value=str(column.header))
            cell.font, cell.fill, cell.border, cell.alignment = (
                _HEADER_FONT,
                _HEADER_FILL,
                _HEADER_BORDER,
                _HEADER_ALIGNMENT,
            )
            headers.append(cell)
        ws.append(headers)
        self.ws, self.columns, self.last_column = ws, columns, last
        self.rows_in_sheet = 0

    def _close_filter(self) -> None:
        last_row = HEADER_ROW + self.rows_in_sheet
        self.ws.auto_filter.ref = f"A{HEADER_ROW}:{self.last_column}{last_row}"

    def append(self, values: list) -> None:
        if self.rows_in_sheet >= MAX_SHEET_ROWS:
            self._close_filter()
            self._open()
        self.number += 1
        self.rows_in_sheet += 1
        row: list[Any] = []
        for column, value in zip(self.columns, (self.number, *values), strict=True):
            if column.kind in (DATE, DATETIME) and isinstance(value, date):
                cell = WriteOnlyCell(self.ws, value=value)
                cell.number_format = NUMBER_FORMATS[column.kind]
                row.append(cell)
            elif isinstance(value, Promise):
                row.append(str(value))
            else:
                row.append(value)
        self.ws.append(row)

    def close(self) -> None:
        self._close_filter()


def write_ledger(
    kind: str,
    *,
    area: Area,
    period: Period,
    path: str,
    made_by: str = "",
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the ledger of `kind` for `area` and `period` to `path` (.xlsx) in the active language.

    Returns how many rows its counted sheets got (the unit of `Ledger.count` and of the progress,
    one per object); calls `progress(done)` every PROGRESS_EVERY of them.
    """
    ledger = ledger_for(kind)
    workbook = Workbook(write_only=True)
    title = ledger_title(kind, area)
    note = _("Period: %(start)s to %(end)s · made %(made)s by %(who)s") % {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "made": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "who": made_by,
    }
    done = 0
    for sheet in ledger.sheets:
        writer = _SheetWriter(workbook, sheet, title=title, note=note)
        for obj in sheet.queryset(area, period).iterator(chunk_size=CHUNK_SIZE):
            for values in sheet.rows(obj):
                writer.append(values)
            if sheet.counted:
                done += 1
                if progress is not None and done % PROGRESS_EVERY == 0:
                    progress(done)
        writer.close()
    workbook.save(path)
    return done
