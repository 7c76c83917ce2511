"""Thin Celery tasks of the contracts app; each is safe to run twice."""

from celery import shared_task

from core.jobs import period_key, run_once_per_period


@shared_task(name="contracts.daily")
def contracts_daily_task() -> dict | None:
    """Every morning from beat: signing deadlines, reminders, evaluation windows. Once per day."""
    from .jobs import contracts_daily

    day = period_key("day")
    run = run_once_per_period("contracts.daily", day, contracts_daily)
    return run.result if run else None
