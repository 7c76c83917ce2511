"""Charts of a dashboard (ECharts): monthly trends, comparison across the area's streets or
communities, distributions of scores; each with a table view.

Every figure is an aggregate computed in the database: one GROUP BY query per measure, whatever the
number of rows, months or parts. `trends`, `comparison` and `score_distributions` give the numbers
(also served by /api/v1/stats/trends|comparison|scores/); `chart_context` shapes them for
templates/dashboards/includes/charts.html: a JSON spec per chart for the script, and the same
numbers as table rows for the table view.

What is counted (all inside the area's subtree, in the period's whole local days; where the
dashboard's figures (dashboards.figures) count the same thing, the same way, so both pages agree):
- contracts signed: both signatures in the period (`signed_at`);
- consultation meetings: the contracts' consultation meetings held in the period (协商会议);
- council issues raised in the period (a duplicate merged into another counts once, with the one it
  joined), and of those the ones solved since — the councils' own "raised / solved" (212 / 190);
- service orders done (`done_at`), micro-wishes fulfilled and confirmed (`confirmed_at`);
- activity hours: hours of the people who attended, by the activity's start;
- points issued: earnings and manual awards paid into wallets of the area, leaving out those reversed;
- members reported: Party members' reports to a community accepted in the period;
- contract scores: contracts whose evaluation closed in the period; satisfaction: residents'
  ratings of solved issues given in the period; stars: service orders rated in the period.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import StrIndex, Substr, TruncMonth
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from community.models import Area, AreaKind
from contracts.models import Contract, ContractEvent
from contracts.models import Meeting as ConsultationMeeting
from contracts.workflow import ContractState, ContractStep
from core.pagecache import cached
from councils.models import Issue, ResultRating, Satisfaction
from councils.workflow import IssueState
from points.models import Flow, FlowKind
from volunteers.models import Report, ServiceOrder, Signup, Wish
from volunteers.workflow import OrderState, ReportState, SignupState, WishState

from .areas import CHILD_KIND, child_areas, within
from .periods import Period

COUNT, HOURS, POINTS, PERCENT = "count", "hours", "points", "percent"


# --- Monthly trends -------------------------------------------------------------------------------


def months_of(period: Period) -> list[date]:
    """The first day of every month the period touches, in order."""
    months, month = [], period.start.replace(day=1)
    while month <= period.end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _between(field: str, period: Period) -> dict[str, Any]:
    """A timestamp inside the period's local days."""
    start, end = period.bounds
    return {f"{field}__gte": start, f"{field}__lt": end}


def _on_days(field: str, period: Period) -> dict[str, Any]:
    """A date inside the period, both ends included."""
    return {f"{field}__gte": period.start, f"{field}__lte": period.end}


def _issues(area: Area, period: Period) -> QuerySet[Issue]:
    """Council issues raised in the period; a duplicate merged into another counts with the one it joined."""
    return Issue.objects.filter(**within(area, "compound"), **_between("created_at", period)).exclude(
        state=IssueState.MERGED
    )


def _solved() -> Count:
    return Count("id", filter=Q(state=IssueState.RESOLVED, resolved_at__isnull=False))


@dataclass(frozen=True)
class Measure:
    """One trend series: the rows that count, the field that dates them, what is summed."""

    key: str
    label: Any  # lazy: read in the request's language
    unit: str
    rows: Callable[[Area, Period], QuerySet]
    dated_by: str
    value: Callable[[], Any]  # a fresh aggregate per query
    is_date: bool = False  # `dated_by` is a DateField (no time zone to apply)


TREND_MEASURES: tuple[Measure, ...] = (
    Measure(
        "contracts_signed",
        gettext_lazy("Contracts signed"),
        COUNT,
        lambda area, period: Contract.objects.filter(
            **within(area, "pairing__community"), **_between("signed_at", period)
        ),
        "signed_at",
        lambda: Count("id"),
    ),
    Measure(
        "consultation_meetings",
        gettext_lazy("Consultation meetings"),
        COUNT,
        lambda area, period: ConsultationMeeting.objects.filter(
            **within(area, "contract__pairing__community"), **_on_days("held_on", period)
        ),
        "held_on",
        lambda: Count("id"),
        is_date=True,
    ),
    Measure(
        "issues_raised", gettext_lazy("Issues raised"), COUNT, _issues, "created_at", lambda: Count("id")
    ),
    Measure("issues_solved", gettext_lazy("Of which solved"), COUNT, _issues, "created_at", _solved),
    Measure(
        "orders_done",
        gettext_lazy("Service orders done"),
        COUNT,
        lambda area, period: ServiceOrder.objects.filter(
            **within(area, "community"), **_between("done_at", period)
        ).exclude(state=OrderState.CANCELLED),
        "done_at",
        lambda: Count("id"),
    ),
    Measure(
        "wishes_fulfilled",
        gettext_lazy("Micro-wishes fulfilled"),
        COUNT,
        lambda area, period: Wish.objects.filter(
            **within(area, "community"), state=WishState.CONFIRMED, **_between("confirmed_at", period)
        ),
        "confirmed_at",
        lambda: Count("id"),
    ),
    Measure(
        "activity_hours",
        gettext_lazy("Activity hours"),
        HOURS,
        lambda area, period: Signup.objects.filter(
            **within(area, "activity__community"),
            state=SignupState.ATTENDED,
            **_between("activity__starts_at", period),
        ),
        "activity__starts_at",
        lambda: Sum("hours"),
    ),
    Measure(
        "points_issued",
        gettext_lazy("Points issued"),
        POINTS,
        # The totals per community and day (points.flows), not the transfers themselves.
        lambda area, period: Flow.objects.filter(
            flow=FlowKind.ISSUED, **within(area, "area"), **_on_days("day", period)
        ),
        "day",
        lambda: Sum("amount"),
        is_date=True,
    ),
)
MEASURES_BY_KEY = {measure.key: measure for measure in TREND_MEASURES}


def _number(value: Any, unit: str) -> int | float:
    if value is None:
        return 0
    if unit == HOURS:
        return float(Decimal(value).quantize(Decimal("0.1")))
    return int(value)


def _month_values(measure: Measure, area: Area, period: Period, months: list[date]) -> list[int | float]:
    """One GROUP BY month query; months with nothing are 0."""
    if measure.is_date:
        month = TruncMonth(measure.dated_by)
    else:
        # The period's bounds are local days in the current time zone: months are cut in the same one.
        month = TruncMonth(measure.dated_by, tzinfo=timezone.get_current_timezone())
    rows = (
        measure.rows(area, period)
        .annotate(month=month)
        .values("month")
        .annotate(value=measure.value())
        .order_by()
    )
    by_month = {(row["month"].year, row["month"].month): row["value"] for row in rows}
    return [_number(by_month.get((m.year, m.month)), measure.unit) for m in months]


def trends(*, area: Area, period: Period) -> dict[str, Any]:
    """Cached per language, area and period (core.pagecache.cached); computed by `_trends`."""
    parts = (get_language(), area.pk, period.start, period.end)
    return cached("trends", parts, lambda: _trends(area=area, period=period))


def _trends(*, area: Area, period: Period) -> dict[str, Any]:
    """Every trend series over the period's months (YYYY-MM): one aggregate query per series."""
    months = months_of(period)
    return {
        "months": [f"{m:%Y-%m}" for m in months],
        "series": [
            {
                "key": measure.key,
                "label": str(measure.label),
                "unit": measure.unit,
                "data": _month_values(measure, area, period, months),
            }
            for measure in TREND_MEASURES
        ],
    }


# --- Comparison across the area's parts -----------------------------------------------------------


def _part_of(area: Area, lookup: str):
    """The id (as text) of the child of `area` that a row's area lies in, read from its path.

    Paths are materialised ("/1/4/9/17/"): below the area's own path ("/1/4/") the first segment
    is the child's id ("9"). Grouping by it costs one query per measure however many parts there are.
    """
    rest = Substr(f"{lookup}__path", len(area.path) + 1)
    return Substr(rest, 1, StrIndex(rest, Value("/")) - Value(1))


@dataclass(frozen=True)
class Compared:
    key: str
    label: Any
    unit: str
    levels: tuple[str, ...]  # the kinds of area whose parts are compared on it


ALL_LEVELS = (AreaKind.DISTRICT, AreaKind.STREET, AreaKind.COMMUNITY)
# Contracts, reports, orders and points belong to a community: compared down to a street's communities.
ABOVE_COMMUNITY = (AreaKind.DISTRICT, AreaKind.STREET)
COMPARED: tuple[Compared, ...] = (
    Compared("issues_raised", gettext_lazy("Issues raised"), COUNT, ALL_LEVELS),
    Compared("issues_solved", gettext_lazy("Of which solved"), COUNT, ALL_LEVELS),
    Compared("resolution_rate", gettext_lazy("Resolution rate"), PERCENT, ALL_LEVELS),
    Compared("contracts_signed", gettext_lazy("Contracts signed"), COUNT, ABOVE_COMMUNITY),
    Compared("members_reported", gettext_lazy("Members reported"), COUNT, ABOVE_COMMUNITY),
    Compared("orders_done", gettext_lazy("Service orders done"), COUNT, ABOVE_COMMUNITY),
    Compared("points_issued", gettext_lazy("Points issued"), POINTS, ABOVE_COMMUNITY),
)


def rate(solved: int, raised: int) -> float | None:
    return round(solved * 100 / raised, 1) if raised else None


def _grouped(queryset: QuerySet, area: Area, lookup: str, **values) -> dict[str, dict[str, Any]]:
    rows = (
        queryset.exclude(**{f"{lookup}__path": area.path})  # a row on the area itself is in no part
        .values(part=_part_of(area, lookup))
        .annotate(**values)
        .order_by()
    )
    return {row["part"]: row for row in rows}


def _members_reported(area: Area, period: Period) -> QuerySet[Report]:
    """Members' reports to a community accepted in the period (including members who left since)."""
    return Report.objects.filter(
        **within(area, "community"),
        state__in=[ReportState.ACCEPTED, ReportState.LEFT],
        **_between("decided_at", period),
    )


def comparison(*, area: Area, period: Period) -> dict[str, Any]:
    """Cached per language, area and period (core.pagecache.cached); computed by `_comparison`."""
    parts = (get_language(), area.pk, period.start, period.end)
    return cached("comparison", parts, lambda: _comparison(area=area, period=period))


def _comparison(*, area: Area, period: Period) -> dict[str, Any]:
    """The area's parts side by side (a district's streets, a street's communities, a community's
    compounds — councils only there), with their total. One query for the parts, one per measure."""
    part_kind = CHILD_KIND.get(area.kind)
    measures = [m for m in COMPARED if area.kind in m.levels]
    keys = [m.key for m in measures]
    parts = list(child_areas(area))
    values: dict[int, dict[str, Any]] = {p.pk: dict.fromkeys(keys, 0) for p in parts}
    if parts:
        by_part = {str(p.pk): values[p.pk] for p in parts}

        def spread(grouped: dict[str, dict[str, Any]], **fields: str) -> None:
            for part, row in grouped.items():
                if part in by_part:  # a row under another kind of child (a grid) is in no part
                    for key, column in fields.items():
                        by_part[part][key] = _number(row[column], COUNT)

        spread(
            _grouped(_issues(area, period), area, "compound", raised=Count("id"), solved=_solved()),
            issues_raised="raised",
            issues_solved="solved",
        )
        if "contracts_signed" in keys:
            contracts = MEASURES_BY_KEY["contracts_signed"].rows(area, period)
            spread(_grouped(contracts, area, "pairing__community", n=Count("id")), contracts_signed="n")
            reported = _members_reported(area, period)
            spread(_grouped(reported, area, "community", n=Count("id")), members_reported="n")
            orders = MEASURES_BY_KEY["orders_done"].rows(area, period)
            spread(_grouped(orders, area, "community", n=Count("id")), orders_done="n")
            earnings = MEASURES_BY_KEY["points_issued"].rows(area, period)
            spread(_grouped(earnings, area, "area", n=Sum("amount")), points_issued="n")

    total = {key: sum(v[key] for v in values.values()) for key in keys if key != "resolution_rate"}
    if "resolution_rate" in keys:
        for row in values.values():
            row["resolution_rate"] = rate(row["issues_solved"], row["issues_raised"])
        total["resolution_rate"] = rate(total["issues_solved"], total["issues_raised"])
    return {
        "part_kind": part_kind,
        "measures": [{"key": m.key, "label": str(m.label), "unit": m.unit} for m in measures],
        "parts": [{"id": p.pk, "name": p.name, "kind": p.kind, "values": values[p.pk]} for p in parts],
        "total": {key: total[key] for key in keys},
    }


# --- Distributions of scores ----------------------------------------------------------------------

SCORE_BANDS = (
    ("below_60", gettext_lazy("Below 60"), Q(score__lt=60)),
    ("60_69", "60–69", Q(score__gte=60, score__lt=70)),
    ("70_79", "70–79", Q(score__gte=70, score__lt=80)),
    ("80_89", "80–89", Q(score__gte=80, score__lt=90)),
    ("90_100", gettext_lazy("90 and above"), Q(score__gte=90)),
)


def _buckets(counts: dict[str, int | None], labels: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    return [{"key": key, "label": str(label), "count": counts.get(key) or 0} for key, label in labels]


def score_distributions(*, area: Area, period: Period) -> list[dict[str, Any]]:
    """Cached per language, area and period (core.pagecache.cached); computed by `_score_distributions`."""
    parts = (get_language(), area.pk, period.start, period.end)
    return cached("score_distributions", parts, lambda: _score_distributions(area=area, period=period))


def _score_distributions(*, area: Area, period: Period) -> list[dict[str, Any]]:
    """Contract evaluation scores in bands, residents' satisfaction with solved issues, order stars:
    one aggregate query each."""
    closed = ContractEvent.objects.filter(step=ContractStep.CLOSE_EVALUATION, **_between("at", period))
    contracts = Contract.objects.filter(
        **within(area, "pairing__community"),
        state=ContractState.EVALUATED,
        score__isnull=False,
        pk__in=closed.values("contract_id"),
    ).aggregate(**{key: Count("id", filter=condition) for key, _label, condition in SCORE_BANDS})

    ratings = ResultRating.objects.filter(
        **within(area, "issue__compound"), **_between("created_at", period)
    ).aggregate(**{value: Count("id", filter=Q(rating=value)) for value in Satisfaction.values})

    stars = ServiceOrder.objects.filter(
        **within(area, "community"), stars__isnull=False, **_between("rated_at", period)
    ).aggregate(**{str(n): Count("id", filter=Q(stars=n)) for n in range(1, 6)})

    distributions = [
        (
            "contract_scores",
            _("Contract evaluation scores"),
            _buckets(contracts, [(key, label) for key, label, _condition in SCORE_BANDS]),
        ),
        (
            "issue_satisfaction",
            _("Residents' satisfaction with solved issues"),
            _buckets(ratings, list(Satisfaction.choices)),
        ),
        (
            "order_stars",
            _("Service order ratings"),
            _buckets(
                stars,
                [
                    (str(n), ngettext("%(count)s star", "%(count)s stars", n) % {"count": n})
                    for n in range(1, 6)
                ],
            ),
        ),
    ]
    return [
        {"key": key, "label": label, "total": sum(b["count"] for b in buckets), "buckets": buckets}
        for key, label, buckets in distributions
    ]


# --- What the template needs ------------------------------------------------------------------------

TREND_CHARTS = (
    (
        "contracts",
        gettext_lazy("Contracts signed and consultation meetings"),
        ("contracts_signed", "consultation_meetings"),
    ),
    ("issues", gettext_lazy("Council issues raised and solved"), ("issues_raised", "issues_solved")),
    (
        "service",
        gettext_lazy("Service orders done and micro-wishes fulfilled"),
        ("orders_done", "wishes_fulfilled"),
    ),
    ("hours", gettext_lazy("Activity hours"), ("activity_hours",)),
    ("points", gettext_lazy("Points issued"), ("points_issued",)),
)
# The comparison chart's views (buttons): which compared measures each shows.
COMPARISON_VIEWS = (
    ("issues", gettext_lazy("Council issues"), ("issues_raised", "issues_solved")),
    ("rate", gettext_lazy("Resolution rate"), ("resolution_rate",)),
    ("contracts", gettext_lazy("Contracts signed"), ("contracts_signed",)),
    ("members", gettext_lazy("Members reported"), ("members_reported",)),
    ("orders", gettext_lazy("Service orders done"), ("orders_done",)),
    ("points", gettext_lazy("Points issued"), ("points_issued",)),
)
DISTRIBUTION_EMPTY = {
    "contract_scores": gettext_lazy("No contract was evaluated in this period."),
    "issue_satisfaction": gettext_lazy("No resident rated a solved issue in this period."),
    "order_stars": gettext_lazy("No service order was rated in this period."),
}
DISTRIBUTION_COLUMNS = {
    "contract_scores": (gettext_lazy("Score"), gettext_lazy("Contracts")),
    "issue_satisfaction": (gettext_lazy("Rating"), gettext_lazy("Ratings")),
    "order_stars": (gettext_lazy("Stars"), gettext_lazy("Orders")),
}


def _cell(value: int | float | None, unit: str) -> str:
    """A number as the table view shows it."""
    if value is None:
        return "—"
    if unit == PERCENT:
        return f"{value:.1f}%"
    if unit == HOURS:
        return f"{value:.1f}"
    return str(value)


def _chart(
    key: str, title: Any, *, kind: str, categories: list[str], views: list[dict], table: dict, **extra
):
    for view in views:
        view["empty"] = not any(value for series in view["series"] for value in series["data"])
    empty = all(view["empty"] for view in views)
    return {
        "id": f"dash-chart-{key}",
        "key": key,
        "title": str(title),
        "kind": kind,
        "categories": categories,
        "views": views,
        "table": table,
        "empty": empty,
        "empty_text": _("Nothing recorded in this period."),
        "wide": False,
        **extra,
    }


def _trend_charts(data: dict[str, Any]) -> list[dict[str, Any]]:
    series = {s["key"]: s for s in data["series"]}
    months = data["months"]
    charts = []
    for key, title, keys in TREND_CHARTS:
        shown = [series[k] for k in keys]
        unit = shown[0]["unit"]
        charts.append(
            _chart(
                f"trend-{key}",
                title,
                # Bars read best for a year; a line for longer periods.
                kind="bar" if len(months) <= 12 else "line",
                categories=months,
                views=[
                    {
                        "key": key,
                        "label": str(title),
                        "unit": unit,
                        "series": [{"key": s["key"], "name": s["label"], "data": s["data"]} for s in shown],
                    }
                ],
                table={
                    "columns": [_("Month"), *(s["label"] for s in shown)],
                    "rows": [
                        {"label": month, "cells": [_cell(s["data"][i], s["unit"]) for s in shown]}
                        for i, month in enumerate(months)
                    ],
                    "footer": {
                        "label": _("Total"),
                        "cells": [_cell(_total(s["data"], s["unit"]), s["unit"]) for s in shown],
                    },
                },
            )
        )
    return charts


def _total(data: list[int | float], unit: str) -> int | float:
    return round(sum(data), 1) if unit == HOURS else sum(data)


PART_COLUMN = {
    AreaKind.STREET: gettext_lazy("Street"),
    AreaKind.COMMUNITY: gettext_lazy("Community"),
    AreaKind.COMPOUND: gettext_lazy("Compound"),
}
COMPARISON_TITLE = {
    AreaKind.STREET: gettext_lazy("Comparison across streets"),
    AreaKind.COMMUNITY: gettext_lazy("Comparison across communities"),
    AreaKind.COMPOUND: gettext_lazy("Comparison across compounds"),
}
SECTION_EMPTY = {
    "trends": gettext_lazy("Nothing recorded in this period."),
    "comparison": gettext_lazy("Nothing recorded in this period."),
    "scores": gettext_lazy("No contract was evaluated and no rating given in this period."),
}
# The chart's own heading, under the section's.
PARTS_OF = {
    AreaKind.STREET: gettext_lazy("The streets of %(area)s"),
    AreaKind.COMMUNITY: gettext_lazy("The communities of %(area)s"),
    AreaKind.COMPOUND: gettext_lazy("The compounds of %(area)s"),
}
NO_PARTS = {
    AreaKind.DISTRICT: gettext_lazy("This district has no streets to compare yet."),
    AreaKind.STREET: gettext_lazy("This street has no communities to compare yet."),
    AreaKind.COMMUNITY: gettext_lazy("This community has no compounds to compare yet."),
}


def _comparison_section(area: Area, data: dict[str, Any]) -> dict[str, Any] | None:
    part_kind = data["part_kind"]
    if part_kind is None:
        return None
    section = {
        "key": "comparison",
        "title": str(COMPARISON_TITLE[part_kind]),
        "intro": _(
            "“Of which solved”: of the issues raised in the period, those solved since. Members reported: "
            "Party members' reports to their community accepted in the period."
        )
        if "members_reported" in {m["key"] for m in data["measures"]}
        else _("“Of which solved”: of the issues raised in the period, those solved since."),
        "charts": [],
        "empty_text": "",
    }
    if not data["parts"]:
        section["empty_text"] = str(NO_PARTS[area.kind])
        return section
    measures = {m["key"]: m for m in data["measures"]}
    names = [p["name"] for p in data["parts"]]
    views = []
    for key, label, keys in COMPARISON_VIEWS:
        if not all(k in measures for k in keys):
            continue
        views.append(
            {
                "key": key,
                "label": str(label),
                "unit": measures[keys[0]]["unit"],
                "series": [
                    {
                        "key": k,
                        "name": measures[k]["label"],
                        # A rate without issues is no bar at all (null), not a rate of 0.
                        "data": [p["values"][k] for p in data["parts"]],
                    }
                    for k in keys
                ],
            }
        )
    chart = _chart(
        "comparison",
        PARTS_OF[part_kind] % {"area": area.name},
        kind="hbar",
        categories=names,
        views=views,
        table={
            "columns": [str(PART_COLUMN[part_kind]), *(m["label"] for m in data["measures"])],
            "rows": [
                {
                    "label": p["name"],
                    "cells": [_cell(p["values"][m["key"]], m["unit"]) for m in data["measures"]],
                }
                for p in data["parts"]
            ],
            "footer": {
                "label": _("Total"),
                "cells": [_cell(data["total"][m["key"]], m["unit"]) for m in data["measures"]],
            },
        },
    )
    chart["wide"] = True
    section["charts"].append(chart)
    return section


def _distribution_charts(distributions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    charts = []
    for distribution in distributions:
        key, buckets = distribution["key"], distribution["buckets"]
        label_column, count_column = DISTRIBUTION_COLUMNS[key]
        chart = _chart(
            key.replace("_", "-"),
            distribution["label"],
            kind="bar",
            categories=[b["label"] for b in buckets],
            views=[
                {
                    "key": key,
                    "label": distribution["label"],
                    "unit": COUNT,
                    "series": [
                        {"key": key, "name": str(count_column), "data": [b["count"] for b in buckets]}
                    ],
                }
            ],
            table={
                "columns": [str(label_column), str(count_column)],
                "rows": [{"label": b["label"], "cells": [str(b["count"])]} for b in buckets],
                "footer": {"label": _("Total"), "cells": [str(distribution["total"])]},
            },
        )
        chart["empty_text"] = str(DISTRIBUTION_EMPTY[key])
        charts.append(chart)
    return charts


def _spec(chart: dict[str, Any]) -> dict[str, Any]:
    """What the script needs to draw one chart (JSON)."""
    return {key: chart[key] for key in ("id", "kind", "categories", "views", "empty_text")}


def chart_context(*, area, period) -> dict:
    """What templates/dashboards/includes/charts.html needs for `area` and `period`.

    `chart_sections`: the sections (trends, comparison, scores), each with its charts: title, the
    table view's columns, rows and total, and the empty-state sentence when there is nothing to draw;
    `charts_json`: the specs of the charts to draw, for `json_script`. A fixed number of queries.
    """
    trend_data = trends(area=area, period=period)
    sections = [
        {
            "key": "trends",
            "title": _("Trends by month"),
            "intro": _("Each month of the period. Issues count in the month they were raised."),
            "charts": _trend_charts(trend_data),
            "empty_text": "",
        }
    ]
    compared = _comparison_section(area, comparison(area=area, period=period))
    if compared is not None:
        sections.append(compared)
    sections.append(
        {
            "key": "scores",
            "title": _("Distribution of scores"),
            "intro": _(
                "Contracts whose evaluation closed in the period; residents' ratings of solved issues "
                "and of service orders given in the period."
            ),
            "charts": _distribution_charts(score_distributions(area=area, period=period)),
            "empty_text": "",
        }
    )
    for section in sections:
        # A section with nothing to draw at all says so once, rather than once per chart.
        if section["charts"] and all(chart["empty"] for chart in section["charts"]):
            section["empty_text"] = str(SECTION_EMPTY[section["key"]])
    drawn = [
        chart
        for section in sections
        if not section["empty_text"]
        for chart in section["charts"]
        if not chart["empty"]
    ]
    return {
        "charts_area": area,
        "charts_period": period,
        "chart_sections": sections,
        "charts_json": {"charts": [_spec(chart) for chart in drawn]},
    }
