"""The ledger under concurrent writers on PostgreSQL: threads, each with its own connection.

No overspending, no deadlock between opposite transfers, no duplicate for a repeated key.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import connection, transaction

from core.exceptions import ApplicationError
from points.ledger import verify_ledger
from points.models import Account, Transfer, TransferKind
from points.services import InsufficientPoints, points_reverse, points_transfer
from tests.concurrency import run_together
from tests.points.ledger_world import balances, funded_world

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("require_postgres")]


@pytest.fixture
def ledger_world(district):
    return funded_world(district)


def fresh(account: Account) -> Account:
    return Account.objects.get(pk=account.pk)


def test_twenty_concurrent_spends_of_60_percent_one_succeeds(ledger_world):
    w = ledger_world
    points_transfer(source=w.community1, destination=w.wallet1, amount=400, key="top-up", kind="earning")
    assert fresh(w.wallet1).balance == 500
    spend = 300  # 60 %

    def redeem(n: int):
        return points_transfer(
            source=fresh(w.wallet1), destination=w.merchant, amount=spend, key=f"order:{n}", kind="redemption"
        )

    results, errors = run_together(20, redeem)

    assert errors == []
    made = [r for r in results if isinstance(r, Transfer)]
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert len(made) == 1 and len(refused) == 19
    assert all(isinstance(r, InsufficientPoints) and r.code == "insufficient_points" for r in refused)
    assert fresh(w.wallet1).balance == 200
    assert fresh(w.merchant).balance == 300
    assert Transfer.objects.filter(kind=TransferKind.REDEMPTION).count() == 1
    assert verify_ledger().ok


def test_opposite_transfers_at_once_do_not_deadlock(ledger_world):
    w = ledger_world
    a, b = w.wallet1, w.wallet2
    start = balances()
    per_thread, threads = 10, 10  # five threads each way: 50 transfers A→B and 50 B→A

    def shuttle(n: int):
        source, destination = (a, b) if n % 2 == 0 else (b, a)
        for i in range(per_thread):
            points_transfer(
                source=source, destination=destination, amount=1, key=f"shuttle:{n}:{i}", kind="manual_award"
            )
        return n

    results, errors = run_together(threads, shuttle)

    assert errors == []  # in particular no "deadlock detected"
    assert sorted(results) == list(range(threads))
    assert Counter(
        Transfer.objects.filter(key__startswith="shuttle:").values_list("source_id", flat=True)
    ) == {
        a.pk: 50,
        b.pk: 50,
    }
    assert balances() == start
    assert verify_ledger().ok


def test_many_writers_on_overlapping_accounts_do_not_deadlock(ledger_world):
    w = ledger_world
    ring = [w.community1, w.community3, w.wallet1, w.wallet2, w.wallet3, w.merchant]

    def churn(n: int):
        for i in range(15):
            source, destination = ring[(n + i) % len(ring)], ring[(n * 7 + i * 5 + 1) % len(ring)]
            if source.pk == destination.pk:
                continue
            try:
                points_transfer(
                    source=source,
                    destination=destination,
                    amount=3,
                    key=f"churn:{n}:{i}",
                    kind="manual_award",
                )
            except InsufficientPoints:
                pass
        return n

    results, errors = run_together(12, churn)

    assert errors == []
    assert len(results) == 12
    report = verify_ledger()
    assert report.ok, report.breaches
    assert min(b for pk, b in balances().items() if pk != w.fund.pk) >= 0


def test_twenty_threads_with_the_same_key_make_one_transfer(ledger_world):
    w = ledger_world
    before = fresh(w.wallet1).balance

    def pay(n: int):
        return points_transfer(
            source=w.community1, destination=w.wallet1, amount=15, key="attendance:42", kind="earning"
        )

    results, errors = run_together(20, pay)

    assert errors == []
    assert all(isinstance(r, Transfer) for r in results), results
    assert {r.pk for r in results} == {Transfer.objects.get(key="attendance:42").pk}
    assert fresh(w.wallet1).balance == before + 15
    assert verify_ledger().ok


def test_the_same_key_with_different_content_at_once_makes_one_transfer_and_refuses_the_rest(ledger_world):
    w = ledger_world

    def pay(n: int):
        return points_transfer(
            source=w.community1,
            destination=w.wallet1,
            amount=5 if n % 2 else 7,
            key="claim:7:fulfilled",
            kind="earning",
        )

    results, errors = run_together(20, pay)

    assert errors == []
    stored = Transfer.objects.get(key="claim:7:fulfilled")
    made = [r for r in results if isinstance(r, Transfer)]
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert len(made) == 10 and {r.pk for r in made} == {stored.pk}
    assert len(refused) == 10 and {r.code for r in refused} == {"idempotency_key_reused"}
    assert verify_ledger().ok


def test_reversing_one_entry_from_many_threads_reverses_it_once(ledger_world):
    w = ledger_world
    original = points_transfer(
        source=w.community1, destination=w.wallet1, amount=30, key="wish:5", kind="earning"
    )

    def reverse(n: int):
        return points_reverse(transfer=original, memo="duplicate", key=None if n % 2 else f"complaint:{n}")

    results, errors = run_together(10, reverse)

    assert errors == []
    reversal = Transfer.objects.get(reverses=original)
    made = [r for r in results if isinstance(r, Transfer)]
    refused = [r for r in results if isinstance(r, ApplicationError)]
    # Without a key a caller gets the reversal made; with its own key, a late caller is refused.
    assert {r.pk for r in made} == {reversal.pk}
    assert {r.code for r in refused} <= {"already_reversed"}
    assert len(made) + len(refused) == 10
    assert Transfer.objects.filter(kind=TransferKind.REVERSAL).count() == 1
    assert verify_ledger().ok


def wait_until_blocked_on_a_lock(timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("the second transfer never waited for the first")


def test_a_spend_waiting_for_an_incoming_transfer_can_spend_it(ledger_world):
    """The merchant holds 0; a payment to it is in flight while it pays the same amount on.

    The second statement's snapshot predates the first's commit: its check and its new balance
    must use the balance it reads under the lock (3), never the stale 0 (which would trip the
    non-negative CHECK or lose the first payment).
    """
    w = ledger_world
    paid_in = threading.Event()
    release = threading.Event()
    outcome: dict = {}

    def pay_in() -> None:
        try:
            with transaction.atomic():
                points_transfer(
                    source=w.community1, destination=w.merchant, amount=3, key="in", kind="manual_award"
                )
                paid_in.set()
                release.wait(30)
        finally:
            connection.close()

    def pay_on() -> None:
        try:
            paid_in.wait(30)
            outcome["transfer"] = points_transfer(
                source=fresh(w.merchant),
                destination=w.community1,
                amount=3,
                key="on",
                kind="manual_deduction",
            )
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            connection.close()

    first, second = threading.Thread(target=pay_in), threading.Thread(target=pay_on)
    first.start()
    second.start()
    paid_in.wait(30)
    try:
        wait_until_blocked_on_a_lock()
    finally:
        release.set()
        first.join(60)
        second.join(60)

    assert "error" not in outcome, outcome.get("error")
    assert fresh(w.merchant).balance == 0
    assert Transfer.objects.filter(key__in=["in", "on"]).count() == 2
    assert verify_ledger().ok
