"""On PostgreSQL, one transfer is one call of the function `points_transfer_move`.

`points.services.points_transfer` and `points_reverse` call it; nothing else should. It locks
both accounts in id order, checks the source may pay, inserts the transfer unless its key (or
the entry it reverses) is already taken, and moves both balances — one round trip, atomic by
itself, so it needs neither a transaction of its own nor a savepoint in the caller's. PL/pgSQL
keeps each statement's plan for the session, which a large one-off SQL statement would re-plan
on every call. Each statement inside runs with a fresh snapshot, taken after the locks, so the
UPDATEs work on the balances just read (and CHECK constraints see exactly those).

It refuses nothing by raising: when it writes nothing it returns what it saw (how many of the two
accounts exist, the source's kind and balance) and the service says why.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION points_transfer_move(
    p_source bigint,
    p_destination bigint,
    p_amount bigint,
    p_key varchar,
    p_kind varchar,
    p_cause varchar,
    p_memo varchar,
    p_reverses bigint,
    p_actor bigint,
    p_now timestamptz
) RETURNS TABLE (
    transfer_id bigint,
    accounts integer,
    source_kind varchar,
    source_balance bigint,
    destination_balance bigint
)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    account record;
BEGIN
    accounts := 0;
    -- Both row locks, lowest id first: A->B and B->A at the same time wait, never deadlock.
    FOR account IN
        SELECT a.id, a.kind, a.balance FROM points_account AS a
        WHERE a.id IN (p_source, p_destination)
        ORDER BY a.id
        FOR NO KEY UPDATE
    LOOP
        accounts := accounts + 1;
        IF account.id = p_source THEN
            source_kind := account.kind;
            source_balance := account.balance;
        ELSE
            destination_balance := account.balance;
        END IF;
    END LOOP;
    -- Only the district fund may go below zero (as the CHECK constraint on points_account says).
    IF accounts = 2 AND (source_kind = 'district_fund' OR source_balance >= p_amount) THEN
        INSERT INTO points_transfer AS t
            (key, kind, source_id, destination_id, amount, cause, memo, reverses_id, created_by_id, created_at)
        VALUES
            (p_key, p_kind, p_source, p_destination, p_amount, p_cause, p_memo, p_reverses, p_actor, p_now)
        ON CONFLICT DO NOTHING
        RETURNING t.id INTO transfer_id;
        IF transfer_id IS NOT NULL THEN
            UPDATE points_account AS a SET balance = a.balance - p_amount WHERE a.id = p_source;
            UPDATE points_account AS a SET balance = a.balance + p_amount WHERE a.id = p_destination;
            source_balance := source_balance - p_amount;
            destination_balance := destination_balance + p_amount;
        END IF;
    END IF;
    RETURN NEXT;
END;
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS points_transfer_move(
    bigint, bigint, bigint, varchar, varchar, varchar, varchar, bigint, bigint, timestamptz
);
"""


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("points", "0008_transfer_fewer_indexes")]

    operations = [migrations.RunPython(create_function, drop_function)]
