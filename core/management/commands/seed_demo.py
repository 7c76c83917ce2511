"""Load the demo district: every installed app with a `demo` module seeds its part, in app order."""

from __future__ import annotations

import importlib
import time

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.seeding import DemoContext


class Command(BaseCommand):
    help = "Create (or complete) the demo district in Chinese. Safe to run again: nothing is duplicated."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            default="demo",
            help="'demo' (default, small), 'district' (the full district of DOMAIN.md) or a fraction such as 0.01",
        )
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args, scale: str, quiet_logins: bool, **options):
        if scale == "demo":
            factor = None
        elif scale == "district":
            factor = 1.0
        else:
            try:
                factor = float(scale)
            except ValueError as exc:
                raise CommandError("--scale takes 'demo', 'district' or a number such as 0.01") from exc
            if not 0 < factor <= 1:
                raise CommandError("--scale must be between 0 and 1")
        if factor is not None:
            from community.models import Area, AreaKind
            from core.models import JobRun
            from core.scale import SCALE_JOB, seed_scale

            if (
                not JobRun.objects.filter(job=SCALE_JOB).exists()
                and Area.objects.filter(kind=AreaKind.DISTRICT).exists()
            ):
                raise CommandError(
                    "District-scale data goes into a database of its own: this one already has a district "
                    "(the demo's?). Point DATABASE_URL at an empty database and migrate it first."
                )
            seed_scale(factor, stdout=self.stdout)
            return
        ctx = DemoContext(stdout=self.stdout, style=self.style)
        started = time.monotonic()
        for config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            with transaction.atomic():
                module.seed(ctx)
            self.stdout.write(f"  {config.verbose_name}: ok")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f} s."))
        if not quiet_logins:
            ctx.print_logins()
