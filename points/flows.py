"""Points issued into and spent from wallets, per community and local day: what the dashboards sum.

Summing the transfers themselves took 12 s for the whole district's "points issued" (2.2 million
transfers, a join to the accounts and an anti-join for the reversals; BENCHMARKS.md). Instead
(ADR 0010):

- a database trigger on `points_transfer` (PostgreSQL and SQLite alike, so that a transfer written
  by any path — the services, the scale loader, a test's factory — is counted) appends one row to
  `FlowPending` for every transfer that issues points into a wallet (earning, manual award), spends
  points of a wallet (market redemption), or reverses one of those (a negative row on the original's
  community and day). An append, in the transfer's own transaction: no row is shared between two
  transfers, so concurrent payers never wait for each other here;
- `fold()` (the job `points.fold_flows`, every few minutes, safe to run twice or at once) moves the
  pending rows into `FlowDay`, one row per (flow, community, day), in one statement;
- the view `points_flow` (model `Flow`) is both tables together, read in one statement, so a sum
  over it is exact at any moment: a move is in one table or the other, never both, never neither.

A flow is dated by the local day (settings.TIME_ZONE, fixed into the trigger by the migration and
by `install()`) of the transfer it counts: a reversal made in March of a January earning lowers
January's figure, as the dashboards' definition says ("less those reversed since").
`verify_ledger` recomputes every (flow, community, day) from the transfers and reports a mismatch.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction

ISSUING_KINDS = ("earning", "manual_award")
SPENDING_KINDS = ("redemption",)
_COUNTED = "('earning', 'manual_award', 'redemption')"
_TRIGGERING = "('earning', 'manual_award', 'redemption', 'reversal')"


def _zone() -> str:
    zone = settings.TIME_ZONE
    if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", zone):
        raise ValueError(f"unexpected time zone name {zone!r}")
    return zone


def _day_sql(column: str, vendor: str) -> str:
    """The local day of a UTC timestamp column, in SQL."""
    if vendor == "postgresql":
        return f"({column} AT TIME ZONE '{_zone()}')::date"
    # SQLite (development and local tests) stores UTC text: a fixed offset (Asia/Shanghai has no DST).
    offset = ZoneInfo(_zone()).utcoffset(datetime(2000, 1, 1, tzinfo=UTC))
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return f"date({column}, '{minutes:+d} minutes')"


def _flow_sql(alias: str) -> str:
    return f"CASE WHEN {alias}.kind = 'redemption' THEN 'spent' ELSE 'issued' END"


def _wallet_sql(alias: str) -> str:
    return f"CASE WHEN {alias}.kind = 'redemption' THEN {alias}.source_id ELSE {alias}.destination_id END"


def _postgresql_trigger() -> list[str]:
    day = _day_sql("t.created_at", "postgresql")
    return [
        f"""
CREATE OR REPLACE FUNCTION points_transfer_flow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO points_flowpending (flow, area_id, day, amount)
    SELECT {_flow_sql("t")}, a.area_id, {day},
           CASE WHEN NEW.kind = 'reversal' THEN -t.amount ELSE t.amount END
    FROM (SELECT NEW.*) AS n
    JOIN points_transfer t ON n.kind = 'reversal' AND t.id = n.reverses_id
    JOIN points_account a ON a.id = {_wallet_sql("t")}
    WHERE t.kind IN {_COUNTED} AND a.kind = 'wallet'
    UNION ALL
    SELECT {_flow_sql("t")}, a.area_id, {day}, t.amount
    FROM (SELECT NEW.*) AS t
    JOIN points_account a ON a.id = {_wallet_sql("t")}
    WHERE t.kind IN {_COUNTED} AND a.kind = 'wallet';
    RETURN NULL;
END $$""",  # noqa: S608 - only this module's constants are formatted in
        "DROP TRIGGER IF EXISTS points_transfer_flow ON points_transfer",
        f"""
CREATE TRIGGER points_transfer_flow AFTER INSERT ON points_transfer FOR EACH ROW
WHEN (NEW.kind IN {_TRIGGERING}) EXECUTE FUNCTION points_transfer_flow()""",
    ]


def _sqlite_trigger() -> list[str]:
    day = _day_sql("t.created_at", "sqlite")
    return [
        "DROP TRIGGER IF EXISTS points_transfer_flow",
        f"""
CREATE TRIGGER points_transfer_flow AFTER INSERT ON points_transfer
WHEN NEW.kind IN {_TRIGGERING}
BEGIN
    INSERT INTO points_flowpending (flow, area_id, day, amount)
    SELECT {_flow_sql("t")}, a.area_id, {day},
           CASE WHEN NEW.kind = 'reversal' THEN -t.amount ELSE t.amount END
    FROM points_transfer t JOIN points_account a ON a.id = {_wallet_sql("t")}
    WHERE t.id = CASE WHEN NEW.kind = 'reversal' THEN NEW.reverses_id ELSE NEW.id END
      AND t.kind IN {_COUNTED} AND a.kind = 'wallet';
END""",  # noqa: S608 - only this module's constants are formatted in
    ]


VIEW_SQL = """
CREATE VIEW points_flow AS
SELECT id, flow, area_id, day, amount FROM points_flowday
UNION ALL
SELECT -id, flow, area_id, day, amount FROM points_flowpending"""


def install(schema_editor=None) -> None:
    """(Re)create the trigger with the current TIME_ZONE, and the view (migration points/0013)."""
    conn = schema_editor.connection if schema_editor is not None else connection
    statements = _postgresql_trigger() if conn.vendor == "postgresql" else _sqlite_trigger()
    with conn.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        cursor.execute("DROP VIEW IF EXISTS points_flow")
        cursor.execute(VIEW_SQL)


def uninstall(schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP VIEW IF EXISTS points_flow")
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS points_transfer_flow ON points_transfer")
            cursor.execute("DROP FUNCTION IF EXISTS points_transfer_flow()")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS points_transfer_flow")


# --- Folding ----------------------------------------------------------------------------------

_FOLD_POSTGRESQL = """
WITH moved AS (DELETE FROM points_flowpending RETURNING flow, area_id, day, amount),
summed AS (SELECT flow, area_id, day, SUM(amount) AS amount FROM moved GROUP BY flow, area_id, day)
INSERT INTO points_flowday (flow, area_id, day, amount)
SELECT flow, area_id, day, amount FROM summed
ON CONFLICT (flow, area_id, day) DO UPDATE SET amount = points_flowday.amount + EXCLUDED.amount"""


def fold() -> int:
    """Move the pending flows into the days' totals; returns the number of (flow, community, day)
    rows written. One statement on PostgreSQL: two folds at once each take other rows (a deleted row
    is returned to one DELETE only), and a reader of `points_flow` sees every move exactly once."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_FOLD_POSTGRESQL)
            return cursor.rowcount
        with transaction.atomic():  # SQLite serialises writers: read, upsert, delete what was read
            cursor.execute("SELECT MAX(id) FROM points_flowpending")
            last = cursor.fetchone()[0]
            if last is None:
                return 0
            cursor.execute(
                "INSERT INTO points_flowday (flow, area_id, day, amount) "
                "SELECT flow, area_id, day, SUM(amount) FROM points_flowpending WHERE id <= %s "
                "GROUP BY flow, area_id, day "
                "ON CONFLICT (flow, area_id, day) DO UPDATE SET amount = amount + excluded.amount",
                [last],
            )
            written = cursor.rowcount
            cursor.execute("DELETE FROM points_flowpending WHERE id <= %s", [last])
            return written


# --- From the transfers themselves ------------------------------------------------------------


def _expected_sql(vendor: str) -> str:
    """Every (flow, community, day) net total computed from the transfers, leaving out reversed ones."""
    return f"""
SELECT {_flow_sql("t")} AS flow, a.area_id, {_day_sql("t.created_at", vendor)} AS day, SUM(t.amount) AS amount
FROM points_transfer t JOIN points_account a ON a.id = {_wallet_sql("t")}
WHERE t.kind IN {_COUNTED} AND a.kind = 'wallet'
  AND NOT EXISTS (SELECT 1 FROM points_transfer r WHERE r.reverses_id = t.id AND r.kind = 'reversal')
GROUP BY 1, 2, 3"""  # noqa: S608 - only this module's constants are formatted in


def rebuild() -> int:
    """Recompute every day's totals from the transfers (after a bulk load with the trigger off, or
    to repair); transfers are held still meanwhile. Returns the rows written."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("LOCK TABLE points_transfer IN SHARE MODE")
        cursor.execute("DELETE FROM points_flowpending")
        cursor.execute("DELETE FROM points_flowday")
        cursor.execute(
            f"INSERT INTO points_flowday (flow, area_id, day, amount) {_expected_sql(connection.vendor)}"
        )
        return cursor.rowcount


def mismatches(limit: int = 20) -> tuple[int, list[tuple]]:
    """(How many (flow, community, day) totals differ from the transfers, the first `limit` of them
    as (flow, area_id, day, expected, counted)). One statement: one snapshot while transfers go on."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
SELECT flow, area_id, day, SUM(expected), SUM(counted) FROM (
    SELECT flow, area_id, day, amount AS expected, 0 AS counted FROM ({_expected_sql(connection.vendor)}) AS e
    UNION ALL
    SELECT flow, area_id, day, 0, amount FROM points_flow
) AS both_sides
GROUP BY flow, area_id, day HAVING SUM(expected) <> SUM(counted)
ORDER BY flow, area_id, day"""  # noqa: S608 - only this module's constants are formatted in
        )
        wrong = cursor.fetchall()
    return len(wrong), [(flow, area, str(day), int(e), int(c)) for flow, area, day, e, c in wrong[:limit]]
