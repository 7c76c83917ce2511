"""Every dashboard figure gives the number its known data says, its list holds exactly the rows it counts,
and it follows the area and the period asked for."""

from __future__ import annotations

import statistics
from decimal import Decimal

import pytest

from community.models import Area
from councils import services as council_services
from dashboards import figures as registry
from dashboards.figures import COUNT, FIGURES, MEAN, MEDIAN, RATE, SUM, compute, rows_for
from tests.councils.support import council_world
from tests.dashboards.test_figures_support import (
    EXPECTED,
    LAST_YEAR,
    THIS_YEAR,
    Y,
    _issue,
    _resolve,
    figures_world,
    local,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(district):
    return figures_world(district)


def test_every_figure_of_the_district_gives_its_known_value(w):
    # Every registered figure has a known value here: a new figure needs its own.
    assert set(EXPECTED) == set(FIGURES)
    values = compute(FIGURES, w.d.district, THIS_YEAR)
    assert values == EXPECTED


def _measure(rows, measure):
    return [getattr(row, measure) for row in rows]


def test_each_list_holds_exactly_the_rows_counted(w):
    for key, fig in FIGURES.items():
        rows = rows_for(key, w.d.district, THIS_YEAR)
        value = EXPECTED[key]
        if fig.kind == COUNT:
            assert rows.count() == value, key
            assert len(list(rows)) == value, key
        elif fig.kind == SUM:
            assert sum(_measure(rows, fig.measure)) == value, key
        elif fig.kind == MEAN:
            assert round(statistics.mean(_measure(rows, fig.measure)), 1) == Decimal(str(value)), key
        elif fig.kind == MEDIAN:
            assert round(statistics.median(_measure(rows, fig.measure)), 1) == value, key
        else:
            assert fig.kind == RATE
            assert rows.count() == EXPECTED[fig.parts[1]], key


def test_the_figures_follow_the_area(w):
    d = w.d
    street1 = compute(FIGURES, d.street1, THIS_YEAR)
    # 越都社区 and 治平社区: one pairing in force, 越都's evaluated contract only.
    assert street1["contracts.pairings"] == 1
    assert street1["contracts.units_paired"] == 1
    assert street1["contracts.communities_paired"] == 1
    assert street1["contracts.evaluated"] == 1
    assert street1["contracts.evaluation_score"] == 90.0
    assert street1["councils.issues_raised"] == 4
    assert street1["volunteers.claims"] == 8
    assert street1["points.issued"] == 150

    street2 = compute(FIGURES, d.street2, THIS_YEAR)
    assert street2["contracts.pairings"] == 1
    assert street2["contracts.evaluation_score"] == 80.0
    assert street2["contracts.projects"] == 0

    empty = compute(FIGURES, d.community2, THIS_YEAR)
    for key, fig in FIGURES.items():
        if fig.kind in (COUNT, SUM):
            assert empty[key] == 0, key
        else:
            assert empty[key] is None, key  # no rate, mean or median out of nothing


def test_the_figures_follow_the_period(w):
    values = compute(FIGURES, w.d.district, LAST_YEAR)
    # The pairing ended in the middle of last year was in force then; its unit is counted once.
    assert values["contracts.pairings"] == 3
    assert values["contracts.units_paired"] == 2
    assert values["contracts.communities_paired"] == 3
    assert values["contracts.consultation_meetings"] == 1
    assert values["contracts.signed"] == 0  # its term was two years ago
    assert values["councils.issues_raised"] == 1
    assert values["councils.issues_solved"] == 1
    assert values["councils.resolution_rate"] == 100.0
    assert values["councils.median_days"] == 3.0
    assert values["councils.satisfaction"] == 100.0
    assert values["councils.meetings"] == 1
    assert values["councils.decisions"] == 1
    assert values["volunteers.members_reported"] == 1
    assert values["volunteers.pledges_signed"] == 1
    assert values["volunteers.wish_claims"] == 1
    assert values["volunteers.wishes_fulfilled"] == 1
    assert values["volunteers.orders_rated"] == 1
    assert values["volunteers.orders_taken"] == 1
    assert values["volunteers.hours"] == 4
    assert values["volunteers.claims"] == 3
    assert values["points.issued"] == 70
    assert values["points.spent"] == 0
    assert values["points.market_redemptions"] == 1
    # A balance is of today, whatever the period.
    assert values["points.in_circulation"] == EXPECTED["points.in_circulation"]


def test_the_median_of_an_even_number_is_the_mean_of_the_middle_two(district):
    w = council_world(district)
    w.d = district
    for n, days in enumerate((2, 5, 9, 1)):
        _resolve(w, _issue(w, f"问题{n}"), raised=local(Y, 3, n + 1, 9), days=days)
    values = compute(["councils.median_days"], district.district, THIS_YEAR)
    assert values == {"councils.median_days": 3.5}  # 1, 2, 5, 9


def test_an_issue_reopened_is_no_longer_solved(district):
    w = council_world(district)
    w.d = district
    issue = _resolve(w, _issue(w, "路灯"), raised=local(Y, 3, 1, 9), days=2)
    council_services.issue_advance(actor=district.convener1, issue=issue, step="reopen", note="又坏了")
    values = compute(["councils.resolution_rate"], district.district, THIS_YEAR)
    assert values == {
        "councils.issues_raised": 1,
        "councils.issues_solved": 0,
        "councils.resolution_rate": 0.0,
    }


def test_figures_for_gives_every_figure_with_its_display_and_its_list(w):
    d = w.d
    rows = registry.figures_for(d.district, THIS_YEAR)
    assert [row["key"] for row in rows] == list(FIGURES)
    by_key = {row["key"]: row for row in rows}
    assert by_key["councils.resolution_rate"]["display"] == "75.0%"
    assert by_key["contracts.funding"]["display"] == "18,000"
    assert by_key["contracts.evaluation_score"]["display"] == "85.0"
    assert by_key["volunteers.hours"]["display"] == "5.5"
    url = by_key["councils.issues_raised"]["url"]
    assert url == f"/dashboards/{d.district.pk}/figures/councils.issues_raised/?from={Y}-01-01&to={Y}-12-31"
    empty = registry.figures_for(d.community2, THIS_YEAR)
    assert {row["key"]: row["display"] for row in empty}["councils.median_days"] == "—"
    assert registry.is_empty(empty) and not registry.is_empty(rows)
    sections = registry.by_section(rows)
    assert [s["key"] for s in sections] == ["contracts", "councils", "volunteers", "points"]
    states = next(g for g in sections[0]["groups"] if g["key"] == "contract_states")
    assert [row["key"] for row in states["figures"]][:2] == ["contracts.draft", "contracts.agreed"]


def test_the_evaluation_ranking(w):
    d = w.d
    district = registry.evaluation_ranking(d.district, THIS_YEAR)
    assert [(row["place"], row["community"], row["mean"]) for row in district["rows"]] == [
        (1, "越都社区", 90.0),
        (2, "府山社区", 80.0),
    ]
    # A community sees its place among its street's communities, not the others' names.
    own = registry.evaluation_ranking(d.community1, THIS_YEAR)
    assert (own["own"], own["place"], own["of"]) == (True, 1, 1)
    assert Area.objects.get(pk=own["within"].pk) == d.street1
    none = registry.evaluation_ranking(d.community2, THIS_YEAR)
    assert none["place"] is None


def test_rows_are_described_without_phone_numbers_or_addresses(w):
    d = w.d
    for key in FIGURES:
        fig = FIGURES[key]
        described = registry.describe_rows(fig, rows_for(key, d.district, THIS_YEAR))
        for row in described:
            line = registry.row_text(row)
            assert "13900002222" not in line and "13900001111" not in line
            assert "2单元501" not in line
            assert "李秀英" not in line  # the resident's name is partly hidden
    wallets = registry.describe_rows(
        FIGURES["points.in_circulation"], rows_for("points.in_circulation", d.district, THIS_YEAR)
    )
    assert {row["text"] for row in wallets} == {"王*国", "李*英"}
