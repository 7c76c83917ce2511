"""Thin Celery tasks of the dashboards app; each is safe to run twice."""

from celery import shared_task

from .services import STALE_AFTER

# While another live build holds the export, look again this often, a few times (it is usually done by then).
BUSY_RETRY_SECONDS = int(STALE_AFTER.total_seconds())
BUSY_RETRIES = 6


@shared_task(bind=True, name="dashboards.build_ledger", max_retries=BUSY_RETRIES)
def ledger_build_task(self, export_id: int) -> str:
    """Build a queued ledger export (from the outbox). A done export is not rebuilt; one that another
    worker is building is looked at again later, in case that worker dies before finishing it."""
    from .models import ExportState
    from .services import ledger_build

    export = ledger_build(export_id)
    if export is None:
        return "gone"
    if export.state == ExportState.RUNNING:
        raise self.retry(countdown=BUSY_RETRY_SECONDS)
    return export.state
