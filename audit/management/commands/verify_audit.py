"""`manage.py verify_audit`: recompute the public record's hash chain; exit 1 at the first break."""

import sys

from django.core.management.base import BaseCommand, no_translations

from audit.verify import verify_chain


class Command(BaseCommand):
    help = "Recompute the hash chain of the public record; exit 1 naming the first broken entry."

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=2000, help="Entries fetched per round trip.")

    # The output is a fixed, English, machine-readable format (CI and cron jobs grep it).
    @no_translations
    def handle(self, *args, chunk_size: int, **options):
        result = verify_chain(chunk_size=chunk_size)
        if result.ok:
            self.stdout.write(f"OK: {result.checked} entries, head {result.head_hash or '-'}")
            return
        self.stderr.write(f"{result.breach} (intact before it: {result.checked})")
        sys.exit(1)
