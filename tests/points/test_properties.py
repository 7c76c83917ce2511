"""Random sequences of ledger operations against an in-memory model; every invariant holds after every step.

Hypothesis drives transfers (valid and invalid), reversals (including of reversals), redemptions,
refunds and replayed keys over a small world: the district fund, two communities, three wallets
and a merchant (and the expiry sink). The model predicts each outcome — the transfer, a replay
of an earlier one, or the precise refusal — and the balances. Each example runs in a savepoint that is rolled back.

`LEDGER_PROPERTY_EXAMPLES=500` runs longer than the default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from core.exceptions import ApplicationError
from points.ledger import verify_ledger
from points.models import Account, Transfer, TransferKind
from points.services import MAX_AMOUNT, points_reverse, points_transfer
from tests.points.ledger_world import open_accounts, third_member

pytestmark = pytest.mark.django_db

NAMES = ("fund", "community1", "community3", "wallet1", "wallet2", "wallet3", "merchant", "sink")
COMMUNITIES = ("community1", "community3")
WALLETS = ("wallet1", "wallet2", "wallet3")
KINDS = tuple(kind for kind in TransferKind.values if kind not in (TransferKind.REVERSAL, TransferKind.TILL))
BAD_AMOUNTS = (0, -1, -250, MAX_AMOUNT + 1, 10**18, 10**30, 1.5, 2.0, Decimal("3"), "4", True, None)

# Mostly affordable amounts, some that overspend, some that are not amounts at all.
amounts = st.one_of(
    st.integers(min_value=1, max_value=60),
    st.integers(min_value=61, max_value=3000),
    st.sampled_from(BAD_AMOUNTS),
)


@dataclass
class Entry:
    pk: int
    key: str
    kind: str
    source: str
    destination: str
    amount: int
    reverses: int | None = None
    reversed_by: int | None = None


def recorded() -> int:
    """Transfers the model knows of: all but the moves between an account and its own tills."""
    return Transfer.objects.exclude(kind=TransferKind.TILL).count()


def is_valid_amount(amount) -> bool:
    return isinstance(amount, int) and not isinstance(amount, bool) and 0 < amount <= MAX_AMOUNT


class LedgerMachine(RuleBasedStateMachine):
    # Set by the test: the district and a third member (made once, outside the examples' savepoints).
    district = None
    user3 = None
    tills = 0

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        world = open_accounts(self.district, self.user3, tills=self.tills)
        self.accounts: dict[str, Account] = {name: getattr(world, name) for name in NAMES}
        self.names = {account.pk: name for name, account in self.accounts.items()}
        # A till counts as its issuing account: the model knows only accounts' totals.
        for pk, parent_id in Account.objects.filter(parent__isnull=False).values_list("pk", "parent_id"):
            self.names[pk] = self.names[parent_id]
        self.balances = dict.fromkeys(NAMES, 0)
        self.entries: dict[int, Entry] = {}
        self.by_key: dict[str, Entry] = {}
        self.serial = 0

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- The model ---------------------------------------------------------------------------

    def new_key(self, prefix: str = "k") -> str:
        self.serial += 1
        return f"{prefix}:{self.serial}"

    def expect_move(self, *, source, destination, amount, kind, key, reverses=None, accept_existing=False):
        """('new', None), ('replay', entry) or ('refused', code), in the order the service decides."""
        if source == destination:
            return "refused", "same_account"
        existing = self.by_key.get(key)
        if existing is not None:
            same = (
                existing.source,
                existing.destination,
                existing.amount,
                existing.kind,
                existing.reverses,
            ) == (
                source,
                destination,
                amount,
                kind,
                reverses,
            )
            return ("replay", existing) if same else ("refused", "idempotency_key_reused")
        if reverses is not None and self.entries[reverses].reversed_by is not None:
            if accept_existing:
                return "replay", self.entries[self.entries[reverses].reversed_by]
            return "refused", "already_reversed"
        if source != "fund" and self.balances[source] < amount:
            return "refused", "insufficient_points"
        return "new", None

    def check(self, expected, call, *, source, destination, amount, kind, key, reverses=None):
        before = recorded()
        try:
            outcome = call()
        except ApplicationError as refusal:
            event(f"refused: {refusal.code}")
            assert expected == ("refused", refusal.code), f"expected {expected}, refused with {refusal.code}"
            assert str(refusal.message)
            assert recorded() == before
            return None
        event("replayed" if expected[0] == "replay" else f"made: {kind}")
        assert expected[0] != "refused", f"expected refusal {expected[1]}, got transfer {outcome.pk}"
        if expected[0] == "replay":
            assert outcome.pk == expected[1].pk
            assert recorded() == before
            return outcome
        assert outcome.pk not in self.entries
        assert (
            self.names[outcome.source_id],
            self.names[outcome.destination_id],
            outcome.amount,
            outcome.kind,
            outcome.key,
        ) == (source, destination, amount, kind, key)
        if outcome.source_id != self.accounts[source].pk:
            event("paid by a till")
        entry = Entry(outcome.pk, key, kind, source, destination, amount, reverses=reverses)
        self.entries[entry.pk] = entry
        self.by_key[key] = entry
        if reverses is not None:
            self.entries[reverses].reversed_by = entry.pk
        self.balances[source] -= amount
        self.balances[destination] += amount
        return outcome

    def transfer(self, *, source, destination, amount, kind, key):
        if not is_valid_amount(amount):
            expected = ("refused", "invalid_amount")
        else:
            expected = self.expect_move(
                source=source, destination=destination, amount=amount, kind=kind, key=key
            )
        src, dst = self.accounts[source], self.accounts[destination]
        made = self.check(
            expected,
            lambda: points_transfer(source=src, destination=dst, amount=amount, key=key, kind=kind),
            source=source,
            destination=destination,
            amount=amount,
            kind=kind,
            key=key,
        )
        if made is not None and expected[0] == "new":
            # The account objects passed in are brought up to date.
            assert (src.total_balance, dst.total_balance) == (
                self.balances[source],
                self.balances[destination],
            )

    def reverse(self, entry: Entry, key: str | None):
        if entry.kind == TransferKind.REVERSAL:
            expected = ("refused", "reversal_of_reversal")
        else:
            expected = self.expect_move(
                source=entry.destination,
                destination=entry.source,
                amount=entry.amount,
                kind=TransferKind.REVERSAL,
                key=f"reversal:{entry.pk}" if key is None else key,
                reverses=entry.pk,
                accept_existing=key is None,
            )
        original = Transfer.objects.get(pk=entry.pk)
        self.check(
            expected,
            lambda: points_reverse(transfer=original, memo="property test", key=key),
            source=entry.destination,
            destination=entry.source,
            amount=entry.amount,
            kind=TransferKind.REVERSAL,
            key=f"reversal:{entry.pk}" if key is None else key,
            reverses=entry.pk,
        )

    # --- Rules -------------------------------------------------------------------------------

    @initialize(
        allocations=st.tuples(*[st.integers(min_value=0, max_value=3000)] * len(COMMUNITIES)),
        earnings=st.tuples(*[st.integers(min_value=0, max_value=200)] * len(WALLETS)),
    )
    def fund_the_world(self, allocations, earnings):
        for community, amount in zip(COMMUNITIES, allocations, strict=True):
            if amount:
                self.allocate(community, amount)
        for wallet, amount in zip(WALLETS, earnings, strict=True):
            if amount:
                self.earn("community1", wallet, amount)

    @rule(community=st.sampled_from(COMMUNITIES), amount=st.integers(min_value=1, max_value=1000))
    def allocate(self, community, amount):
        self.transfer(
            source="fund", destination=community, amount=amount, kind="allocation", key=self.new_key("alloc")
        )

    @rule(community=st.sampled_from(COMMUNITIES), wallet=st.sampled_from(WALLETS), amount=amounts)
    def earn(self, community, wallet, amount):
        self.transfer(
            source=community, destination=wallet, amount=amount, kind="earning", key=self.new_key("earn")
        )

    @rule(
        source=st.sampled_from(NAMES),
        destination=st.sampled_from(NAMES),
        amount=amounts,
        kind=st.sampled_from(KINDS),
    )
    def transfer_any(self, source, destination, amount, kind):
        self.transfer(source=source, destination=destination, amount=amount, kind=kind, key=self.new_key())

    @rule(wallet=st.sampled_from(WALLETS), amount=st.integers(min_value=1, max_value=150))
    def redeem(self, wallet, amount):
        self.transfer(
            source=wallet, destination="merchant", amount=amount, kind="redemption", key=self.new_key("order")
        )

    @precondition(lambda self: any(e.kind == TransferKind.REDEMPTION for e in self.entries.values()))
    @rule(data=st.data(), keyed=st.booleans())
    def refund(self, data, keyed):
        orders = sorted(pk for pk, e in self.entries.items() if e.kind == TransferKind.REDEMPTION)
        entry = self.entries[data.draw(st.sampled_from(orders), label="order")]
        self.reverse(entry, f"{entry.key}:refund" if keyed else None)

    @precondition(lambda self: self.entries)
    @rule(data=st.data(), key_mode=st.sampled_from(["none", "new", "taken"]))
    def reverse_any(self, data, key_mode):
        entry = self.entries[data.draw(st.sampled_from(sorted(self.entries)), label="entry")]
        if key_mode == "none":
            key = None
        elif key_mode == "new":
            key = self.new_key("fix")
        else:
            key = data.draw(st.sampled_from(sorted(self.by_key)), label="taken key")
        self.reverse(entry, key)

    @precondition(lambda self: any(e.kind != TransferKind.REVERSAL for e in self.entries.values()))
    @rule(data=st.data(), change=st.sampled_from(["none", "amount", "destination", "kind"]))
    def replay(self, data, change):
        entries = sorted(pk for pk, e in self.entries.items() if e.kind != TransferKind.REVERSAL)
        entry = self.entries[data.draw(st.sampled_from(entries), label="replayed")]
        source, destination, amount, kind = entry.source, entry.destination, entry.amount, entry.kind
        if change == "amount":
            amount = amount + 1 if amount < MAX_AMOUNT else amount - 1
        elif change == "destination":
            destination = next(n for n in NAMES if n not in (source, destination))
        elif change == "kind":
            kind = next(k for k in KINDS if k != kind)
        self.transfer(source=source, destination=destination, amount=amount, kind=kind, key=entry.key)

    # --- Invariants ----------------------------------------------------------------------------

    @invariant()
    def balances_are_the_models(self):
        stored = dict.fromkeys(NAMES, 0)
        for pk, balance in Account.objects.values_list("pk", "balance"):
            assert balance >= 0 or self.names[pk] == "fund"
            stored[self.names[pk]] += balance
        assert stored == self.balances

    @invariant()
    def no_account_but_the_fund_is_negative_and_the_total_is_zero(self):
        assert all(balance >= 0 for name, balance in self.balances.items() if name != "fund")
        assert sum(self.balances.values()) == 0

    @invariant()
    def every_transfer_is_recorded_once(self):
        assert recorded() == len(self.entries)

    @invariant()
    def verify_ledger_is_clean(self):
        report = verify_ledger()
        assert report.ok, report.breaches


class TilledLedgerMachine(LedgerMachine):
    """The same, with each community's issuing account split into three tills (ADR 0006)."""

    tills = 3


@pytest.mark.parametrize("machine", [LedgerMachine, TilledLedgerMachine], ids=["plain", "tills"])
def test_random_operations_keep_every_invariant(district, machine):
    machine.district = district
    machine.user3 = third_member(district)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=int(os.environ.get("LEDGER_PROPERTY_EXAMPLES", "40")),
            stateful_step_count=30,
            deadline=None,
            database=None,  # no .hypothesis/ directory in the working tree
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
