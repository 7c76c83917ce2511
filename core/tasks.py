"""Platform-wide periodic tasks."""

from celery import shared_task

from .outbox import RELAY_LIMIT, relay_messages

RELAY_BATCH = RELAY_LIMIT
# Bounds one run, so a huge backlog is drained over several beats instead of one endless task.
RELAY_MAX_BATCHES = 20


@shared_task(name="core.relay_outbox")
def relay_outbox_task() -> int:
    """Send outbox rows the on-commit relay could not (the broker was down, or the process died)."""
    total = 0
    for _ in range(RELAY_MAX_BATCHES):
        sent = relay_messages(limit=RELAY_BATCH)
        total += sent
        if sent < RELAY_BATCH:
            break
    return total
