"""Thin Celery tasks of the notices app: fetch by id, call the service; each is safe to run twice."""

from celery import shared_task

from core.jobs import period_key, run_once_per_period

from . import services


@shared_task(
    name="notices.email_notice",
    autoretry_for=(services.NoticeEmailFailed,),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=6,
)
def notice_email_task(notice_id: int) -> str:
    return services.notice_email(notice_id=notice_id)


@shared_task(name="notices.send_due_reminders")
def reminders_send_due_task() -> dict | None:
    """Every minute from beat. The (job, minute) key makes a second beat or a duplicate a no-op."""
    run = run_once_per_period(
        "notices.send_due_reminders",
        period_key("minute"),
        lambda: {"sent": services.reminders_send_due()},
    )
    return run.result if run else None
