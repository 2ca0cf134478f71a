"""`manage.py seed_logs`: append many realistic synthetic logs quickly, for benchmarks and load checks."""

import sys
from contextlib import nullcontext
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections
from django.utils import timezone
from tqdm import tqdm

from communication.counters import roll_up_and_vacuum
from communication.counts import count_logs
from communication.models import CommunicationLog
from communication.partitions import is_partitioned, make_months
from communication.seeding import LogGenerator, indexes_rebuilt_after, write_rows

# Rows per COPY statement (and per transaction): large enough to amortise, small enough to show progress.
BATCH_ROWS = 20_000
# From this many rows, and when the load at least doubles the table, PostgreSQL indexes are rebuilt after it.
REBUILD_INDEXES_FROM_ROWS = 100_000
# Every synthetic user is held in memory while the rows are drawn.
MAX_USERS = 1_000_000


class Command(BaseCommand):
    help = "Append N realistic synthetic logs (COPY on PostgreSQL), spread over the last D days and U users."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, required=True, help="How many logs to append.")
        parser.add_argument("--users", type=int, default=10_000, help="How many distinct users (default 10000).")
        span = parser.add_mutually_exclusive_group()
        span.add_argument("--days", type=float, default=90, help="Spread created_at over this many days (default 90).")
        span.add_argument("--months", type=int, help="Spread created_at over this many months of 30 days instead.")
        parser.add_argument(
            "--seed", type=int, default=None, help="Random seed, for repeatable data (default: random)."
        )
        parser.add_argument("--database", default="default", help="Database alias (default 'default').")
        parser.add_argument(
            "--keep-indexes",
            action="store_true",
            help="On PostgreSQL, never drop and rebuild the indexes around a load at least as big as the table.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show the progress bar.")

    def handle(self, *args, rows, users, days, months, seed, database, keep_indexes, no_progress, **options):
        span = ("--months", months) if months is not None else ("--days", days)
        for name, value in (("--rows", rows), ("--users", users), span):
            if not value > 0:
                raise CommandError(f"{name} must be above 0")
        if users > MAX_USERS:
            raise CommandError(f"--users must be at most {MAX_USERS:,}")
        if database not in connections:
            raise CommandError(f"--database: unknown alias {database!r}")
        days = 30 * months if months is not None else days
        now = timezone.now()
        try:
            start = now - timedelta(days=days)
        except OverflowError:
            raise CommandError(f"{span[0]}: {span[1]} reaches back before the year 1") from None
        generator = LogGenerator(seed=seed, users=users, now=now, days=days, planned_rows=rows)
        self.make_months(start, now, database)
        rebuild = (
            connections[database].vendor == "postgresql"
            and not keep_indexes
            and rows >= REBUILD_INDEXES_FROM_ROWS
            and rows >= count_logs(CommunicationLog.objects.using(database).all())
        )
        with indexes_rebuilt_after(database) if rebuild else nullcontext():
            self.load(generator, rows, database, no_progress)
        if connections[database].vendor == "postgresql":
            # One delta row per key and COPY statement: fold them now rather than on some reader's request.
            roll_up_and_vacuum(database)
        self.stdout.write(f"Appended {rows} logs for {users} users over {days:g} days.")

    def make_months(self, start, end, database):
        """The partitions of the months the rows fall in, on PostgreSQL; without them they land in the default one."""
        if not is_partitioned(CommunicationLog, database):
            return
        try:
            make_months(CommunicationLog, start, end, database)
        except DatabaseError as error:
            self.stderr.write(
                f"Months not partitioned ({error.__class__.__name__}); rows outside them go to the default."
            )

    def load(self, generator, rows, database, no_progress):
        with tqdm(total=rows, unit="rows", unit_scale=True, disable=no_progress, file=sys.stderr) as progress:
            remaining = rows
            while remaining:
                batch = generator.rows(min(BATCH_ROWS, remaining))
                write_rows(batch, using=database)
                remaining -= len(batch)
                progress.update(len(batch))
