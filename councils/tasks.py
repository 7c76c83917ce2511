"""Thin Celery tasks of the councils app; each is safe to run twice."""

from celery import shared_task


@shared_task(name="councils.periodic")
def councils_periodic_task() -> dict[str, int]:
    """Every quarter of an hour from beat: motions close, voters are told and reminded, late issues escalate.

    No per-period lock: every step of the job does each thing once however often it runs.
    """
    from .jobs import councils_periodic

    return councils_periodic()
