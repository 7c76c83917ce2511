"""`manage.py verify_ledger`: recompute every points balance and check every invariant; exit 1 on a breach."""

import sys

from django.core.management.base import BaseCommand, no_translations

from points.ledger import verify_ledger


class Command(BaseCommand):
    help = (
        "Recompute every points balance from the transfers and check every ledger invariant; "
        "exit 1 naming each breach."
    )

    # The output is a fixed, English, machine-readable format (CI and cron jobs grep it).
    @no_translations
    def handle(self, *args, **options):
        report = verify_ledger()
        if report.ok:
            self.stdout.write(report.summary())
            return
        for breach in report.breaches:
            self.stderr.write(str(breach))
        self.stderr.write(report.summary())
        sys.exit(1)
