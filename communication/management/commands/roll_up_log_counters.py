from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from communication.counters import roll_up_and_vacuum


class Command(BaseCommand):
    help = (
        "Fold the delta rows of the log counters into their totals, drop counter rows of 0 and vacuum the delta "
        "rows (PostgreSQL). Readers fold on their own unless DJANGO_COUNTER_ROLLUP_ON_READ is off, as it must be "
        "when reads go to a replica: then run this on the primary every minute."
    )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("only PostgreSQL keeps log counters; other databases count directly")
        written = roll_up_and_vacuum()
        if written is None:
            self.stdout.write("Another session is rolling the counters up; nothing done.")
        else:
            self.stdout.write(f"Rolled the log counters up: {written} counter rows written.")
