"""The market's services: redeem, verify, cancel, expire; and every bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from core.exceptions import ApplicationError, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from notices.models import Notice, ScheduledReminder
from points import market as svc
from points.ledger import verify_ledger
from points.models import Redemption, RedemptionTransition, Transfer, TransferKind
from points.services import InsufficientPoints
from points.workflow import RedemptionState, RedemptionStep, can, target_state
from tests.points import market_support
from tests.points.market_support import balance, make_item, snapshot, stock

market = market_support.market  # the fixture

pytestmark = pytest.mark.django_db


def refused(exc_type, code, snapshot_before, *items, call):
    with pytest.raises(exc_type) as info:
        call()
    assert info.value.code == code, info.value.code
    assert snapshot(*items) == snapshot_before, "a refused step changed something"
    return info.value


# --- Redeem ------------------------------------------------------------------------------------


def test_redeem_reserves_points_with_the_merchant_and_issues_a_code(market):
    d = market

    r = svc.redemption_create(actor=d.member_user, item=d.haircut)

    assert r.state == RedemptionState.RESERVED
    assert len(r.code) == 8 and r.code.isdigit()
    assert r.grouped_code == f"{r.code[:4]} {r.code[4:]}"
    assert len(r.token) >= 20
    assert r.points == 30 and r.quantity == 1
    assert r.expires_at == r.reserved_at + svc.REDEMPTION_VALID_FOR
    assert stock(d.haircut) == 9
    assert balance(d.member_user) == 170
    assert balance(d.merchant) == 30
    transfer = r.reserve_transfer
    assert transfer.key == f"redeem:{r.pk}"
    assert transfer.kind == TransferKind.REDEMPTION
    assert transfer.cause == f"points.Redemption:{r.pk}"
    assert [(s.from_state, s.to_state) for s in r.transitions.all()] == [("", "reserved")]
    reminder = ScheduledReminder.objects.get(dedupe_key=f"redemption:{r.pk}:expiry-reminder")
    assert reminder.due_at == r.expires_at - timedelta(days=1)


def test_redeeming_several_at_once_takes_them_all_from_stock(market):
    r = svc.redemption_create(actor=market.member_user, item=market.haircut, quantity=2)

    assert r.points == 60
    assert stock(market.haircut) == 8
    assert balance(market.member_user) == 140


def test_beyond_stock_is_refused_and_nothing_changes(market):
    d = market
    item = make_item(d, price=10, stock=0)
    before = snapshot(item)

    refused(
        ApplicationError,
        "out_of_stock",
        before,
        item,
        call=lambda: svc.redemption_create(actor=d.member_user, item=item),
    )


def test_more_than_is_left_is_refused(market):
    d = market
    item = make_item(d, price=10, stock=2, per_person_limit=5)
    before = snapshot(item)

    error = refused(
        ApplicationError,
        "out_of_stock",
        before,
        item,
        call=lambda: svc.redemption_create(actor=d.member_user, item=item, quantity=3),
    )
    assert "2" in str(error.message)


def test_beyond_the_per_person_limit_is_refused_and_nothing_changes(market):
    d = market
    svc.redemption_create(actor=d.member_user, item=d.rice)
    before = snapshot(d.rice)

    refused(
        ValidationFailed,
        "limit_reached",
        before,
        d.rice,
        call=lambda: svc.redemption_create(actor=d.member_user, item=d.rice),
    )


def test_collected_redemptions_count_against_the_limit_cancelled_ones_do_not(market):
    d = market
    first = svc.redemption_create(actor=d.member_user, item=d.rice)
    svc.redemption_cancel(actor=d.member_user, redemption=first)
    second = svc.redemption_create(actor=d.member_user, item=d.rice)  # the cancelled one no longer counts
    svc.redemption_verify(actor=d.unit_contact1, code=second.code)

    with pytest.raises(ValidationFailed) as info:
        svc.redemption_create(actor=d.member_user, item=d.rice)
    assert info.value.code == "limit_reached"


def test_not_enough_points_is_refused_stock_and_wallet_untouched(market):
    d = market  # the resident holds 50 points; rice costs 120
    before = snapshot(d.rice)

    error = refused(
        InsufficientPoints,
        "insufficient_points",
        before,
        d.rice,
        call=lambda: svc.redemption_create(actor=d.resident_user, item=d.rice),
    )
    assert "50" in str(error.message) and "120" in str(error.message)
    assert not Redemption.objects.exists()


@pytest.mark.parametrize(
    "window",
    [
        {"available_from_days": 1, "available_until_days": None},  # not yet
        {"available_from_days": -10, "available_until_days": -1},  # over
        {"active": False},
    ],
    ids=["before-the-window", "after-the-window", "taken-off-offer"],
)
def test_outside_the_offer_is_refused(market, window):
    d = market
    now = timezone.now()
    fields = {"available_from": now + timedelta(days=window.get("available_from_days", -1))}
    if window.get("available_until_days") is not None:
        fields["available_until"] = now + timedelta(days=window["available_until_days"])
    if "active" in window:
        fields["active"] = window["active"]
    item = make_item(d, **fields)
    before = snapshot(item)

    refused(
        ValidationFailed,
        "not_available",
        before,
        item,
        call=lambda: svc.redemption_create(actor=d.member_user, item=item),
    )


def test_an_item_of_another_community_does_not_exist_for_a_resident(market):
    d = market
    before = snapshot(d.haircut)

    refused(
        NotFound,
        "not_found",
        before,
        d.haircut,
        call=lambda: svc.redemption_create(actor=d.resident3_user, item=d.haircut),
    )


def test_staff_who_see_an_item_may_not_redeem_it_for_another_community(market):
    d = market  # the street administrator lives nowhere: no wallet
    before = snapshot(d.haircut)

    refused(
        ValidationFailed,
        "no_wallet",
        before,
        d.haircut,
        call=lambda: svc.redemption_create(actor=d.street_admin, item=d.haircut),
    )


@pytest.mark.parametrize("quantity", [0, -1, 21, "1", True, 1.0])
def test_a_quantity_that_is_not_a_small_whole_number_is_refused(market, quantity):
    before = snapshot(market.haircut)

    refused(
        ValidationFailed,
        "invalid_quantity",
        before,
        market.haircut,
        call=lambda: svc.redemption_create(actor=market.member_user, item=market.haircut, quantity=quantity),
    )


# --- Verify ------------------------------------------------------------------------------------


def test_the_merchants_contact_completes_a_redemption(market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)

    done = svc.redemption_verify(actor=d.unit_contact1, code=r.grouped_code)

    assert done.state == RedemptionState.COMPLETED
    assert done.verified_by == d.unit_contact1 and done.completed_at is not None
    assert stock(d.haircut) == 9  # taken at redemption, not again
    assert balance(d.merchant) == 30 and balance(d.member_user) == 170
    assert [s.to_state for s in done.transitions.all()] == ["reserved", "completed"]
    assert Notice.objects.filter(recipient=d.member_user, dedupe_key=f"redemption:{r.pk}:completed").exists()
    assert not ScheduledReminder.objects.filter(dedupe_key=f"redemption:{r.pk}:expiry-reminder").exists()


@pytest.mark.parametrize("typed", ["{code}", "{a} {b}", "{a}-{b}", " {a} {b} ", "{a}\u3000{b}"])
def test_codes_are_read_with_spaces_or_dashes(market, typed):
    r = svc.redemption_create(actor=market.member_user, item=market.haircut)
    text = typed.format(code=r.code, a=r.code[:4], b=r.code[4:])

    assert svc.redemption_verify(actor=market.unit_contact1, code=text).pk == r.pk


def test_community_staff_may_verify_too(market):
    r = svc.redemption_create(actor=market.member_user, item=market.haircut)

    assert svc.redemption_verify(actor=market.secretary1, code=r.code).state == RedemptionState.COMPLETED


def test_a_wrong_code_is_refused_and_nothing_changes(market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)
    wrong = f"{(int(r.code) + 1) % 10**8:08d}"
    before = snapshot(d.haircut)

    refused(
        NotFound,
        "wrong_code",
        before,
        d.haircut,
        call=lambda: svc.redemption_verify(actor=d.unit_contact1, code=wrong),
    )


def test_a_code_of_another_merchant_reads_as_a_wrong_code(market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)
    before = snapshot(d.haircut)

    for outsider in (d.unit_contact2, d.secretary3):
        refused(
            NotFound,
            "wrong_code",
            before,
            d.haircut,
            call=lambda o=outsider: svc.redemption_verify(actor=o, code=r.code),
        )


def test_a_scanned_code_with_a_wrong_secret_reads_as_a_wrong_code(market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)
    before = snapshot(d.haircut)

    refused(
        NotFound,
        "wrong_code",
        before,
        d.haircut,
        call=lambda: svc.redemption_verify(actor=d.unit_contact1, code=r.code, token="x" * 24),
    )
    assert svc.redemption_verify(actor=d.unit_contact1, code=r.code, token=r.token).state == "completed"


@pytest.mark.parametrize("typed", ["", "1234", "123456789", "abcdefgh", "１２３４５６７８"])
def test_something_that_is_not_a_code_is_refused(market, typed):
    before = snapshot(market.haircut)

    refused(
        ValidationFailed,
        "invalid_code",
        before,
        market.haircut,
        call=lambda: svc.redemption_verify(actor=market.unit_contact1, code=typed),
    )


def test_a_used_code_says_when_it_was_used(market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)
    svc.redemption_verify(actor=d.unit_contact1, code=r.code)
    before = snapshot(d.haircut)

    error = refused(
        InvalidTransition,
        "already_used",
        before,
        d.haircut,
        call=lambda: svc.redemption_verify(actor=d.unit_contact1, code=r.code),
    )
    assert str(timezone.localtime(Redemption.objects.get(pk=r.pk).completed_at).year) in str(error.message)


def test_an_expired_code_is_refused_before_and_after_the_job(market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)
    later = r.expires_at + timedelta(minutes=1)
    before = snapshot(d.haircut)

    refused(
        InvalidTransition,
        "expired",
        before,
        d.haircut,
        call=lambda: svc.redemption_verify(actor=d.unit_contact1, code=r.code, now=later),
    )
    svc.redemptions_expire(now=later)
    after_job = snapshot(d.haircut)
    refused(
        InvalidTransition,
        "expired",
        after_job,
        d.haircut,
        call=lambda: svc.redemption_verify(actor=d.unit_contact1, code=r.code, now=later),
    )


def test_a_cancelled_code_is_refused(market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)
    svc.redemption_cancel(actor=d.member_user, redemption=r)
    before = snapshot(d.haircut)

    refused(
        InvalidTransition,
        "cancelled",
        before,
        d.haircut,
        call=lambda: svc.redemption_verify(actor=d.unit_contact1, code=r.code),
    )


def test_residents_may_not_verify_at_all(market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)
    before = snapshot(d.haircut)

    refused(
        PermissionDenied,
        "permission_denied",
        before,
        d.haircut,
        call=lambda: svc.redemption_verify(actor=d.resident_user, code=r.code),
    )


def test_guessing_codes_is_stopped_after_ten_wrong_ones(market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)
    for n in range(svc.VERIFY_ATTEMPTS):
        with pytest.raises(NotFound):
            svc.redemption_verify(actor=d.unit_contact1, code=f"{(int(r.code) + n + 1) % 10**8:08d}")

    with pytest.raises(svc.TooManyAttempts) as info:
        svc.redemption_verify(actor=d.unit_contact1, code=r.code)
    assert info.value.status_code == 429
    # Another verifier is not held up; and the wait ends.
    assert svc.redemption_lookup(actor=d.secretary1, code=r.code).pk == r.pk
    cache.clear()
    assert svc.redemption_verify(actor=d.unit_contact1, code=r.code).state == "completed"


# --- Cancel ------------------------------------------------------------------------------------


def test_the_holder_cancels_points_refunded_stock_back(market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)

    closed = svc.redemption_cancel(actor=d.member_user, redemption=r)

    assert closed.state == RedemptionState.CANCELLED and closed.closed_at is not None
    assert closed.refund_transfer.reverses_id == closed.reserve_transfer_id
    assert closed.refund_transfer.key == f"redeem:{r.pk}:refund"
    assert balance(d.member_user) == 200 and balance(d.merchant) == 0
    assert stock(d.haircut) == 10
    assert [s.to_state for s in closed.transitions.all()] == ["reserved", "cancelled"]
    assert not ScheduledReminder.objects.filter(dedupe_key=f"redemption:{r.pk}:expiry-reminder").exists()


def test_staff_may_cancel_and_the_holder_is_told(market):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)

    svc.redemption_cancel(actor=d.secretary1, redemption=r, note="商家暂停服务")

    assert Notice.objects.filter(recipient=d.member_user, dedupe_key=f"redemption:{r.pk}:cancelled").exists()
    assert RedemptionTransition.objects.get(redemption=r, to_state="cancelled").note == "商家暂停服务"


@pytest.mark.parametrize("who", ["resident_user", "unit_contact1", "secretary3"])
def test_others_may_not_cancel(market, who):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)
    before = snapshot(d.haircut)

    refused(
        PermissionDenied,
        "permission_denied",
        before,
        d.haircut,
        call=lambda: svc.redemption_cancel(actor=getattr(d, who), redemption=r),
    )


@pytest.mark.parametrize("first", ["complete", "cancel", "expire"])
def test_only_a_reserved_redemption_can_be_cancelled(market, first):
    d = market
    r = svc.redemption_create(actor=d.member_user, item=d.haircut)
    if first == "complete":
        svc.redemption_verify(actor=d.unit_contact1, code=r.code)
    elif first == "cancel":
        svc.redemption_cancel(actor=d.member_user, redemption=r)
    else:
        svc.redemptions_expire(now=r.expires_at)
    before = snapshot(d.haircut)

    refused(
        InvalidTransition,
        {"complete": "already_used", "cancel": "cancelled", "expire": "expired"}[first],
        before,
        d.haircut,
        call=lambda: svc.redemption_cancel(actor=d.member_user, redemption=r),
    )


# --- Expire ------------------------------------------------------------------------------------


def test_the_expiry_job_refunds_once_however_often_it_runs(market):
    d = market
    due = svc.redemption_create(actor=d.member_user, item=d.haircut)
    fresh = svc.redemption_create(
        actor=d.resident_user, item=d.haircut, now=timezone.now() + timedelta(days=3)
    )
    later = due.expires_at + timedelta(minutes=5)

    assert svc.redemptions_expire(now=later) == 1
    assert svc.redemptions_expire(now=later) == 0

    due.refresh_from_db()
    assert due.state == RedemptionState.EXPIRED and due.refund_transfer is not None
    assert Transfer.objects.filter(reverses=due.reserve_transfer).count() == 1
    assert balance(d.member_user) == 200
    assert stock(d.haircut) == 9  # the fresh one still holds its unit
    assert Redemption.objects.get(pk=fresh.pk).state == RedemptionState.RESERVED
    assert (
        Notice.objects.filter(recipient=d.member_user, dedupe_key=f"redemption:{due.pk}:expired").count() == 1
    )


def test_the_expiry_task_runs_the_service(market):
    from points.tasks import redemptions_expire_task

    long_ago = timezone.now() - svc.REDEMPTION_VALID_FOR - timedelta(hours=1)
    item = make_item(market, available_from=long_ago - timedelta(days=1))
    r = svc.redemption_create(actor=market.member_user, item=item, now=long_ago)

    assert redemptions_expire_task() == 1
    assert Redemption.objects.get(pk=r.pk).state == RedemptionState.EXPIRED


def test_the_ledger_stays_whole_through_every_step(market):
    d = market
    a = svc.redemption_create(actor=d.member_user, item=d.haircut)
    b = svc.redemption_create(actor=d.member_user, item=d.haircut)
    c = svc.redemption_create(actor=d.resident_user, item=d.haircut)
    svc.redemption_verify(actor=d.unit_contact1, code=a.code)
    svc.redemption_cancel(actor=d.member_user, redemption=b)
    svc.redemptions_expire(now=c.expires_at)

    report = verify_ledger()
    assert report.breaches == []
    assert stock(d.haircut) == 9
    assert balance(d.member_user) == 170 and balance(d.resident_user) == 50 and balance(d.merchant) == 30


# --- Items -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"price": 0}, "price"),
        ({"price": -5}, "price"),
        ({"stock": -1}, "stock"),
        ({"per_person_limit": 0}, "per_person_limit"),
        ({"name": "  "}, "name"),
        ({"pickup_place": ""}, "pickup_place"),
    ],
)
def test_an_item_needs_sensible_values(market, bad, field):
    with pytest.raises(ValidationFailed) as info:
        make_item(market, **bad)
    assert field in info.value.extra


def test_an_offer_ends_after_it_starts_and_is_offered_in_a_community(market):
    now = timezone.now()
    with pytest.raises(ValidationFailed) as info:
        make_item(market, available_from=now, available_until=now - timedelta(hours=1))
    assert "available_until" in info.value.extra
    with pytest.raises(ValidationFailed) as info:
        make_item(market, community=market.street1)
    assert "community" in info.value.extra


def test_staff_offer_items_only_in_their_own_areas(market):
    d = market
    fields = {
        "merchant": d.unit1,
        "community": d.community1,
        "name": "义诊",
        "price": 10,
        "stock": 5,
        "pickup_place": "医院门诊楼",
    }
    item = svc.item_create(actor=d.secretary1, **fields)
    assert item.created_by == d.secretary1
    for outsider in (d.secretary3, d.unit_contact1, d.member_user):
        with pytest.raises(PermissionDenied):
            svc.item_create(actor=outsider, **fields)
    with pytest.raises(PermissionDenied):
        svc.item_update(actor=d.secretary3, item=item, stock=50)
    assert svc.item_update(actor=d.secretary1, item=item, stock=50, price=12).stock == 50


def test_updating_an_item_keeps_its_rules(market):
    with pytest.raises(ValidationFailed):
        svc.item_update(actor=None, item=market.haircut, stock=-3)
    with pytest.raises(ValidationFailed):
        svc.item_update(actor=None, item=market.haircut, code="x")
    assert stock(market.haircut) == 10


# --- The transition table ----------------------------------------------------------------------


def test_only_reserved_redemptions_move_and_every_refusal_says_why():
    for step in RedemptionStep.values:
        assert can(step, RedemptionState.RESERVED)
        for final in (RedemptionState.COMPLETED, RedemptionState.CANCELLED, RedemptionState.EXPIRED):
            assert not can(step, final)
            with pytest.raises(InvalidTransition) as info:
                target_state(step, final)
            assert info.value.status_code == 409
            assert info.value.code in {"already_used", "cancelled", "expired"}
    assert target_state(RedemptionStep.COMPLETE, RedemptionState.RESERVED) == RedemptionState.COMPLETED
    assert target_state(RedemptionStep.CANCEL, RedemptionState.RESERVED) == RedemptionState.CANCELLED
    assert target_state(RedemptionStep.EXPIRE, RedemptionState.RESERVED) == RedemptionState.EXPIRED


def test_codes_are_normalised_or_rejected():
    assert svc.normalise_code("1234 5678") == "12345678"
    assert svc.normalise_code("1234-5678") == "12345678"
    assert svc.normalise_code("１２３４５６７８") == ""
    assert svc.normalise_code(None) == ""
