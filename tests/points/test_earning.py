"""Earning: the rule decides what a reported event pays, within daily and monthly caps per person.

Days and months are Asia/Shanghai's: the cap of "today" resets at local midnight, not at UTC's.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from audit.models import Entry
from core.exceptions import NotFound, PermissionDenied, ValidationFailed
from points.earning import earning_rule_save, points_allocate, points_award_for_event
from points.models import Account, AccountKind, Earning, EarningRule, EventType, Transfer, TransferKind
from points.services import InsufficientPoints, community_account, points_reverse, wallet_for
from points.tasks import points_award_for_event_task
from tests.points.earning_support import at, funded, local, make_rule, request_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def d(district):
    return funded(district)


MEETING = EventType.MEETING_ATTENDED
_cause = iter(range(1, 1_000_000))


def award(d, *, user=None, community=None, event_type=MEETING, quantity=1, cause_key=None):
    return points_award_for_event(
        event_type=event_type,
        user=user or d.member_user,
        community=community or d.community1,
        cause_key=cause_key or f"meeting:{next(_cause)}",
        quantity=quantity,
    )


def balance(account) -> int:
    """The account's points (an issuing account's include its tills')."""
    return Account.objects.get(pk=account.pk).total_balance


# --- Which rule applies ---------------------------------------------------------------------------


def test_no_rule_pays_nothing_and_records_nothing(d):
    before = Transfer.objects.count()

    assert award(d) is None

    assert Transfer.objects.count() == before
    assert not Earning.objects.exists()
    assert balance(d.member_wallet) == 0


def test_the_district_default_pays_points_times_quantity_from_the_community(d):
    make_rule(district=d.district, event_type=EventType.ACTIVITY_HOURS, points=5, unit_label="hour")
    issuing_before = balance(community_account(community=d.community1))

    transfer = award(d, event_type=EventType.ACTIVITY_HOURS, quantity=3, cause_key="activity:7:member1")

    assert (transfer.amount, transfer.kind, transfer.key) == (
        15,
        TransferKind.EARNING,
        "earn:activity:7:member1",
    )
    assert transfer.source == community_account(community=d.community1)
    assert transfer.destination == d.member_wallet
    assert balance(d.member_wallet) == 15
    assert balance(transfer.source) == issuing_before - 15
    earning = Earning.objects.get(transfer=transfer)
    assert (earning.event_type, earning.quantity, earning.points_per_unit, earning.points) == (
        EventType.ACTIVITY_HOURS,
        3,
        5,
        15,
    )
    assert earning.community == d.community1 and earning.user == d.member_user


def test_a_community_rule_overrides_the_district_default(d):
    make_rule(district=d.district, points=10)
    make_rule(d.community1, points=30)

    assert award(d, community=d.community1).amount == 30
    # Another community without its own rule keeps the default.
    assert award(d, community=d.community2).amount == 10


def test_an_inactive_or_expired_override_falls_back_to_the_default(d):
    make_rule(district=d.district, points=10)
    override = make_rule(d.community1, points=30)
    earning_rule_save(actor=None, rule=override, active=False)
    make_rule(d.community2, points=40, valid_from=date(2020, 1, 1), valid_until=date(2021, 12, 31))

    assert award(d, community=d.community1).amount == 10
    assert award(d, community=d.community2).amount == 10


def test_a_rule_of_zero_points_switches_the_event_off_in_a_community(d):
    make_rule(district=d.district, points=10)
    make_rule(d.community1, points=0)

    assert award(d) is None
    assert not Earning.objects.exists()


# --- Retries --------------------------------------------------------------------------------------


def test_a_retried_event_returns_the_same_transfer_and_pays_once(d):
    rule = make_rule(district=d.district, points=10, daily_cap=10)

    first = award(d, cause_key="meeting:1:member1")
    # The rule and its cap change before the retry arrives: the retry still gets the first answer.
    earning_rule_save(actor=None, rule=rule, points=50, daily_cap=None)
    again = award(d, cause_key="meeting:1:member1", quantity=4)

    assert again.pk == first.pk and again.amount == 10
    assert Transfer.objects.filter(key="earn:meeting:1:member1").count() == 1
    assert Earning.objects.count() == 1
    assert balance(d.member_wallet) == 10


def test_the_task_reports_the_transfer_and_a_redelivery_pays_once(d):
    make_rule(district=d.district, points=10)
    args = (MEETING, d.member_user.pk, d.community1.pk, "meeting:9:member1")

    first = points_award_for_event_task(*args)
    second = points_award_for_event_task(*args)

    assert first == second == Transfer.objects.get(key="earn:meeting:9:member1").pk
    assert balance(d.member_wallet) == 10


# --- Caps -----------------------------------------------------------------------------------------


def test_the_daily_cap_clamps_then_refuses(d):
    make_rule(district=d.district, points=10, daily_cap=25)

    with at(local(2026, 3, 10, 9)):
        paid = [award(d) for _ in range(4)]

    assert [t.amount if t else None for t in paid] == [10, 10, 5, None]
    assert balance(d.member_wallet) == 25
    clamped = Earning.objects.get(transfer=paid[2])
    assert clamped.points == 5 and clamped.was_capped


def test_the_daily_cap_resets_at_local_midnight_not_at_utc_midnight(d):
    make_rule(district=d.district, points=10, daily_cap=10)

    with at(local(2026, 3, 10, 7, 30)):  # 23:30 UTC on the 9th
        assert award(d).amount == 10
    with at(local(2026, 3, 10, 8, 30)):  # 00:30 UTC on the 10th: a new UTC day, the same local day
        assert award(d) is None
    with at(local(2026, 3, 10, 23, 59, 59)):
        assert award(d) is None
    with at(local(2026, 3, 11, 0, 0)):
        assert award(d).amount == 10


def test_the_monthly_cap_spans_days_and_resets_on_the_first_local_day(d):
    make_rule(district=d.district, points=10, daily_cap=20, monthly_cap=35)

    with at(local(2026, 3, 1, 0, 0)):
        assert [award(d).amount, award(d).amount] == [10, 10]
    with at(local(2026, 3, 15, 12)):
        assert [award(d).amount, award(d).amount] == [10, 5]
    with at(local(2026, 3, 31, 23, 59, 59)):
        assert award(d) is None
    with at(local(2026, 4, 1, 0, 0)):
        assert award(d).amount == 10


def test_caps_count_per_person_and_per_event_type(d):
    make_rule(district=d.district, points=10, daily_cap=10)
    make_rule(district=d.district, event_type=EventType.WISH_FULFILLED, points=10, daily_cap=10)

    with at(local(2026, 3, 10, 9)):
        assert award(d, user=d.member_user).amount == 10
        assert award(d, user=d.resident_user).amount == 10
        assert award(d, user=d.member_user, event_type=EventType.WISH_FULFILLED).amount == 10
        # The same person and event in another community still counts against the person's cap.
        assert award(d, user=d.member_user, community=d.community3) is None


def test_a_reversed_earning_no_longer_counts_against_the_cap(d):
    make_rule(district=d.district, points=10, daily_cap=10)

    with at(local(2026, 3, 10, 9)):
        first = award(d)
        points_reverse(transfer=first, memo="误报")
        assert award(d).amount == 10


# --- The paying community -------------------------------------------------------------------------


def test_an_unfunded_community_refuses_with_its_name_and_pays_nothing(district):
    make_rule(district=district.district, points=10)

    with translation.override("en"), pytest.raises(InsufficientPoints) as refused:
        points_award_for_event(
            event_type=MEETING,
            user=district.member_user,
            community=district.community2,
            cause_key="meeting:1",
        )

    assert "治平社区" in str(refused.value.message)
    assert refused.value.code == "insufficient_points"
    assert not Transfer.objects.filter(kind=TransferKind.EARNING).exists()
    assert not Earning.objects.exists()


# --- Bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [0, -1, 1.5, True, "2", 1001])
def test_a_bad_quantity_is_refused(d, quantity):
    make_rule(district=d.district, points=10)

    with pytest.raises(ValidationFailed):
        award(d, quantity=quantity)

    assert not Earning.objects.exists()


@pytest.mark.parametrize("event_type", ["", "wish", "WISH_FULFILLED"])
def test_an_unknown_event_type_is_refused(d, event_type):
    with pytest.raises(ValidationFailed):
        award(d, event_type=event_type)


@pytest.mark.parametrize("cause_key", ["", "x" * 196])
def test_a_missing_or_overlong_cause_key_is_refused(d, cause_key):
    make_rule(district=d.district, points=10)

    with pytest.raises(ValidationFailed):
        points_award_for_event(
            event_type=MEETING, user=d.member_user, community=d.community1, cause_key=cause_key
        )


def test_a_login_without_a_person_has_no_wallet(d):
    make_rule(district=d.district, points=10)

    with pytest.raises(ValidationFailed):
        award(d, user=d.secretary1)


# --- Allocation from the district fund ------------------------------------------------------------


def test_the_district_admin_allocates_once_per_request_and_publishes_it(district):
    key = request_id()
    first = points_allocate(
        actor=district.district_admin,
        community=district.community2,
        amount=5000,
        reason="一季度",
        request_key=key,
    )
    again = points_allocate(
        actor=district.district_admin,
        community=district.community2,
        amount=5000,
        reason="一季度",
        request_key=key,
    )

    assert first.pk == again.pk and first.kind == TransferKind.ALLOCATION
    assert first.source.kind == AccountKind.DISTRICT_FUND
    assert balance(community_account(community=district.community2)) == 5000
    entries = Entry.objects.filter(kind="points.allocation")
    assert entries.count() == 1
    assert entries.get().payload["amount"] == 5000 and entries.get().area == district.community2


@pytest.mark.parametrize("who", ["secretary2", "street_admin", "member_user"])
def test_only_the_district_admin_allocates(district, who):
    with pytest.raises(PermissionDenied):
        points_allocate(
            actor=getattr(district, who),
            community=district.community2,
            amount=100,
            reason="自行划拨",
            request_key=request_id(),
        )

    assert not Transfer.objects.exists()


@pytest.mark.parametrize("amount", [0, -5, 2.5, True, 1_000_001])
def test_a_bad_allocation_amount_is_refused(district, amount):
    with pytest.raises(ValidationFailed):
        points_allocate(
            actor=district.district_admin,
            community=district.community2,
            amount=amount,
            reason="划拨",
            request_key=request_id(),
        )


def test_an_allocation_needs_a_reason_and_a_community(district):
    with pytest.raises(ValidationFailed):
        points_allocate(
            actor=None, community=district.community2, amount=10, reason="  ", request_key=request_id()
        )
    with pytest.raises(ValidationFailed):
        points_allocate(
            actor=None, community=district.street1, amount=10, reason="划拨", request_key=request_id()
        )


# --- Editing rules --------------------------------------------------------------------------------


def test_a_secretary_edits_the_own_community_override_only(d):
    rule = earning_rule_save(
        actor=d.secretary1, event_type=MEETING, community=d.community1, points=20, valid_from=date(2026, 1, 1)
    )
    assert rule.district == d.district

    with pytest.raises(PermissionDenied):
        earning_rule_save(actor=d.secretary2, rule=rule, points=99)
    with pytest.raises(PermissionDenied):
        earning_rule_save(actor=d.secretary1, event_type=MEETING, community=d.community2, points=20)
    with pytest.raises(PermissionDenied):
        earning_rule_save(actor=d.secretary1, event_type=MEETING, district=d.district, points=20)
    with pytest.raises(PermissionDenied):
        earning_rule_save(actor=d.secretary1, rule=rule, community=d.community3)
    rule.refresh_from_db()
    assert (rule.points, rule.community) == (20, d.community1)


def test_the_district_admin_sets_defaults_and_every_change_is_kept(d):
    rule = earning_rule_save(actor=d.district_admin, event_type=MEETING, points=10, daily_cap=30)
    earning_rule_save(actor=d.district_admin, rule=rule, points=12)

    rule.refresh_from_db()
    assert rule.district == d.district and rule.community is None and rule.points == 12
    versions = list(rule.history.order_by("history_id").values_list("points", "history_user_id"))
    assert versions == [(10, d.district_admin.pk), (12, d.district_admin.pk)]


def test_overlapping_active_rules_for_the_same_place_are_refused(d):
    make_rule(d.community1, points=10, valid_from=date(2026, 1, 1), valid_until=date(2026, 6, 30))

    with pytest.raises(ValidationFailed) as refused:
        make_rule(d.community1, points=20, valid_from=date(2026, 6, 1))
    assert refused.value.code == "overlapping_rule"
    # Back to back is fine, and so is an inactive draft.
    make_rule(d.community1, points=20, valid_from=date(2026, 7, 1))
    make_rule(d.community1, points=30, valid_from=date(2026, 3, 1), active=False)
    assert EarningRule.objects.filter(community=d.community1).count() == 3


@pytest.mark.parametrize(
    "fields",
    [
        {"daily_cap": 50, "monthly_cap": 20},
        {"daily_cap": 0},
        {"monthly_cap": -1},
        {"points": -1},
        {"points": 10_001},
        {"valid_from": date(2026, 5, 1), "valid_until": date(2026, 4, 1)},
        {"event_type": "nothing"},
        {"colour": "red"},
    ],
)
def test_a_bad_rule_is_refused(d, fields):
    fields = {"points": 10, "valid_from": date(2026, 1, 1), **fields}
    with pytest.raises(ValidationFailed):
        earning_rule_save(actor=d.district_admin, event_type=fields.pop("event_type", MEETING), **fields)
    assert not EarningRule.objects.exists()


def test_a_rule_cannot_change_out_of_sight(d):
    rule = make_rule(d.community1, points=10)

    # A unit contact has no rule powers at all.
    with pytest.raises((PermissionDenied, NotFound)):
        earning_rule_save(actor=d.unit_contact1, rule=rule, points=1)
    assert EarningRule.objects.get(pk=rule.pk).points == 10


def test_wallets_open_in_the_holders_community(d):
    assert wallet_for(user=d.member_user).area == d.community1
    assert d.member_wallet.kind == AccountKind.WALLET
