"""The portal's headline figures (all time, the whole platform), or any area's over a period: one small
aggregate query per table, whatever the number of rows. (The dashboards and the monthly report use the
figures registry of dashboards.figures; these are the few totals the public home shows, some of which
that registry does not count: contracts signed, contract items delivered, service orders done.)

`area=None` counts everywhere; `period=None` counts all time. What each figure counts:

- contracts signed: contracts whose second signature fell in the period (`signed_at`);
- items delivered: fulfilment records (履约记录) dated in the period;
- contract meetings: consultation meetings (协商会议) held in the period;
- issues raised / solved: council issues raised in the period (merged duplicates left out) / issues
  resolved in the period and still resolved; all time, the resolution rate is solved ÷ raised as on
  the councils' board;
- council meetings: meetings held (or with approved minutes) that started in the period;
- members reported: reports accepted in the period (all time: members reporting now);
- wishes fulfilled: confirmed in the period (as the dashboards count them); orders done: finished in
  the period (done, rated, or closed unrated);
- activities held: activities that started in the period and were not cancelled; hours: the hours
  recorded for those who attended them;
- points issued: points earned or awarded into wallets of the area, less what was reversed; points
  spent: market redemptions from wallets of the area, less what was refunded (both as the dashboards).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from community.models import Area
from contracts.models import Contract, FulfilmentRecord
from contracts.models import Meeting as ContractMeeting
from councils.models import Issue, MeetingState
from councils.models import Meeting as CouncilMeeting
from councils.workflow import IssueState
from points.models import Flow, FlowKind
from volunteers.models import Activity, Report, ServiceOrder, Signup, Wish
from volunteers.workflow import OrderState, ReportState, SignupState, WishState

from .periods import Period

DONE_ORDER_STATES = (OrderState.DONE, OrderState.RATED, OrderState.CLOSED)
HELD_MEETING_STATES = (MeetingState.HELD, MeetingState.APPROVED)


@dataclass(frozen=True)
class ReportFigures:
    contracts_signed: int = 0
    items_delivered: int = 0
    contract_meetings: int = 0
    issues_raised: int = 0
    issues_solved: int = 0
    council_meetings: int = 0
    members_reported: int = 0
    wishes_posted: int = 0
    wishes_fulfilled: int = 0
    orders_done: int = 0
    activities_held: int = 0
    volunteer_hours: Decimal = Decimal("0")
    points_issued: int = 0
    points_spent: int = 0

    @property
    def resolution_rate(self) -> float | None:
        """Solved ÷ raised in percent, one decimal (None when nothing was raised)."""
        if not self.issues_raised:
            return None
        return round(self.issues_solved * 100 / self.issues_raised, 1)


def _within(area: Area | None, lookup: str) -> Q:
    if area is None:
        return Q()
    return Q(**{f"{lookup}__path__startswith": area.path})


def _in_time(field: str, period: Period | None) -> Q:
    """`field` (a timestamp) inside the period's local days."""
    if period is None:
        return Q()
    start, end = period.bounds
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def _in_days(field: str, period: Period | None) -> Q:
    """`field` (a date) inside the period, both ends included."""
    if period is None:
        return Q()
    return Q(**{f"{field}__gte": period.start, f"{field}__lte": period.end})


def report_figures(*, area: Area | None = None, period: Period | None = None) -> ReportFigures:
    """The figures of `area` (None: everywhere) in `period` (None: all time), in eleven queries."""
    contracts_signed = (
        Contract.objects.filter(
            _within(area, "pairing__community"), _in_time("signed_at", period), signed_at__isnull=False
        )
        .order_by()
        .count()
    )
    items_delivered = (
        FulfilmentRecord.objects.filter(
            _within(area, "contract__pairing__community"), _in_days("done_on", period)
        )
        .order_by()
        .count()
    )
    contract_meetings = (
        ContractMeeting.objects.filter(
            _within(area, "contract__pairing__community"), _in_days("held_on", period)
        )
        .order_by()
        .count()
    )

    issues = (
        Issue.objects.filter(_within(area, "compound"))
        .exclude(state=IssueState.MERGED)
        .order_by()
        .aggregate(
            raised=Count("id", filter=_in_time("created_at", period)),
            solved=Count("id", filter=Q(state=IssueState.RESOLVED) & _in_time("resolved_at", period)),
        )
    )
    council_meetings = (
        CouncilMeeting.objects.filter(
            _within(area, "council__compound"),
            _in_time("starts_at", period),
            state__in=HELD_MEETING_STATES,
        )
        .order_by()
        .count()
    )

    if period is None:
        reports = Report.objects.filter(_within(area, "community"), state=ReportState.ACCEPTED)
    else:
        reports = Report.objects.filter(
            _within(area, "community"),
            _in_time("decided_at", period),
            state__in=(ReportState.ACCEPTED, ReportState.LEFT),
        )
    members_reported = reports.order_by().count()

    wishes = (
        Wish.objects.filter(_within(area, "community"))
        .order_by()
        .aggregate(
            posted=Count("id", filter=_in_time("created_at", period)),
            fulfilled=Count("id", filter=Q(state=WishState.CONFIRMED) & _in_time("confirmed_at", period)),
        )
    )
    orders_done = (
        ServiceOrder.objects.filter(
            _within(area, "community"), _in_time("done_at", period), state__in=DONE_ORDER_STATES
        )
        .order_by()
        .count()
    )

    held = Activity.objects.filter(
        _within(area, "community"), _in_time("starts_at", period), cancelled_at__isnull=True
    )
    activities_held = held.order_by().count()
    hours = (
        Signup.objects.filter(activity__in=held.values("pk"), state=SignupState.ATTENDED)
        .order_by()
        .aggregate(hours=Sum("hours"))["hours"]
    )

    # Summed from the totals per community and day (points.flows), not from the transfers.
    flows = Flow.objects.filter(_within(area, "area"))
    if period is not None:
        flows = flows.filter(day__gte=period.start, day__lte=period.end)
    points = flows.order_by().aggregate(
        issued=Sum("amount", filter=Q(flow=FlowKind.ISSUED)),
        spent=Sum("amount", filter=Q(flow=FlowKind.SPENT)),
    )

    return ReportFigures(
        contracts_signed=contracts_signed,
        items_delivered=items_delivered,
        contract_meetings=contract_meetings,
        issues_raised=issues["raised"],
        issues_solved=issues["solved"],
        council_meetings=council_meetings,
        members_reported=members_reported,
        wishes_posted=wishes["posted"],
        wishes_fulfilled=wishes["fulfilled"],
        orders_done=orders_done,
        activities_held=activities_held,
        volunteer_hours=hours or Decimal("0"),
        points_issued=points["issued"] or 0,
        points_spent=points["spent"] or 0,
    )
