"""Reads of the public record, shaped for the public page, the API and other apps' pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from .chain import normalise_hash
from .models import Entry
from .verify import Breach, entry_is_valid, verify_chain


def entry_list(*, kind: str = "", subject: str = "") -> QuerySet[Entry]:
    """Latest first. The record is public: no scoping here (staff lists use `visible_to`)."""
    entries = Entry.objects.select_related("area").order_by("-seq")
    if kind:
        entries = entries.filter(kind=kind)
    if subject:
        entries = entries.filter(subject=subject)
    return entries


def record_head() -> Entry | None:
    return Entry.objects.order_by("-seq").first()


def entry_get_by_hash(entry_hash: str) -> Entry | None:
    """The entry with this hash; None for an unknown or malformed hash."""
    normalised = normalise_hash(entry_hash)
    if normalised is None:
        return None
    return Entry.objects.select_related("area").filter(entry_hash=normalised).first()


def entry_latest_for_subject(*, subject: str, kind: str | None = None) -> Entry | None:
    """The newest entry about `subject` (optionally of one kind): what a published page shows."""
    entries = Entry.objects.filter(subject=subject)
    if kind:
        entries = entries.filter(kind=kind)
    return entries.order_by("-seq").first()


@dataclass(frozen=True)
class EntryCheck:
    """What a citizen holding a hash learns from the verification page."""

    hash: str
    entry: Entry | None
    entry_valid: bool | None = None
    chain_valid_to_entry: bool | None = None
    breach: Breach | None = None

    @property
    def found(self) -> bool:
        return self.entry is not None


def entry_check(entry_hash: str) -> EntryCheck | None:
    """Look the hash up and recompute the chain up to it; None when `entry_hash` is not a hash.

    Walks every entry up to the one found (O(seq), constant memory): a published hash is only
    worth something if everything before it is intact too.
    """
    normalised = normalise_hash(entry_hash)
    if normalised is None:
        return None
    entry = entry_get_by_hash(normalised)
    if entry is None:
        return EntryCheck(hash=normalised, entry=None)
    result = verify_chain(up_to_seq=entry.seq)
    return EntryCheck(
        hash=normalised,
        entry=entry,
        entry_valid=entry_is_valid(entry),
        chain_valid_to_entry=result.ok,
        breach=result.breach,
    )
