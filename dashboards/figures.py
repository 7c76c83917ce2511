"""The figures of a dashboard: one registry of what each number counts, over which rows, and how.

Each `Figure` has a stable key ("councils.issues_raised"), a section, a label, a kind (count, sum,
rate, median, mean) and the rows it counts for an area and a period — the same rows its list page
and the API show, so a number and its list always agree. Values are aggregates in the database:
figures over the same rows share one query, so a dashboard costs the same number of queries
whatever the amount of data.

Public functions: `figures_for(area, period)`, `figure(key)`, `rows_for(key, area, period)`,
`value_for(key, area, period)`, `by_section(figures)`, `evaluation_ranking(area, period)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from community.models import Area, AreaKind, Organisation
from contracts.models import Contract, ContractEvent, FulfilmentRecord, Pairing
from contracts.models import Meeting as ContractMeeting
from contracts.workflow import TEXT_FIXED_STATES, ContractState, ContractStep
from core.pagecache import cached
from councils.models import Issue, MeetingState, Motion, ResultRating
from councils.models import Meeting as CouncilMeeting
from councils.models import Satisfaction as Rating
from councils.selectors import Figures as CouncilFigures
from councils.selectors import Satisfaction as CouncilSatisfaction
from councils.voting import Outcome
from councils.workflow import IssueState, MotionState
from points.models import Account, AccountKind, Flow, FlowKind, Redemption, Transfer, TransferKind
from points.selectors import EARNED_KINDS, mask_name
from points.workflow import RedemptionState
from volunteers.models import Activity, PledgeSignature, Report, ServiceOrder, Signup, Wish, WishClaim
from volunteers.workflow import OrderState, ReportState, ServiceField, SignupState, WishState

from .areas import within
from .periods import Period

COUNT, SUM, RATE, MEDIAN, MEAN = "count", "sum", "rate", "median", "mean"

SECTIONS = {
    "contracts": _("Co-construction contracts"),
    "councils": _("Red-steward councils"),
    "volunteers": _("Volunteers and services"),
    "points": _("Public-welfare points"),
}
# Figures shown together as one list under a heading, rather than as tiles of their own.
GROUPS = {
    "contract_states": _("Contracts by state"),
    "ratings": _("Residents' ratings of resolutions"),
    "claims": _("Claims by kind"),
    "order_states": _("Service orders by state"),
}


# --- Database functions (PostgreSQL and SQLite) -----------------------------------------------------


class JsonArrayLength(Func):
    """The number of elements of a JSON array (a contract version's items)."""

    function = "JSON_ARRAY_LENGTH"
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="JSONB_ARRAY_LENGTH", **extra)


class ItemsBudget(Func):
    """The sum of the `budget` of a JSON array of contract items (yuan; items without one count 0)."""

    output_field = IntegerField()
    template = (
        "(SELECT COALESCE(SUM(json_extract(e.value, '$.budget')), 0) FROM json_each(%(expressions)s) AS e)"
    )

    def as_postgresql(self, compiler, connection, **extra):
        template = (
            "(SELECT COALESCE(SUM((e.item ->> 'budget')::bigint), 0)::bigint "
            "FROM jsonb_array_elements(%(expressions)s) AS e(item))"
        )
        return super().as_sql(compiler, connection, template=template, **extra)


class _Composed(Func):
    """A function whose SQL differs by database: its arguments compiled one by one."""

    def _parts(self, compiler):
        sqls, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            sqls.append(sql)
            params.extend(expression_params)
        return sqls, params


class MilestoneDue(_Composed):
    """The due date of milestone `milestone` of item `item_index` in a contract version's items."""

    output_field = DateField()

    def __init__(self, items, item_index, milestone, **extra):
        super().__init__(items, item_index, milestone, **extra)

    def as_sql(self, compiler, connection, **extra):
        (items, index, milestone), params = self._parts(compiler)
        sql = f"json_extract({items}, '$[' || {index} || '].milestones[' || {milestone} || '].due')"
        return sql, params

    def as_postgresql(self, compiler, connection, **extra):
        (items, index, milestone), params = self._parts(compiler)
        sql = (
            f"CAST(((({items}) -> CAST({index} AS integer)) -> 'milestones' -> CAST({milestone} AS integer))"
            " ->> 'due' AS date)"
        )
        return sql, params


class DaysBetween(_Composed):
    """Days from one timestamp to another, as a decimal number (3.5 = three and a half days)."""

    output_field = FloatField()

    def __init__(self, start, end, **extra):
        super().__init__(start, end, **extra)

    def as_sql(self, compiler, connection, **extra):
        (start, end), params = self._parts(compiler)
        return f"(julianday({end}) - julianday({start}))", params

    def as_postgresql(self, compiler, connection, **extra):
        (start, end), params = self._parts(compiler)
        return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)", params


class Median(Aggregate):
    """PostgreSQL's percentile_cont(0.5): the median, computed by the database."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


# --- The rows behind the figures ------------------------------------------------------------------


def _between(period: Period, field: str) -> dict:
    """Rows whose timestamp `field` falls within the period's local days."""
    start, end = period.bounds
    return {f"{field}__gte": start, f"{field}__lt": end}


def _dated(period: Period, field: str) -> dict:
    """Rows whose date `field` falls within the period (both ends included)."""
    return {f"{field}__gte": period.start, f"{field}__lte": period.end}


# Contracts


def pairings(area: Area, period: Period) -> QuerySet[Pairing]:
    """Pairings of a community in the area in force during the period: paired by its end, not ended before its start."""
    return (
        Pairing.objects.filter(**within(area, "community"), since__lte=period.end)
        .filter(Q(ended_on__isnull=True, active=True) | Q(ended_on__gte=period.start))
        .select_related("community", "community_org", "unit_org")
        .order_by("community__path", "unit_org__name", "pk")
    )


def units_paired(area: Area, period: Period) -> QuerySet[Organisation]:
    """The unit Party organisations of those pairings, each once."""
    return (
        Organisation.objects.filter(pk__in=pairings(area, period).order_by().values("unit_org"))
        .select_related("area")
        .order_by("name", "pk")
    )


def communities_paired(area: Area, period: Period) -> QuerySet[Area]:
    """The communities of those pairings, each once."""
    return (
        Area.objects.filter(pk__in=pairings(area, period).order_by().values("community"))
        .select_related("parent")
        .order_by("path")
    )


def contracts_in_term(area: Area, period: Period) -> QuerySet[Contract]:
    """Contracts of a community in the area whose term overlaps the period, with their signed items and budget."""
    items = F("frozen_version__items")
    return (
        Contract.objects.filter(
            **within(area, "pairing__community"), term_start__lte=period.end, term_end__gte=period.start
        )
        .annotate(
            items_count=Coalesce(JsonArrayLength(items), Value(0)),
            budget_total=Coalesce(ItemsBudget(items), Value(0)),
        )
        .select_related("pairing__community", "pairing__unit_org")
        .order_by("pairing__community__path", "-term_start", "pk")
    )


def consultation_meetings(area: Area, period: Period) -> QuerySet[ContractMeeting]:
    """Consultation meetings (协商会议) of the area's contracts held on a day of the period."""
    return (
        ContractMeeting.objects.filter(
            **within(area, "contract__pairing__community"), **_dated(period, "held_on")
        )
        .select_related("contract__pairing__community")
        .order_by("-held_on", "-pk")
    )


def milestones_on_time(area: Area, period: Period) -> QuerySet[FulfilmentRecord]:
    """Fulfilment records in the period that reached a milestone of the signed text on or before its due date."""
    return (
        FulfilmentRecord.objects.filter(
            **within(area, "contract__pairing__community"),
            milestone__isnull=False,
            **_dated(period, "done_on"),
        )
        .annotate(due=MilestoneDue(F("contract__frozen_version__items"), F("item_index"), F("milestone")))
        .filter(done_on__lte=F("due"))
        .select_related("contract__pairing__community")
        .order_by("-done_on", "-pk")
    )


def contracts_evaluated(area: Area, period: Period) -> QuerySet[Contract]:
    """Contracts of the area whose evaluation (评约) closed in the period, with their final score."""
    start, end = period.bounds
    closed = ContractEvent.objects.filter(step=ContractStep.CLOSE_EVALUATION, at__gte=start, at__lt=end)
    return (
        Contract.objects.filter(
            **within(area, "pairing__community"),
            state=ContractState.EVALUATED,
            score__isnull=False,
            pk__in=closed.values("contract_id"),
        )
        .select_related("pairing__community", "pairing__unit_org")
        .order_by("-score", "pk")
    )


# Councils


def issues_raised(area: Area, period: Period) -> QuerySet[Issue]:
    """Issues raised in the area's compounds in the period; a duplicate merged into another counts once, with it."""
    return (
        Issue.objects.filter(**within(area, "compound"), **_between(period, "created_at"))
        .exclude(state=IssueState.MERGED)
        .select_related("compound")
        .order_by("-created_at", "-pk")
    )


def issues_solved_with_days(area: Area, period: Period) -> QuerySet[Issue]:
    """Of the issues raised in the period, those resolved, with the days from raising to resolution."""
    return (
        issues_raised(area, period)
        .filter(state=IssueState.RESOLVED, resolved_at__isnull=False)
        .annotate(days=DaysBetween(F("created_at"), F("resolved_at")))
    )


def result_ratings(area: Area, period: Period) -> QuerySet[ResultRating]:
    """Residents' ratings (民评) of resolutions of issues of the area, given in the period."""
    return (
        ResultRating.objects.filter(**within(area, "issue__compound"), **_between(period, "created_at"))
        .select_related("issue__compound")
        .order_by("-created_at", "-pk")
    )


def council_meetings(area: Area, period: Period) -> QuerySet[CouncilMeeting]:
    """Council meetings of the area's compounds held in the period (minutes recorded; cancelled ones not)."""
    return (
        CouncilMeeting.objects.filter(
            **within(area, "council__compound"),
            state__in=(MeetingState.HELD, MeetingState.APPROVED),
            **_between(period, "starts_at"),
        )
        .select_related("council")
        .order_by("-starts_at", "-pk")
    )


def council_decisions(area: Area, period: Period) -> QuerySet[Motion]:
    """Motions of the area's councils closed in the period that passed by their stated rule (民决)."""
    return (
        Motion.objects.filter(
            **within(area, "council__compound"),
            state=MotionState.CLOSED,
            outcome=Outcome.PASSED,
            **_between(period, "closed_at"),
        )
        .select_related("council")
        .order_by("-closed_at", "-pk")
    )


# Volunteers


def reports_accepted(area: Area, period: Period) -> QuerySet[Report]:
    """Members' reports (报到) to a community of the area accepted in the period (including members who left since)."""
    return (
        Report.objects.filter(
            **within(area, "community"),
            state__in=(ReportState.ACCEPTED, ReportState.LEFT),
            **_between(period, "decided_at"),
        )
        .select_related("community", "grid", "member__person")
        .order_by("-decided_at", "-pk")
    )


def pledges_signed(area: Area, period: Period) -> QuerySet[PledgeSignature]:
    """Signatures under a community's pledge (锋领十条) in the area, signed in the period."""
    return (
        PledgeSignature.objects.filter(**within(area, "text__community"), **_between(period, "signed_at"))
        .select_related("text__community", "member__person")
        .order_by("-signed_at", "-pk")
    )


def wish_claims(area: Area, period: Period) -> QuerySet[WishClaim]:
    """Members lighting up (claiming) a micro-wish of the area in the period: one row per member and wish."""
    return (
        WishClaim.objects.filter(**within(area, "wish__community"), **_between(period, "claimed_at"))
        .select_related("wish__community", "user__person")
        .order_by("-claimed_at", "-pk")
    )


def wishes_claimed(area: Area, period: Period) -> QuerySet[Wish]:
    """Micro-wishes of the area lit up in the period, each once however many members claimed it."""
    return (
        Wish.objects.filter(pk__in=wish_claims(area, period).order_by().values("wish"))
        .select_related("community")
        .order_by("-created_at", "-pk")
    )


def wishes_fulfilled(area: Area, period: Period) -> QuerySet[Wish]:
    """Micro-wishes of the area whose fulfilment the resident or the community confirmed in the period."""
    return (
        Wish.objects.filter(
            **within(area, "community"), state=WishState.CONFIRMED, **_between(period, "confirmed_at")
        )
        .select_related("community")
        .order_by("-confirmed_at", "-pk")
    )


def orders_placed(area: Area, period: Period) -> QuerySet[ServiceOrder]:
    """Service orders of residents of the area placed in the period, counted by the state they are in now."""
    return (
        ServiceOrder.objects.filter(**within(area, "community"), **_between(period, "created_at"))
        .select_related("community")
        .order_by("-created_at", "-pk")
    )


def orders_taken(area: Area, period: Period) -> QuerySet[ServiceOrder]:
    """Service orders of the area accepted or grabbed by a member in the period (and not given back since)."""
    return (
        ServiceOrder.objects.filter(**within(area, "community"), **_between(period, "accepted_at"))
        .select_related("community")
        .order_by("-accepted_at", "-pk")
    )


def activities_held(area: Area, period: Period) -> QuerySet[Activity]:
    """Co-construction activities of the area starting in the period, not cancelled."""
    return (
        Activity.objects.filter(
            **within(area, "community"), cancelled_at__isnull=True, **_between(period, "starts_at")
        )
        .select_related("community", "organiser")
        .order_by("-starts_at", "-pk")
    )


def attendances(area: Area, period: Period) -> QuerySet[Signup]:
    """Attended sign-ups of activities of the area starting in the period, with the hours recorded."""
    return (
        Signup.objects.filter(
            **within(area, "activity__community"),
            state=SignupState.ATTENDED,
            **_between(period, "activity__starts_at"),
        )
        .select_related("activity__community", "user__person")
        .order_by("-activity__starts_at", "-pk")
    )


def signups(area: Area, period: Period) -> QuerySet[Signup]:
    """Sign-ups for activities of the area made in the period and not cancelled."""
    return (
        Signup.objects.filter(**within(area, "activity__community"), **_between(period, "signed_up_at"))
        .exclude(state=SignupState.CANCELLED)
        .select_related("activity__community", "user__person")
        .order_by("-signed_up_at", "-pk")
    )


def _claim_rows(queryset: QuerySet, *, kind: str, at: str, text: str, place: str) -> QuerySet:
    return (
        queryset.order_by()
        .annotate(
            row_kind=Value(kind, output_field=CharField()),
            row_id=F("pk"),
            row_at=F(at),
            row_text=F(text),
            row_place=F(place),
        )
        .values("row_kind", "row_id", "row_at", "row_text", "row_place")
    )


def claims(area: Area, period: Period) -> QuerySet:
    """Claims (有效认领): wish claims, orders taken and activity sign-ups of the period, as one list of rows."""
    parts = [
        _claim_rows(
            wish_claims(area, period),
            kind="wish_claim",
            at="claimed_at",
            text="wish__title",
            place="wish__community__name",
        ),
        _claim_rows(
            orders_taken(area, period), kind="order", at="accepted_at", text="field", place="community__name"
        ),
        _claim_rows(
            signups(area, period),
            kind="signup",
            at="signed_up_at",
            text="activity__title",
            place="activity__community__name",
        ),
    ]
    return parts[0].union(*parts[1:], all=True).order_by("-row_at", "row_kind", "-row_id")


# Points


# NOT EXISTS rather than `reversed_by__isnull=True`: PostgreSQL estimates that LEFT JOIN … IS NULL
# at one row and then plans nested loops over the district's 800,000 earnings of a year (105 s
# for one page of the list at district scale; an anti-join takes under a second).
_NOT_REVERSED = ~Exists(Transfer.objects.filter(reverses=OuterRef("pk")))


def points_issued(area: Area, period: Period) -> QuerySet[Transfer]:
    """Points earned or awarded into wallets of the area in the period, leaving out those reversed since."""
    return (
        Transfer.objects.filter(
            **within(area, "destination__area"),
            kind__in=EARNED_KINDS,
            destination__kind=AccountKind.WALLET,
            **_between(period, "created_at"),
        )
        .filter(_NOT_REVERSED)
        .select_related("destination__area", "destination__user__person")
        .order_by("-created_at", "-pk")
    )


def points_spent(area: Area, period: Period) -> QuerySet[Transfer]:
    """Points paid from wallets of the area for market redemptions in the period, leaving out those refunded."""
    return (
        Transfer.objects.filter(
            **within(area, "source__area"),
            kind=TransferKind.REDEMPTION,
            source__kind=AccountKind.WALLET,
            **_between(period, "created_at"),
        )
        .filter(_NOT_REVERSED)
        .select_related("source__area", "source__user__person")
        .order_by("-created_at", "-pk")
    )


def points_flows(kind: str) -> RowsFunction:
    """The totals per community and day of points issued or spent (points.flows): what the figures
    sum, instead of the transfers, which `points_issued` and `points_spent` list."""

    def rows(area: Area, period: Period) -> QuerySet[Flow]:
        return Flow.objects.filter(flow=kind, **within(area, "area"), **_dated(period, "day"))

    rows.__name__ = f"points_{kind}_flows"
    return rows


points_issued_flows = points_flows(FlowKind.ISSUED)
points_spent_flows = points_flows(FlowKind.SPENT)


def wallets_holding(area: Area, period: Period) -> QuerySet[Account]:
    """Wallets of people of the area holding points now (the period does not apply: a balance is of today)."""
    return (
        Account.objects.filter(**within(area, "area"), kind=AccountKind.WALLET, balance__gt=0)
        .select_related("area", "user__person")
        .order_by("-balance", "pk")
    )


def market_redemptions(area: Area, period: Period) -> QuerySet[Redemption]:
    """Redemptions in the markets of the area's communities collected in the period (code verified)."""
    return (
        Redemption.objects.filter(
            **within(area, "item__community"),
            state=RedemptionState.COMPLETED,
            **_between(period, "completed_at"),
        )
        .select_related("item__community", "user__person")
        .order_by("-completed_at", "-pk")
    )


# --- The registry -------------------------------------------------------------------------------


RowsFunction = Callable[[Area, Period], QuerySet]


@dataclass(frozen=True)
class Figure:
    key: str
    section: str
    label: Promise
    kind: str
    # What is counted, in a sentence for the list page and the API's readers.
    meaning: Promise
    # The rows the figure is aggregated from; figures with the same `base` share one query.
    base: RowsFunction | None = None
    # The part of `base` this figure counts (on the rows' own columns: no joins that repeat rows).
    where: Q | None = None
    # What a sum, mean or median takes over the rows; a count counts rows.
    measure: str = ""
    # A count of distinct values of this column; `rows_of` then lists the objects they name.
    distinct: str = ""
    # The rows when they are not `base` filtered by `where` (distinct counts, medians, totals).
    rows_of: RowsFunction | None = None
    # A rate: (numerator, denominator); a total: the figures it adds up.
    parts: tuple[str, ...] = ()
    group: str = ""
    unit: Promise | str = ""
    # A figure of today (balances), which the period does not change.
    timeless: bool = False
    rate: Callable[[int, int], float | None] | None = None

    def rows(self, area: Area, period: Period) -> QuerySet:
        if self.rows_of is not None:
            return self.rows_of(area, period)
        if self.kind == RATE:
            return figure(self.parts[1]).rows(area, period)
        rows = self.base(area, period)
        return rows.filter(self.where) if self.where is not None else rows

    @property
    def section_label(self) -> Promise:
        return SECTIONS[self.section]


def _percent(numerator: int, denominator: int) -> float | None:
    return round(numerator * 100 / denominator, 1) if denominator else None


def _resolution_rate(solved: int, raised: int) -> float | None:
    # The councils' board's own definition (councils.selectors.Figures), so both pages agree.
    return CouncilFigures(raised=raised, resolved=solved).rate


def _satisfaction_rate(positive: int, total: int) -> float | None:
    # The board's definition: satisfied or basically satisfied, of all ratings (councils.selectors.Satisfaction).
    return CouncilSatisfaction(satisfied=positive, basic=0, unsatisfied=total - positive).rate


# Units shown after a value; short words of their own (not "points" or "hours" elsewhere in the platform).
DAYS = _("days")
YUAN = _("yuan")
HOURS = _("hrs")
ITEMS = _("projects")
POINTS = _("pts")


def _registry() -> list[Figure]:
    f = Figure
    figures = [
        # Contracts (契约化共建)
        f(
            "contracts.pairings",
            "contracts",
            _("Pairings in force"),
            COUNT,
            _("Pairings of a community in this area with a unit, in force at some time in the period."),
            base=pairings,
        ),
        f(
            "contracts.units_paired",
            "contracts",
            _("Unit Party organisations paired"),
            COUNT,
            _("Unit Party organisations in those pairings, each counted once."),
            base=pairings,
            distinct="unit_org",
            rows_of=units_paired,
        ),
        f(
            "contracts.communities_paired",
            "contracts",
            _("Communities paired"),
            COUNT,
            _("Communities of this area with at least one pairing in force, each counted once."),
            base=pairings,
            distinct="community",
            rows_of=communities_paired,
        ),
        f(
            "contracts.projects",
            "contracts",
            _("Co-construction projects signed"),
            SUM,
            _(
                "Items of the signed text of contracts signed, published or evaluated whose term overlaps "
                "the period; each row is a contract with its number of items."
            ),
            base=contracts_in_term,
            where=Q(state__in=TEXT_FIXED_STATES),
            measure="items_count",
            unit=ITEMS,
        ),
        f(
            "contracts.funding",
            "contracts",
            _("Funding committed"),
            SUM,
            _("The budgets of those items added up, in yuan; items without a budget count nothing."),
            base=contracts_in_term,
            where=Q(state__in=TEXT_FIXED_STATES),
            measure="budget_total",
            unit=YUAN,
        ),
        f(
            "contracts.consultation_meetings",
            "contracts",
            _("Consultation meetings held"),
            COUNT,
            _("Consultation meetings of the two sides of a contract, held on a day of the period."),
            base=consultation_meetings,
        ),
        f(
            "contracts.milestones_on_time",
            "contracts",
            _("Milestones delivered on time"),
            COUNT,
            _("Milestones of a signed contract reached in the period on or before their due date."),
            base=milestones_on_time,
        ),
        f(
            "contracts.evaluation_score",
            "contracts",
            _("Average evaluation score"),
            MEAN,
            _("The mean final score (0–100) of contracts whose evaluation closed in the period."),
            base=contracts_evaluated,
            measure="score",
        ),
    ]
    for state in ContractState:
        figures.append(
            f(
                f"contracts.{state.value}",
                "contracts",
                state.label,
                COUNT,
                _("Contracts whose term overlaps the period, by the state they are in now."),
                base=contracts_in_term,
                where=Q(state=state.value),
                group="contract_states",
            )
        )
    figures += [
        # Councils (红管家议事厅)
        f(
            "councils.issues_raised",
            "councils",
            _("Issues raised"),
            COUNT,
            _(
                "Issues residents raised in the councils of this area in the period; a duplicate merged "
                "into another is counted once, with it."
            ),
            base=issues_raised,
        ),
        f(
            "councils.issues_solved",
            "councils",
            _("Issues solved"),
            COUNT,
            _("Of the issues raised in the period, those resolved now."),
            base=issues_raised,
            where=Q(state=IssueState.RESOLVED),
        ),
        f(
            "councils.resolution_rate",
            "councils",
            _("Resolution rate"),
            RATE,
            _("Issues solved as a share of issues raised in the period; the list shows the issues raised."),
            parts=("councils.issues_solved", "councils.issues_raised"),
            rate=_resolution_rate,
        ),
        f(
            "councils.median_days",
            "councils",
            _("Median days to resolve"),
            MEDIAN,
            _("The middle value of the days from raising to resolution of the issues solved."),
            rows_of=issues_solved_with_days,
            measure="days",
            unit=DAYS,
        ),
        f(
            "councils.satisfaction",
            "councils",
            _("Residents' satisfaction"),
            RATE,
            _(
                "Ratings 'satisfied' or 'basically satisfied' as a share of all ratings of resolutions in the period."
            ),
            parts=("councils.ratings_positive", "councils.ratings"),
            rate=_satisfaction_rate,
        ),
        f(
            "councils.ratings",
            "councils",
            _("Ratings received"),
            COUNT,
            _("Residents' ratings of how their issue was resolved, given in the period."),
            base=result_ratings,
            group="ratings",
        ),
        f(
            "councils.ratings_positive",
            "councils",
            _("Satisfied or basically satisfied"),
            COUNT,
            _("Ratings of the period that were 'satisfied' or 'basically satisfied'."),
            base=result_ratings,
            where=Q(rating__in=(Rating.SATISFIED, Rating.BASIC)),
            group="ratings",
        ),
        f(
            "councils.meetings",
            "councils",
            _("Council meetings held"),
            COUNT,
            _("Council meetings held in the period with their minutes recorded."),
            base=council_meetings,
        ),
        f(
            "councils.decisions",
            "councils",
            _("Decisions taken"),
            COUNT,
            _("Council votes closed in the period that passed by their stated rule."),
            base=council_decisions,
        ),
        # Volunteers (党员报到, 志愿服务)
        f(
            "volunteers.members_reported",
            "volunteers",
            _("Members reported"),
            COUNT,
            _("Party members' reports to a community of this area accepted in the period."),
            base=reports_accepted,
        ),
        f(
            "volunteers.pledges_signed",
            "volunteers",
            _("Pledges signed"),
            COUNT,
            _("Signatures of Party members under their community's pledge in the period."),
            base=pledges_signed,
        ),
        f(
            "volunteers.wishes_claimed",
            "volunteers",
            _("Micro-wishes lit up"),
            COUNT,
            _("Micro-wishes claimed by at least one member in the period, each counted once."),
            base=wish_claims,
            distinct="wish",
            rows_of=wishes_claimed,
        ),
        f(
            "volunteers.wishes_fulfilled",
            "volunteers",
            _("Micro-wishes fulfilled"),
            COUNT,
            _("Micro-wishes whose fulfilment was confirmed in the period."),
            base=wishes_fulfilled,
        ),
        f(
            "volunteers.activities",
            "volunteers",
            _("Activities held"),
            COUNT,
            _("Co-construction activities starting in the period, not cancelled."),
            base=activities_held,
        ),
        f(
            "volunteers.hours",
            "volunteers",
            _("Volunteer hours"),
            SUM,
            _("Hours recorded for those who attended activities starting in the period."),
            base=attendances,
            measure="hours",
            unit=HOURS,
        ),
        f(
            "volunteers.claims",
            "volunteers",
            _("Claims"),
            COUNT,
            _("Wish claims, service orders taken and activity sign-ups of the period, added up (有效认领)."),
            parts=("volunteers.wish_claims", "volunteers.orders_taken", "volunteers.signups"),
            rows_of=claims,
        ),
        f(
            "volunteers.wish_claims",
            "volunteers",
            _("Wish claims"),
            COUNT,
            _("Members lighting up a micro-wish in the period: one per member and wish."),
            base=wish_claims,
            group="claims",
        ),
        f(
            "volunteers.orders_taken",
            "volunteers",
            _("Service orders taken"),
            COUNT,
            _("Service orders accepted or grabbed by a member in the period and not given back since."),
            base=orders_taken,
            group="claims",
        ),
        f(
            "volunteers.signups",
            "volunteers",
            _("Activity sign-ups"),
            COUNT,
            _("Sign-ups for activities made in the period and not cancelled."),
            base=signups,
            group="claims",
        ),
    ]
    for state in OrderState:
        figures.append(
            f(
                f"volunteers.orders_{state.value}",
                "volunteers",
                state.label,
                COUNT,
                _("Service orders placed in the period, by the state they are in now."),
                base=orders_placed,
                where=Q(state=state.value),
                group="order_states",
            )
        )
    figures += [
        # Points (公益积分)
        f(
            "points.issued",
            "points",
            _("Points issued"),
            SUM,
            _("Points earned or awarded into wallets of this area in the period, less those reversed since."),
            base=points_issued_flows,
            rows_of=points_issued,
            measure="amount",
            unit=POINTS,
        ),
        f(
            "points.spent",
            "points",
            _("Points spent"),
            SUM,
            _("Points paid from wallets of this area for market redemptions in the period, less refunds."),
            base=points_spent_flows,
            rows_of=points_spent,
            measure="amount",
            unit=POINTS,
        ),
        f(
            "points.in_circulation",
            "points",
            _("Points in circulation"),
            SUM,
            _("Points held in the wallets of people of this area today; the period does not change it."),
            base=wallets_holding,
            measure="balance",
            unit=POINTS,
            timeless=True,
        ),
        f(
            "points.market_redemptions",
            "points",
            _("Market redemptions"),
            COUNT,
            _("Redemptions in the livelihood markets of this area collected in the period."),
            base=market_redemptions,
        ),
    ]
    return figures


FIGURES: dict[str, Figure] = {fig.key: fig for fig in _registry()}


def figure(key: str) -> Figure | None:
    """The figure registered under `key`, or None."""
    return FIGURES.get(key)


def rows_for(key: str, area: Area, period: Period) -> QuerySet:
    """The rows figure `key` counts in `area` over `period` (KeyError for an unknown key)."""
    return FIGURES[key].rows(area, period)


# --- Computing values -----------------------------------------------------------------------------


def _expression(fig: Figure):
    if fig.kind == COUNT and fig.distinct:
        return Count(fig.distinct, distinct=True, filter=fig.where)
    if fig.kind == COUNT:
        return Count("pk", filter=fig.where)
    if fig.kind == SUM:
        return Sum(fig.measure, filter=fig.where)
    if fig.kind == MEAN:
        return Avg(fig.measure, filter=fig.where)
    raise ValueError(f"{fig.key}: a {fig.kind} is not a plain aggregate")


def _median(rows: QuerySet, measure: str) -> float | None:
    """In the database: percentile_cont on PostgreSQL; elsewhere the middle row(s) by ORDER BY/OFFSET."""
    rows = rows.order_by()
    if connection.vendor == "postgresql":
        return rows.aggregate(median=Median(measure))["median"]
    count = rows.count()
    if not count:
        return None
    middle = list(rows.order_by(measure).values_list(measure, flat=True)[(count - 1) // 2 : count // 2 + 1])
    return sum(middle) / len(middle)


def _needed(keys) -> list[Figure]:
    """The figures asked for and every figure they are derived from, parts first."""
    ordered: dict[str, Figure] = {}

    def add(key: str) -> None:
        if key in ordered:
            return
        fig = FIGURES[key]
        for part in fig.parts:
            add(part)
        ordered[key] = fig

    for key in keys:
        add(key)
    return list(ordered.values())


def compute(keys, area: Area, period: Period) -> dict[str, object]:
    """The values of figures `keys` (and what they derive from), cached per area and period
    (core.pagecache.cached: numbers only, the same in every language)."""
    keys = sorted(set(keys))
    parts = (area.pk, period.start, period.end, ",".join(keys))
    return cached("figures", parts, lambda: _compute(keys, area, period))


def _compute(keys, area: Area, period: Period) -> dict[str, object]:
    """The values of figures `keys` (and what they derive from): one query per shared set of rows."""
    figures = _needed(keys)
    values: dict[str, object] = {}
    by_base: dict[RowsFunction, list[Figure]] = {}
    for fig in figures:
        if fig.kind in (COUNT, SUM, MEAN) and not fig.parts:
            by_base.setdefault(fig.base, []).append(fig)
    for base, group in by_base.items():
        result = base(area, period).aggregate(**{f"v{n}": _expression(fig) for n, fig in enumerate(group)})
        for n, fig in enumerate(group):
            value = result[f"v{n}"]
            if fig.kind in (COUNT, SUM):
                value = value or 0
            values[fig.key] = value
    for fig in figures:  # parts come before what derives from them
        if fig.kind == MEDIAN:
            values[fig.key] = _median(fig.rows(area, period), fig.measure)
        elif fig.kind == RATE:
            numerator, denominator = (values[part] for part in fig.parts)
            values[fig.key] = (fig.rate or _percent)(numerator, denominator)
        elif fig.parts:
            values[fig.key] = sum(values[part] for part in fig.parts)
    return {key: _rounded(FIGURES[key], value) for key, value in values.items()}


def _rounded(fig: Figure, value):
    if value is None:
        return None
    if fig.kind in (MEAN, MEDIAN):
        return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def display(fig: Figure, value) -> str:
    """How a value reads on a page: 1,234 · 89.6% · 12.5 · — when there is nothing to compute it from."""
    if value is None:
        return "—"
    if fig.kind == RATE:
        return f"{value:.1f}%"
    if fig.kind in (MEAN, MEDIAN):
        return f"{value:.1f}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def figure_url(key: str, area: Area, period: Period) -> str:
    """The list page of the rows behind figure `key`, for `area` and `period`."""
    url = reverse("dashboards:figure", args=[area.pk, key])
    return f"{url}?{urlencode(period.as_params())}"


def _entry(fig: Figure, value, area: Area, period: Period) -> dict:
    return {
        "key": fig.key,
        "section": fig.section,
        "label": fig.label,
        "kind": fig.kind,
        "group": fig.group,
        "unit": fig.unit,
        "timeless": fig.timeless,
        "value": value,
        "display": display(fig, value),
        "url": figure_url(fig.key, area, period),
    }


def figures_for(area: Area, period: Period) -> list[dict]:
    """Every figure of `area` over `period`, section by section, each
    {"key", "section", "label", "kind", "group", "unit", "timeless", "value", "display", "url"}."""
    values = compute(FIGURES, area, period)
    return [_entry(fig, values[fig.key], area, period) for fig in FIGURES.values()]


def value_for(key: str, area: Area, period: Period) -> dict:
    """One figure of `area` over `period`, as `figures_for` gives it (computing only what it needs)."""
    values = compute([key], area, period)
    return _entry(FIGURES[key], values[key], area, period)


def by_section(figures: list[dict]) -> list[dict]:
    """The figures of `figures_for` as sections, each with its tiles and its grouped lists."""
    sections = []
    for code, label in SECTIONS.items():
        rows = [row for row in figures if row["section"] == code]
        groups = []
        for group, group_label in GROUPS.items():
            members = [row for row in rows if row["group"] == group]
            if members:
                groups.append({"key": group, "label": group_label, "figures": members})
        sections.append(
            {
                "key": code,
                "label": label,
                "tiles": [row for row in rows if not row["group"]],
                "groups": groups,
            }
        )
    return sections


def is_empty(figures: list[dict]) -> bool:
    """Nothing counted at all in the area and period (a state to show, not an error)."""
    return all(not row["value"] for row in figures if row["kind"] in (COUNT, SUM) and not row["timeless"])


# --- Ranking of evaluation scores -------------------------------------------------------------------


RANKING_ROWS = 10


def evaluation_ranking(area: Area, period: Period) -> dict:
    """Communities ranked by the mean score of their contracts evaluated in the period (one query).

    For a district or a street: its communities, best first (`rows`, at most ten). For a community:
    its place among the communities of its street (`place`, `of`), without naming the others.
    """
    scope = area
    if area.kind == AreaKind.COMMUNITY and area.parent_id is not None:
        scope = area.parent
    rows = list(
        contracts_evaluated(scope, period)
        .order_by()
        .values("pairing__community", "pairing__community__name")
        .annotate(mean=Avg("score"), contracts=Count("pk"))
        .order_by("-mean", "pairing__community__name")
    )
    ranked = []
    place = 0
    previous = None
    for number, row in enumerate(rows, start=1):
        mean = _rounded(FIGURES["contracts.evaluation_score"], row["mean"])
        if mean != previous:
            place, previous = number, mean
        ranked.append(
            {
                "place": place,
                "community_id": row["pairing__community"],
                "community": row["pairing__community__name"],
                "mean": mean,
                "display": display(FIGURES["contracts.evaluation_score"], mean),
                "contracts": row["contracts"],
            }
        )
    if area.kind == AreaKind.COMMUNITY:
        mine = next((row for row in ranked if row["community_id"] == area.pk), None)
        return {"own": True, "place": mine["place"] if mine else None, "of": len(ranked), "within": scope}
    return {"own": False, "rows": ranked[:RANKING_ROWS], "of": len(ranked), "within": scope}


# --- How a row reads in a list and in the API ---------------------------------------------------------


def _holder(user) -> str:
    """A resident's or member's name, partly hidden (王*国) as on the leaderboards."""
    if user is None:
        return ""
    person = getattr(user, "person", None)
    return mask_name(person.name if person is not None else str(user))


def _row(obj, *, text, place="", when=None, detail="") -> dict:
    return {"text": str(text), "place": str(place or ""), "when": when, "detail": str(detail or "")}


CLAIM_KINDS = {
    "wish_claim": ("volunteers.wishclaim", _("Wish claim")),
    "order": ("volunteers.serviceorder", _("Service order taken")),
    "signup": ("volunteers.signup", _("Activity sign-up")),
}


def _describe(obj) -> dict:
    """What a list shows of one row: what it is, where, when, and one more detail. Never a phone
    number or an address; residents' and members' names partly hidden."""
    if isinstance(obj, dict):  # a row of the claims' union
        model, label = CLAIM_KINDS[obj["row_kind"]]
        text = obj["row_text"]
        if obj["row_kind"] == "order":
            text = ServiceField(text).label if text in ServiceField.values else text
        row = _row(obj, text=text, place=obj["row_place"], when=obj["row_at"], detail=label)
        return {**row, "id": obj["row_id"], "model": model}
    if isinstance(obj, Pairing):
        detail = _("ended %(date)s") % {"date": obj.ended_on.isoformat()} if obj.ended_on else ""
        row = _row(
            obj,
            text=f"{obj.community_org} ⇄ {obj.unit_org}",
            place=obj.community,
            when=obj.since,
            detail=detail,
        )
    elif isinstance(obj, Organisation):
        row = _row(obj, text=obj.name, place=obj.area, detail=obj.get_unit_type_display() or obj.sector)
    elif isinstance(obj, Area):
        row = _row(obj, text=obj.name, place=obj.parent or "", detail=obj.get_kind_display())
    elif isinstance(obj, Contract):
        row = _row(
            obj,
            text=obj.title,
            place=obj.pairing.community,
            when=obj.term_start,
            detail=f"{obj.get_state_display()} · {obj.pairing.unit_org}",
        )
    elif isinstance(obj, ContractMeeting):
        row = _row(
            obj,
            text=obj.contract.title,
            place=obj.contract.pairing.community,
            when=obj.held_on,
            detail=obj.place,
        )
    elif isinstance(obj, FulfilmentRecord):
        due = getattr(obj, "due", None)
        detail = _("due %(date)s") % {"date": due.isoformat()} if due else ""
        row = _row(
            obj, text=obj.description, place=obj.contract.pairing.community, when=obj.done_on, detail=detail
        )
    elif isinstance(obj, Issue):
        row = _row(
            obj, text=obj.title, place=obj.compound, when=obj.created_at, detail=obj.get_state_display()
        )
    elif isinstance(obj, ResultRating):
        row = _row(
            obj,
            text=obj.issue.title,
            place=obj.issue.compound,
            when=obj.created_at,
            detail=obj.get_rating_display(),
        )
    elif isinstance(obj, CouncilMeeting):
        row = _row(obj, text=obj.title, place=obj.council, when=obj.starts_at, detail=obj.get_state_display())
    elif isinstance(obj, Motion):
        outcome = Outcome(obj.outcome).label if obj.outcome in Outcome.values else obj.outcome
        row = _row(obj, text=obj.title, place=obj.council, when=obj.closed_at, detail=outcome)
    elif isinstance(obj, Report):
        row = _row(
            obj,
            text=obj.member.person.name,
            place=obj.community,
            when=obj.decided_at,
            detail=obj.grid or obj.get_state_display(),
        )
    elif isinstance(obj, PledgeSignature):
        row = _row(
            obj,
            text=obj.member.person.name,
            place=obj.text.community,
            when=obj.signed_at,
            detail=obj.text.title,
        )
    elif isinstance(obj, WishClaim):
        row = _row(
            obj, text=obj.wish.title, place=obj.wish.community, when=obj.claimed_at, detail=_holder(obj.user)
        )
    elif isinstance(obj, Wish):
        row = _row(
            obj,
            text=obj.title,
            place=obj.community,
            when=obj.confirmed_at or obj.created_at,
            detail=obj.get_state_display(),
        )
    elif isinstance(obj, ServiceOrder):
        row = _row(
            obj,
            text=obj.get_field_display(),
            place=obj.community,
            when=obj.accepted_at or obj.created_at,
            detail=obj.get_state_display(),
        )
    elif isinstance(obj, Activity):
        row = _row(obj, text=obj.title, place=obj.community, when=obj.starts_at, detail=obj.place)
    elif isinstance(obj, Signup):
        row = _row(
            obj,
            text=obj.activity.title,
            place=obj.activity.community,
            when=obj.activity.starts_at,
            detail=_holder(obj.user),
        )
    elif isinstance(obj, Transfer):
        wallet = obj.destination if obj.kind != TransferKind.REDEMPTION else obj.source
        row = _row(
            obj,
            text=obj.memo or obj.get_kind_display(),
            place=wallet.area,
            when=obj.created_at,
            detail=_holder(wallet.user),
        )
    elif isinstance(obj, Account):
        row = _row(obj, text=_holder(obj.user), place=obj.area)
    elif isinstance(obj, Redemption):
        row = _row(
            obj, text=obj.item.name, place=obj.item.community, when=obj.completed_at, detail=_holder(obj.user)
        )
    else:
        row = _row(obj, text=obj)
    return {**row, "id": obj.pk, "model": obj._meta.label_lower}


def describe_rows(fig: Figure, objects) -> list[dict]:
    """The rows of a page of `fig.rows(...)` as lists and the API show them, with the measure a sum,
    a mean or a median takes from each."""
    described = []
    for obj in objects:
        row = _describe(obj)
        if fig.measure and not isinstance(obj, dict):
            measure = getattr(obj, fig.measure, None)
            row["measure"] = _rounded(fig, measure) if fig.kind in (MEAN, MEDIAN) else measure
        described.append(row)
    return described


def row_text(row: dict) -> str:
    """One line for a described row (the API's short text)."""
    when = row["when"]
    if when is not None and hasattr(when, "hour"):
        when = timezone.localtime(when).strftime("%Y-%m-%d %H:%M")
    elif when is not None:
        when = when.isoformat()
    return " · ".join(part for part in (row["text"], row["place"], when or "", row["detail"]) if part)
