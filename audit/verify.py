"""Recompute the hash chain from the first entry and name the first place where it does not hold."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .chain import GENESIS_HASH, HASHED_FIELDS, compute_entry_hash, format_created_at
from .models import Entry

ALTERED = "altered"
MISSING = "missing"
BROKEN_LINK = "broken_link"
OUT_OF_ORDER = "out_of_order"

REASON_LABELS = {
    ALTERED: _("The entry was altered: its content no longer gives its hash."),
    MISSING: _("An entry before this one is missing."),
    BROKEN_LINK: _(
        "The entry does not follow the one before it: entries were inserted, removed or reordered."
    ),
    OUT_OF_ORDER: _("The entry is dated before the one preceding it: entries were reordered."),
}

_COLUMNS = ("id", "seq", "kind", "subject", "payload", "created_at", "prev_hash", "entry_hash")


@dataclass(frozen=True)
class Breach:
    seq: int
    entry_id: int
    reason: str
    detail: str  # technical and in English: the operator's command prints it as is

    @property
    def reason_label(self) -> str:
        return str(REASON_LABELS[self.reason])

    def __str__(self) -> str:
        return f"BROKEN at seq {self.seq} (id {self.entry_id}): {self.reason} — {self.detail}"


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    head_hash: str | None  # hash of the last entry checked
    breach: Breach | None = None

    @property
    def ok(self) -> bool:
        return self.breach is None


def entry_is_valid(entry: Entry) -> bool:
    """Whether the entry's own content still gives its stored hash (says nothing of its neighbours)."""
    return compute_entry_hash(**entry.hash_inputs()) == entry.entry_hash


def _check(row: dict, expected_seq: int, prev_hash: str, prev_created_at) -> Breach | None:
    recomputed = compute_entry_hash(**{key: row[key] for key in HASHED_FIELDS})
    if recomputed != row["entry_hash"]:
        return Breach(
            row["seq"], row["id"], ALTERED, f"stored hash {row['entry_hash']} recomputed {recomputed}"
        )
    if row["seq"] != expected_seq:
        return Breach(row["seq"], row["id"], MISSING, f"expected seq {expected_seq}, found seq {row['seq']}")
    if row["prev_hash"] != prev_hash:
        return Breach(
            row["seq"],
            row["id"],
            BROKEN_LINK,
            f"prev_hash {row['prev_hash']} but the previous entry's hash is {prev_hash}",
        )
    if prev_created_at is not None and row["created_at"] < prev_created_at:
        return Breach(
            row["seq"],
            row["id"],
            OUT_OF_ORDER,
            f"created_at {format_created_at(row['created_at'])} "
            f"is before the previous entry's {format_created_at(prev_created_at)}",
        )
    return None


def verify_chain(*, up_to_seq: int | None = None, chunk_size: int = 2000) -> VerifyResult:
    """Walk the entries in seq order (constant memory) and stop at the first breach.

    With `up_to_seq`, only the chain from the first entry up to and including that seq is checked:
    what a citizen holding that entry's hash relies on.
    """
    rows = Entry.objects.order_by("seq")
    if up_to_seq is not None:
        rows = rows.filter(seq__lte=up_to_seq)
    expected_seq, prev_hash, prev_created_at = 1, GENESIS_HASH, None
    checked = 0
    for values in rows.values_list(*_COLUMNS).iterator(chunk_size=chunk_size):
        row = dict(zip(_COLUMNS, values, strict=True))
        breach = _check(row, expected_seq, prev_hash, prev_created_at)
        if breach is not None:
            return VerifyResult(checked=checked, head_hash=prev_hash if checked else None, breach=breach)
        checked += 1
        expected_seq, prev_hash, prev_created_at = row["seq"] + 1, row["entry_hash"], row["created_at"]
    return VerifyResult(checked=checked, head_hash=prev_hash if checked else None)
