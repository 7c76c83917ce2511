"""The dashboards' charts: monthly trends, the comparison across parts, the distributions of scores,
what the include renders (chart, table view, empty state) and the bounded number of queries."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from community import services as community_services
from community.models import AreaKind
from contracts.models import Contract
from councils.models import Issue
from councils.workflow import IssueState
from dashboards.charts import chart_context, comparison, months_of, score_distributions, trends
from dashboards.periods import Period
from points.models import AccountKind, Transfer
from points.selectors import EARNED_KINDS
from tests.dashboards.test_charts_support import YEAR, chart_world, earning_rules, rows_of_every_kind
from tests.points.earning_support import fund

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    # Labels are read in the active language; the tests compare them with the English msgids.
    with translation.override("en"):
        yield


@pytest.fixture
def world(district):
    return chart_world(district)


def series_of(data) -> dict[str, list]:
    return {s["key"]: s["data"] for s in data["series"]}


def months(**values) -> list:
    """A year of monthly values: months(apr=3, may=2) → [0, 0, 0, 3, 2, 0, …]."""
    names = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    return [values.get(name, 0) for name in names]


# --- Trends -------------------------------------------------------------------------------------------


def test_every_series_counts_its_rows_by_local_month(world):
    d = world

    data = trends(area=d.district, period=YEAR)

    assert data["months"] == [f"2025-{m:02d}" for m in range(1, 13)]
    series = series_of(data)
    # 00:30 on 1 January and 23:30 on 31 December (local) are in January and December, not a UTC month away.
    assert series["contracts_signed"] == months(jan=1, mar=2, dec=1)
    assert series["consultation_meetings"] == months(feb=2, nov=1)
    # The merged duplicate is not counted; 00:10 on 1 May (local) is May.
    assert series["issues_raised"] == months(apr=3, may=2)
    assert series["issues_solved"] == months(apr=2, may=1)
    assert series["orders_done"] == months(jun=3)
    assert series["wishes_fulfilled"] == months(aug=2)
    assert series["activity_hours"] == months(sep=6.0)
    # Earnings and the manual award; the reversed earning is left out.
    assert series["points_issued"] == months(oct=30, nov=5)
    units = {s["key"]: s["unit"] for s in data["series"]}
    assert units["activity_hours"] == "hours" and units["points_issued"] == "points"
    assert units["contracts_signed"] == "count"


def test_a_street_and_a_community_count_only_their_own_rows(world):
    d = world

    street2 = series_of(trends(area=d.street2, period=YEAR))
    community1 = series_of(trends(area=d.community1, period=YEAR))

    assert street2["contracts_signed"] == months(mar=1, dec=1)
    assert street2["issues_raised"] == months(may=2)
    assert street2["points_issued"] == months(oct=20, nov=5)
    assert street2["activity_hours"] == months(sep=2.0)
    assert community1["contracts_signed"] == months(jan=1, mar=1)
    assert community1["orders_done"] == months()
    assert community1["wishes_fulfilled"] == months(aug=1)


def test_months_with_nothing_are_zero_across_a_new_year(world):
    d = world
    period = Period(date(2024, 11, 1), date(2025, 2, 28))

    data = trends(area=d.district, period=period)

    assert data["months"] == ["2024-11", "2024-12", "2025-01", "2025-02"]
    series = series_of(data)
    assert series["contracts_signed"] == [0, 1, 1, 0]
    assert series["consultation_meetings"] == [0, 0, 0, 2]
    assert series["issues_raised"] == [1, 0, 0, 0]
    assert series["orders_done"] == [0, 0, 0, 0]
    assert series["points_issued"] == [0, 0, 0, 0]


def test_the_months_of_a_period_run_from_its_first_to_its_last_month():
    assert [f"{m:%Y-%m}" for m in months_of(Period(date(2025, 12, 31), date(2026, 1, 1)))] == [
        "2025-12",
        "2026-01",
    ]
    assert len(months_of(Period(date(2008, 1, 1), date(2027, 12, 31)))) == 240


# --- Comparison ---------------------------------------------------------------------------------------


def parts_by_name(data) -> dict[str, dict]:
    return {part["name"]: part["values"] for part in data["parts"]}


def test_the_district_compares_its_streets_and_the_parts_add_up_to_the_districts_total(world):
    d = world

    data = comparison(area=d.district, period=YEAR)

    assert data["part_kind"] == AreaKind.STREET
    assert [m["key"] for m in data["measures"]] == [
        "issues_raised",
        "issues_solved",
        "resolution_rate",
        "contracts_signed",
        "members_reported",
        "orders_done",
        "points_issued",
    ]
    parts = parts_by_name(data)
    assert parts["塔山街道"] == {
        "issues_raised": 3,
        "issues_solved": 2,
        "resolution_rate": 66.7,
        "contracts_signed": 2,
        "members_reported": 4,
        "orders_done": 2,
        "points_issued": 10,
    }
    assert parts["府山街道"] == {
        "issues_raised": 2,
        "issues_solved": 1,
        "resolution_rate": 50.0,
        "contracts_signed": 2,
        "members_reported": 0,
        "orders_done": 1,
        "points_issued": 25,
    }
    total = data["total"]
    assert total["resolution_rate"] == 60.0
    for key in ("issues_raised", "issues_solved", "contracts_signed", "members_reported", "orders_done"):
        assert total[key] == sum(p[key] for p in parts.values())
    assert total["points_issued"] == sum(p["points_issued"] for p in parts.values())

    # The same totals counted straight from the tables, and from the trends.
    start, end = YEAR.bounds
    raised = Issue.objects.filter(
        compound__path__startswith=d.district.path, created_at__gte=start, created_at__lt=end
    ).exclude(state=IssueState.MERGED)
    assert total["issues_raised"] == raised.count() == 5
    assert total["issues_solved"] == raised.filter(state=IssueState.RESOLVED).count() == 3
    signed = Contract.objects.filter(signed_at__gte=start, signed_at__lt=end)
    assert total["contracts_signed"] == signed.count() == 4
    paid = Transfer.objects.filter(
        kind__in=EARNED_KINDS,
        destination__kind=AccountKind.WALLET,
        reversed_by__isnull=True,
        created_at__gte=start,
        created_at__lt=end,
    )
    assert total["points_issued"] == sum(paid.values_list("amount", flat=True)) == 35
    assert total["members_reported"] == 4
    series = series_of(trends(area=d.district, period=YEAR))
    for key in ("issues_raised", "issues_solved", "contracts_signed", "orders_done", "points_issued"):
        assert total[key] == sum(series[key])


def test_a_street_compares_its_communities(world):
    d = world

    parts = parts_by_name(comparison(area=d.street1, period=YEAR))

    assert set(parts) == {"越都社区", "治平社区"}
    assert parts["越都社区"]["issues_raised"] == 3
    assert parts["越都社区"]["members_reported"] == 2
    assert parts["治平社区"]["members_reported"] == 2  # both left since, but were reported in 2025
    assert parts["越都社区"]["contracts_signed"] == 2
    assert parts["越都社区"]["points_issued"] == 10
    assert parts["治平社区"]["orders_done"] == 2
    assert parts["治平社区"]["resolution_rate"] is None  # no issue raised: no rate, not 0


def test_a_community_compares_its_compounds_on_the_councils_only(world):
    d = world

    data = comparison(area=d.community1, period=YEAR)

    assert data["part_kind"] == AreaKind.COMPOUND
    assert [m["key"] for m in data["measures"]] == ["issues_raised", "issues_solved", "resolution_rate"]
    assert data["parts"] == [
        {
            "id": d.compound1.pk,
            "name": "越都花园",
            "kind": AreaKind.COMPOUND,
            "values": {"issues_raised": 3, "issues_solved": 2, "resolution_rate": 66.7},
        }
    ]
    assert data["total"] == {"issues_raised": 3, "issues_solved": 2, "resolution_rate": 66.7}


def test_the_charts_count_what_the_dashboards_figures_count(world):
    d = world
    from dashboards.figures import figures_for

    figures = {row["key"]: row["value"] for row in figures_for(d.district, YEAR)}
    series = series_of(trends(area=d.district, period=YEAR))
    total = comparison(area=d.district, period=YEAR)["total"]
    scores = {x["key"]: x["total"] for x in score_distributions(area=d.district, period=YEAR)}

    assert sum(series["issues_raised"]) == total["issues_raised"] == figures["councils.issues_raised"] == 5
    assert sum(series["issues_solved"]) == total["issues_solved"] == figures["councils.issues_solved"] == 3
    assert total["resolution_rate"] == figures["councils.resolution_rate"] == 60.0
    assert sum(series["consultation_meetings"]) == figures["contracts.consultation_meetings"] == 3
    assert sum(series["wishes_fulfilled"]) == figures["volunteers.wishes_fulfilled"] == 2
    assert sum(series["activity_hours"]) == float(figures["volunteers.hours"]) == 6.0
    assert sum(series["points_issued"]) == total["points_issued"] == figures["points.issued"] == 35
    assert total["members_reported"] == figures["volunteers.members_reported"] == 4
    assert scores["issue_satisfaction"] == figures["councils.ratings"] == 3


# --- Distributions of scores --------------------------------------------------------------------------


def test_scores_fall_in_their_bands_and_ratings_and_stars_are_counted(world):
    d = world

    distributions = {x["key"]: x for x in score_distributions(area=d.district, period=YEAR)}

    scores = distributions["contract_scores"]
    assert [(b["key"], b["count"]) for b in scores["buckets"]] == [
        ("below_60", 1),
        ("60_69", 1),
        ("70_79", 0),
        ("80_89", 1),
        ("90_100", 1),
    ]
    assert scores["total"] == 4
    satisfaction = distributions["issue_satisfaction"]
    assert [(b["key"], b["count"]) for b in satisfaction["buckets"]] == [
        ("satisfied", 2),
        ("basic", 1),
        ("unsatisfied", 0),
    ]
    stars = distributions["order_stars"]
    assert [(b["key"], b["count"]) for b in stars["buckets"]] == [
        ("1", 0),
        ("2", 0),
        ("3", 0),
        ("4", 1),
        ("5", 2),
    ]
    assert [b["label"] for b in stars["buckets"]][:2] == ["1 star", "2 stars"]


def test_a_street_sees_only_its_own_scores(world):
    d = world

    distributions = {x["key"]: x for x in score_distributions(area=d.street2, period=YEAR)}

    assert distributions["contract_scores"]["total"] == 2  # 60 and 92.5 in community3
    assert distributions["issue_satisfaction"]["total"] == 0
    assert [b["count"] for b in distributions["order_stars"]["buckets"]] == [0, 0, 0, 0, 1]


# --- What the include shows ---------------------------------------------------------------------------


def chart_by_key(context) -> dict[str, dict]:
    return {chart["key"]: chart for section in context["chart_sections"] for chart in section["charts"]}


def test_the_context_has_each_chart_with_its_table_rows_and_json_for_the_script(world):
    d = world
    context = chart_context(area=d.district, period=YEAR)

    assert [s["key"] for s in context["chart_sections"]] == ["trends", "comparison", "scores"]
    charts = chart_by_key(context)
    issues = charts["trend-issues"]
    assert issues["table"]["columns"] == ["Month", "Issues raised", "Of which solved"]
    assert {"label": "2025-04", "cells": ["3", "2"]} in issues["table"]["rows"]
    assert issues["table"]["footer"] == {"label": "Total", "cells": ["5", "3"]}
    assert charts["trend-hours"]["table"]["footer"]["cells"] == ["6.0"]
    compared = charts["comparison"]
    assert compared["kind"] == "hbar"
    assert compared["table"]["footer"]["cells"][:3] == ["5", "3", "60.0%"]
    assert [v["key"] for v in compared["views"]] == [
        "issues",
        "rate",
        "contracts",
        "members",
        "orders",
        "points",
    ]
    # Everything in the JSON survives a round trip and names the boxes the template renders.
    specs = json.loads(json.dumps(context["charts_json"]))["charts"]
    assert {spec["id"] for spec in specs} == {chart["id"] for chart in charts.values() if not chart["empty"]}
    points = next(spec for spec in specs if spec["id"] == "dash-chart-trend-points")
    assert points["views"][0]["series"][0]["data"] == months(oct=30, nov=5)
    assert points["categories"][9] == "2025-10"


def test_the_include_renders_a_box_and_a_table_view_per_chart_and_loads_its_scripts(world):
    d = world
    html = render_to_string("dashboards/includes/charts.html", chart_context(area=d.district, period=YEAR))

    assert 'id="dash-chart-trend-contracts"' in html
    assert html.count('data-testid="chart-table"') == html.count('data-testid="chart"') == 9
    assert "<summary>Table view</summary>" in html
    assert '<th scope="row" class="text-nowrap fw-normal">塔山街道</th>' in html
    assert "60.0%" in html
    assert re.search(r'<script id="dash-charts-data" type="application/json">', html)
    assert '<script src="/static/vendor/echarts/echarts.min.js" defer></script>' in html
    assert '<script src="/static/js/dashboards-charts.js" defer></script>' in html
    # No inline script: only the JSON island and the two files.
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
    assert inline == []


def test_an_empty_area_shows_empty_states_and_no_chart(district):
    street = community_services.area_create(
        actor=None, name="新设街道", kind=AreaKind.STREET, parent=district.district
    )
    context = chart_context(area=street, period=YEAR)
    html = render_to_string("dashboards/includes/charts.html", context)

    assert context["charts_json"] == {"charts": []}
    assert all(chart["empty"] for chart in chart_by_key(context).values())
    comparison_section = next(s for s in context["chart_sections"] if s["key"] == "comparison")
    assert comparison_section["empty_text"] == "This street has no communities to compare yet."
    # Each section says it once, rather than once per chart.
    assert [s["empty_text"] for s in context["chart_sections"]] == [
        "Nothing recorded in this period.",
        "This street has no communities to compare yet.",
        "No contract was evaluated and no rating given in this period.",
    ]
    assert html.count('data-testid="chart-empty"') == 3
    assert "Nothing recorded in this period." in html
    assert "No contract was evaluated and no rating given in this period." in html
    assert "This street has no communities to compare yet." in html
    assert "echarts" not in html
    assert 'data-testid="chart-table"' not in html


def test_a_period_without_data_shows_empty_states_for_an_area_with_parts(world):
    d = world
    context = chart_context(area=d.district, period=Period.year(2021))

    charts = chart_by_key(context)
    assert charts["comparison"]["empty"] is True
    assert [s["empty_text"] for s in context["chart_sections"]] == [
        "Nothing recorded in this period.",
        "Nothing recorded in this period.",
        "No contract was evaluated and no rating given in this period.",
    ]
    assert context["charts_json"] == {"charts": []}


def test_a_chart_with_some_data_is_drawn_and_says_which_of_its_views_are_empty(world):
    d = world
    context = chart_context(area=d.street2, period=YEAR)

    sections = {s["key"]: s for s in context["chart_sections"]}
    assert sections["comparison"]["empty_text"] == ""
    compared = chart_by_key(context)["comparison"]
    assert compared["empty"] is False
    views = {view["key"]: view for view in compared["views"]}
    assert views["members"]["empty"] is True  # nobody reported to community3 in 2025
    assert views["contracts"]["empty"] is False
    assert views["rate"]["series"][0]["data"] == [50.0]
    spec = next(spec for spec in context["charts_json"]["charts"] if spec["id"] == "dash-chart-comparison")
    assert spec["empty_text"] == "Nothing recorded in this period."
    assert [view["empty"] for view in spec["views"]] == [False, False, False, True, False, False]
    # The contracts' chart of the trends has data, the service chart too: both drawn.
    ids = {spec["id"] for spec in context["charts_json"]["charts"]}
    assert {"dash-chart-trend-contracts", "dash-chart-trend-service"} <= ids


def test_a_rate_without_issues_is_no_bar_rather_than_zero(world):
    d = world
    context = chart_context(area=d.street1, period=YEAR)

    compared = chart_by_key(context)["comparison"]
    names = compared["categories"]
    rate = next(view for view in compared["views"] if view["key"] == "rate")["series"][0]["data"]
    assert dict(zip(names, rate, strict=True)) == {"治平社区": None, "越都社区": 66.7}
    row = next(row for row in compared["table"]["rows"] if row["label"] == "治平社区")
    assert row["cells"][2] == "—"


# --- Bounded queries ----------------------------------------------------------------------------------


def queries_of_chart_context(area, period=YEAR) -> int:
    with CaptureQueriesContext(connection) as captured:
        chart_context(area=area, period=period)
    return len(captured.captured_queries)


def test_the_charts_cost_the_same_queries_for_3_rows_or_60(district):
    d = district
    earning_rules(d)
    rows_of_every_kind(d, 3)
    few = queries_of_chart_context(d.district)
    few_street = queries_of_chart_context(d.street1)

    rows_of_every_kind(d, 57)
    many = queries_of_chart_context(d.district)

    assert few == many
    assert few_street == queries_of_chart_context(d.street1)
    assert many <= 20
    # And the rows were all counted.
    series = series_of(trends(area=d.district, period=YEAR))
    assert sum(series["contracts_signed"]) == 60
    assert sum(series["points_issued"]) == 600


def test_the_charts_cost_the_same_queries_for_2_streets_or_6(district):
    d = district
    earning_rules(d)
    rows_of_every_kind(d, 2)
    two = queries_of_chart_context(d.district)

    a = community_services.area_create
    for n in range(4):
        street = a(actor=None, name=f"第{n}街道", kind=AreaKind.STREET, parent=d.district)
        community = a(actor=None, name=f"第{n}社区", kind=AreaKind.COMMUNITY, parent=street)
        compound = a(actor=None, name=f"第{n}小区", kind=AreaKind.COMPOUND, parent=community)
        fund(community)
        rows_of_every_kind(d, 2, community=community, compound=compound)
    six = queries_of_chart_context(d.district)

    assert two == six
    data = comparison(area=d.district, period=YEAR)
    assert len(data["parts"]) == 6
    assert all(
        part["values"]["contracts_signed"] == 2 for part in data["parts"] if part["name"].startswith("第")
    )
    assert data["total"]["issues_raised"] == 10
