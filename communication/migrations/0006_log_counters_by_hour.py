"""Counters per UTC hour and (channel, status) too, so the part day at a time bound is not counted row by row.

The delta rows gain the hour of `created_at` (UTC, 0-23). Live writes all fall in the current hour,
so a statement still appends one delta row per key; a bulk load of old rows appends one per key and
hour. Readers fold the delta rows into a fourth table, one row per (day, hour, channel, status)
(communication.totals). The trigger and truncate functions are 0005's, built with its own helpers:
migrations are frozen history, so 0006 may use 0005's code but not the app's.
"""

from importlib import import_module

from django.db import migrations

day_counters = import_module("communication.migrations.0005_log_counters_by_day")

LOG_TABLE = day_counters.LOG_TABLE
DELTA_TABLE = day_counters.DELTA_TABLE
SOURCE_KEY = day_counters.SOURCE_KEY
DAY_OF_CREATED_AT = day_counters.DAY_OF_CREATED_AT
HOUR_OF_CREATED_AT = "extract(hour FROM created_at AT TIME ZONE 'UTC')::smallint"
COUNTERS_OF_0005 = (*day_counters.COUNTERS_OF_0003, "communication_log_count_by_day")

# What 0005's readers folded and wrote, frozen here.
FOLD_DELTAS_OF_0005_SQL = f"""
WITH moved AS (DELETE FROM {DELTA_TABLE} RETURNING {SOURCE_KEY}, day, delta),
by_kind AS (
    INSERT INTO communication_log_count AS counter (channel, status, n)
    SELECT channel, status, sum(delta) FROM moved GROUP BY channel, status
    ON CONFLICT (channel, status) DO UPDATE SET n = counter.n + excluded.n
),
by_day AS (
    INSERT INTO communication_log_count_by_day AS counter (day, channel, status, n)
    SELECT day, channel, status, sum(delta) FROM moved GROUP BY day, channel, status
    ON CONFLICT (day, channel, status) DO UPDATE SET n = counter.n + excluded.n
)
INSERT INTO communication_log_count_by_source AS counter ({SOURCE_KEY}, n)
SELECT {SOURCE_KEY}, sum(delta) FROM moved GROUP BY {SOURCE_KEY}
ON CONFLICT ({SOURCE_KEY}) DO UPDATE SET n = counter.n + excluded.n;
"""

CREATE_SQL = f"""
-- Writers wait here until commit, so the backfill below and the new triggers meet exactly.
LOCK TABLE {LOG_TABLE} IN SHARE ROW EXCLUSIVE MODE;

{FOLD_DELTAS_OF_0005_SQL}
ALTER TABLE {DELTA_TABLE} ADD COLUMN hour smallint NOT NULL;

CREATE TABLE communication_log_count_by_hour (
    day date NOT NULL,
    hour smallint NOT NULL,
    channel varchar(8) NOT NULL,
    status varchar(16) NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (day, hour, channel, status)
);

{
    day_counters.trigger_functions_sql(
        f"{SOURCE_KEY}, day, hour",
        f"{SOURCE_KEY}, {DAY_OF_CREATED_AT} AS day, {HOUR_OF_CREATED_AT} AS hour",
    )
}
{day_counters.truncate_function_sql((*COUNTERS_OF_0005, "communication_log_count_by_hour"))}
INSERT INTO communication_log_count_by_hour (day, hour, channel, status, n)
SELECT {DAY_OF_CREATED_AT}, {HOUR_OF_CREATED_AT}, channel, status, count(*) FROM {LOG_TABLE} GROUP BY 1, 2, 3, 4;
"""

# 0006's readers fold the hour too; going back, the hour counters are dropped, so only the rest is kept.
DROP_SQL = f"""
LOCK TABLE {LOG_TABLE} IN SHARE ROW EXCLUSIVE MODE;

{FOLD_DELTAS_OF_0005_SQL}
{day_counters.trigger_functions_sql(f"{SOURCE_KEY}, day", f"{SOURCE_KEY}, {DAY_OF_CREATED_AT} AS day")}
{day_counters.truncate_function_sql(COUNTERS_OF_0005)}
ALTER TABLE {DELTA_TABLE} DROP COLUMN hour;
DROP TABLE communication_log_count_by_hour;
"""


def create_counters(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_SQL)


def drop_counters(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("communication", "0005_log_counters_by_day"),
    ]

    operations = [
        migrations.RunPython(create_counters, drop_counters, elidable=False),
    ]
