"""What the data-lifecycle commands share: ages, batched deletes, the operator they record, user ids."""

import getpass
import re
from argparse import ArgumentTypeError
from contextlib import contextmanager, nullcontext
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction
from django.utils import timezone
from tqdm import tqdm

from communication.audit.recording import record_event
from communication.envelope import rfc3339
from communication.masking import has_control_characters
from communication.models import IDENTIFIER_MAX_LENGTH
from communication.partitions import drop_month, monthly_partitions

AGE_PATTERN = re.compile(r"([0-9]{1,6})([hdw])")
AGE_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
# Rows per DELETE: each batch is its own transaction, so locks last a fraction of a second.
DEFAULT_BATCH_SIZE = 2000
MAX_BATCH_SIZE = 100_000
INTERRUPTED_RETURN_CODE = 130


def parse_age(text):
    """`180d`, `12h` or `4w` as a timedelta; anything else raises ValueError saying what is allowed."""
    match = AGE_PATTERN.fullmatch(text.strip())
    if not match or int(match[1]) == 0:
        raise ValueError(f"{text!r} is not an age: use a whole number from 1 to 999999 and h, d or w, such as 180d")
    return timedelta(**{AGE_UNITS[match[2]]: int(match[1])})


def delete_in_batches(queryset, *, batch_size, ordering):
    """Delete the rows of `queryset` a batch of primary keys at a time; yield how many each batch removed."""
    while True:
        with transaction.atomic():
            batch = list(queryset.order_by(*ordering).values_list("pk", flat=True)[:batch_size])
            if not batch:
                return
            # An ordinary DELETE, so triggers (such as the exact-total counters) see every row go; the queryset's
            # own filters stay, so that PostgreSQL looks only in the partitions they reach.
            deleted, _ = queryset.filter(pk__in=batch).delete()
        yield deleted


def identifier_argument(text):
    """An argparse type: a user or tenant id as the API's filters accept it."""
    if not text or has_control_characters(text) or len(text) > IDENTIFIER_MAX_LENGTH:
        raise ArgumentTypeError(f"must be 1 to {IDENTIFIER_MAX_LENGTH} characters without control characters")
    return text


def batch_size_argument(text):
    """An argparse type: rows per batch, from 1 to MAX_BATCH_SIZE."""
    if not text.isdigit() or not 1 <= int(text) <= MAX_BATCH_SIZE:
        raise ArgumentTypeError(f"must be a whole number from 1 to {MAX_BATCH_SIZE:,}")
    return int(text)


def add_actor_argument(parser):
    parser.add_argument(
        "--actor", help="Username of the operator doing it, for the audit trail (default: the OS user)."
    )


def add_user_arguments(parser):
    """The user whose logs a command handles, and the operator it records in the audit trail."""
    parser.add_argument("user_id", type=identifier_argument, help="The user's id, as in the logs (usr_...).")
    add_actor_argument(parser)


def actor_for(username):
    """Who the audit trail names for `--actor`: that user, or `os:<name>` of the OS user when none was given."""
    if username is None:
        try:
            return f"os:{getpass.getuser()}"
        except (KeyError, OSError):
            return "os:unknown"
    try:
        return get_user_model().objects.get_by_natural_key(username)
    except get_user_model().DoesNotExist:
        raise CommandError(f"--actor: there is no user named {username!r}") from None


class BatchDeleteCommand(BaseCommand):
    """Shared options and the batch loop of the commands that delete rows."""

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only count the rows; delete nothing.")
        parser.add_argument(
            "--batch-size",
            type=batch_size_argument,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows per batch, each in its own short transaction (default {DEFAULT_BATCH_SIZE}).",
        )

    def delete_with_progress(self, queryset, *, total, batch_size, ordering, done=0, on_stop=None):
        """Delete in batches under a progress bar (shown on a terminal): the rows deleted, added to `done`.

        Ctrl-C or a database error stops it with every finished batch kept; `on_stop(rows removed)` records them.
        """
        deleted = done
        with tqdm(total=total, unit="rows", disable=None) as progress, self.stopping(lambda: deleted, on_stop):
            for count in delete_in_batches(queryset, batch_size=batch_size, ordering=ordering):
                deleted += count
                progress.update(count)
        return deleted

    @contextmanager
    def stopping(self, removed, on_stop=None):
        """Ctrl-C, or a database error, as a CommandError that says what was removed (`removed()`) and kept."""
        try:
            yield
        except (KeyboardInterrupt, DatabaseError) as error:
            unrecorded = ""
            try:
                if on_stop:
                    on_stop(removed())
            except DatabaseError:
                unrecorded = " (the audit trail could not record them)"
            interrupted = isinstance(error, KeyboardInterrupt)
            cause = "Interrupted" if interrupted else f"Stopped by a database error ({type(error).__name__}: {error})"
            raise CommandError(
                f"{cause} after removing {removed()} rows{unrecorded}; each finished step is committed and no longer "
                "counted, the rest are untouched: run the command again to remove them.",
                returncode=INTERRUPTED_RETURN_CODE if interrupted else 1,
            ) from None


class PurgeCommand(BatchDeleteCommand):
    """Delete the rows of `model` older than a retention age taken from `retention_setting` by default; record it."""

    model = None
    retention_setting = ""
    noun = "rows"
    audit_action = None
    # The index that finds old rows first, so each batch reads only what it deletes.
    ordering = ("created_at", "pk")
    # True: no row younger than the retention setting may be purged, whatever `--older-than` says.
    retention_is_a_minimum = False
    # What takes a month about to be dropped out of what counts its rows (partitions.drop_month); None: nothing.
    forget = None

    def add_arguments(self, parser):
        default_days = getattr(settings, self.retention_setting)
        parser.add_argument(
            "--older-than",
            default=f"{default_days}d",
            help=f"Age such as 180d, 12h or 4w (default {default_days}d, from DJANGO_{self.retention_setting}).",
        )
        add_actor_argument(parser)
        super().add_arguments(parser)

    def deleting(self):
        """The context every batch deletes in."""
        return nullcontext()

    def count(self, rows):
        return rows.count()

    def handle(self, *args, older_than, dry_run, batch_size, actor, **options):
        actor = actor_for(actor)
        cutoff = self.cutoff(older_than)
        old_rows = self.model.objects.filter(created_at__lt=cutoff)
        whole_months = [month for month in monthly_partitions(self.model) if month.end <= cutoff]
        if dry_run:
            in_months = f", {len(whole_months)} whole months of them by dropping them" if whole_months else ""
            would = f"Would delete {self.count(old_rows)} {self.noun} created before {rfc3339(cutoff)}{in_months}"
            self.stdout.write(f"{would} (dry run).")
            return
        months, dropped = [], 0

        def record(removed):
            filters = {"older_than": older_than, "created_before": rfc3339(cutoff), "months_dropped": months}
            record_event(actor=actor, action=self.audit_action, status_code=200, filters=filters, total=removed)

        with self.stopping(lambda: dropped, on_stop=record):
            for month in whole_months:
                dropped += drop_month(month, forget=self.forget)
                months.append(f"{month.start:%Y-%m}")
        with self.deleting():
            removed = self.delete_with_progress(
                old_rows,
                total=self.count(old_rows),
                batch_size=batch_size,
                ordering=self.ordering,
                done=dropped,
                on_stop=record,
            )
        record(removed)
        in_months = f", {dropped} of them in {len(months)} whole months dropped" if months else ""
        self.stdout.write(f"Deleted {removed} {self.noun} created before {rfc3339(cutoff)}{in_months}.")

    def cutoff(self, older_than):
        """Now less `--older-than`; refused when it reaches back before year 1, or is younger than a minimum."""
        try:
            age = parse_age(older_than)
            cutoff = timezone.now() - age
        except ValueError as error:
            raise CommandError(f"--older-than: {error}") from None
        except OverflowError:
            raise CommandError(f"--older-than: {older_than!r} reaches back before the year 1") from None
        retention_days = getattr(settings, self.retention_setting)
        if self.retention_is_a_minimum and age < timedelta(days=retention_days):
            raise CommandError(
                f"--older-than: {self.noun} are kept {retention_days} days (DJANGO_{self.retention_setting}); "
                f"{older_than} is shorter"
            )
        return cutoff
