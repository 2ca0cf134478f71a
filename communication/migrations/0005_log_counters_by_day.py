"""Counters per UTC day and (channel, status) too, so a date range totals exactly without counting its rows.

The delta rows gain the day of `created_at` (UTC). Live writes all fall on today, so a statement still
appends one delta row per key; a bulk load of old rows appends one per key and day. Readers fold the
delta rows into a third table, one row per (day, channel, status) (communication.totals).
"""

from django.db import migrations

LOG_TABLE = "communication_communicationlog"
DELTA_TABLE = "communication_log_count_delta"
SOURCE_KEY = "tenant_id, provider, template_id, channel, status"
DAY_OF_CREATED_AT = "(created_at AT TIME ZONE 'UTC')::date"


def trigger_functions_sql(key, values):
    """The four trigger functions, appending delta rows keyed by the columns `key`, computed as `values`."""
    return f"""
CREATE OR REPLACE FUNCTION communication_log_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {DELTA_TABLE} ({key}, delta)
    SELECT {key}, count(*) FROM (SELECT {values} FROM new_rows) AS added GROUP BY {key};
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION communication_log_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {DELTA_TABLE} ({key}, delta)
    SELECT {key}, -count(*) FROM (SELECT {values} FROM old_rows) AS removed GROUP BY {key};
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION communication_log_count_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {DELTA_TABLE} ({key}, delta)
    SELECT {key}, sum(change) FROM (
        SELECT {values}, -1 AS change FROM old_rows
        UNION ALL
        SELECT {values}, 1 FROM new_rows
    ) AS changes
    GROUP BY {key}
    HAVING sum(change) <> 0;
    RETURN NULL;
END $$;
"""


# What migration 0003 folded and wrote, frozen here: migrations must not import app code that may change.
FOLD_DELTAS_OF_0003_SQL = f"""
WITH moved AS (DELETE FROM {DELTA_TABLE} RETURNING {SOURCE_KEY}, delta),
by_kind AS (
    INSERT INTO communication_log_count AS counter (channel, status, n)
    SELECT channel, status, sum(delta) FROM moved GROUP BY channel, status
    ON CONFLICT (channel, status) DO UPDATE SET n = counter.n + excluded.n
)
INSERT INTO communication_log_count_by_source AS counter ({SOURCE_KEY}, n)
SELECT {SOURCE_KEY}, sum(delta) FROM moved GROUP BY {SOURCE_KEY}
ON CONFLICT ({SOURCE_KEY}) DO UPDATE SET n = counter.n + excluded.n;
"""

COUNTERS_OF_0003 = ("communication_log_count", "communication_log_count_by_source")


def truncate_function_sql(counter_tables):
    """The TRUNCATE trigger's function: empty the delta table and `counter_tables`."""
    deletes = "".join(f"\n    DELETE FROM {table};" for table in (DELTA_TABLE, *counter_tables))
    return f"""
CREATE OR REPLACE FUNCTION communication_log_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{deletes}
    RETURN NULL;
END $$;
"""


CREATE_SQL = f"""
-- Writers wait here until commit, so the backfill below and the new triggers meet exactly.
LOCK TABLE {LOG_TABLE} IN SHARE ROW EXCLUSIVE MODE;

{FOLD_DELTAS_OF_0003_SQL}
ALTER TABLE {DELTA_TABLE} ADD COLUMN day date NOT NULL;

CREATE TABLE communication_log_count_by_day (
    day date NOT NULL,
    channel varchar(8) NOT NULL,
    status varchar(16) NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (day, channel, status)
);

{trigger_functions_sql(f"{SOURCE_KEY}, day", f"{SOURCE_KEY}, {DAY_OF_CREATED_AT} AS day")}
{truncate_function_sql((*COUNTERS_OF_0003, "communication_log_count_by_day"))}
INSERT INTO communication_log_count_by_day (day, channel, status, n)
SELECT {DAY_OF_CREATED_AT}, channel, status, count(*) FROM {LOG_TABLE} GROUP BY 1, 2, 3;
"""

DROP_SQL = f"""
LOCK TABLE {LOG_TABLE} IN SHARE ROW EXCLUSIVE MODE;

{FOLD_DELTAS_OF_0003_SQL}
{trigger_functions_sql(SOURCE_KEY, SOURCE_KEY)}
{truncate_function_sql(COUNTERS_OF_0003)}
ALTER TABLE {DELTA_TABLE} DROP COLUMN day;
DROP TABLE communication_log_count_by_day;
"""


def create_counters(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_SQL)


def drop_counters(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("communication", "0004_request_window"),
    ]

    operations = [
        migrations.RunPython(create_counters, drop_counters, elidable=False),
    ]
