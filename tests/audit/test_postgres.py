"""What PostgreSQL itself guarantees: no UPDATE or DELETE of record entries, whoever asks."""

import pytest
from django.db import IntegrityError, connection, transaction

from audit.models import Entry
from audit.verify import verify_chain

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entry SET payload = '{}'::jsonb",
        "UPDATE audit_entry SET area_id = NULL",
        "DELETE FROM audit_entry WHERE seq = 2",
        "DELETE FROM audit_entry",
    ],
)
def test_trigger_refuses_raw_update_and_delete(require_postgres, make_chain, statement):
    make_chain(3)

    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    assert Entry.objects.count() == 3
    assert verify_chain().ok


def test_trigger_refuses_queryset_update(require_postgres, make_chain):
    make_chain(2)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        Entry.objects.filter(seq=1).update(subject="contracts.Contract:999")
    assert Entry.objects.get(seq=1).subject == "contracts.Contract:1"
