"""Trigger-kept row counters per (channel, status) on PostgreSQL; other databases count directly.

Statement-level triggers with transition tables append one delta row per (channel, status) and
statement to communication_log_count_delta, so INSERT, UPDATE, DELETE, COPY and raw SQL are all
counted without a hot counter row; readers roll the deltas up now and then (communication.totals).
"""

from django.db import migrations

CREATE_SQL = """
CREATE TABLE communication_log_count_delta (
    channel varchar(8) NOT NULL,
    status varchar(16) NOT NULL,
    delta bigint NOT NULL
);

CREATE FUNCTION communication_log_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO communication_log_count_delta (channel, status, delta)
    SELECT channel, status, count(*) FROM new_rows GROUP BY channel, status;
    RETURN NULL;
END $$;

CREATE FUNCTION communication_log_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO communication_log_count_delta (channel, status, delta)
    SELECT channel, status, -count(*) FROM old_rows GROUP BY channel, status;
    RETURN NULL;
END $$;

CREATE FUNCTION communication_log_count_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO communication_log_count_delta (channel, status, delta)
    SELECT channel, status, sum(change) FROM (
        SELECT channel, status, -1 AS change FROM old_rows
        UNION ALL
        SELECT channel, status, 1 FROM new_rows
    ) AS changes
    GROUP BY channel, status
    HAVING sum(change) <> 0;
    RETURN NULL;
END $$;

CREATE FUNCTION communication_log_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM communication_log_count_delta;
    RETURN NULL;
END $$;

CREATE TRIGGER communication_log_count_insert AFTER INSERT ON communication_communicationlog
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION communication_log_count_insert();
CREATE TRIGGER communication_log_count_delete AFTER DELETE ON communication_communicationlog
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION communication_log_count_delete();
CREATE TRIGGER communication_log_count_update AFTER UPDATE ON communication_communicationlog
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION communication_log_count_update();
CREATE TRIGGER communication_log_count_truncate AFTER TRUNCATE ON communication_communicationlog
    FOR EACH STATEMENT EXECUTE FUNCTION communication_log_count_truncate();

-- The triggers' lock keeps writers out until commit, so the backfill and the triggers meet exactly.
INSERT INTO communication_log_count_delta (channel, status, delta)
SELECT channel, status, count(*) FROM communication_communicationlog GROUP BY channel, status;
"""

DROP_SQL = """
DROP TRIGGER communication_log_count_insert ON communication_communicationlog;
DROP TRIGGER communication_log_count_delete ON communication_communicationlog;
DROP TRIGGER communication_log_count_update ON communication_communicationlog;
DROP TRIGGER communication_log_count_truncate ON communication_communicationlog;
DROP FUNCTION communication_log_count_insert();
DROP FUNCTION communication_log_count_delete();
DROP FUNCTION communication_log_count_update();
DROP FUNCTION communication_log_count_truncate();
DROP TABLE communication_log_count_delta;
"""


def create_counters(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_SQL)


def drop_counters(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):

    dependencies = [
        ("communication", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_counters, drop_counters, elidable=False),
    ]
