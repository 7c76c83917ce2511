"""The one way any app enqueues background work: `enqueue()` writes an outbox row in the caller's
transaction; after commit the relay hands it to the broker. A periodic relay resends whatever a
broker outage left behind, so committed work is never lost and rolled-back work never runs.

Tasks must be idempotent: a crash between "sent" and "marked sent" resends a message.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)


def enqueue(
    task_name: str,
    *args,
    eta: datetime | None = None,
    queue: str = "",
    **kwargs,
) -> OutboxMessage:
    """Record `task_name(*args, **kwargs)` for the broker, inside the current transaction."""
    message = OutboxMessage.objects.create(
        task_name=task_name, args=list(args), kwargs=kwargs, eta=eta, queue=queue
    )
    transaction.on_commit(lambda: relay_messages(ids=[message.pk]), robust=True)
    return message


def _send(message: OutboxMessage) -> None:
    from config.celery import app

    options = {"task_id": message.celery_task_id}
    if message.eta:
        options["eta"] = message.eta
    if message.queue:
        options["queue"] = message.queue
    timeout = settings.OUTBOX_SEND_TIMEOUT
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=timeout)
        app.send_task(
            message.task_name,
            args=message.args,
            kwargs=message.kwargs,
            connection=conn,
            retry=False,
            **options,
        )


def relay_messages(*, ids: list[int] | None = None, limit: int = 500) -> int:
    """Send unsent outbox rows to the broker; returns how many were sent.

    Rows are locked with SKIP LOCKED where the database has it, so two relays never send
    the same row at once. A broker failure stops the pass and leaves the rows for the next one.
    """
    sent = 0
    with transaction.atomic():
        qs = OutboxMessage.objects.filter(sent_at__isnull=True).order_by("id")
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        if settings.IS_POSTGRES:
            qs = qs.select_for_update(skip_locked=True)
        for message in list(qs[:limit]):
            try:
                _send(message)
            except Exception as exc:  # the broker is down or refused: keep the row for later
                message.attempts += 1
                message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                message.save(update_fields=["attempts", "last_error"])
                logger.warning("outbox: broker unavailable, %s kept for the next relay: %s", message, exc)
                break
            message.sent_at = timezone.now()
            message.attempts += 1
            message.save(update_fields=["sent_at", "attempts"])
            sent += 1
    return sent
