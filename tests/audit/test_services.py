"""audit_append: the only writer of the public record."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from audit.chain import GENESIS_HASH, compute_entry_hash
from audit.models import AppendOnlyError, Entry
from audit.selectors import entry_latest_for_subject
from audit.services import PAYLOAD_MAX_BYTES, audit_append, subject_for
from audit.verify import entry_is_valid, verify_chain
from core.exceptions import ValidationFailed

from .conftest import START, stepping_clock

pytestmark = pytest.mark.django_db


def test_append_builds_a_valid_chain(make_chain):
    entries = make_chain(5)

    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS_HASH
    for previous, entry in zip(entries, entries[1:], strict=False):
        assert entry.prev_hash == previous.entry_hash
    stored = list(Entry.objects.order_by("seq"))
    assert [e.entry_hash for e in stored] == [e.entry_hash for e in entries]
    assert all(entry_is_valid(e) for e in stored)
    result = verify_chain()
    assert result.ok and result.checked == 5 and result.head_hash == entries[-1].entry_hash


def test_what_is_stored_recomputes_to_the_same_hash():
    """Round trip through the database (jsonb on PostgreSQL reorders keys) changes nothing hashed."""
    payload = {"z": "越都社区", "a": [1, {"y": None, "b": True}], "big": 12345678901234567890, "empty": {}}
    entry = audit_append(kind="contract.published", subject="contracts.Contract:7", payload=payload)

    stored = Entry.objects.get(pk=entry.pk)
    assert stored.payload == payload
    assert stored.created_at == entry.created_at
    assert compute_entry_hash(**stored.hash_inputs()) == stored.entry_hash


def test_tuples_are_recorded_as_lists():
    entry = audit_append(
        kind="vote.tallied", subject="councils.Vote:1", payload={"options": ("同意", "反对")}
    )
    assert entry.payload == {"options": ["同意", "反对"]}
    assert entry_is_valid(Entry.objects.get(pk=entry.pk))


def test_time_never_runs_backwards_along_the_chain():
    """A replica whose clock is behind does not make the chain look reordered."""
    with stepping_clock(START, timedelta(0)):
        first = audit_append(kind="contract.signed", subject="contracts.Contract:1", payload={})
    with stepping_clock(START - timedelta(seconds=5)):
        second = audit_append(kind="contract.signed", subject="contracts.Contract:2", payload={})

    assert second.created_at == first.created_at
    assert verify_chain().ok


def test_created_at_is_set_by_the_service_and_aware():
    before = timezone.now()
    entry = audit_append(kind="points.manual_award", subject="points.Transfer:3", payload={"points": 20})
    assert timezone.is_aware(entry.created_at)
    assert before <= entry.created_at <= timezone.now()


def test_a_rolled_back_append_leaves_no_gap():
    audit_append(kind="contract.signed", subject="contracts.Contract:1", payload={})
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_append(kind="contract.signed", subject="contracts.Contract:2", payload={})
        raise RuntimeError("the change being recorded failed")
    entry = audit_append(kind="contract.signed", subject="contracts.Contract:3", payload={})

    assert entry.seq == 2
    assert verify_chain().ok


@pytest.mark.parametrize(
    "payload",
    [
        {"rate": 0.98},
        {"amount": Decimal("12.50")},
        {"when": START},
        {"tags": {"a", "b"}},
        {1: "integer key"},
        {"nested": [{"bad": b"bytes"}]},
        {"text": "nul\x00char"},
        {"text": "lone \ud800 surrogate"},
        {"text": "x" * (PAYLOAD_MAX_BYTES + 1)},
        ["not", "an", "object"],
        "a string",
        None,
    ],
)
def test_a_payload_that_cannot_be_recorded_exactly_is_refused(payload):
    with pytest.raises(ValidationFailed):
        audit_append(kind="contract.signed", subject="contracts.Contract:1", payload=payload)
    assert not Entry.objects.exists()


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        ("Contract Signed", "contracts.Contract:1"),
        ("signed", "contracts.Contract:1"),
        ("contract.", "contracts.Contract:1"),
        ("contract." + "x" * 60, "contracts.Contract:1"),
        ("contract.signed", ""),
        ("contract.signed", "   "),
        ("contract.signed", "x" * 201),
        ("contract.signed", None),
    ],
)
def test_kind_and_subject_are_checked(kind, subject):
    with pytest.raises(ValidationFailed):
        audit_append(kind=kind, subject=subject, payload={})


def test_an_existing_entry_cannot_be_saved_or_deleted(make_chain):
    entry = make_chain(2)[0]

    entry.payload = {"n": 999}
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.save(update_fields=["payload"])
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        Entry.objects.filter(pk=entry.pk).delete()
    assert Entry.objects.get(pk=entry.pk).payload["n"] == 1
    assert verify_chain().ok


def test_subject_for_names_the_model_and_id(district):
    assert subject_for(district.community1) == f"community.Area:{district.community1.pk}"


def test_latest_entry_for_a_subject(make_chain):
    make_chain(3)
    audit_append(kind="contract.published", subject="contracts.Contract:2", payload={})
    audit_append(kind="contract.evaluated", subject="contracts.Contract:1", payload={})

    assert entry_latest_for_subject(subject="contracts.Contract:2").kind == "contract.published"
    assert entry_latest_for_subject(subject="contracts.Contract:2", kind="contract.signed").seq == 2
    assert entry_latest_for_subject(subject="contracts.Contract:99") is None


def test_staff_lists_are_scoped_by_area(district):
    d = district
    in_compound = audit_append(kind="vote.tallied", subject="councils.Vote:1", payload={}, area=d.compound1)
    in_other = audit_append(kind="vote.tallied", subject="councils.Vote:2", payload={}, area=d.community3)
    audit_append(kind="platform.notice", subject="core.Platform:1", payload={})

    assert list(Entry.objects.visible_to(d.secretary1)) == [in_compound]
    assert list(Entry.objects.visible_to(d.secretary3)) == [in_other]
    assert Entry.objects.visible_to(d.district_admin).count() == 2  # district-wide, not platform-wide
    assert Entry.objects.visible_to(d.resident_user).count() == 0
