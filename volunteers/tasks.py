"""Thin Celery tasks of the volunteers app; each is safe to run twice."""

from celery import shared_task


@shared_task(name="volunteers.periodic")
def volunteers_periodic_task() -> dict[str, int]:
    """Every quarter of an hour from beat: wishes pushed, orders returned or closed, activities reminded and closed.

    No lock around the whole job: every step does each thing once however often it runs.
    """
    from .jobs import volunteers_periodic

    return volunteers_periodic()
