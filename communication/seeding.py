"""Bulk synthetic logs for benchmarks and load checks: COPY on PostgreSQL, bulk_create elsewhere."""

import random
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from django.db import connections, transaction

from communication.models import CONTRACT_FIELDS, Channel, CommunicationLog, Status
from communication.synthetic import CHANNEL_WEIGHTS, ERRORS, PROVIDERS, STATUS_WEIGHTS, TEMPLATES, LogGenerator

# Distinct contents and provider answers drawn per template and per (provider, status).
VARIANTS = 256


class BatchLogGenerator:
    """LogGenerator's rows, drawn a batch at a time from precomputed pools: about ten times faster.

    Given `planned_rows`, the rows of the whole load come out oldest first, each at a random moment of
    its own equal share of the span, as a send log is written; otherwise each row's time is drawn
    anywhere in the span. Time order matters to what reads cost: a heap in `created_at` order keeps
    an index range's rows, and their visibility-map entries, together (docs/performance.md).
    """

    def __init__(self, seed, users, now, days, planned_rows=None):
        self.single = LogGenerator(seed=seed, users=users, now=now, days=days)
        self.rng = random.Random(seed)
        self.now_epoch = now.timestamp()
        self.span_seconds = self.single.span_seconds
        self.planned_rows = planned_rows
        self.drawn_rows = 0
        self.channels = list(CHANNEL_WEIGHTS)
        self.channel_cum_weights = list(accumulate(CHANNEL_WEIGHTS.values()))
        self.statuses = list(STATUS_WEIGHTS)
        self.status_cum_weights = list(accumulate(STATUS_WEIGHTS.values()))
        self.recipients = {
            channel: [user.recipient_for(channel) for user in self.single.users] for channel in self.channels
        }
        self.templates = {
            channel: [
                (template_id, [self.single.content_for(template) for _ in range(VARIANTS)])
                for template_id, template in TEMPLATES[channel].items()
            ]
            for channel in self.channels
        }
        self.responses = {
            (provider, status): [self.single.provider_response(provider, status) for _ in range(VARIANTS)]
            for providers in PROVIDERS.values()
            for provider in providers
            for status in self.statuses
        }

    def rows(self, count):
        """`count` rows as tuples in CONTRACT_FIELDS order."""
        rng = self.rng
        users = self.single.users
        user_numbers = [int(rng.random() * len(users)) for _ in range(count)]
        channels = rng.choices(self.channels, cum_weights=self.channel_cum_weights, k=count)
        statuses = rng.choices(self.statuses, cum_weights=self.status_cum_weights, k=count)
        moments = self.moments(count)
        batch = []
        for user_number, channel, status, moment in zip(user_numbers, channels, statuses, moments, strict=True):
            user = users[user_number]
            provider = user.push_provider if channel == Channel.PUSH else rng.choice(PROVIDERS[channel])
            template_id, contents = rng.choice(self.templates[channel])
            created_at = datetime.fromtimestamp(int(moment), UTC)
            if status == Status.PENDING:
                sent_at = None
                updated_at = created_at
            else:
                sent_at = created_at + timedelta(seconds=int(rng.random() * 90))
                updated_at = sent_at + timedelta(seconds=int(rng.random() * 300))
            batch.append(
                (
                    f"log_{rng.getrandbits(80):020x}",
                    user.tenant_id,
                    user.user_id,
                    channel.value,
                    provider,
                    template_id,
                    self.recipients[channel][user_number],
                    rng.choice(contents),
                    status.value,
                    rng.choice(ERRORS[channel]) if status == Status.FAILED else "",
                    rng.choice(self.responses[provider, status]),
                    sent_at,
                    created_at,
                    updated_at,
                )
            )
        return batch

    def moments(self, count):
        """The next `count` creation times as epoch seconds: in order for a planned load, else anywhere."""
        rng = self.rng
        if not self.planned_rows:
            return [self.now_epoch - rng.random() * self.span_seconds for _ in range(count)]
        share = self.span_seconds / self.planned_rows
        start = self.now_epoch - self.span_seconds
        first, self.drawn_rows = self.drawn_rows, self.drawn_rows + count
        return [
            start + min(position + rng.random(), self.planned_rows) * share for position in range(first, first + count)
        ]


@contextmanager
def indexes_rebuilt_after(using="default"):
    """Drop the log table's secondary indexes for a bulk load and build them again afterwards.

    Building an index once over the loaded table is several times cheaper than updating eight
    indexes row by row, which is what bounds COPY speed. The primary key stays.
    """
    connection = connections[using]
    table = CommunicationLog._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_index x ON x.indexrelid = i.indexname::regclass "
            "WHERE i.tablename = %s AND i.schemaname = current_schema() AND NOT x.indisprimary",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem TO '1GB'")
            for _, definition in indexes:
                cursor.execute(definition)
            cursor.execute(f"ANALYZE {table}")


def write_rows(rows, using="default"):
    """Append rows (tuples in CONTRACT_FIELDS order) in one statement: COPY on PostgreSQL, bulk_create elsewhere."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        CommunicationLog.objects.using(using).bulk_create(
            [CommunicationLog(**dict(zip(CONTRACT_FIELDS, row, strict=True))) for row in rows], batch_size=500
        )
        return
    table = CommunicationLog._meta.db_table
    with transaction.atomic(using=using), connection.cursor() as cursor:
        # Losing the last batches of synthetic data in a crash costs nothing; waiting for fsync does.
        cursor.execute("SET LOCAL synchronous_commit TO off")
        with cursor.copy(f"COPY {table} ({', '.join(CONTRACT_FIELDS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
