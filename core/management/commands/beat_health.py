"""Health check for beat: exits non-zero unless some enabled schedule was sent recently."""

from __future__ import annotations

import sys
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db.models import Max
from django.utils import timezone
from django_celery_beat.models import PeriodicTask


class Command(BaseCommand):
    help = "Exit 0 if beat sent an enabled periodic task within --within seconds (default 120)."

    def add_arguments(self, parser):
        parser.add_argument("--within", type=int, default=120)

    def handle(self, *args, within: int, **options):
        last = PeriodicTask.objects.filter(enabled=True).aggregate(last=Max("last_run_at"))["last"]
        if last is None or timezone.now() - last > timedelta(seconds=within):
            self.stderr.write(f"beat: no periodic task sent in the last {within} s (last: {last})")
            sys.exit(1)
        self.stdout.write(f"beat: ok, last sent {last.isoformat()}")
