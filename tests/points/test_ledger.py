"""The ledger service: points_transfer and points_reverse, on whichever database the suite runs."""

from decimal import Decimal

import pytest
from django.db import connection, transaction

from core.exceptions import Conflict, NotFound, ValidationFailed
from points.ledger import verify_ledger
from points.models import Account, AccountKind, Transfer, TransferKind
from points.services import MAX_AMOUNT, InsufficientPoints, points_reverse, points_transfer
from tests.points.ledger_world import balances, english, funded_world, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger_world(district):
    return funded_world(district)


@pytest.fixture(autouse=True)
def in_english():
    with english():
        yield


def earn(world, amount=10, key="wish:1:fulfilled", **kwargs):
    fields = {
        "source": world.community1,
        "destination": world.wallet1,
        "amount": amount,
        "key": key,
        "kind": TransferKind.EARNING,
    }
    return points_transfer(**(fields | kwargs))


def assert_unchanged(before):
    assert snapshot() == before
    report = verify_ledger()
    assert report.ok, report.breaches


# --- Moving points ---------------------------------------------------------------------------


def test_a_transfer_moves_points_and_records_its_cause(ledger_world):
    w = ledger_world
    before = balances()

    transfer = earn(w, 30, cause="volunteers.Wish:1", memo="帮老人买菜", actor=w.district.secretary1)

    assert (transfer.source_id, transfer.destination_id, transfer.amount) == (
        w.community1.pk,
        w.wallet1.pk,
        30,
    )
    stored = Transfer.objects.get(pk=transfer.pk)
    assert (stored.key, stored.kind, stored.cause, stored.memo, stored.created_by) == (
        "wish:1:fulfilled",
        TransferKind.EARNING,
        "volunteers.Wish:1",
        "帮老人买菜",
        w.district.secretary1,
    )
    assert stored.created_at == transfer.created_at
    after = balances()
    assert after[w.community1.pk] == before[w.community1.pk] - 30
    assert after[w.wallet1.pk] == before[w.wallet1.pk] + 30
    # The objects passed in are brought up to date.
    assert (w.community1.balance, w.wallet1.balance) == (after[w.community1.pk], after[w.wallet1.pk])
    assert sum(after.values()) == 0
    assert verify_ledger().ok


def test_the_district_fund_may_go_below_zero_and_the_total_stays_zero(ledger_world):
    w = ledger_world
    assert w.fund.balance == -2000
    points_transfer(
        source=w.fund, destination=w.community3, amount=MAX_AMOUNT, key="alloc:big", kind="allocation"
    )
    assert Account.objects.get(pk=w.fund.pk).balance == -2000 - MAX_AMOUNT
    assert sum(balances().values()) == 0


def test_on_postgresql_a_transfer_is_one_round_trip(ledger_world, django_assert_num_queries):
    if connection.vendor != "postgresql":
        pytest.skip("the one-call move is PostgreSQL's")
    with django_assert_num_queries(1):
        earn(ledger_world, 5)


def test_a_refused_transfer_inside_a_callers_transaction_leaves_it_usable(ledger_world):
    """No savepoint is needed: a refusal writes nothing, so the caller's transaction carries on."""
    w = ledger_world
    with transaction.atomic():
        with pytest.raises(InsufficientPoints):
            earn(w, 101, key="k1", source=w.wallet2, destination=w.merchant, kind="redemption")
        earn(w, 7, key="k2")
    assert Transfer.objects.filter(key__in=["k1", "k2"]).count() == 1
    assert verify_ledger().ok


def test_a_transfer_in_a_transaction_that_rolls_back_leaves_no_trace(ledger_world):
    w = ledger_world
    before = snapshot()

    with pytest.raises(RuntimeError), transaction.atomic():
        earn(w, 9)
        raise RuntimeError("the order failed after paying")

    assert_unchanged(before)


# --- Idempotency keys ------------------------------------------------------------------------


def test_the_same_key_with_the_same_content_returns_the_first_transfer(ledger_world):
    w = ledger_world
    first = earn(w, 12, memo="first")
    before = snapshot()

    again = earn(w, 12, memo="a retried job words it differently")

    assert again.pk == first.pk and again.memo == "first"
    assert_unchanged(before)


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 13},
        {"destination": "wallet2"},
        {"source": "community3"},
        {"kind": TransferKind.MANUAL_AWARD},
    ],
)
def test_the_same_key_with_other_content_is_refused(ledger_world, change):
    w = ledger_world
    earn(w, 12)
    before = snapshot()
    change = {
        name: getattr(w, value) if name in ("source", "destination") else value
        for name, value in change.items()
    }

    with pytest.raises(Conflict) as refused:
        earn(w, **({"amount": 12} | change))

    assert refused.value.code == "idempotency_key_reused"
    assert "already recorded with different details" in str(refused.value.message)
    assert_unchanged(before)


# --- Bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "says"),
    [
        (0, "greater than zero"),
        (-5, "greater than zero"),
        (1.5, "whole number"),
        (2.0, "whole number"),
        (Decimal("3"), "whole number"),
        ("5", "whole number"),
        (True, "whole number"),
        (None, "whole number"),
        (MAX_AMOUNT + 1, "At most"),
        (10**30, "At most"),
    ],
)
def test_an_amount_that_is_not_a_positive_whole_number_within_bounds_is_refused(ledger_world, amount, says):
    before = snapshot()

    with pytest.raises(ValidationFailed) as refused:
        earn(ledger_world, amount)

    assert refused.value.code == "invalid_amount"
    assert says in str(refused.value.message)
    assert_unchanged(before)


def test_a_transfer_to_the_same_account_is_refused(ledger_world):
    w = ledger_world
    before = snapshot()

    with pytest.raises(ValidationFailed) as refused:
        earn(w, 5, source=w.wallet1, destination=Account.objects.get(pk=w.wallet1.pk))

    assert refused.value.code == "same_account"
    assert "same account" in str(refused.value.message)
    assert_unchanged(before)


@pytest.mark.parametrize("payer", ["wallet1", "community1", "merchant", "sink"])
def test_no_account_but_the_fund_can_spend_more_than_it_holds(ledger_world, payer):
    w = ledger_world
    source = getattr(w, payer)
    held = source.balance
    before = snapshot()

    with pytest.raises(InsufficientPoints) as refused:
        points_transfer(
            source=source, destination=w.wallet2, amount=held + 1, key="over", kind="manual_deduction"
        )

    assert refused.value.code == "insufficient_points" and refused.value.status_code == 409
    assert str(refused.value.message) == f"Not enough points: {held} available, {held + 1} needed."
    assert_unchanged(before)
    # Exactly the balance is fine.
    if held:
        points_transfer(source=source, destination=w.wallet2, amount=held, key="all", kind="manual_deduction")
        assert Account.objects.get(pk=source.pk).balance == 0


@pytest.mark.parametrize(
    ("key", "code"), [("", "invalid_key"), ("k" * 201, "invalid_key"), (None, "invalid_key")]
)
def test_a_transfer_needs_a_key_of_its_cause(ledger_world, key, code):
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        earn(ledger_world, 5, key=key)
    assert refused.value.code == code
    assert_unchanged(before)


@pytest.mark.parametrize(
    ("kind", "code"), [(TransferKind.REVERSAL, "invalid_kind"), ("gift", "invalid_kind")]
)
def test_a_reversal_or_an_unknown_kind_cannot_be_made_with_points_transfer(ledger_world, kind, code):
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        earn(ledger_world, 5, kind=kind)
    assert refused.value.code == code
    assert_unchanged(before)


def test_an_account_that_is_not_in_the_database_is_not_found(ledger_world):
    w = ledger_world
    before = snapshot()
    ghost = Account(kind=AccountKind.WALLET, area=w.district.community1, name="ghost")
    with pytest.raises(NotFound):
        earn(w, 5, destination=ghost)
    ghost.pk = 10**9
    with pytest.raises(NotFound):
        earn(w, 5, destination=ghost)
    assert_unchanged(before)


# --- Reversals -------------------------------------------------------------------------------


def test_a_reversal_mirrors_the_entry_and_restores_both_balances(ledger_world):
    w = ledger_world
    before = balances()
    original = earn(w, 40, cause="volunteers.Wish:1")

    reversal = points_reverse(
        transfer=original, memo="recorded twice by mistake", actor=w.district.secretary1
    )

    assert (reversal.source_id, reversal.destination_id, reversal.amount) == (
        w.wallet1.pk,
        w.community1.pk,
        40,
    )
    assert (reversal.kind, reversal.reverses_id, reversal.key) == (
        "reversal",
        original.pk,
        f"reversal:{original.pk}",
    )
    assert Transfer.objects.get(pk=original.pk).reversed_by.pk == reversal.pk
    assert balances() == before
    assert verify_ledger().ok


def test_asking_again_returns_the_reversal_already_made(ledger_world):
    w = ledger_world
    original = earn(w, 40)
    first = points_reverse(transfer=original, memo="once")
    before = snapshot()

    assert points_reverse(transfer=original, memo="twice").pk == first.pk
    assert points_reverse(transfer=Transfer.objects.get(pk=original.pk), memo="thrice").pk == first.pk

    assert_unchanged(before)


def test_a_reversal_keyed_by_its_cause_replays_under_the_same_key(ledger_world):
    w = ledger_world
    original = earn(w, 40)
    first = points_reverse(transfer=original, memo="refund", key="order:7:refund")
    before = snapshot()

    assert points_reverse(transfer=original, memo="refund", key="order:7:refund").pk == first.pk
    assert points_reverse(transfer=original, memo="no key: the reversal made").pk == first.pk
    with pytest.raises(Conflict) as refused:
        points_reverse(transfer=original, memo="another cause", key="order:8:refund")

    assert refused.value.code == "already_reversed"
    assert "already been reversed" in str(refused.value.message)
    assert_unchanged(before)


def test_a_reversal_cannot_be_reversed(ledger_world):
    w = ledger_world
    reversal = points_reverse(transfer=earn(w, 40), memo="undo")
    before = snapshot()

    for key in (None, "undo-the-undo"):
        with pytest.raises(Conflict) as refused:
            points_reverse(transfer=reversal, memo="undo the undo", key=key)
        assert refused.value.code == "reversal_of_reversal"
        assert "cannot itself be reversed" in str(refused.value.message)
    assert_unchanged(before)


def test_a_reversal_needs_the_points_to_still_be_there(ledger_world):
    w = ledger_world
    original = earn(w, 40)
    points_transfer(source=w.wallet1, destination=w.merchant, amount=140, key="order:1", kind="redemption")
    before = snapshot()

    with pytest.raises(InsufficientPoints) as refused:
        points_reverse(transfer=original, memo="too late")

    assert refused.value.code == "insufficient_points"
    assert_unchanged(before)


def test_a_reversal_key_already_used_by_another_transfer_is_refused(ledger_world):
    w = ledger_world
    original = earn(w, 40)
    earn(w, 5, key="taken")
    before = snapshot()

    with pytest.raises(Conflict) as refused:
        points_reverse(transfer=original, memo="x", key="taken")

    assert refused.value.code == "idempotency_key_reused"
    assert_unchanged(before)


# --- Append-only ---------------------------------------------------------------------------------


def test_the_model_refuses_to_change_or_delete_a_transfer_on_every_database(ledger_world):
    from points.models import AppendOnlyError

    transfer = earn(ledger_world, 40)
    stored = Transfer.objects.get(pk=transfer.pk)
    before = snapshot()

    stored.amount = 1
    with pytest.raises(AppendOnlyError, match="never changed"):
        stored.save()
    with pytest.raises(AppendOnlyError, match="never deleted"):
        stored.delete()
    with pytest.raises(AppendOnlyError, match="never deleted"):
        Transfer.objects.filter(pk=transfer.pk).delete()
    with pytest.raises(AppendOnlyError, match="never changed"):
        Transfer.objects.filter(pk=transfer.pk).update(amount=1)
    with pytest.raises(AppendOnlyError, match="never changed"):
        Transfer.objects.bulk_update([stored], ["amount"])

    assert_unchanged(before)
