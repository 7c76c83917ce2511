"""A transfer between plain accounts moves both balances with conditional UPDATEs, no SELECT ... FOR UPDATE.

Migration 0009's function locked both accounts with `SELECT ... FOR NO KEY UPDATE` and then
updated them: four row operations, each with its WAL record. This one updates the two accounts
directly, lowest id first (the same lock order), each UPDATE checking that a paying account can
pay (`balance >= amount`, re-checked by PostgreSQL on the newest row when it had to wait), then
inserts the transfer. When the second UPDATE or the INSERT cannot go ahead (not enough points, a
replayed key, an entry already reversed, a missing account) it puts back what it changed, in the
same transaction, so nothing changes. The common path is two UPDATEs and one INSERT: 4-11 % more
transfers/s than 0009's with 16 writers (BENCHMARKS.md). Signature and result are 0009's.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION points_transfer_move(
    p_source bigint, p_destination bigint, p_amount bigint, p_key varchar, p_kind varchar,
    p_cause varchar, p_memo varchar, p_reverses bigint, p_actor bigint, p_now timestamptz
) RETURNS TABLE (transfer_id bigint, accounts integer, source_kind varchar, source_balance bigint, destination_balance bigint)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    low bigint := least(p_source, p_destination);
    high bigint := greatest(p_source, p_destination);
    d_low bigint := CASE WHEN p_source < p_destination THEN -p_amount ELSE p_amount END;
    b_low bigint; b_high bigint; k_low varchar; k_high varchar;
BEGIN
    accounts := 0;
    UPDATE points_account AS a SET balance = a.balance + d_low
    WHERE a.id = low AND (d_low > 0 OR a.balance >= p_amount OR a.kind = 'district_fund')
    RETURNING a.balance, a.kind INTO b_low, k_low;
    IF NOT FOUND THEN
        SELECT count(*)::integer INTO accounts FROM points_account AS a WHERE a.id IN (p_source, p_destination);
        SELECT a.kind, a.balance INTO source_kind, source_balance FROM points_account AS a WHERE a.id = p_source;
        RETURN NEXT; RETURN;
    END IF;
    UPDATE points_account AS a SET balance = a.balance - d_low
    WHERE a.id = high AND (d_low < 0 OR a.balance >= p_amount OR a.kind = 'district_fund')
    RETURNING a.balance, a.kind INTO b_high, k_high;
    IF NOT FOUND THEN
        UPDATE points_account AS a SET balance = a.balance - d_low WHERE a.id = low;
        SELECT count(*)::integer INTO accounts FROM points_account AS a WHERE a.id IN (p_source, p_destination);
        SELECT a.kind, a.balance INTO source_kind, source_balance FROM points_account AS a WHERE a.id = p_source;
        RETURN NEXT; RETURN;
    END IF;
    accounts := 2;
    INSERT INTO points_transfer AS t
        (key, kind, source_id, destination_id, amount, cause, memo, reverses_id, created_by_id, created_at)
    VALUES
        (p_key, p_kind, p_source, p_destination, p_amount, p_cause, p_memo, p_reverses, p_actor, p_now)
    ON CONFLICT DO NOTHING
    RETURNING t.id INTO transfer_id;
    IF transfer_id IS NULL THEN
        UPDATE points_account AS a SET balance = a.balance - d_low WHERE a.id = low;
        UPDATE points_account AS a SET balance = a.balance + d_low WHERE a.id = high;
        b_low := b_low - d_low; b_high := b_high + d_low;
    END IF;
    IF low = p_source THEN
        source_kind := k_low; source_balance := b_low; destination_balance := b_high;
    ELSE
        source_kind := k_high; source_balance := b_high; destination_balance := b_low;
    END IF;
    RETURN NEXT;
END;
$$;
"""


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def restore_previous(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        previous = __import__("points.migrations.0009_transfer_move_function", fromlist=["CREATE"])
        schema_editor.execute(previous.CREATE, params=None)


class Migration(migrations.Migration):
    dependencies = [("points", "0011_transfer_move_with_tills")]

    operations = [migrations.RunPython(create_function, restore_previous)]
