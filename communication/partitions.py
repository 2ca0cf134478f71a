"""Monthly partitions of the log table and the audit trail on PostgreSQL, kept by pg_partman (migration 0002).

pg_partman makes each month's partition ahead of time (`maintain()`, which `migrate` and a daily job run), and a
row outside every month it keeps lands in a default partition, which `maintain()` reports. Retention drops whole
months (`drop_month()`), which is instant where a DELETE of the same rows takes minutes. SQLite has none of it.
"""

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from communication.audit.models import AuditEvent, deletes_allowed
from communication.models import CommunicationLog

PARTITIONED = (CommunicationLog, AuditEvent)


@dataclass(frozen=True)
class Partition:
    """One month's partition: its table, and the [start, end) of `created_at` it holds."""

    table: str
    start: datetime
    end: datetime


def parent(model):
    return f"public.{model._meta.db_table}"


def is_partitioned(model, using="default"):
    """Whether `model`'s table is partitioned here: on PostgreSQL past migration 0002."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        return cursor.fetchone()[0]


def monthly_partitions(model, using="default"):
    """The month partitions of `model`'s table, oldest first (not the default one); none when not partitioned."""
    if not is_partitioned(model, using):
        return []
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT p.partition_tablename, i.child_start_time, i.child_end_time "
            "FROM partman.show_partitions(%s) p, "
            "partman.show_partition_info(p.partition_schemaname || '.' || p.partition_tablename) i",
            [parent(model)],
        )
        return [Partition(table, start, end) for table, start, end in cursor.fetchall()]


def month_starts(start, end):
    """The first moment (UTC) of each month that [start, end) touches."""
    month = datetime(start.year, start.month, 1, tzinfo=UTC)
    while month < end:
        yield month
        month = (month + timedelta(days=32)).replace(day=1)


def make_months(model, start, end, using="default"):
    """Make the partitions of every month [start, end) touches that `model`'s table lacks (a load of old rows)."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT partman.create_partition_time(%s, %s)", [parent(model), list(month_starts(start, end))])


def maintain(using="default"):
    """Make the coming months' partitions of every partitioned table; {default partition: rows} of those that hold
    rows outside every month kept. Raises DatabaseError when a coming month is still missing."""
    with connections[using].cursor() as cursor:
        for model in PARTITIONED:
            cursor.execute("SELECT partman.run_maintenance(%s)", [parent(model)])
            cursor.execute("SELECT premake FROM partman.part_config WHERE parent_table = %s", [parent(model)])
            now, (months_ahead,) = timezone.now(), cursor.fetchone()
            coming = month_starts(now, now + timedelta(days=31 * months_ahead))
            made = {partition.start for partition in monthly_partitions(model, using)}
            missing = [month for month in coming if month not in made]
            if missing:
                raise no_partition_made(model, missing)
        cursor.execute("SELECT default_table, count FROM partman.check_default(true) WHERE count > 0")
        return dict(cursor.fetchall())


def no_partition_made(model, months):
    return DatabaseError(
        f"pg_partman made no partition of {model._meta.db_table} for {', '.join(f'{month:%Y-%m}' for month in months)}"
    )


def move_default_rows(model, using="default"):
    """Make the months the rows of `model`'s default partition belong to and move the rows there: how many.

    Through the parent table, not pg_partman's partition_data_time, so that the counters' triggers see the rows
    leave and arrive, and in one transaction, so that a month that cannot be made leaves them where they were.
    """
    connection = connections[using]
    table = connection.ops.quote_name(model._meta.db_table)
    default = f"{model._meta.db_table}_default"
    leaving = deletes_allowed() if model is AuditEvent else nullcontext()
    with transaction.atomic(using=using), leaving, connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE strays (LIKE {table}) ON COMMIT DROP")
        cursor.execute(
            f"WITH moving AS (DELETE FROM {table} WHERE tableoid = %s::regclass RETURNING *) "
            "INSERT INTO strays SELECT * FROM moving",
            [default],
        )
        cursor.execute("SELECT min(created_at), max(created_at), count(*) FROM strays")
        oldest, newest, rows = cursor.fetchone()
        if rows:
            make_months(model, oldest, newest + timedelta(microseconds=1), using)
            cursor.execute(f"INSERT INTO {table} SELECT * FROM strays")
            cursor.execute(f"SELECT min(created_at) FROM ONLY {connection.ops.quote_name(default)}")
            (stuck,) = cursor.fetchone()
            if stuck is not None:
                raise no_partition_made(model, [stuck])
        cursor.execute("DROP TABLE strays")
    return rows


def drop_month(partition, forget=None, using="default"):
    """Drop one month's partition in one transaction with `forget(partition)`, which takes its rows out of what
    counts them and says how many they were; else they are counted first. The rows dropped."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        table = connections[using].ops.quote_name(partition.table)
        # Writers to this month finish first, and none starts until the partition is gone.
        cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        if forget is not None:
            rows = forget(partition)
        else:
            cursor.execute(f"SELECT count(*) FROM {table}")
            rows = cursor.fetchone()[0]
        cursor.execute(f"DROP TABLE {table}")
        return rows
