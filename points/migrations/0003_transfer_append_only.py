"""On PostgreSQL, the database itself refuses UPDATE and DELETE of points transfers.

A negative balance is already refused by the CHECK constraint points_account_non_negative (every
account but the district fund); together with this trigger, no client — a shell, a stray script,
a future migration — can rewrite the ledger's history. Corrections are reversing transfers.
"""

from django.db import migrations

# TRUNCATE is left alone on purpose, as for audit_entry: Django's flush (test teardown, demo
# reset) uses it, and whoever may TRUNCATE owns the table and could drop the trigger anyway.
# verify_ledger is what proves the ledger whole.
CREATE = """
CREATE OR REPLACE FUNCTION points_transfer_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'points_transfer is append-only: % of transfer id % refused; record a reversing transfer',
        TG_OP, OLD.id
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER points_transfer_append_only
    BEFORE UPDATE OR DELETE ON points_transfer
    FOR EACH ROW EXECUTE FUNCTION points_transfer_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS points_transfer_append_only ON points_transfer;
DROP FUNCTION IF EXISTS points_transfer_refuse_change();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("points", "0002_market")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
