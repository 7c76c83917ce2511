"""What PostgreSQL itself guarantees about the ledger, whoever connects: no rewritten history, no negative wallet."""

import importlib

import pytest
from django.db import IntegrityError, connection, transaction

from points.ledger import verify_ledger
from points.models import Account, Transfer, TransferKind
from points.services import points_transfer
from tests.points.ledger_world import funded_world, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger_world(district):
    return funded_world(district)


trigger_migration = importlib.import_module("points.migrations.0003_transfer_append_only")


@pytest.fixture
def one_transfer(require_postgres, ledger_world):
    w = ledger_world
    return points_transfer(
        source=w.community1, destination=w.wallet1, amount=25, key="wish:9", kind="earning"
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE points_transfer SET amount = amount + 1",
        "UPDATE points_transfer SET memo = 'edited' WHERE key = 'wish:9'",
        "UPDATE points_transfer SET kind = 'reversal'",
        "DELETE FROM points_transfer WHERE key = 'wish:9'",
        "DELETE FROM points_transfer",
    ],
)
def test_the_database_refuses_to_rewrite_transfers(one_transfer, statement):
    before = snapshot()

    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    assert snapshot() == before
    assert verify_ledger().ok


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE points_account SET balance = -1 WHERE kind = 'wallet'",
        "UPDATE points_account SET balance = balance - 1000 WHERE kind = 'community'",
        "UPDATE points_account SET balance = -5 WHERE kind = 'merchant'",
    ],
)
def test_the_database_refuses_a_negative_balance_outside_the_fund(one_transfer, statement):
    before = snapshot()

    with (
        pytest.raises(IntegrityError, match="points_account_non_negative"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    assert snapshot() == before


def test_the_fund_may_be_negative_in_the_database_too(one_transfer):
    assert Account.objects.get(kind="district_fund").balance < 0


def test_appending_is_still_allowed(one_transfer, ledger_world):
    w = ledger_world
    points_transfer(
        source=w.wallet1, destination=w.merchant, amount=25, key="order:1", kind=TransferKind.REDEMPTION
    )
    assert Transfer.objects.count() == 7


def test_the_trigger_migration_is_reversible(one_transfer):
    with connection.schema_editor() as editor:
        trigger_migration.drop_trigger(None, editor)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE points_transfer SET memo = 'allowed without the trigger' WHERE key = 'wish:9'")
    with connection.schema_editor() as editor:
        trigger_migration.create_trigger(None, editor)
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE points_transfer SET memo = 'refused again' WHERE key = 'wish:9'")


def test_the_move_function_migration_is_reversible(one_transfer, ledger_world):
    w = ledger_world
    first = importlib.import_module("points.migrations.0009_transfer_move_function")
    tills = importlib.import_module("points.migrations.0011_transfer_move_with_tills")
    names = "SELECT proname FROM pg_proc WHERE proname LIKE 'points\\_%%' ORDER BY proname"

    def functions() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(names)
            return [row[0] for row in cursor.fetchall()]

    everything = [
        "points_sweep_tills",
        "points_till_move",
        "points_transfer_move",
        "points_transfer_move_grouped",
    ]
    assert [f for f in functions() if f in everything] == everything
    with connection.schema_editor() as editor:
        tills.drop_function(None, editor)
    assert [f for f in functions() if f in everything] == ["points_transfer_move"]
    with connection.schema_editor() as editor:
        first.drop_function(None, editor)
    assert [f for f in functions() if f in everything] == []
    latest = importlib.import_module("points.migrations.0012_transfer_move_without_select_lock")
    with connection.schema_editor() as editor:
        first.create_function(None, editor)
        tills.create_function(None, editor)
        latest.restore_previous(None, editor)  # 0012 backwards: 0009's body again
        latest.create_function(None, editor)
    assert [f for f in functions() if f in everything] == everything
    points_transfer(source=w.wallet1, destination=w.merchant, amount=5, key="order:after", kind="redemption")
    assert verify_ledger().ok
