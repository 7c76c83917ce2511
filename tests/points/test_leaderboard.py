"""Leaderboards per community and month, statements and summaries: right numbers, masked names, one query."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from community import services as community_services
from points.earning import points_award_for_event, points_manual_adjust
from points.models import AdjustmentDirection, EventType
from points.selectors import earnings_summary, leaderboard, mask_initial, mask_name, statement
from points.services import community_account, points_reverse, wallet_for
from tests.factories import make_user
from tests.points.earning_support import at, funded, local, make_rule, request_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def d(district):
    return funded(district)


MARCH = date(2026, 3, 1)
_serial = itertools.count(1)


def person(community, name):
    user = make_user(f"p{next(_serial)}")
    community_services.person_create(actor=None, name=name, community=community, user=user)
    return user


def earn(user, points, community, event_type=EventType.MEETING_ATTENDED):
    return points_award_for_event(
        event_type=event_type,
        user=user,
        community=community,
        cause_key=f"lb:{next(_serial)}",
        quantity=points,
    )


def manual(d, user, amount, direction=AdjustmentDirection.AWARD):
    return points_manual_adjust(
        actor=d.secretary1,
        user=user,
        amount=amount,
        direction=direction,
        reason="社区志愿服务表彰",
        request_key=request_id(),
    )


@pytest.fixture
def rules(d):
    make_rule(district=d.district, points=1)
    make_rule(district=d.district, event_type=EventType.WISH_FULFILLED, points=1)
    return d


def test_ranks_ties_and_masked_names(rules):
    d = rules
    zhao = person(d.community1, "赵志强")
    ouyang = person(d.community1, "欧阳明月")
    with at(local(2026, 3, 5, 10)):
        earn(d.member_user, 30, d.community1)  # 王建国
        earn(d.member_user, 20, d.community1, EventType.WISH_FULFILLED)
        earn(d.resident_user, 40, d.community1)  # 李秀英
        manual(d, d.resident_user, 10)
        earn(zhao, 35, d.community1)
        earn(ouyang, 5, d.community3)  # paid by another community: still her community's board

    board = leaderboard(community=d.community1, month=MARCH)

    assert [(row["rank"], row["name"], row["points"]) for row in board] == [
        (1, "王*国", 50),
        (1, "李*英", 50),
        (3, "赵*强", 35),
        (4, "欧**月", 5),
    ]
    assert board[0]["user_id"] == d.member_user.pk
    assert {row["user_id"] for row in board} == {d.member_user.pk, d.resident_user.pk, zhao.pk, ouyang.pk}


def test_only_the_month_and_the_community_count(rules):
    d = rules
    other = person(d.community2, "周丽华")
    with at(local(2026, 2, 28, 23, 59)):
        earn(d.member_user, 100, d.community1)
    with at(local(2026, 3, 1, 0, 0)):
        earn(d.member_user, 10, d.community1)
        earn(other, 500, d.community2)
    with at(local(2026, 3, 31, 23, 59, 59)):
        earn(d.resident_user, 5, d.community1)
    with at(local(2026, 4, 1, 0, 0)):
        earn(d.resident_user, 100, d.community1)

    assert [
        (r["name"], r["points"]) for r in leaderboard(community=d.community1, month=date(2026, 3, 17))
    ] == [
        ("王*国", 10),
        ("李*英", 5),
    ]
    assert [r["points"] for r in leaderboard(community=d.community1, month=date(2026, 2, 1))] == [100]


def test_deductions_and_reversed_earnings_do_not_count_as_earned(rules):
    d = rules
    with at(local(2026, 3, 5, 10)):
        earn(d.member_user, 30, d.community1)
        wrong = earn(d.resident_user, 40, d.community1)
        points_reverse(transfer=wrong, memo="重复上报")
        manual(d, d.member_user, 10, AdjustmentDirection.DEDUCTION)

    assert [(r["name"], r["points"]) for r in leaderboard(community=d.community1, month=MARCH)] == [
        ("王*国", 30)
    ]


def test_the_board_is_cut_at_the_limit_with_ranks_intact(rules):
    d = rules
    with at(local(2026, 3, 5, 10)):
        for points in (9, 8, 8, 7):
            earn(person(d.community1, "孙小红"), points, d.community1)

    board = leaderboard(community=d.community1, month=MARCH, limit=3)

    assert [(r["rank"], r["points"]) for r in board] == [(1, 9), (2, 8), (2, 8)]


def test_the_board_is_one_query_for_2_or_20_people(rules):
    d = rules

    def fill(count):
        with at(local(2026, 3, 5, 10)):
            for n in range(count):
                earn(person(d.community1, f"测试{n:02d}号"), n + 1, d.community1)

    fill(2)
    with CaptureQueriesContext(connection) as few:
        assert len(leaderboard(community=d.community1, month=MARCH)) == 2
    fill(18)
    with CaptureQueriesContext(connection) as many:
        assert len(leaderboard(community=d.community1, month=MARCH)) == 20

    assert len(few) == len(many) == 1


@pytest.mark.parametrize(
    ("name", "masked", "initial"),
    [
        ("王建国", "王*国", "王**"),
        ("李明", "李*", "李*"),
        ("欧阳明月", "欧**月", "欧***"),
        ("王", "*", "王*"),
        ("", "", "*"),
    ],
)
def test_masking(name, masked, initial):
    assert mask_name(name) == masked
    assert mask_initial(name) == initial


# --- Statements and summaries ---------------------------------------------------------------------


def test_a_statement_reads_from_the_accounts_side(rules):
    d = rules
    issuing = community_account(community=d.community1)
    with at(local(2026, 3, 5, 10)):
        earned = earn(d.member_user, 30, d.community1)
        deducted = manual(d, d.member_user, 10, AdjustmentDirection.DEDUCTION)

    rows = list(statement(account=wallet_for(user=d.member_user)))

    assert [(t.pk, t.direction, t.signed_amount, t.counterparty_name) for t in rows] == [
        (deducted.transfer_id, "out", -10, issuing.name),
        (earned.pk, "in", 30, issuing.name),
    ]


def test_a_statement_is_one_query_for_2_or_20_rows(rules):
    d = rules
    wallet = wallet_for(user=d.member_user)

    def fill(count):
        for _ in range(count):
            earn(d.member_user, 1, d.community1)

    fill(2)
    with CaptureQueriesContext(connection) as few:
        rows = list(statement(account=wallet))
        [(t.source.name, t.destination.name) for t in rows]
    fill(18)
    with CaptureQueriesContext(connection) as many:
        rows = list(statement(account=wallet))
        [(t.source.name, t.destination.name) for t in rows]

    assert len(rows) == 20
    assert len(few) == len(many) == 1


def test_the_monthly_summary_of_a_community(rules):
    d = rules
    with at(local(2026, 3, 5, 10)):
        earn(d.member_user, 30, d.community1)
        earn(d.resident_user, 20, d.community1)
        earn(d.member_user, 7, d.community1, EventType.WISH_FULFILLED)
        earn(d.member_user, 99, d.community3)
        manual(d, d.resident_user, 15)
        manual(d, d.resident_user, 5, AdjustmentDirection.DEDUCTION)

    summary = earnings_summary(community=d.community1, month=MARCH)

    assert [(e["event_type"], e["count"], e["points"]) for e in summary["events"]] == [
        (EventType.WISH_FULFILLED, 1, 7),
        (EventType.MEETING_ATTENDED, 2, 50),
    ]
    assert (summary["earned"], summary["manual_awarded"], summary["manual_deducted"]) == (57, 15, 5)
