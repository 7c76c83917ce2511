"""The one writer of the public record: `audit_append`, serialised so the chain never forks."""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.models import Area
from core.exceptions import ValidationFailed

from .chain import GENESIS_HASH, canonical_json, compute_entry_hash
from .models import Entry

# pg_advisory_xact_lock key: the bytes of "audit.en" as a signed 64-bit int, so it is recognisable
# in pg_locks and does not collide with keys other apps derive from their own names.
CHAIN_LOCK_KEY = int.from_bytes(b"audit.en", "big", signed=True)

KIND_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
KIND_MAX_LENGTH = 64
SUBJECT_MAX_LENGTH = 200
# Payloads are small facts; a long text is recorded as its chain.text_hash, not as itself.
PAYLOAD_MAX_BYTES = 64 * 1024


def subject_for(obj: models.Model) -> str:
    """The subject reference of a model instance, e.g. "contracts.Contract:12"."""
    return f"{obj._meta.label}:{obj.pk}"


def _payload_problem(value: Any, path: str) -> str | None:
    """The first reason `value` cannot be stored and re-hashed exactly, or None."""
    if value is None or isinstance(value, bool | int):
        return None
    if isinstance(value, str):
        # PostgreSQL's jsonb cannot hold NUL characters.
        return _("%(path)s contains a NUL character.") % {"path": path} if "\x00" in value else None
    if isinstance(value, float):
        # jsonb rewrites large floats as integers (1e16 becomes 10000000000000000), which would
        # change the hash of a stored entry; decimals are recorded as strings instead.
        return _("%(path)s is a floating-point number; record it as a string or an integer.") % {"path": path}
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return _("%(path)s has a key that is not a string.") % {"path": path}
            problem = _payload_problem(item, f"{path}.{key}")
            if problem:
                return problem
        return None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problem = _payload_problem(item, f"{path}[{index}]")
            if problem:
                return problem
        return None
    return _("%(path)s is a %(type)s, which is not JSON.") % {"path": path, "type": type(value).__name__}


def _clean_payload(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ValidationFailed(_("The payload of a record entry must be a JSON object."))
    problem = _payload_problem(payload, "payload")
    if problem:
        raise ValidationFailed(_("The payload cannot be recorded: %(problem)s") % {"problem": problem})
    try:
        encoded = canonical_json(payload)
    except (TypeError, ValueError) as exc:  # ValueError covers lone surrogates that UTF-8 refuses
        raise ValidationFailed(_("The payload cannot be recorded: it is not valid JSON text.")) from exc
    if len(encoded) > PAYLOAD_MAX_BYTES:
        raise ValidationFailed(
            _("The payload is too large (%(size)d bytes, at most %(max)d); record a document hash instead.")
            % {"size": len(encoded), "max": PAYLOAD_MAX_BYTES}
        )
    # Tuples become lists: what is hashed is exactly what the database gives back.
    return json.loads(encoded)


def _clean_reference(kind: str, subject: str) -> None:
    if not isinstance(kind, str) or len(kind) > KIND_MAX_LENGTH or not KIND_RE.match(kind):
        raise ValidationFailed(
            _('The kind of a record entry is a dotted lower-case name such as "contract.signed".')
        )
    if (
        not isinstance(subject, str)
        or not subject.strip()
        or len(subject) > SUBJECT_MAX_LENGTH
        or "\x00" in subject
    ):
        raise ValidationFailed(
            _("The subject of a record entry is a reference of at most %(max)d characters.")
            % {"max": SUBJECT_MAX_LENGTH}
        )


def _lock_chain() -> None:
    """Make appends take turns until the surrounding transaction ends.

    On SQLite the IMMEDIATE transaction mode (config.settings) already holds the database's
    single write lock from BEGIN, so there is nothing more to take.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def audit_append(*, kind: str, subject: str, payload: dict[str, Any], area: Area | None = None) -> Entry:
    """Append one fact to the public record and return the new entry.

    The payload is published as it is, to anyone: never put personal data in it (names, phone or
    ID numbers); refer to people by role or by an id the public cannot resolve. Decimals go in as
    strings, long texts as `chain.text_hash`/`chain.document_hash`.

    Call it inside the transaction of the change it records, so both commit or neither does, and
    as late as possible in it: the chain lock is held until that transaction ends.
    """
    _clean_reference(kind, subject)
    payload = _clean_payload(payload)
    with transaction.atomic():
        _lock_chain()
        last = Entry.objects.order_by("-seq").values_list("seq", "entry_hash", "created_at").first()
        seq, prev_hash, last_created_at = (last[0] + 1, last[1], last[2]) if last else (1, GENESIS_HASH, None)
        created_at = timezone.now()
        if last_created_at is not None and created_at < last_created_at:
            # Replicas' clocks may differ slightly; time never runs backwards along the chain,
            # because the verifier treats that as a sign of reordering.
            created_at = last_created_at
        entry = Entry(
            seq=seq,
            kind=kind,
            subject=subject,
            area=area,
            payload=payload,
            created_at=created_at,
            prev_hash=prev_hash,
            entry_hash=compute_entry_hash(
                seq=seq,
                kind=kind,
                subject=subject,
                payload=payload,
                created_at=created_at,
                prev_hash=prev_hash,
            ),
        )
        entry.save(force_insert=True)
    return entry
