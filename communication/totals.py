"""Exact totals for the logs API without counting millions of rows.

On PostgreSQL a total that depends on no filter but `channel`, `status`, `tenant_id`, `provider`,
`template_id`, `created_after` and `created_before` comes from the trigger-kept counters of
migrations 0002, 0003, 0005 and 0006: delta rows that statement-level triggers append, which readers
fold now and then into one row per (channel, status), one per (tenant, provider, template, channel,
status), one per (UTC day, channel, status) and one per (UTC hour, channel, status). A date range
sums the days it wholly covers, the whole hours of the part days at its ends, and counts the rows
of the part hours (through migration 0007's function). Every other shape (a date range with a
tenant, provider or template, an empty range, `user_id`, `recipient`), and every other database,
counts directly (a `user_id` count is an index scan over that user's rows only).

A page near the start is read with its total in one statement, put together here from the ORM's
WHERE clause (rows_with_total_sql).
"""

import functools
from collections import namedtuple
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections, transaction

from commlogs_site.database import converted_rows, load_utc_times_natively
from commlogs_site.envelope import rfc3339_sql
from communication.models import CommunicationLog, Status

LOG_TABLE = CommunicationLog._meta.db_table
DELTA_TABLE = "communication_log_count_delta"
KIND_TABLE = "communication_log_count"
SOURCE_TABLE = "communication_log_count_by_source"
DAY_TABLE = "communication_log_count_by_day"
HOUR_TABLE = "communication_log_count_by_hour"
COUNT_FUNCTION = "communication_log_count_between"
COUNTER_TABLES = (KIND_TABLE, SOURCE_TABLE, DAY_TABLE, HOUR_TABLE)
LIST_FILTERS = ("channel", "status")
SOURCE_FILTERS = ("tenant_id", "provider", "template_id")
DATE_FILTERS = ("created_after", "created_before")
COUNTER_FILTERS = frozenset(LIST_FILTERS + SOURCE_FILTERS + DATE_FILTERS)
KEY = "tenant_id, provider, template_id, channel, status"
# Readers fold the delta rows into the counter tables once there are more than this.
ROLLUP_AFTER_ROWS = 500
# Any constant unique to this lock; two readers never roll up at once.
ROLLUP_LOCK_KEY = 4_042_026

ROLLUP_SQL = f"""
WITH moved AS (DELETE FROM {DELTA_TABLE} RETURNING {KEY}, day, hour, delta),
by_kind AS (
    INSERT INTO {KIND_TABLE} AS counter (channel, status, n)
    SELECT channel, status, sum(delta) FROM moved GROUP BY channel, status
    ON CONFLICT (channel, status) DO UPDATE SET n = counter.n + excluded.n
),
by_day AS (
    INSERT INTO {DAY_TABLE} AS counter (day, channel, status, n)
    SELECT day, channel, status, sum(delta) FROM moved GROUP BY day, channel, status
    ON CONFLICT (day, channel, status) DO UPDATE SET n = counter.n + excluded.n
),
by_hour AS (
    INSERT INTO {HOUR_TABLE} AS counter (day, hour, channel, status, n)
    SELECT day, hour, channel, status, sum(delta) FROM moved GROUP BY day, hour, channel, status
    ON CONFLICT (day, hour, channel, status) DO UPDATE SET n = counter.n + excluded.n
)
INSERT INTO {SOURCE_TABLE} AS counter ({KEY}, n)
SELECT {KEY}, sum(delta) FROM moved GROUP BY {KEY}
ON CONFLICT ({KEY}) DO UPDATE SET n = counter.n + excluded.n
"""


def delta_rows_sql():
    """How many delta rows wait for the roll-up; not counted when readers never roll up (a replica)."""
    return f"SELECT count(*) FROM {DELTA_TABLE}" if settings.COUNTER_ROLLUP_ON_READ else "SELECT 0"


def utc_midnight(moment):
    """The midnight (UTC) that starts the UTC day of `moment`."""
    return datetime.combine(moment.astimezone(UTC).date(), time(), UTC)


def utc_hour_start(moment):
    """The start (UTC) of the hour of `moment`."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def later_by(moment, step):
    """`moment + step`, or None when that lies past the end of the calendar (year 9999)."""
    try:
        return moment + step
    except OverflowError:
        return None


def whole_days(after, before):
    """The midnights (UTC) that start the first whole day of [after, before) and end the last; None when open.

    False when no whole day fits in the range.
    """
    first = after and utc_midnight(after)
    if first and first < after:
        first = later_by(first, timedelta(days=1))
        if first is None:
            return False
    end = before and utc_midnight(before)
    if first and end and first >= end:
        return False
    return first, end


def uses_counters(connection, filters):
    """True when the total can come from the counters: PostgreSQL, and only filters the counters are keyed by.

    `filters` is None when the view has no FilterSet: then nothing is known of the rows, so they are counted.
    Days and hours are counted per (channel, status) only, so a date range naming a tenant, provider or
    template is counted directly, and so is an empty range.
    """
    if filters is None or connection.vendor != "postgresql":
        return False
    named = {name for name, value in filters.items() if value}
    if not named <= COUNTER_FILTERS:
        return False
    if named.isdisjoint(DATE_FILTERS):
        return True
    after, before = filters.get("created_after"), filters.get("created_before")
    return named.isdisjoint(SOURCE_FILTERS) and bool(whole_days(after, before) or (after and before and after < before))


def matching_conditions(filters, names):
    """SQL conditions and parameters for the `names` among `filters` (cleaned filter values)."""
    conditions, params = [], []
    for name in names:
        value = filters.get(name)
        if value and name in LIST_FILTERS:
            conditions.append(f"{name} = ANY(%s)")
            params.append(list(value))
        elif value:
            conditions.append(f"{name} = %s")
            params.append(value)
    return conditions, params


def counted_total_sql(filters):
    """SQL and parameters for the sum of the counters that match `filters` (cleaned filter values)."""
    if any(filters.get(name) for name in DATE_FILTERS):
        return counted_range_total_sql(filters)
    conditions, params = matching_conditions(filters, LIST_FILTERS + SOURCE_FILTERS)
    # The small per-(channel, status) table answers unless a tenant, provider or template is named.
    table = SOURCE_TABLE if any(filters.get(name) for name in SOURCE_FILTERS) else KIND_TABLE
    return sum_of(counter_parts(table, conditions, params))


def counted_range_total_sql(filters):
    """A date range's total: its whole days from the day counters, and its part days by part_day_parts()."""
    after, before = filters.get("created_after"), filters.get("created_before")
    whole = whole_days(after, before)
    parts = []
    if whole:
        first, end = whole
        conditions, params = matching_conditions(filters, LIST_FILTERS)
        day_conditions = conditions + (["day >= %s"] if first else []) + (["day < %s"] if end else [])
        day_params = params + ([first.date()] if first else []) + ([end.date()] if end else [])
        parts += counter_parts(DAY_TABLE, day_conditions, day_params)
        part_days = [(after, first)] if after and after < first else []
        part_days += [(end, before)] if before and end < before else []
    else:
        # No whole day: the range crosses at most the one midnight that starts the day of `before`.
        midnight = utc_midnight(before)
        part_days = [(after, midnight), (midnight, before)] if after < midnight < before else [(after, before)]
    kinds = {name: filters.get(name) for name in LIST_FILTERS}
    if kinds["channel"] and not kinds["status"]:
        # Naming every status lets the part hours be an index-only scan of (channel, status, created_at).
        kinds["status"] = Status.values
    for start, stop in part_days:
        parts += part_day_parts(start, stop, kinds)
    return sum_of(parts)


def part_day_parts(start, stop, kinds):
    """Parts adding up the rows of `kinds` ({"channel": …, "status": …}) in [start, stop), within one UTC day.

    Its whole hours come from the hour counters; the part hours at its ends are counted by
    part_hour_parts(), at most half an hour of index entries each. A range inside one hour that touches
    neither of its ends is counted directly: less than an hour.
    """
    first, end = utc_hour_start(start), utc_hour_start(stop)
    if first < start:
        first = later_by(first, timedelta(hours=1))
        if first is None:
            return part_hour_parts(start, stop, kinds)
    if first > end:
        return part_hour_parts(start, stop, kinds)
    parts = []
    if first < end:
        day_start = utc_midnight(start)
        hours = [(moment - day_start) // timedelta(hours=1) for moment in (first, end)]
        parts += hour_counter_parts(kinds, ["day = %s", "hour >= %s", "hour < %s"], [day_start.date(), *hours])
    for part_start, part_stop in ((start, first), (end, stop)):
        if part_start < part_stop:
            parts += part_hour_parts(part_start, part_stop, kinds)
    return parts


def part_hour_parts(start, stop, kinds):
    """Parts adding up the rows of `kinds` ({"channel": …, "status": …}) in [start, stop), within one UTC hour.

    Counted directly, or as the hour's counter minus the rows of the rest of the hour when [start,
    stop) touches one end of the hour and the rest is the shorter stretch.
    """
    counted_directly = [rows_between(kinds, start, stop)]
    hour_start = utc_hour_start(start)
    hour_end = later_by(hour_start, timedelta(hours=1))
    if hour_end is None:
        return counted_directly
    if start == hour_start:
        rest = (stop, hour_end)
    elif stop == hour_end:
        rest = (hour_start, start)
    else:
        return counted_directly
    if rest[1] - rest[0] >= stop - start:
        return counted_directly
    return [
        *hour_counter_parts(kinds, ["day = %s", "hour = %s"], [hour_start.date(), hour_start.hour]),
        rows_between(kinds, *rest, sign="-"),
    ]


def hour_counter_parts(kinds, conditions, params):
    """counter_parts() of the hour counters, for the rows of `kinds` where `conditions` hold too."""
    kind_conditions, kind_params = matching_conditions(kinds, LIST_FILTERS)
    return counter_parts(HOUR_TABLE, [*kind_conditions, *conditions], [*kind_params, *params])


def rows_between(kinds, start, stop, sign=""):
    """A part counting the rows of `kinds` in [start, stop) through COUNT_FUNCTION; a kind not named is NULL there.

    Written inline, the count would have PostgreSQL plan the whole statement afresh on every request
    (migration 0007 says why).
    """
    named = [list(kinds[name]) if kinds.get(name) else None for name in LIST_FILTERS]
    return (f"SELECT {sign}{COUNT_FUNCTION}(%s, %s, %s, %s)", [], [*named, start, stop])


def counter_parts(table, conditions, params):
    """Parts adding up a counter table's matching rows and the delta rows not yet folded into it."""
    return [(f"SELECT n FROM {table}", conditions, params), (f"SELECT delta FROM {DELTA_TABLE}", conditions, params)]


def sum_of(parts):
    """SQL adding up the single column of each (select, conditions, params) part, and its parameters."""
    union = " UNION ALL ".join(
        f"{select} WHERE {' AND '.join(conditions)}" if conditions else select for select, conditions, _ in parts
    )
    return f"SELECT coalesce(sum(n), 0) FROM ({union}) AS counters(n)", [
        value for *_, params in parts for value in params
    ]


def is_plain_table_query(query):
    """True when `query` reads one table, filtered and ordered by field names as given, and nothing more."""
    return (
        set(query.alias_map) <= {query.model._meta.db_table}
        and not (query.annotations or query.extra or query.distinct or query.is_sliced or query.combinator)
        and all(isinstance(name, str) for name in query.order_by)
        and query.standard_ordering
        and bool(query.order_by or not (query.default_ordering and query.model._meta.ordering))
    )


def page_sql(queryset, fields, offset, limit, *, reverse=False, more_columns=None, rfc3339_times=False):
    """SQL and parameters for rows [offset, offset + limit) of `queryset` as `fields`, in its order or the reverse.

    `more_columns(connection, table, condition, condition_params)` gives SQL for columns to add to each
    row, and their parameters. With `rfc3339_times`, PostgreSQL writes the time fields as rfc3339()
    strings, for less than Python takes to format them (elsewhere they stay datetimes). None when
    `queryset` is more than one table filtered and ordered by its fields, or can match nothing. Only
    the WHERE clause is compiled by the ORM: compiling the whole statement costs more than PostgreSQL
    takes to run it.
    """
    connection = connections[queryset.db]
    query = queryset.query
    if not fields or not is_plain_table_query(query):
        return None
    try:
        where, where_params = query.get_compiler(connection=connection).compile(query.where)
    except FullResultSet:
        where, where_params = "", []
    except EmptyResultSet:
        return None
    quote, meta = connection.ops.quote_name, queryset.model._meta
    table, condition = quote(meta.db_table), f" WHERE {where}" if where else ""
    columns, columns_params = more_columns(connection, table, condition, where_params) if more_columns else ("", [])
    format_times = rfc3339_times and connection.vendor == "postgresql"
    page = quote("page")

    def column(name, source):
        # Named with its source, so that ORDER BY means the column, not a formatted time named after it.
        return f"{source}.{quote(meta.get_field(name).column)}"

    def selected(name):
        is_time = meta.get_field(name).get_internal_type() == "DateTimeField"
        return rfc3339_sql(column(name, page)) if format_times and is_time else column(name, page)

    def order_by(source):
        ordering = ", ".join(
            f"{column(name.lstrip('-'), source)} {'DESC' if name.startswith('-') != reverse else 'ASC'}"
            for name in query.order_by
        )
        return f" ORDER BY {ordering}" if ordering else ""

    # The page's rows are picked inside and their columns worked out outside: PostgreSQL computes a
    # select list for every row the OFFSET skips, too. The outer ORDER BY costs no sort.
    sql = (
        f"SELECT {', '.join(selected(name) for name in fields)}{columns} "
        f"FROM (SELECT * FROM {table}{condition}{order_by(table)} LIMIT {int(limit)} OFFSET {int(offset)}) "
        f"AS {page}{order_by(page)}"
    )
    # LIMIT and OFFSET are written in, not parameters: a prepared statement with an unknown LIMIT gets
    # a generic plan costed for many rows, so PostgreSQL would plan every run afresh instead.
    return sql, [*columns_params, *where_params]


def rows_with_total_sql(queryset, filters, fields, offset, limit, *, rfc3339_times=False):
    """page_sql() with two more columns in each row: the total of `queryset`, and how many delta rows wait.

    The total comes from the counters where uses_counters() allows, else from a count under the same conditions.
    """

    def total_columns(connection, table, condition, condition_params):
        if uses_counters(connection, filters):
            (total_sql, total_params), waiting_sql = counted_total_sql(filters), delta_rows_sql()
        else:
            (total_sql, total_params), waiting_sql = (
                (f"SELECT count(*) FROM {table}{condition}", condition_params),
                "SELECT 0",
            )
        return f", ({total_sql}), ({waiting_sql})", total_params

    return page_sql(queryset, fields, offset, limit, more_columns=total_columns, rfc3339_times=rfc3339_times)


def read_rows_with_total(queryset, filters, fields, offset, limit, *, rfc3339_times=False):
    """(rows, total) in one round trip, rows as named tuples of `fields`; None when rows_with_total_sql() is.

    The total is None when there are no rows: it comes in every row.
    """
    statement = rows_with_total_sql(queryset, filters, fields, offset, limit, rfc3339_times=rfc3339_times)
    if statement is None:
        return None
    connection = connections[queryset.db]
    values = fetch_all(connection, statement)
    if not values:
        return [], None
    *_, total, delta_rows = values[0]
    roll_up_if_due(connection, delta_rows)
    return named_rows(connection, queryset.model, fields, values), int(total)


def read_rows(queryset, fields, offset, limit, *, reverse=False, rfc3339_times=False):
    """Rows [offset, offset + limit) of `queryset`, in its order or the reverse, as named tuples of `fields`.

    None when page_sql() is.
    """
    statement = page_sql(queryset, fields, offset, limit, reverse=reverse, rfc3339_times=rfc3339_times)
    if statement is None:
        return None
    connection = connections[queryset.db]
    return named_rows(connection, queryset.model, fields, fetch_all(connection, statement))


def fetch_all(connection, statement):
    with connection.cursor() as cursor:
        load_utc_times_natively(cursor)
        cursor.execute(*statement)
        return cursor.fetchall()


def named_rows(connection, model, fields, values):
    """Each row's first len(fields) values, converted as the ORM would, as a named tuple of `fields`."""
    row = row_class(tuple(fields))
    return [row._make(columns) for columns in converted_rows(connection, model, fields, values)]


@functools.cache
def row_class(fields):
    return namedtuple("Row", fields)


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
    written = roll_up(connection, drop_empty=True)
    if written is not None and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {DELTA_TABLE}")
    return written


def roll_up(connection, *, drop_empty=False):
    """Fold the delta rows into the counter tables: the counter rows it wrote, or None if another session is at it.

    With `drop_empty`, also delete counter rows of 0, left by keys whose logs were all purged or changed
    to another key, so the day and hour tables grow with the days kept rather than every day ever written.
    Only roll-ups add to counter rows, and they take turns under the lock, so no row is refilled while
    this deletes it; a missing row sums as 0 like a row of 0.
    """
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ROLLUP_LOCK_KEY])
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(ROLLUP_SQL)
        written = cursor.rowcount
        if drop_empty:
            for table in COUNTER_TABLES:
                cursor.execute(f"DELETE FROM {table} WHERE n = 0")
        return written
