"""Exact totals for the logs API without counting millions of rows.

On PostgreSQL a total that only depends on `channel` and `status` comes from the trigger-kept
delta table of migration 0002; every other shape, and every other database, counts directly
(a `user_id` count is an index scan over that user's rows only).
"""

from django.db import connections, transaction
from django.db.models import BigIntegerField
from django.db.models.expressions import RawSQL

COUNTER_TABLE = "communication_log_count_delta"
COUNTER_FILTERS = frozenset({"channel", "status"})
# Readers fold the delta rows into one row per (channel, status) once there are more than this.
ROLLUP_AFTER_ROWS = 500
# Any constant unique to this lock; two readers never roll up at once.
ROLLUP_LOCK_KEY = 4_042_026

READ_COUNTERS_SQL = f"SELECT channel, status, sum(delta), count(*) FROM {COUNTER_TABLE} GROUP BY channel, status"
ROLLUP_SQL = f"""
WITH moved AS (DELETE FROM {COUNTER_TABLE} RETURNING channel, status, delta)
INSERT INTO {COUNTER_TABLE} (channel, status, delta)
SELECT channel, status, sum(delta) FROM moved GROUP BY channel, status HAVING sum(delta) <> 0
"""


def uses_counters(connection, filters):
    """True when the total can come from the counters: PostgreSQL, and no filter but channel and status."""
    return connection.vendor == "postgresql" and not any(
        value for name, value in filters.items() if name not in COUNTER_FILTERS
    )


def with_counted_total(queryset, filters):
    """`queryset` with the total in every row, to read rows and total in one round trip; None if uncounted."""
    if filters is None or not uses_counters(connections[queryset.db], filters):
        return None
    channels, statuses = filters.get("channel") or [], filters.get("status") or []
    return queryset.annotate(
        counted_total=RawSQL(
            f"SELECT coalesce(sum(delta), 0) FROM {COUNTER_TABLE} "
            "WHERE (%s OR channel = ANY(%s)) AND (%s OR status = ANY(%s))",
            [not channels, channels, not statuses, statuses],
            output_field=BigIntegerField(),
        ),
        counter_rows=RawSQL(f"SELECT count(*) FROM {COUNTER_TABLE}", [], output_field=BigIntegerField()),
    )


def total_of_counted_rows(rows, using):
    """The total that with_counted_total() put in `rows` (not empty), rolling the counters up when due."""
    if rows[0].counter_rows > ROLLUP_AFTER_ROWS:
        roll_up(connections[using])
    return rows[0].counted_total


def count_logs(queryset, filters):
    """The exact number of rows of `queryset`, which `filters` (cleaned filter values) produced."""
    connection = connections[queryset.db]
    if filters is None or not uses_counters(connection, filters):
        return queryset.count()
    return counted_total(connection, filters.get("channel") or [], filters.get("status") or [])


def counted_total(connection, channels, statuses):
    """Sum of the counters for any of `channels` and any of `statuses` (empty: all of them)."""
    with connection.cursor() as cursor:
        cursor.execute(READ_COUNTERS_SQL)
        counters = cursor.fetchall()
    if sum(rows for *_, rows in counters) > ROLLUP_AFTER_ROWS:
        roll_up(connection)
    return sum(
        int(total)
        for channel, status, total, _ in counters
        if (not channels or channel in channels) and (not statuses or status in statuses)
    )


def roll_up(connection):
    """Fold the delta rows into one per (channel, status), unless another session is doing it."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ROLLUP_LOCK_KEY])
        if cursor.fetchone()[0]:
            cursor.execute(ROLLUP_SQL)
