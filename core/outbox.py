"""The one way any app enqueues background work: an outbox row in the caller's transaction.

`enqueue()` writes the row; after commit the relay hands it to the broker. A periodic relay
(`core.relay_outbox`) resends whatever a broker outage left behind, so committed work is never
lost and rolled-back work never runs.

Tasks must be idempotent: a crash between "sent" and "marked sent" resends a message (with the
same task id, `outbox-<pk>`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# Rows per relay pass (and per transaction, for the on-commit relay).
RELAY_LIMIT = 500


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
    _relay_after_commit(message.pk)
    return message


class _RelayOnCommit:
    """The on-commit relay shared by every message one transaction enqueues.

    One broker connection per transaction, and during an outage one failed attempt per
    transaction rather than one per message (each would delay the request that enqueued).
    """

    def __init__(self) -> None:
        self.ids: list[int] = []

    def __call__(self) -> None:
        ids, self.ids = self.ids, []
        for start in range(0, len(ids), RELAY_LIMIT):
            relay_messages(ids=ids[start : start + RELAY_LIMIT])


def _relay_after_commit(message_id: int) -> None:
    conn = transaction.get_connection()
    if conn.in_atomic_block:
        # Joining a relay registered earlier in this transaction is safe: Django drops it only when
        # a savepoint open at its registration rolls back, and that rolls back these rows too.
        for entry in getattr(conn, "run_on_commit", ()):  # (savepoint ids, callback, robust)
            if isinstance(entry[1], _RelayOnCommit):
                entry[1].ids.append(message_id)
                return
    relay = _RelayOnCommit()
    relay.ids.append(message_id)
    transaction.on_commit(relay, robust=True)


def _connect():
    """A broker connection for one relay pass; raises at once if the broker is unreachable."""
    from config.celery import app

    timeout = settings.OUTBOX_SEND_TIMEOUT
    conn = app.connection_for_write(connect_timeout=timeout)
    try:
        # No retry here: the periodic relay is the retry, and a request that enqueued work must
        # not wait out a broker outage (a refused connection fails at once, a silent host in `timeout`).
        conn.ensure_connection(max_retries=0, timeout=timeout)
    except BaseException:
        conn.release()
        raise
    return conn


def _send(message: OutboxMessage, conn) -> None:
    from config.celery import app

    options = {"task_id": message.celery_task_id}
    if message.eta:
        options["eta"] = message.eta
    if message.queue:
        options["queue"] = message.queue
    app.send_task(
        message.task_name,
        args=message.args,
        kwargs=message.kwargs,
        connection=conn,
        retry=False,
        **options,
    )


def _keep_for_later(message: OutboxMessage, exc: Exception) -> None:
    message.attempts += 1
    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    message.save(update_fields=["attempts", "last_error"])
    logger.warning("outbox: broker unavailable, %s kept for the next relay: %s", message, exc)


def relay_messages(*, ids: list[int] | None = None, limit: int = RELAY_LIMIT) -> int:
    """Send unsent outbox rows to the broker; returns how many were sent.

    Rows are locked with SKIP LOCKED where the database has it (elsewhere the write transaction
    serialises relays), so two relays never send the same row. A broker failure stops the pass
    and leaves the rows, the failing one marked with the error, for the next pass.
    """
    sent = 0
    with transaction.atomic():
        qs = OutboxMessage.objects.filter(sent_at__isnull=True).order_by("id")
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        if settings.IS_POSTGRES:
            qs = qs.select_for_update(skip_locked=True)
        messages = list(qs[:limit])
        if not messages:
            return 0
        try:
            conn = _connect()
        except Exception as exc:  # the broker is down: keep everything for later
            _keep_for_later(messages[0], exc)
            return 0
        with conn:
            for message in messages:
                try:
                    _send(message, conn)
                except Exception as exc:  # the broker went away or refused: keep the rest for later
                    _keep_for_later(message, exc)
                    break
                message.sent_at = timezone.now()
                message.attempts += 1
                message.save(update_fields=["sent_at", "attempts"])
                sent += 1
    return sent
