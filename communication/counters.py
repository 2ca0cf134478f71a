"""Trigger-kept counters of the logs, on PostgreSQL: what makes an exact total cheap at tens of millions of rows.

Statement-level triggers on the log table (declared here with django-pgtrigger) append one delta row per
statement and key, counting the rows the statement inserted, deleted or changed, so INSERT, UPDATE, DELETE,
COPY and raw SQL are all counted, with no counter row that every writer would queue on. `roll_up()` folds the
delta rows into four counter tables: per (channel, status), per source and month, per UTC day and per UTC hour.
A total is the sum of the matching counter rows and delta rows (communication.counts). SQLite counts rows.
"""

import pgtrigger
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction

# As long as the log table's columns.
CHANNEL_MAX_LENGTH, STATUS_MAX_LENGTH = 8, 16
# Any constant unique to this lock: two roll-ups never run at once.
ROLLUP_LOCK_KEY = 4_042_026
# A reader that finds more delta rows than this waiting folds them itself (unless a job does it).
ROLLUP_AFTER_ROWS = 500


class KindKey(models.Model):
    """What every counter is kept per: the channel and status of the logs."""

    channel = models.CharField(max_length=CHANNEL_MAX_LENGTH)
    status = models.CharField(max_length=STATUS_MAX_LENGTH)
    n = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class SourceKey(models.Model):
    """The source of the logs: tenant, provider and template."""

    tenant_id = models.CharField(max_length=64)
    provider = models.CharField(max_length=64)
    template_id = models.CharField(max_length=64)

    class Meta:
        abstract = True


class LogCountDelta(SourceKey):
    """How many logs one statement added (or, negative, removed) for one key and UTC hour; rolled up later."""

    channel = models.CharField(max_length=CHANNEL_MAX_LENGTH)
    status = models.CharField(max_length=STATUS_MAX_LENGTH)
    day = models.DateField()
    hour = models.SmallIntegerField()
    delta = models.BigIntegerField()

    def __str__(self):
        return f"{self.delta:+} {self.channel}/{self.status} of {self.tenant_id} on {self.day} {self.hour}h"


class LogCount(KindKey):
    """Logs per (channel, status)."""

    pk = models.CompositePrimaryKey("channel", "status")

    def __str__(self):
        return f"{self.n} {self.channel}/{self.status}"


class LogCountBySource(SourceKey, KindKey):
    """Logs per source, (channel, status) and UTC month: a month's rows go when its partition is dropped."""

    pk = models.CompositePrimaryKey("month", "tenant_id", "provider", "template_id", "channel", "status")
    month = models.DateField(help_text="The first day of the UTC month.")

    def __str__(self):
        source = f"{self.tenant_id}/{self.provider}/{self.template_id}"
        return f"{self.n} {self.channel}/{self.status} of {source} in {self.month}"


class LogCountByDay(KindKey):
    """Logs per UTC day and (channel, status)."""

    pk = models.CompositePrimaryKey("day", "channel", "status")
    day = models.DateField()

    def __str__(self):
        return f"{self.n} {self.channel}/{self.status} on {self.day}"


class LogCountByHour(KindKey):
    """Logs per UTC hour and (channel, status)."""

    pk = models.CompositePrimaryKey("day", "hour", "channel", "status")
    day = models.DateField()
    hour = models.SmallIntegerField()

    def __str__(self):
        return f"{self.n} {self.channel}/{self.status} on {self.day} {self.hour}h"


DELTA = LogCountDelta._meta.db_table
COUNTER_TABLES = [model._meta.db_table for model in (LogCount, LogCountBySource, LogCountByDay, LogCountByHour)]
SOURCE = "tenant_id, provider, template_id, channel, status"
UTC_DAY = "(created_at AT TIME ZONE 'UTC')::date"
UTC_HOUR = "extract(hour FROM created_at AT TIME ZONE 'UTC')::smallint"


def appended_deltas(rows, sign):
    """Trigger body: one delta row per key and hour of the transition table `rows`, counted with `sign`."""
    return f"""
        INSERT INTO {DELTA} ({SOURCE}, day, hour, delta)
        SELECT {SOURCE}, {UTC_DAY}, {UTC_HOUR}, {sign}count(*) FROM {rows} GROUP BY 1, 2, 3, 4, 5, 6, 7;
        RETURN NULL;
    """


def count_trigger(name, operation, func, **referencing):
    return pgtrigger.Trigger(
        name=name,
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=operation,
        referencing=pgtrigger.Referencing(**referencing) if referencing else None,
        func=func,
    )


# On the log table (CommunicationLog.Meta.triggers).
LOG_COUNT_TRIGGERS = [
    count_trigger("count_inserted_logs", pgtrigger.Insert, appended_deltas("new_rows", ""), new="new_rows"),
    count_trigger("count_deleted_logs", pgtrigger.Delete, appended_deltas("old_rows", "-"), old="old_rows"),
    count_trigger(
        "count_changed_logs",
        pgtrigger.Update,
        f"""
        INSERT INTO {DELTA} ({SOURCE}, day, hour, delta)
        SELECT {SOURCE}, day, hour, sum(change) FROM (
            SELECT {SOURCE}, {UTC_DAY} AS day, {UTC_HOUR} AS hour, -1 AS change FROM old_rows
            UNION ALL
            SELECT {SOURCE}, {UTC_DAY}, {UTC_HOUR}, 1 FROM new_rows
        ) AS changes
        GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(change) <> 0;
        RETURN NULL;
        """,
        old="old_rows",
        new="new_rows",
    ),
    count_trigger(
        "count_truncated_logs",
        pgtrigger.Truncate,
        "".join(f"DELETE FROM {table}; " for table in [DELTA, *COUNTER_TABLES]) + "RETURN NULL;",
    ),
]

ROLLUP_SQL = f"""
WITH moved AS (DELETE FROM {DELTA} RETURNING {SOURCE}, day, hour, delta),
by_kind AS (
    INSERT INTO {LogCount._meta.db_table} AS counter (channel, status, n)
    SELECT channel, status, sum(delta) FROM moved GROUP BY channel, status
    ON CONFLICT (channel, status) DO UPDATE SET n = counter.n + excluded.n
),
by_day AS (
    INSERT INTO {LogCountByDay._meta.db_table} AS counter (day, channel, status, n)
    SELECT day, channel, status, sum(delta) FROM moved GROUP BY day, channel, status
    ON CONFLICT (day, channel, status) DO UPDATE SET n = counter.n + excluded.n
),
by_hour AS (
    INSERT INTO {LogCountByHour._meta.db_table} AS counter (day, hour, channel, status, n)
    SELECT day, hour, channel, status, sum(delta) FROM moved GROUP BY day, hour, channel, status
    ON CONFLICT (day, hour, channel, status) DO UPDATE SET n = counter.n + excluded.n
)
INSERT INTO {LogCountBySource._meta.db_table} AS counter (month, {SOURCE}, n)
SELECT date_trunc('month', day)::date, {SOURCE}, sum(delta) FROM moved GROUP BY 1, 2, 3, 4, 5, 6
ON CONFLICT (month, {SOURCE}) DO UPDATE SET n = counter.n + excluded.n
"""


def roll_up(using="default", *, drop_empty=False, wait=False):
    """Fold the delta rows into the counter tables: the counter rows written, or None if another session is at it
    (with `wait`, once it is done).

    With `drop_empty`, also delete counter rows of 0, left by keys whose logs were all purged or changed to
    another key, so the tables grow with the time kept rather than with all time. Only roll-ups add to
    counter rows, and they take turns under the lock, so no row is refilled while this deletes it.
    """
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROLLUP_LOCK_KEY])
        else:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ROLLUP_LOCK_KEY])
            if not cursor.fetchone()[0]:
                return None
        cursor.execute(ROLLUP_SQL)
        written = cursor.rowcount
        if drop_empty:
            for table in COUNTER_TABLES:
                cursor.execute(f"DELETE FROM {table} WHERE n = 0")
        return written


def roll_up_and_vacuum(using="default"):
    """Roll up and drop empty counter rows, then vacuum the delta table: after a bulk load, or from the job.

    Readers sum every page of the delta table, dead rows too, so one left bloated by a bulk load slows every
    total until (auto)vacuum empties it. VACUUM cannot run inside a transaction; there only the roll-up is done.
    """
    written = roll_up(using, drop_empty=True)
    connection = connections[using]
    if written is not None and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {DELTA}")
    return written


def roll_up_if_due(using, waiting_rows):
    """Readers of the primary roll up once the delta rows pile up, unless a periodic job does it."""
    if using == DEFAULT_DB_ALIAS and settings.COUNTER_ROLLUP_ON_READ and waiting_rows > ROLLUP_AFTER_ROWS:
        roll_up(using)


def forget_month(partition, using="default"):
    """Take the logs of one month's partition, about to be dropped, out of the counters: the rows they count.

    Inside the drop's transaction, so totals never count a row that is gone or miss one that is there. The delta
    rows are folded first (under the roll-up lock, held to the end of the transaction), so the counters alone
    hold the month.
    """
    roll_up(using, wait=True)
    days = {"day__gte": partition.start.date(), "day__lt": partition.end.date()}
    month = LogCountByDay.objects.using(using).filter(**days)
    kinds = list(month.values("channel", "status").annotate(rows=models.Sum("n")).order_by())
    for kind in kinds:
        LogCount.objects.using(using).filter(channel=kind["channel"], status=kind["status"]).update(
            n=models.F("n") - kind["rows"]
        )
    month.delete()
    LogCountByHour.objects.using(using).filter(**days).delete()
    LogCountBySource.objects.using(using).filter(month__gte=days["day__gte"], month__lt=days["day__lt"]).delete()
    return sum(kind["rows"] for kind in kinds)
