"""Transfers that involve a community's tills (ADR 0006): `points_transfer_move_grouped`.

A transfer between plain accounts (wallets, merchants, the fund, the sink) still calls the
function of migration 0009, unchanged: it is the common case and every statement saved there
counts. A transfer with an issuing account that has tills, or with a till, on either side calls
`points_transfer_move_grouped`, one call per transfer as well. With `p_use_tills` (the source is
an issuing account with tills, the destination a plain account, and this is not a reversal) it:

1. locks the destination (a wallet, say), waiting for it if need be;
2. takes any till of the source that can pay and that no one else holds (`SKIP LOCKED`, in
   random order), so that payments from one community run side by side;
3. failing that, waits for the issuing account itself; if that is short, sweeps into it what the
   free tills hold; pays from it, then hands a share of what it has left to the emptiest free till.

Without it (a deduction into a community, an allocation, a reversal) it locks both accounts,
plain accounts before issuing accounts and tills, by id within each: the same order as above, so
nothing can wait in a circle (a plain transfer locks only plain accounts, by id). A short issuing
account sweeps its free tills here too.

Sweeps and top-ups are transfers of kind `till` between an account and its own tills, so that
every balance is still the sum of its transfers. Nothing is swept for a transfer that will be
refused anyway (a replayed key, an entry already reversed, too few points in all).

It returns what it saw, as 0009's does, plus `paid_from` (the till, or the account itself). For
an issuing account with tills `source_balance` is its total: its balance and its tills'.
"""

from django.conf import settings
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION points_till_move(
    p_from bigint, p_to bigint, p_amount bigint, p_now timestamptz
) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    -- Both rows are locked by the caller.
    INSERT INTO points_transfer
        (key, kind, source_id, destination_id, amount, cause, memo, reverses_id, created_by_id, created_at)
    VALUES
        ('till:' || gen_random_uuid()::text, 'till', p_from, p_to, p_amount, '', '', NULL, NULL, p_now);
    UPDATE points_account AS a SET balance = a.balance - p_amount WHERE a.id = p_from;
    UPDATE points_account AS a SET balance = a.balance + p_amount WHERE a.id = p_to;
END;
$$;

CREATE OR REPLACE FUNCTION points_sweep_tills(
    p_account bigint, p_balance bigint, p_needed bigint, p_now timestamptz, p_key varchar, p_reverses bigint
) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    till record;
BEGIN
    -- The account is locked by the caller and holds p_balance. Nothing moves for a transfer that
    -- is refused anyway: a replayed key, an entry already reversed, or too few points in all.
    IF EXISTS (SELECT 1 FROM points_transfer AS t WHERE t.key = p_key)
       OR (p_reverses IS NOT NULL AND EXISTS (SELECT 1 FROM points_transfer AS t WHERE t.reverses_id = p_reverses))
       OR (SELECT sum(a.balance) FROM points_account AS a WHERE a.id = p_account OR a.parent_id = p_account)
          < p_needed
    THEN
        RETURN p_balance;
    END IF;
    -- Tills others hold are skipped.
    FOR till IN
        SELECT a.id, a.balance FROM points_account AS a
        WHERE a.parent_id = p_account AND a.balance > 0
        ORDER BY a.balance DESC, a.id
        FOR NO KEY UPDATE SKIP LOCKED
    LOOP
        EXIT WHEN p_balance >= p_needed;
        PERFORM points_till_move(till.id, p_account, till.balance, p_now);
        p_balance := p_balance + till.balance;
    END LOOP;
    RETURN p_balance;
END;
$$;

CREATE OR REPLACE FUNCTION points_transfer_move_grouped(
    p_source bigint,
    p_destination bigint,
    p_amount bigint,
    p_key varchar,
    p_kind varchar,
    p_cause varchar,
    p_memo varchar,
    p_reverses bigint,
    p_actor bigint,
    p_now timestamptz,
    p_use_tills boolean
) RETURNS TABLE (
    transfer_id bigint,
    accounts integer,
    source_kind varchar,
    source_balance bigint,
    destination_balance bigint,
    paid_from bigint
)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    account record;
    own record;
    share bigint;
    source_tills integer := 0;
BEGIN
    accounts := 0;
    IF p_use_tills THEN
        SELECT a.id, a.balance INTO account FROM points_account AS a
        WHERE a.id = p_destination FOR NO KEY UPDATE;
        IF NOT FOUND THEN
            RETURN NEXT;
            RETURN;
        END IF;
        destination_balance := account.balance;
        SELECT a.id, a.balance INTO account FROM points_account AS a
        WHERE a.parent_id = p_source AND a.balance >= p_amount
        ORDER BY random() LIMIT 1
        FOR NO KEY UPDATE SKIP LOCKED;
        IF FOUND THEN
            accounts := 2;
            paid_from := account.id;
            source_kind := 'community';
            source_balance := account.balance;
        ELSE
            SELECT a.id, a.kind, a.balance, a.tills INTO own FROM points_account AS a
            WHERE a.id = p_source FOR NO KEY UPDATE;
            IF NOT FOUND THEN
                accounts := 1;
                RETURN NEXT;
                RETURN;
            END IF;
            accounts := 2;
            paid_from := own.id;
            source_kind := own.kind;
            source_tills := own.tills;
            source_balance := own.balance;
            IF source_balance < p_amount THEN
                source_balance := points_sweep_tills(own.id, own.balance, p_amount, p_now, p_key, p_reverses);
            END IF;
        END IF;
    ELSE
        -- Plain accounts first, then issuing accounts and tills; by id within each.
        FOR account IN
            SELECT a.id, a.kind, a.balance, a.tills FROM points_account AS a
            WHERE a.id IN (p_source, p_destination)
            ORDER BY (a.parent_id IS NOT NULL OR a.tills > 0), a.id
            FOR NO KEY UPDATE
        LOOP
            accounts := accounts + 1;
            IF account.id = p_source THEN
                source_kind := account.kind;
                source_balance := account.balance;
                source_tills := account.tills;
            ELSE
                destination_balance := account.balance;
            END IF;
        END LOOP;
        paid_from := p_source;
        IF accounts = 2 AND source_tills > 0 AND source_balance < p_amount THEN
            source_balance := points_sweep_tills(p_source, source_balance, p_amount, p_now, p_key, p_reverses);
        END IF;
    END IF;
    -- Only the district fund may go below zero (as the CHECK constraint on points_account says).
    IF accounts = 2 AND (source_kind = 'district_fund' OR source_balance >= p_amount) THEN
        INSERT INTO points_transfer AS t
            (key, kind, source_id, destination_id, amount, cause, memo, reverses_id, created_by_id, created_at)
        VALUES
            (p_key, p_kind, paid_from, p_destination, p_amount, p_cause, p_memo, p_reverses, p_actor, p_now)
        ON CONFLICT DO NOTHING
        RETURNING t.id INTO transfer_id;
        IF transfer_id IS NOT NULL THEN
            UPDATE points_account AS a SET balance = a.balance - p_amount WHERE a.id = paid_from;
            UPDATE points_account AS a SET balance = a.balance + p_amount WHERE a.id = p_destination;
            source_balance := source_balance - p_amount;
            destination_balance := destination_balance + p_amount;
            -- The account itself paid: hand a share of what it has left to its emptiest free till,
            -- so that the next payments find a till.
            IF p_use_tills AND paid_from = p_source AND source_tills > 0 THEN
                share := source_balance / (source_tills + 1);
                IF share > 0 THEN
                    SELECT a.id INTO account FROM points_account AS a
                    WHERE a.parent_id = p_source
                    ORDER BY a.balance, a.id LIMIT 1
                    FOR NO KEY UPDATE SKIP LOCKED;
                    IF FOUND THEN
                        PERFORM points_till_move(p_source, account.id, share, p_now);
                    END IF;
                END IF;
            END IF;
        END IF;
    END IF;
    IF p_use_tills OR source_tills > 0 THEN
        SELECT sum(a.balance) INTO source_balance FROM points_account AS a
        WHERE a.id = p_source OR a.parent_id = p_source;
    END IF;
    RETURN NEXT;
END;
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS points_transfer_move_grouped(
    bigint, bigint, bigint, varchar, varchar, varchar, varchar, bigint, bigint, timestamptz, boolean
);
DROP FUNCTION IF EXISTS points_sweep_tills(bigint, bigint, bigint, timestamptz, varchar, bigint);
DROP FUNCTION IF EXISTS points_till_move(bigint, bigint, bigint, timestamptz);
"""


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


def open_tills(apps, schema_editor):
    Account = apps.get_model("points", "Account")
    count = getattr(settings, "POINTS_COMMUNITY_TILLS", 0)
    for account in Account.objects.filter(kind="community", parent__isnull=True, tills=0):
        Account.objects.bulk_create(
            Account(kind="community", area_id=account.area_id, name=account.name, parent=account)
            for _ in range(count)
        )
        Account.objects.filter(pk=account.pk).update(tills=count)


class Migration(migrations.Migration):
    dependencies = [("points", "0010_account_tills")]

    operations = [
        migrations.RunPython(create_function, drop_function),
        migrations.RunPython(open_tills, migrations.RunPython.noop),
    ]
