"""Ledger exports: asking for a ledger (台账) of an area and a period, and building it.

`ledger_request` checks that the actor may open the area's dashboard (404 otherwise), counts the
rows, and either builds a small ledger at once or queues a large one for the `dashboards.build_ledger`
job through the outbox, so a huge range never times a request out. `ledger_build` is that job's
work and is safe to run twice: a done export is never rebuilt, one being built by a live worker is
left alone (the row is locked while it is claimed), a failure is recorded and may be retried.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import tempfile
from datetime import timedelta
from urllib.parse import quote

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from community.access import scope_for, scope_q
from community.models import Area, User
from core.exceptions import InvalidTransition, NotFound, ValidationFailed
from core.outbox import enqueue

from .areas import DASHBOARD_ROLES, dashboard_area
from .ledgers import ledger_for, write_ledger
from .models import PENDING_STATES, ExportState, LedgerExport, LedgerKind
from .periods import Period

logger = logging.getLogger(__name__)

TASK_NAME = "dashboards.build_ledger"
# A build that has written no progress for this long is taken for dead: another run may take it over.
STALE_AFTER = timedelta(minutes=10)


# --- Reads ----------------------------------------------------------------------------------------------


def ledger_exports_visible(user: User | None) -> QuerySet[LedgerExport]:
    """The exports `user` may see and download: their own, and those of the areas whose dashboards they open."""
    if user is None or not user.is_authenticated:
        return LedgerExport.objects.none()
    q = scope_q(LedgerExport, user, scope_for(user).for_roles(DASHBOARD_ROLES))
    exports = LedgerExport.objects.all() if q is None else LedgerExport.objects.filter(q)
    return exports.select_related("area", "requested_by").order_by("-created_at", "-pk")


def ledger_exports_mine(user: User) -> QuerySet[LedgerExport]:
    """ "My ledgers": what `user` asked for, newest first."""
    return (
        LedgerExport.objects.filter(requested_by=user)
        .select_related("area", "requested_by")
        .order_by("-created_at", "-pk")
    )


def ledger_export_get(*, actor: User | None, export_id) -> LedgerExport:
    """One export the actor may see; anything else (absent, someone else's) is a 404."""
    try:
        return ledger_exports_visible(actor).get(pk=int(export_id))
    except (LedgerExport.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("Not found."), code="not_found") from None


def ledger_file_for_download(*, actor: User | None, export_id) -> LedgerExport:
    """The export whose file the actor may download now: 404 if not theirs to see, 409 until it is ready."""
    export = ledger_export_get(actor=actor, export_id=export_id)
    if export.state != ExportState.DONE or not export.file:
        raise InvalidTransition(
            _("This ledger is not ready yet: it can be downloaded once it is made."), code="not_ready"
        )
    return export


_UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\r\n\t]+')


def download_name(export: LedgerExport) -> str:
    """越都社区_服务订单台账_2026-01-01_2026-11-23.xlsx, in the language the ledger was made in."""
    with translation.override(export.language):
        title = str(LedgerKind(export.kind).label)
    parts = [export.area.name, title, export.period_start.isoformat(), export.period_end.isoformat()]
    return _UNSAFE_IN_NAME.sub("-", "_".join(parts)) + ".xlsx"


def content_disposition(export: LedgerExport) -> str:
    """An attachment with an ASCII name for old clients and the Chinese one as RFC 5987 `filename*`."""
    fallback = f"ledger-{export.kind}-{export.period_start.isoformat()}-{export.period_end.isoformat()}.xlsx"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(download_name(export), safe='')}"


# --- Asking for a ledger ----------------------------------------------------------------------------------


def ledger_request(*, actor: User, kind: str, area: Area | int | str | None, period: Period) -> LedgerExport:
    """Ask for the ledger of `kind` for `area` (None: the actor's top area) and `period`.

    404 for an area whose dashboard the actor may not open, 400 for an unknown kind. A ledger of at
    most LEDGER_SYNC_ROWS rows is made at once (the export comes back done, or failed); a larger one
    is queued for the worker and comes back queued. Asking again for the same ledger while it is on
    its way returns that export rather than a second one.
    """
    if kind not in LedgerKind.values:
        raise ValidationFailed(
            _("Choose one of the ledgers."), code="invalid_kind", extra={"kind": [_("Not a ledger.")]}
        )
    area = dashboard_area(actor, area.pk if isinstance(area, Area) else area)
    language = translation.get_language() or settings.LANGUAGE_CODE
    rows = ledger_for(kind).count(area, period)
    with transaction.atomic():
        same = {
            "requested_by": actor,
            "kind": kind,
            "area": area,
            "period_start": period.start,
            "period_end": period.end,
            "language": language,
        }
        pending = LedgerExport.objects.filter(**same, state__in=PENDING_STATES).order_by("-pk").first()
        if pending is not None:
            return pending
        export = LedgerExport.objects.create(**same, rows_total=rows, state=ExportState.QUEUED)
        if rows > settings.LEDGER_SYNC_ROWS:
            enqueue(TASK_NAME, export.pk)
            return export
    return ledger_build(export.pk) or export


def ledger_retry(*, actor: User, export: LedgerExport) -> LedgerExport:
    """Make a failed ledger again (or one whose build went silent); 409 for one that is fine as it is."""
    with transaction.atomic():
        export = LedgerExport.objects.select_for_update().get(pk=export.pk)
        if export.requested_by_id != actor.pk and not _is_area_staff(actor, export):
            raise NotFound(_("Not found."), code="not_found")
        if not (export.state == ExportState.FAILED or _is_stale(export)):
            raise InvalidTransition(
                _("This ledger is on its way or already made: there is nothing to try again."),
                code="not_retryable",
            )
        export.state = ExportState.QUEUED
        export.claim = ""
        export.rows_done = 0
        export.error = ""
        export.finished_at = None
        export.save(update_fields=["state", "claim", "rows_done", "error", "finished_at"])
        if export.rows_total > settings.LEDGER_SYNC_ROWS:
            enqueue(TASK_NAME, export.pk)
            return export
    return ledger_build(export.pk) or export


def _is_area_staff(user: User, export: LedgerExport) -> bool:
    return scope_for(user).for_roles(DASHBOARD_ROLES).covers_path(export.area.path)


def _is_stale(export: LedgerExport, now=None) -> bool:
    """A build that claimed the export and has written no progress for STALE_AFTER (its worker died)."""
    if export.state not in PENDING_STATES:
        return False
    last = export.heartbeat_at or export.created_at
    return last is not None and last < (now or timezone.now()) - STALE_AFTER


# --- Building it ---------------------------------------------------------------------------------------------


def ledger_build(export_id: int) -> LedgerExport | None:
    """Build the export's workbook; safe to run twice, by two workers at once too.

    Returns the export as it stands afterwards: done (built now or before), failed (with the
    error), or still running when another live build holds it; None when it no longer exists.
    """
    claim = secrets.token_hex(8)
    now = timezone.now()
    with transaction.atomic():
        export = (
            LedgerExport.objects.select_for_update(of=("self",))
            .select_related("area", "requested_by")
            .filter(pk=export_id)
            .first()
        )
        if export is None or export.state == ExportState.DONE:
            return export
        if export.state == ExportState.RUNNING and not _is_stale(export, now):
            return export  # a live build holds it
        export.state = ExportState.RUNNING
        export.claim = claim
        export.started_at = export.heartbeat_at = now
        export.rows_done = 0
        export.error = ""
        export.attempts += 1
        export.save(
            update_fields=["state", "claim", "started_at", "heartbeat_at", "rows_done", "error", "attempts"]
        )

    fd, path = tempfile.mkstemp(prefix="ledger-", suffix=".xlsx")
    os.close(fd)
    try:
        period = Period(export.period_start, export.period_end)
        with translation.override(export.language):
            total = ledger_for(export.kind).count(export.area, period)
            _report(export.pk, claim, rows_done=0, rows_total=total)
            done = write_ledger(
                export.kind,
                area=export.area,
                period=period,
                path=path,
                made_by=str(export.requested_by),
                progress=lambda n: _report(export.pk, claim, rows_done=n),
            )
        return _finish(export.pk, claim, path, done)
    except Exception as exc:  # any failure is recorded on the export, which may then be retried
        logger.exception("ledger export %s failed", export.pk)
        return _fail(export.pk, claim, exc)
    finally:
        if os.path.exists(path):
            os.unlink(path)


def _report(export_id: int, claim: str, **fields) -> None:
    """Write progress (and the heartbeat) while this build still holds the export; committed at once."""
    LedgerExport.objects.filter(pk=export_id, claim=claim, state=ExportState.RUNNING).update(
        heartbeat_at=timezone.now(), **fields
    )


def _stored_name(export: LedgerExport) -> str:
    # Unguessable: the file is served only through the download view, never by its path.
    return f"{export.kind}-{export.pk}-{secrets.token_hex(12)}.xlsx"


def _finish(export_id: int, claim: str, path: str, done: int) -> LedgerExport:
    with transaction.atomic():
        export = LedgerExport.objects.select_for_update().get(pk=export_id)
        if export.claim != claim or export.state != ExportState.RUNNING:
            return export  # another build took it over meanwhile; its file counts
        with open(path, "rb") as handle:
            export.file.save(_stored_name(export), File(handle), save=False)
        export.state = ExportState.DONE
        export.rows_done = export.rows_total = done
        export.finished_at = export.heartbeat_at = timezone.now()
        export.claim = ""
        export.save(
            update_fields=["file", "state", "rows_done", "rows_total", "finished_at", "heartbeat_at", "claim"]
        )
    return export


def _fail(export_id: int, claim: str, exc: Exception) -> LedgerExport:
    with transaction.atomic():
        export = LedgerExport.objects.select_for_update().get(pk=export_id)
        if export.claim != claim or export.state != ExportState.RUNNING:
            return export
        export.state = ExportState.FAILED
        export.error = f"{type(exc).__name__}: {exc}"[:2000]
        export.finished_at = timezone.now()
        export.claim = ""
        export.save(update_fields=["state", "error", "finished_at", "claim"])
    return export


def pending_exports(exports) -> bool:
    """Whether any of `exports` is still on its way (the list page keeps polling while one is)."""
    return any(export.state in PENDING_STATES for export in exports)
