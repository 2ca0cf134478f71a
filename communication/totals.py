"""Exact totals for the logs API without counting millions of rows.

On PostgreSQL a total that depends on no filter but `channel`, `status`, `tenant_id`, `provider`
and `template_id` comes from the trigger-kept counters of migrations 0002 and 0003: delta rows
that statement-level triggers append, which readers fold now and then into one row per
(channel, status) and one per (tenant, provider, template, channel, status). Every other shape,
and every other database, counts directly (a `user_id` count is an index scan over that user's
rows only).
"""

from django.conf import settings
from django.db import connections, transaction
from django.db.models import BigIntegerField
from django.db.models.expressions import RawSQL

DELTA_TABLE = "communication_log_count_delta"
KIND_TABLE = "communication_log_count"
SOURCE_TABLE = "communication_log_count_by_source"
LIST_FILTERS = ("channel", "status")
SOURCE_FILTERS = ("tenant_id", "provider", "template_id")
COUNTER_FILTERS = frozenset(LIST_FILTERS + SOURCE_FILTERS)
KEY = "tenant_id, provider, template_id, channel, status"
# Readers fold the delta rows into the counter tables once there are more than this.
ROLLUP_AFTER_ROWS = 500
# Any constant unique to this lock; two readers never roll up at once.
ROLLUP_LOCK_KEY = 4_042_026

ROLLUP_SQL = f"""
WITH moved AS (DELETE FROM {DELTA_TABLE} RETURNING {KEY}, delta),
by_kind AS (
    INSERT INTO {KIND_TABLE} AS counter (channel, status, n)
    SELECT channel, status, sum(delta) FROM moved GROUP BY channel, status
    ON CONFLICT (channel, status) DO UPDATE SET n = counter.n + excluded.n
)
INSERT INTO {SOURCE_TABLE} AS counter ({KEY}, n)
SELECT {KEY}, sum(delta) FROM moved GROUP BY {KEY}
ON CONFLICT ({KEY}) DO UPDATE SET n = counter.n + excluded.n
"""


def delta_rows_sql():
    """How many delta rows wait for the roll-up; not counted when readers never roll up (a replica)."""
    return f"SELECT count(*) FROM {DELTA_TABLE}" if settings.COUNTER_ROLLUP_ON_READ else "SELECT 0"


def uses_counters(connection, filters):
    """True when the total can come from the counters: PostgreSQL, and only filters the counters are keyed by.

    `filters` is None when the view has no FilterSet: then nothing is known of the rows, so they are counted.
    """
    return (
        filters is not None
        and connection.vendor == "postgresql"
        and not any(value for name, value in filters.items() if name not in COUNTER_FILTERS)
    )


def counted_total_sql(filters):
    """SQL and parameters for the sum of the counters that match `filters` (cleaned filter values)."""
    conditions, params = [], []
    for name in LIST_FILTERS:
        if filters.get(name):
            conditions.append(f"{name} = ANY(%s)")
            params.append(list(filters[name]))
    for name in SOURCE_FILTERS:
        if filters.get(name):
            conditions.append(f"{name} = %s")
            params.append(filters[name])
    # The small per-(channel, status) table answers unless a tenant, provider or template is named.
    table = SOURCE_TABLE if any(filters.get(name) for name in SOURCE_FILTERS) else KIND_TABLE
    where = " AND ".join(conditions) or "TRUE"
    sql = (
        f"SELECT coalesce(sum(n), 0) FROM (SELECT n FROM {table} WHERE {where} "
        f"UNION ALL SELECT delta FROM {DELTA_TABLE} WHERE {where}) AS counters"
    )
    return sql, params * 2


def with_counted_total(queryset, filters):
    """`queryset` with the total in every row, to read rows and total in one round trip; None if uncounted."""
    if not uses_counters(connections[queryset.db], filters):
        return None
    return queryset.annotate(
        counted_total=RawSQL(*counted_total_sql(filters), output_field=BigIntegerField()),
        delta_rows=RawSQL(delta_rows_sql(), [], output_field=BigIntegerField()),
    )


def total_of_counted_rows(rows, using):
    """The total that with_counted_total() put in `rows` (not empty), rolling the counters up when due."""
    roll_up_if_due(connections[using], rows[0].delta_rows)
    return rows[0].counted_total


def count_logs(queryset, filters):
    """The exact number of rows of `queryset`, which `filters` (cleaned filter values) produced."""
    connection = connections[queryset.db]
    if not uses_counters(connection, filters):
        return queryset.count()
    sql, params = counted_total_sql(filters)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ({sql}), ({delta_rows_sql()})", params)
        total, delta_rows = cursor.fetchone()
    roll_up_if_due(connection, delta_rows)
    return int(total)


def roll_up_if_due(connection, delta_rows):
    """Readers roll up once the delta rows pile up, unless a periodic job does it (reads on a replica)."""
    if settings.COUNTER_ROLLUP_ON_READ and delta_rows > ROLLUP_AFTER_ROWS:
        roll_up(connection)


def roll_up_and_vacuum(connection):
    """Roll the counters up, then vacuum the delta table: after a bulk load, or from the periodic job.

    Readers sum every page of the delta table, dead rows included, so a table left bloated by a bulk
    load slows every total until (auto)vacuum empties it. VACUUM cannot run inside a transaction, so
    there only the roll-up is done. None if another session holds the roll-up.
    """
    written = roll_up(connection)
    if written is not None and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {DELTA_TABLE}")
    return written


def roll_up(connection):
    """Fold the delta rows into the counter tables: the counter rows it wrote, or None if another session is at it."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ROLLUP_LOCK_KEY])
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(ROLLUP_SQL)
        return cursor.rowcount
