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
