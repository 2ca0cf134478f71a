"""A function that counts the logs of some channels and statuses in a time range, with one plan kept per session.

The totals of ranges with a time of day count their part hours (communication.totals). Written
inline, that count made PostgreSQL plan the whole page statement afresh on every request: with its
bounds as parameters it is estimated at 0.5% of the rows it could match, far above what half an hour
holds, so the generic plan never looked cheap enough. Behind this function the statement keeps its
generic plan, and the count keeps one too: an index-only scan of the index that leads with what is
named, then `created_at`.
"""

from django.db import migrations

# Each branch reads the index that serves it, and plpgsql keeps each branch's plan for the session.
CREATE_SQL = """
CREATE FUNCTION communication_log_count_between(
    channels text[], statuses text[], start_at timestamptz, stop_at timestamptz
) RETURNS bigint
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    IF channels IS NOT NULL AND statuses IS NOT NULL THEN
        RETURN (
            SELECT count(*) FROM communication_communicationlog
            WHERE channel = ANY(channels) AND status = ANY(statuses)
            AND created_at >= start_at AND created_at < stop_at
        );
    ELSIF channels IS NOT NULL THEN
        RETURN (
            SELECT count(*) FROM communication_communicationlog
            WHERE channel = ANY(channels) AND created_at >= start_at AND created_at < stop_at
        );
    ELSIF statuses IS NOT NULL THEN
        RETURN (
            SELECT count(*) FROM communication_communicationlog
            WHERE status = ANY(statuses) AND created_at >= start_at AND created_at < stop_at
        );
    END IF;
    RETURN (
        SELECT count(*) FROM communication_communicationlog WHERE created_at >= start_at AND created_at < stop_at
    );
END
$$;
COMMENT ON FUNCTION communication_log_count_between(text[], text[], timestamptz, timestamptz) IS
    'Logs of the channels and statuses given (NULL: all) created in [start_at, stop_at). Name the statuses '
    'with the channels: (channel, status, created_at) is then read by both.';
"""

DROP_SQL = "DROP FUNCTION communication_log_count_between(text[], text[], timestamptz, timestamptz);"


def on_postgresql(sql):
    """A RunPython step that runs `sql` on PostgreSQL; SQLite counts directly and needs no function."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("communication", "0006_log_counters_by_hour"),
    ]

    operations = [
        migrations.RunPython(on_postgresql(CREATE_SQL), on_postgresql(DROP_SQL), elidable=False),
    ]
