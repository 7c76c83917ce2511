"""A small points world for the ledger tests, and ways to look at and tamper with the ledger.

Plain functions (not a conftest, so the names stay out of other suites' way); each test module
declares the fixtures it needs from them.
"""

from __future__ import annotations

from contextlib import contextmanager
from types import SimpleNamespace

from django.db import connection
from django.test import override_settings
from django.utils import translation

from community import services as community_services
from points.models import Account, Transfer, TransferKind
from points.services import (
    community_account,
    district_fund,
    expiry_sink,
    merchant_account,
    points_transfer,
    wallet_for,
)
from tests.factories import make_user

ACCOUNT_NAMES = ("fund", "community1", "community3", "wallet1", "wallet2", "wallet3", "merchant", "sink")


@contextmanager
def english():
    """Messages asserted in English (the platform's default language is zh-hans)."""
    with translation.override("en"):
        yield


def third_member(district):
    """A third person with a login (build_district has two), in the third community."""
    user = make_user("member3")
    community_services.person_create(actor=None, name="赵志强", community=district.community3, user=user)
    user.refresh_from_db()
    return user


def open_accounts(district, user3, *, tills: int = 0) -> SimpleNamespace:
    """The district fund, two communities' issuing accounts, three wallets, a merchant and the sink.

    The issuing accounts have no tills unless asked: these tests are about single accounts, and
    tests/points/test_tills.py is about tills.
    """
    with override_settings(POINTS_COMMUNITY_TILLS=tills):
        community1 = community_account(community=district.community1)
        community3 = community_account(community=district.community3)
    return SimpleNamespace(
        fund=district_fund(area=district.district),
        community1=community1,
        community3=community3,
        wallet1=wallet_for(user=district.member_user),
        wallet2=wallet_for(user=district.resident_user),
        wallet3=wallet_for(user=user3),
        merchant=merchant_account(organisation=district.unit1),
        sink=expiry_sink(area=district.district),
    )


def funded_world(district) -> SimpleNamespace:
    """Accounts with money in them: the fund issued 1,000 to each community, each wallet earned 100."""
    world = open_accounts(district, third_member(district))
    world.district = district
    for community in (world.community1, world.community3):
        points_transfer(
            source=world.fund,
            destination=community,
            amount=1000,
            key=f"test:allocate:{community.pk}",
            kind=TransferKind.ALLOCATION,
        )
    for n, wallet in enumerate((world.wallet1, world.wallet2, world.wallet3), start=1):
        points_transfer(
            source=world.community1,
            destination=wallet,
            amount=100,
            key=f"test:earn:{n}",
            kind=TransferKind.EARNING,
        )
    return world


def balances() -> dict[int, int]:
    return dict(Account.objects.values_list("pk", "balance"))


def snapshot() -> tuple[int, dict[int, int], int]:
    """What must not change when an operation is refused: transfers, balances, the last id."""
    last = Transfer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return Transfer.objects.count(), balances(), last


@contextmanager
def tampering():
    """A cursor with which a test changes the ledger the way someone with database access could.

    On PostgreSQL the append-only trigger and the CHECK constraints are switched off meanwhile (in
    the test's transaction, which rolls it all back); on SQLite CHECK constraints are ignored.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses to run while deferred foreign-key checks are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE points_transfer DISABLE TRIGGER points_transfer_append_only")
            for table, constraint in [
                ("points_account", "points_account_non_negative"),
                ("points_transfer", "points_transfer_amount_positive"),
                ("points_transfer", "points_transfer_two_accounts"),
            ]:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}")
        else:
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        try:
            yield cursor
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                cursor.execute("PRAGMA ignore_check_constraints = OFF")
