"""Periodic jobs keyed by (job, period): whoever records the key first does the period's work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import JobRun


def period_key(kind: str, when: datetime | None = None) -> str:
    """The period containing `when` (Asia/Shanghai): 'minute', 'hour', 'day', 'month' or 'year'."""
    when = timezone.localtime(when or timezone.now())
    formats = {
        "minute": "%Y-%m-%dT%H:%M",
        "hour": "%Y-%m-%dT%H",
        "day": "%Y-%m-%d",
        "month": "%Y-%m",
        "year": "%Y",
    }
    return when.strftime(formats[kind])


def run_once_per_period(job: str, period: str, work: Callable[[], dict[str, Any] | None]) -> JobRun | None:
    """Run `work` unless (job, period) has already been recorded; returns the run or None if skipped.

    The key and the work share one transaction: if the work fails, the key is released too and a
    retry may do the period; if it succeeds, no second attempt ever will.
    """
    try:
        with transaction.atomic():
            run = JobRun.objects.create(job=job, period=period)
            result = work() or {}
            run.result = result
            run.finished_at = timezone.now()
            run.save(update_fields=["result", "finished_at"])
            return run
    except IntegrityError:
        if JobRun.objects.filter(job=job, period=period).exists():
            return None
        raise


def register_beat_task(apps, *, name: str, crontab: dict[str, str], description: str) -> None:
    """Put the task `name` on beat's database schedule at `crontab`, once (call it from a data migration).

    `apps` is the migration's app registry (historical models), or `django.apps.apps`.
    """
    crontab_schedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    periodic_task = apps.get_model("django_celery_beat", "PeriodicTask")
    periodic_tasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    schedule = crontab_schedule.objects.filter(**crontab).first() or crontab_schedule.objects.create(
        **crontab
    )
    periodic_task.objects.get_or_create(
        name=name, defaults={"task": name, "crontab": schedule, "description": description}
    )
    # Tell a running beat (DatabaseScheduler) that its schedule changed.
    periodic_tasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unregister_beat_task(apps, *, name: str) -> None:
    """The reverse of `register_beat_task` (for a migration's backwards step)."""
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=name).delete()
