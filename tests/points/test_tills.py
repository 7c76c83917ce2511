"""A community's issuing account pays through its tills (ADR 0006).

What a holder sees does not change: the account's points are its balance and its tills', a
statement names the community, a replayed key returns the first transfer, a refusal changes
nothing. On PostgreSQL, payments from one community run side by side without overspending or
deadlocking, whatever else moves in and out of it at the same time.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings

from core.exceptions import ApplicationError
from points.ledger import verify_ledger
from points.models import Account, AccountKind, Transfer, TransferKind
from points.selectors import statement
from points.services import (
    InsufficientPoints,
    community_account,
    district_fund,
    points_reverse,
    points_transfer,
    wallet_for,
)
from tests.concurrency import run_together
from tests.factories import UserFactory
from tests.points.ledger_world import snapshot

TILLS = 4


def total(account: Account) -> int:
    return Account.objects.get(pk=account.pk).total_balance


def till_balances(account: Account) -> list[int]:
    return list(Account.objects.filter(parent=account).order_by("pk").values_list("balance", flat=True))


def open_wallets(district, count: int) -> list[Account]:
    from community import services as community_services

    wallets = []
    for n in range(count):
        user = UserFactory(username=f"till-holder-{n}")
        community_services.person_create(
            actor=None, name=f"居民{n}", community=district.community1, user=user
        )
        user.refresh_from_db()
        wallets.append(wallet_for(user=user))
    return wallets


def issuing_with(district, points: int) -> Account:
    with override_settings(POINTS_COMMUNITY_TILLS=TILLS):
        account = community_account(community=district.community1)
    points_transfer(
        source=district_fund(area=district.district),
        destination=account,
        amount=points,
        key=f"test:allocate:{points}",
        kind=TransferKind.ALLOCATION,
    )
    return account


@pytest.mark.django_db
class TestOnEitherDatabase:
    def test_an_issuing_account_opens_with_its_tills(self, district):
        with override_settings(POINTS_COMMUNITY_TILLS=TILLS):
            account = community_account(community=district.community1)
            assert community_account(community=district.community1).pk == account.pk

        tills = Account.objects.filter(parent=account)
        assert account.tills == TILLS and tills.count() == TILLS
        assert set(tills.values_list("kind", "area_id", "name")) == {
            (AccountKind.COMMUNITY, district.community1.pk, account.name)
        }

    def test_payments_count_against_the_whole_account_and_tills_fill_up(self, district):
        account = issuing_with(district, 9000)
        wallet = open_wallets(district, 1)[0]

        for n in range(6):
            points_transfer(source=account, destination=wallet, amount=100, key=f"earn:{n}", kind="earning")

        assert total(account) == 9000 - 600
        assert Account.objects.get(pk=wallet.pk).balance == 600
        assert any(till_balances(account)), "the account handed shares to its tills"
        # The statement names the community for every payment and hides the moves between tills.
        lines = list(statement(account=account))
        assert [line.kind for line in lines].count(TransferKind.EARNING) == 6
        assert TransferKind.TILL not in {line.kind for line in lines}
        assert {line.source.name for line in statement(account=wallet)} == {account.name}
        assert verify_ledger().ok

    def test_a_payment_larger_than_any_till_gathers_the_tills_first(self, district):
        account = issuing_with(district, 1000)
        wallet = open_wallets(district, 1)[0]
        points_transfer(source=account, destination=wallet, amount=1, key="earn:first", kind="earning")
        assert max(till_balances(account)) < 999

        transfer = points_transfer(
            source=account, destination=wallet, amount=999, key="earn:all", kind="earning"
        )

        assert transfer.source_id == account.pk
        assert total(account) == 0
        assert till_balances(account) == [0] * TILLS
        assert verify_ledger().ok

    def test_overspending_the_whole_account_is_refused_and_changes_nothing(self, district):
        account = issuing_with(district, 1000)
        wallet = open_wallets(district, 1)[0]
        points_transfer(source=account, destination=wallet, amount=100, key="earn:1", kind="earning")
        before = snapshot()

        with pytest.raises(InsufficientPoints) as refused:
            points_transfer(source=account, destination=wallet, amount=901, key="earn:2", kind="earning")

        assert refused.value.code == "insufficient_points"
        assert "900" in str(refused.value.message)
        assert snapshot() == before

    def test_a_replayed_key_returns_the_payment_a_till_made(self, district):
        account = issuing_with(district, 9000)
        wallet = open_wallets(district, 1)[0]
        for n in range(3):
            points_transfer(source=account, destination=wallet, amount=10, key=f"warm:{n}", kind="earning")
        first = points_transfer(source=account, destination=wallet, amount=10, key="wish:7", kind="earning")
        assert first.source_id != account.pk, "a till paid"
        before = snapshot()

        again = points_transfer(source=account, destination=wallet, amount=10, key="wish:7", kind="earning")

        assert again.pk == first.pk
        assert snapshot() == before
        with pytest.raises(ApplicationError) as refused:
            points_transfer(source=account, destination=wallet, amount=11, key="wish:7", kind="earning")
        assert refused.value.code == "idempotency_key_reused"

    def test_reversing_a_till_payment_returns_the_points_to_that_till(self, district):
        account = issuing_with(district, 9000)
        wallet = open_wallets(district, 1)[0]
        for n in range(3):
            points_transfer(source=account, destination=wallet, amount=10, key=f"warm:{n}", kind="earning")
        paid = points_transfer(source=account, destination=wallet, amount=10, key="wish:8", kind="earning")

        reversal = points_reverse(transfer=paid, memo="recorded twice")

        assert (reversal.source_id, reversal.destination_id) == (wallet.pk, paid.source_id)
        assert total(account) == 9000 - 30
        assert verify_ledger().ok

    def test_moves_between_tills_are_neither_made_nor_reversed_by_hand(self, district):
        account = issuing_with(district, 9000)
        wallet = open_wallets(district, 1)[0]
        points_transfer(source=account, destination=wallet, amount=10, key="earn:1", kind="earning")
        till_move = Transfer.objects.filter(kind=TransferKind.TILL).first()
        assert till_move is not None

        with pytest.raises(ApplicationError) as refused:
            points_reverse(transfer=till_move, memo="no")
        assert refused.value.code == "till_not_reversible"
        with pytest.raises(ApplicationError) as refused:
            points_transfer(
                source=account, destination=wallet, amount=1, key="by-hand", kind=TransferKind.TILL
            )
        assert refused.value.code == "invalid_kind"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("require_postgres")
class TestConcurrentOnPostgres:
    def test_sixteen_payers_from_one_community_all_pay_through_several_tills(self, district):
        account = issuing_with(district, 100_000)
        wallets = open_wallets(district, 16)

        def pay(n: int):
            made = []
            for round_ in range(10):
                made.append(
                    points_transfer(
                        source=Account.objects.get(pk=account.pk),
                        destination=wallets[n],
                        amount=5,
                        key=f"earn:{n}:{round_}",
                        kind="earning",
                    )
                )
            return made

        results, errors = run_together(16, pay)

        assert errors == []
        assert not [r for r in results if isinstance(r, ApplicationError)]
        payments = Transfer.objects.filter(kind=TransferKind.EARNING)
        assert payments.count() == 160
        assert payments.values("source_id").distinct().count() > 1, "payments went through several tills"
        assert total(account) == 100_000 - 800
        assert all(Account.objects.get(pk=w.pk).balance == 50 for w in wallets)
        assert verify_ledger().ok

    def test_the_last_points_of_a_community_are_paid_once(self, district):
        account = issuing_with(district, 100)
        wallets = open_wallets(district, 20)
        # Spread the 100 points over the account and its tills.
        points_transfer(source=account, destination=wallets[0], amount=1, key="spread", kind="earning")
        points_reverse(transfer=Transfer.objects.get(key="spread"), memo="spread")

        def pay(n: int):
            return points_transfer(
                source=Account.objects.get(pk=account.pk),
                destination=wallets[n],
                amount=10,
                key=f"earn:{n}",
                kind="earning",
            )

        results, errors = run_together(20, pay)

        assert errors == []
        made = [r for r in results if isinstance(r, Transfer)]
        refused = [r for r in results if isinstance(r, ApplicationError)]
        assert len(made) == 10, [getattr(r, "code", r) for r in refused]
        assert {r.code for r in refused} == {"insufficient_points"}
        assert total(account) == 0
        assert Account.objects.filter(balance__lt=0).exclude(kind=AccountKind.DISTRICT_FUND).count() == 0
        assert verify_ledger().ok

    def test_payments_refunds_and_reversals_at_once_do_not_deadlock(self, district):
        account = issuing_with(district, 50_000)
        wallets = open_wallets(district, 8)
        for n, wallet in enumerate(wallets):
            points_transfer(source=account, destination=wallet, amount=500, key=f"seed:{n}", kind="earning")
            points_transfer(source=account, destination=wallet, amount=20, key=f"fix:{n}", kind="earning")
        seeded = list(Transfer.objects.filter(key__startswith="fix:").order_by("pk"))

        def work(n: int):
            wallet = wallets[n % 8]
            done = []
            for round_ in range(8):
                if n % 3 == 0:  # pay out
                    done.append(
                        points_transfer(
                            source=Account.objects.get(pk=account.pk),
                            destination=wallet,
                            amount=3,
                            key=f"pay:{n}:{round_}",
                            kind="earning",
                        )
                    )
                elif n % 3 == 1:  # a deduction back into the community
                    done.append(
                        points_transfer(
                            source=Account.objects.get(pk=wallet.pk),
                            destination=Account.objects.get(pk=account.pk),
                            amount=2,
                            key=f"deduct:{n}:{round_}",
                            kind="manual_deduction",
                        )
                    )
                elif round_ == 0:  # a correction of an earlier payment
                    done.append(points_reverse(transfer=seeded[n % 8], memo="correction"))
            return done

        results, errors = run_together(16, work)

        assert errors == []
        assert not [r for r in results if isinstance(r, ApplicationError)]
        with connection.cursor() as cursor:
            cursor.execute("SELECT sum(balance) FROM points_account")
            assert cursor.fetchone()[0] == 0
        assert verify_ledger().ok
