"""Platform-wide periodic tasks."""

from celery import shared_task

from .outbox import relay_messages


@shared_task(name="core.relay_outbox")
def relay_outbox_task() -> int:
    """Send outbox rows the on-commit relay could not (the broker was down, or the process died)."""
    return relay_messages()
