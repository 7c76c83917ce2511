"""Pure hashing rules of the public record: canonical JSON, entry hashes, document hashes.

No database access here, so the same functions serve the append service, the verifier and any
app that needs a stable hash of a document (a contract text, a vote tally) to put in a payload.
Anyone can re-implement these few lines to check the record independently.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64
HASH_RE = re.compile(r"^[0-9a-f]{64}$")
HASHED_FIELDS = ("seq", "kind", "subject", "payload", "created_at", "prev_hash")


def canonical_json(obj: Any) -> bytes:
    """One byte string per value: keys sorted, no spaces, UTF-8 (Chinese stays readable).

    allow_nan=False only refuses NaN/Infinity (not JSON); it changes no valid output.
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def document_hash(obj: Any) -> str:
    """SHA-256 of the canonical JSON of a structured document (a dict of title, items, budgets…)."""
    return sha256_hex(canonical_json(obj))


def text_hash(text: str) -> str:
    """SHA-256 of a text's UTF-8 bytes: what `sha256sum` gives for the same text saved as a file.

    Kept apart from document_hash, which would hash the JSON-quoted string instead.
    """
    return sha256_hex(text.encode("utf-8"))


def format_created_at(value: datetime) -> str:
    """ISO-8601 in UTC with microseconds, fixed width, so the hashed text never depends on the zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("created_at must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hashed_content(
    *, seq: int, kind: str, subject: str, payload: Any, created_at: datetime, prev_hash: str
) -> dict[str, Any]:
    return {
        "seq": seq,
        "kind": kind,
        "subject": subject,
        "payload": payload,
        "created_at": format_created_at(created_at),
        "prev_hash": prev_hash,
    }


def compute_entry_hash(
    *, seq: int, kind: str, subject: str, payload: Any, created_at: datetime, prev_hash: str
) -> str:
    content = hashed_content(
        seq=seq, kind=kind, subject=subject, payload=payload, created_at=created_at, prev_hash=prev_hash
    )
    return sha256_hex(canonical_json(content))


def normalise_hash(value: str | None) -> str | None:
    """The hash in its stored form (lower-case hex), or None when `value` cannot be one."""
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    return value if HASH_RE.match(value) else None
