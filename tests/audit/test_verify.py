"""verify_chain and `manage.py verify_audit`: a clean chain passes; each kind of tampering is named."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F

from audit.chain import compute_entry_hash
from audit.models import Entry
from audit.verify import ALTERED, BROKEN_LINK, MISSING, OUT_OF_ORDER, verify_chain

pytestmark = pytest.mark.django_db


def run_verify_audit() -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def rehash(row: dict) -> str:
    return compute_entry_hash(
        **{k: row[k] for k in ("seq", "kind", "subject", "payload", "created_at", "prev_hash")}
    )


def test_clean_chain_passes(make_chain):
    entries = make_chain(6)

    code, out, err = run_verify_audit()

    assert code == 0
    assert out.strip() == f"OK: 6 entries, head {entries[-1].entry_hash}"
    assert err == ""


def test_empty_record_passes():
    code, out, _ = run_verify_audit()
    assert code == 0
    assert out.strip() == "OK: 0 entries, head -"


def test_walk_reads_in_chunks_and_still_checks_every_link(make_chain):
    make_chain(7)
    assert verify_chain(chunk_size=2).checked == 7


def test_altered_payload_is_named(make_chain, tamper):
    entries = make_chain(6)
    with tamper():
        Entry.objects.filter(pk=entries[2].pk).update(payload={"n": 3, "title": "改过的契约", "items": []})

    result = verify_chain()
    code, _, err = run_verify_audit()

    assert (result.breach.seq, result.breach.entry_id, result.breach.reason) == (3, entries[2].pk, ALTERED)
    assert result.checked == 2
    assert code == 1
    assert err.startswith(
        f"BROKEN at seq 3 (id {entries[2].pk}): altered — stored hash {entries[2].entry_hash}"
    )


def test_altered_payload_through_raw_sql_is_named(make_chain, tamper):
    make_chain(4)
    with tamper() as cursor:
        cursor.execute("UPDATE audit_entry SET subject = %s WHERE seq = %s", ["contracts.Contract:999", 4])

    assert verify_chain().breach.seq == 4
    assert run_verify_audit()[0] == 1


def test_deleted_entry_is_named(make_chain, tamper):
    entries = make_chain(6)
    with tamper() as cursor:
        cursor.execute("DELETE FROM audit_entry WHERE id = %s", [entries[3].pk])

    result = verify_chain()
    code, _, err = run_verify_audit()

    assert (result.breach.seq, result.breach.entry_id, result.breach.reason) == (5, entries[4].pk, MISSING)
    assert code == 1
    assert err.startswith(f"BROKEN at seq 5 (id {entries[4].pk}): missing — expected seq 4, found seq 5")


def test_deleted_first_entry_is_named(make_chain, tamper):
    entries = make_chain(3)
    with tamper() as cursor:
        cursor.execute("DELETE FROM audit_entry WHERE id = %s", [entries[0].pk])

    assert (verify_chain().breach.seq, verify_chain().breach.reason) == (2, MISSING)


def test_two_swapped_entries_are_named(make_chain, tamper):
    entries = make_chain(6)
    third, fourth = entries[2], entries[3]
    with tamper():
        # Through a free seq: seq is unique, and an intruder has to respect that too.
        Entry.objects.filter(pk=third.pk).update(seq=1000)
        Entry.objects.filter(pk=fourth.pk).update(seq=3)
        Entry.objects.filter(pk=third.pk).update(seq=4)

    result = verify_chain()
    code, _, err = run_verify_audit()

    # The entry now at seq 3 was hashed as seq 4: its own content no longer gives its hash.
    assert (result.breach.seq, result.breach.entry_id, result.breach.reason) == (3, fourth.pk, ALTERED)
    assert code == 1
    assert err.startswith(f"BROKEN at seq 3 (id {fourth.pk}): altered")


def test_reordered_entries_rehashed_by_the_intruder_are_named(make_chain, tamper):
    """An intruder swaps two entries and recomputes both hashes and links: their times give it away."""
    entries = make_chain(6)
    third, fourth = entries[2], entries[3]
    moved = [
        {**vars_of(fourth), "seq": 3, "prev_hash": entries[1].entry_hash},
        {**vars_of(third), "seq": 4},
    ]
    moved[0]["entry_hash"] = rehash(moved[0])
    moved[1]["prev_hash"] = moved[0]["entry_hash"]
    moved[1]["entry_hash"] = rehash(moved[1])
    with tamper():
        Entry.objects.filter(pk__in=[third.pk, fourth.pk]).update(seq=F("seq") + 1000)
        for pk, row in ((fourth.pk, moved[0]), (third.pk, moved[1])):
            Entry.objects.filter(pk=pk).update(
                seq=row["seq"], prev_hash=row["prev_hash"], entry_hash=row["entry_hash"]
            )

    result = verify_chain()
    code, _, err = run_verify_audit()

    assert (result.breach.seq, result.breach.entry_id, result.breach.reason) == (4, third.pk, OUT_OF_ORDER)
    assert code == 1
    assert err.startswith(f"BROKEN at seq 4 (id {third.pk}): out_of_order")


def test_forged_entry_inserted_in_the_middle_is_named(make_chain, tamper):
    """The forgery itself is self-consistent; the genuine entry after it no longer is."""
    entries = make_chain(6)
    forged = {
        "seq": 4,
        "kind": "contract.signed",
        "subject": "contracts.Contract:666",
        "payload": {"n": 666},
        "created_at": entries[2].created_at + timedelta(microseconds=1),
        "prev_hash": entries[2].entry_hash,
    }
    with tamper():
        Entry.objects.filter(seq__gte=4).update(seq=F("seq") + 1000)
        Entry.objects.filter(seq__gte=1000).update(seq=F("seq") - 999)
        Entry.objects.create(**forged, entry_hash=rehash(forged))

    result = verify_chain()
    code, _, err = run_verify_audit()

    assert (result.breach.seq, result.breach.entry_id, result.breach.reason) == (5, entries[3].pk, ALTERED)
    assert code == 1
    assert err.startswith(f"BROKEN at seq 5 (id {entries[3].pk}): altered")


def test_forged_entry_linked_to_an_older_entry_is_named(make_chain):
    """A fork: appended at the end, but chained to an earlier entry than the head."""
    entries = make_chain(4)
    forged = {
        "seq": 5,
        "kind": "vote.tallied",
        "subject": "councils.Vote:1",
        "payload": {"yes": 99},
        "created_at": entries[-1].created_at + timedelta(seconds=1),
        "prev_hash": entries[1].entry_hash,
    }
    row = Entry.objects.create(**forged, entry_hash=rehash(forged))

    result = verify_chain()

    assert (result.breach.seq, result.breach.entry_id, result.breach.reason) == (5, row.pk, BROKEN_LINK)
    assert run_verify_audit()[0] == 1


def test_forged_entry_with_an_invented_hash_is_named(make_chain):
    entries = make_chain(2)
    Entry.objects.create(
        seq=3,
        kind="contract.signed",
        subject="contracts.Contract:3",
        payload={},
        created_at=entries[-1].created_at,
        prev_hash=entries[-1].entry_hash,
        entry_hash="f" * 64,
    )
    assert verify_chain().breach.reason == ALTERED


def test_verify_up_to_an_entry_ignores_breaks_after_it(make_chain, tamper):
    make_chain(6)
    with tamper():
        Entry.objects.filter(seq=5).update(payload={})

    assert verify_chain(up_to_seq=4).ok
    assert verify_chain(up_to_seq=5).breach.seq == 5


def vars_of(entry: Entry) -> dict:
    return {
        "seq": entry.seq,
        "kind": entry.kind,
        "subject": entry.subject,
        "payload": entry.payload,
        "created_at": entry.created_at,
        "prev_hash": entry.prev_hash,
    }
