"""verify_ledger and `manage.py verify_ledger`: a whole ledger passes; each kind of tampering is caught and named."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from points import ledger
from points.ledger import verify_ledger
from points.models import Account, Transfer
from points.services import points_reverse, points_transfer
from tests.points.ledger_world import funded_world, tampering

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger_world(district):
    return funded_world(district)


def run_command() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_ledger", stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


def insert_transfer(cursor, *, key, kind, source, destination, amount, reverses=None):
    """A row written behind the service's back (balances untouched unless the test moves them too)."""
    cursor.execute(
        "INSERT INTO points_transfer (key, kind, source_id, destination_id, amount, cause, memo, reverses_id, "
        "created_at) VALUES (%s, %s, %s, %s, %s, '', '', %s, %s)",
        [key, kind, source.pk, destination.pk, amount, reverses.pk if reverses else None, timezone.now()],
    )
    return Transfer.objects.get(key=key)


def move_balances(cursor, source, destination, amount):
    cursor.execute("UPDATE points_account SET balance = balance - %s WHERE id = %s", [amount, source.pk])
    cursor.execute("UPDATE points_account SET balance = balance + %s WHERE id = %s", [amount, destination.pk])


@pytest.fixture
def with_history(ledger_world):
    """The world plus a redemption, its refund and an earning: every kind of row verify looks at."""
    w = ledger_world
    w.order = points_transfer(
        source=w.wallet1, destination=w.merchant, amount=60, key="order:1", kind="redemption"
    )
    w.refund = points_reverse(transfer=w.order, memo="cancelled", key="order:1:refund")
    w.earning = points_transfer(
        source=w.community3, destination=w.wallet3, amount=20, key="wish:3", kind="earning"
    )
    return w


# --- A whole ledger -------------------------------------------------------------------------------


def test_an_empty_ledger_is_whole(db):
    report = verify_ledger()
    assert report.ok and report.summary() == "OK: 0 accounts, 0 transfers, total 0"


def test_a_whole_ledger_passes_and_the_command_says_ok(with_history):
    report = verify_ledger()
    assert report.ok, report.breaches
    assert (report.accounts, report.transfers, report.total) == (8, 8, 0)

    code, out, err = run_command()
    assert (code, out.strip(), err) == (0, "OK: 8 accounts, 8 transfers, total 0", "")


def test_verify_costs_the_same_few_queries_however_big_the_ledger(with_history, django_assert_num_queries):
    w = with_history
    with django_assert_num_queries(7):
        verify_ledger()
    for n in range(30):
        points_transfer(source=w.community1, destination=w.wallet2, amount=1, key=f"more:{n}", kind="earning")
    with django_assert_num_queries(7):
        assert verify_ledger().ok


# --- Each breach, caught and named --------------------------------------------------------------


def test_a_stored_balance_that_disagrees_with_the_transfers_is_named(with_history):
    w = with_history
    Account.objects.filter(pk=w.wallet2.pk).update(balance=150)

    report = verify_ledger()

    assert report.codes() == {ledger.BALANCE_MISMATCH, ledger.TOTAL_NOT_ZERO}
    mismatch = next(b for b in report.breaches if b.code == ledger.BALANCE_MISMATCH)
    assert mismatch.account_id == w.wallet2.pk
    assert (
        str(mismatch)
        == f"BREACH balance_mismatch: account {w.wallet2.pk} (wallet) stores balance 150, its transfers give 100"
    )
    code, out, err = run_command()
    assert code == 1 and out == ""
    assert err.splitlines() == [
        str(mismatch),
        "BREACH total_not_zero: the balances of all 8 accounts sum to 50, not 0",
        "2 BREACH(ES): 8 accounts, 8 transfers, total 50",
    ]


def test_points_moved_between_balances_without_a_transfer_keep_the_total_but_not_the_balances(with_history):
    w = with_history
    Account.objects.filter(pk=w.wallet2.pk).update(balance=130)
    Account.objects.filter(pk=w.wallet3.pk).update(balance=90)

    report = verify_ledger()

    assert report.codes() == {ledger.BALANCE_MISMATCH}
    assert {b.account_id for b in report.breaches} == {w.wallet2.pk, w.wallet3.pk}


def test_a_negative_wallet_is_named(with_history):
    w = with_history
    with tampering():
        Account.objects.filter(pk=w.wallet2.pk).update(balance=-5)
        Account.objects.filter(pk=w.fund.pk).update(balance=w.fund.balance + 105)

        report = verify_ledger()

    assert ledger.NEGATIVE_BALANCE in report.codes()
    negative = next(b for b in report.breaches if b.code == ledger.NEGATIVE_BALANCE)
    assert negative.account_id == w.wallet2.pk and "stored -5" in negative.detail
    assert ledger.TOTAL_NOT_ZERO not in report.codes()


def test_a_transfer_whose_amount_was_changed_is_caught_on_both_accounts(with_history):
    w = with_history
    with tampering() as cursor:
        cursor.execute("UPDATE points_transfer SET amount = 25 WHERE id = %s", [w.earning.pk])
        report = verify_ledger()

    mismatches = {b.account_id for b in report.breaches if b.code == ledger.BALANCE_MISMATCH}
    assert mismatches == {w.community3.pk, w.wallet3.pk}
    assert ledger.TOTAL_NOT_ZERO not in report.codes()


def test_a_deleted_transfer_is_caught(with_history):
    w = with_history
    with tampering() as cursor:
        cursor.execute("DELETE FROM points_transfer WHERE id = %s", [w.earning.pk])
        report = verify_ledger()

    balances = [b for b in report.breaches if b.code == ledger.BALANCE_MISMATCH]
    assert {b.account_id for b in balances} == {w.community3.pk, w.wallet3.pk}
    # The dashboards' totals (points.flows) still count the earning that is gone.
    assert report.codes() == {ledger.BALANCE_MISMATCH, ledger.FLOW_MISMATCH}
    assert report.transfers == 7


@pytest.mark.parametrize("amount", [0, -20])
def test_a_transfer_of_zero_or_fewer_points_is_named(with_history, amount):
    w = with_history
    with tampering() as cursor:
        bad = insert_transfer(
            cursor, key="bad", kind="earning", source=w.community3, destination=w.wallet3, amount=amount
        )
        move_balances(cursor, w.community3, w.wallet3, amount)
        report = verify_ledger()

    assert report.codes() == {ledger.NON_POSITIVE_AMOUNT}
    (breach,) = report.breaches
    assert breach.transfer_id == bad.pk and f"moves {amount} points" in breach.detail


def test_a_transfer_from_an_account_to_itself_is_named(with_history):
    w = with_history
    with tampering() as cursor:
        bad = insert_transfer(
            cursor, key="loop", kind="earning", source=w.wallet3, destination=w.wallet3, amount=5
        )
        report = verify_ledger()

    assert report.codes() == {ledger.SAME_ACCOUNT}
    assert report.breaches[0].transfer_id == bad.pk


def test_a_reversal_that_does_not_mirror_its_original_is_named(with_history):
    w = with_history
    with tampering() as cursor:
        cursor.execute("UPDATE points_transfer SET amount = 50 WHERE id = %s", [w.refund.pk])
        move_balances(cursor, w.wallet1, w.merchant, 10)  # keep the balances consistent with the rows
        report = verify_ledger()

    assert report.codes() == {ledger.REVERSAL_MISMATCH}
    (breach,) = report.breaches
    assert breach.transfer_id == w.refund.pk
    assert f"reverses, {w.order.pk} ({w.wallet1.pk}→{w.merchant.pk}, 60)" in breach.detail


def test_a_reversal_in_the_same_direction_as_its_original_is_named(with_history):
    w = with_history
    with tampering() as cursor:
        bad = insert_transfer(
            cursor,
            key="same-way",
            kind="reversal",
            source=w.community3,
            destination=w.wallet3,
            amount=20,
            reverses=w.earning,
        )
        move_balances(cursor, w.community3, w.wallet3, 20)
        report = verify_ledger()

    assert report.codes() == {ledger.REVERSAL_MISMATCH}
    assert report.breaches[0].transfer_id == bad.pk


def test_a_reversal_of_a_reversal_is_named(with_history):
    w = with_history
    with tampering() as cursor:
        bad = insert_transfer(
            cursor,
            key="undo-undo",
            kind="reversal",
            source=w.wallet1,
            destination=w.merchant,
            amount=60,
            reverses=w.refund,
        )
        move_balances(cursor, w.wallet1, w.merchant, 60)
        report = verify_ledger()

    assert report.codes() == {ledger.REVERSAL_OF_REVERSAL}
    assert report.breaches[0].transfer_id == bad.pk


def test_a_reversal_that_names_no_original_is_named(with_history):
    w = with_history
    with tampering() as cursor:
        bad = insert_transfer(
            cursor, key="orphan", kind="reversal", source=w.wallet3, destination=w.community3, amount=5
        )
        move_balances(cursor, w.wallet3, w.community3, 5)
        report = verify_ledger()

    assert report.codes() == {ledger.REVERSAL_WITHOUT_ORIGINAL}
    assert report.breaches[0].transfer_id == bad.pk


def test_a_transfer_that_reverses_another_but_is_not_a_reversal_is_named(with_history):
    w = with_history
    with tampering() as cursor:
        bad = insert_transfer(
            cursor,
            key="disguised",
            kind="manual_deduction",
            source=w.wallet3,
            destination=w.community3,
            amount=20,
            reverses=w.earning,
        )
        move_balances(cursor, w.wallet3, w.community3, 20)
        report = verify_ledger()

    assert report.codes() == {ledger.REVERSAL_KIND_MISMATCH}
    assert report.breaches[0].transfer_id == bad.pk


def test_an_entry_reversed_twice_is_named(require_postgres, with_history):
    """Only PostgreSQL can drop the one-reversal unique constraint inside a test (SQLite's is inline)."""
    from django.db import connection

    w = with_history
    # Another order, so that the merchant can pay the second refund without going below zero.
    points_transfer(source=w.wallet2, destination=w.merchant, amount=60, key="order:2", kind="redemption")
    with tampering() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "points_transfer")
        (unique,) = [n for n, c in constraints.items() if c["unique"] and c["columns"] == ["reverses_id"]]
        cursor.execute(f"ALTER TABLE points_transfer DROP CONSTRAINT {unique}")
        insert_transfer(
            cursor,
            key="again",
            kind="reversal",
            source=w.merchant,
            destination=w.wallet1,
            amount=60,
            reverses=w.order,
        )
        move_balances(cursor, w.merchant, w.wallet1, 60)
        report = verify_ledger()

    # The second refund also took the spending off the dashboards' totals (points.flows) a second time.
    assert report.codes() == {ledger.REVERSED_TWICE, ledger.FLOW_MISMATCH}
    (twice,) = [b for b in report.breaches if b.code == ledger.REVERSED_TWICE]
    assert twice.transfer_id == w.order.pk
    assert "reversed 2 times" in twice.detail


def test_the_command_lists_every_breach_one_per_line(with_history):
    w = with_history
    Account.objects.filter(pk=w.wallet1.pk).update(balance=1)
    Account.objects.filter(pk=w.wallet2.pk).update(balance=2)

    code, out, err = run_command()

    lines = err.splitlines()
    assert code == 1
    assert [line.split(":")[0] for line in lines] == [
        "BREACH balance_mismatch",
        "BREACH balance_mismatch",
        "BREACH total_not_zero",
        "3 BREACH(ES)",
    ]
    assert f"account {w.wallet1.pk} " in lines[0] and f"account {w.wallet2.pk} " in lines[1]


def test_a_move_between_tills_of_unrelated_accounts_is_named(with_history):
    w = with_history
    with tampering() as cursor:
        bad = insert_transfer(
            cursor, key="till:forged", kind="till", source=w.community3, destination=w.wallet3, amount=5
        )
        move_balances(cursor, w.community3, w.wallet3, 5)
        report = verify_ledger()

    assert report.codes() == {ledger.TILL_MISMATCH}
    (breach,) = report.breaches
    assert breach.transfer_id == bad.pk


def test_real_moves_between_tills_pass(district):
    from django.test import override_settings

    from points.services import community_account, district_fund, wallet_for

    with override_settings(POINTS_COMMUNITY_TILLS=2):
        issuing = community_account(community=district.community1)
    points_transfer(
        source=district_fund(area=district.district),
        destination=issuing,
        amount=900,
        key="a",
        kind="allocation",
    )
    wallet = wallet_for(user=district.member_user)
    for n in range(4):
        points_transfer(source=issuing, destination=wallet, amount=10, key=f"e{n}", kind="earning")

    report = verify_ledger()
    assert report.ok, report.breaches
    assert Transfer.objects.filter(kind="till").exists()
