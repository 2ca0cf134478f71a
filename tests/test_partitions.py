"""Monthly partitions of the logs and the audit trail on PostgreSQL (pg_partman): months made ahead of their rows,
strays kept in a default partition and reported, retention by dropping whole months with totals exact."""

import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from django.utils import timezone

from communication import counters, lifecycle, partitions
from communication.audit.models import AuditEvent
from communication.management.commands import purge_logs
from communication.models import CommunicationLog
from tests.conftest import LOGS_URL, postgres_only

pytestmark = [pytest.mark.postgres, postgres_only]

NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
STRAY_TIME = datetime(2019, 3, 10, 8, 0, 0, tzinfo=UTC)


def at(year, month, day):
    return datetime(year, month, day, 12, 0, 0, tzinfo=UTC)


def run(command, *args):
    """Run a management command: (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def months_of(model):
    return [f"{partition.start:%Y-%m}" for partition in partitions.monthly_partitions(model)]


def partition_of(log_id):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM communication_communicationlog WHERE id = %s", [log_id])
        return cursor.fetchone()[0]


def month_names(start, count):
    month = datetime(start.year, start.month, 1, tzinfo=UTC)
    names = []
    for _ in range(count):
        names.append(f"{month:%Y-%m}")
        month = (month + timedelta(days=32)).replace(day=1)
    return names


def totals_match_counts(client):
    """The API's total of several shapes is the plain COUNT of the same rows."""
    shapes = [
        ({}, {}),
        ({"channel": "email"}, {"channel": "email"}),
        ({"user_id": "usr_alice"}, {"user_id": "usr_alice"}),
        ({"created_after": "2026-04-01T00:00:00Z"}, {"created_at__gte": at(2026, 4, 1) - timedelta(hours=12)}),
    ]
    served = [client.get(LOGS_URL, query).json()["total"] for query, _ in shapes]
    counted = [CommunicationLog.objects.filter(**rows).count() for _, rows in shapes]
    assert served == counted
    return True


@pytest.fixture
def frozen_now(monkeypatch):
    monkeypatch.setattr(lifecycle.timezone, "now", lambda: NOW)


@pytest.fixture
def spring_of_2026(db):
    """The months of March to June 2026 exist, as they would for rows kept that long."""
    for model in partitions.PARTITIONED:
        partitions.make_months(model, at(2026, 3, 1), at(2026, 6, 30))


@pytest.mark.parametrize("model", partitions.PARTITIONED)
def test_this_month_and_the_next_four_have_partitions_before_any_row_arrives(db, model):
    assert set(month_names(timezone.now(), 5)) <= set(months_of(model))


def test_a_row_outside_every_month_is_kept_counted_and_reported_until_moved(make_log, reader_client):
    make_log(id="log_stray", created_at=STRAY_TIME)
    assert reader_client.get(LOGS_URL).json()["total"] == 1
    assert partition_of("log_stray") == "communication_communicationlog_default"

    with pytest.raises(CommandError) as reported:
        run("maintain_partitions")

    assert reported.value.returncode == 3
    output, warnings = run("maintain_partitions", "--move-default")
    assert "Moved 1 rows of communication_communicationlog into partitions of their months." in output
    assert warnings == ""
    assert partition_of("log_stray") == "communication_communicationlog_p2019_03"
    assert reader_client.get(LOGS_URL).json()["total"] == 1
    assert reader_client.get(LOGS_URL, {"created_before": "2019-04-01T00:00:00Z"}).json()["total"] == 1


def test_an_audit_event_outside_every_month_moves_to_its_month(db):
    AuditEvent.objects.create(actor_username="stray", created_at=STRAY_TIME)

    run("maintain_partitions", "--move-default")

    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM communication_auditevent WHERE actor_username = 'stray'")
        assert cursor.fetchone()[0] == "communication_auditevent_p2019_03"


def test_a_month_that_cannot_be_made_is_a_clear_error_and_its_rows_stay_counted(make_log, reader_client):
    make_log(id="log_stray", created_at=STRAY_TIME)
    with connection.cursor() as cursor:
        # Something else already holds the name the partition of March 2019 would take.
        cursor.execute("CREATE SEQUENCE communication_communicationlog_p2019_03")

    with pytest.raises(CommandError) as refused:
        run("maintain_partitions", "--move-default")

    assert refused.value.returncode == 1
    assert str(refused.value).startswith("The partitions could not be made (")
    assert "Nothing is lost" in str(refused.value)
    assert partition_of("log_stray") == "communication_communicationlog_default"
    assert reader_client.get(LOGS_URL).json()["total"] == 1


def test_a_coming_month_that_cannot_be_made_is_a_clear_error(db):
    furthest = partitions.monthly_partitions(CommunicationLog)[-1]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {furthest.table}")
        cursor.execute(f"CREATE SEQUENCE {furthest.table}")

    with pytest.raises(CommandError, match=r"^The partitions could not be made \(") as refused:
        run("maintain_partitions")

    assert refused.value.returncode == 1


def test_purge_drops_the_months_past_the_cutoff_and_deletes_the_rest_in_batches(
    spring_of_2026, frozen_now, make_log, reader_client
):
    for month, day, log_id in [
        (3, 5, "log_march"),
        (3, 30, "log_march_2"),
        (4, 9, "log_april"),
        (5, 20, "log_may"),
        (6, 2, "log_june"),
    ]:
        make_log(id=log_id, created_at=at(2026, month, day), user_id="usr_alice", channel="email")
    make_log(id="log_november", created_at=at(2026, 11, 20))

    output, _ = run("purge_logs", "--older-than", "180d")

    assert output == ("Deleted 4 logs created before 2026-05-31T12:00:00Z, 3 of them in 2 whole months dropped.")
    assert sorted(CommunicationLog.objects.values_list("id", flat=True)) == ["log_june", "log_november"]
    assert not {"2026-03", "2026-04"} & set(months_of(CommunicationLog))
    assert {"2026-05", "2026-06"} <= set(months_of(CommunicationLog))
    assert totals_match_counts(reader_client)
    purge = AuditEvent.objects.get(action=AuditEvent.Action.PURGE)
    assert (purge.total, purge.filters["months_dropped"]) == (4, ["2026-03", "2026-04"])


def test_a_purge_stopped_by_a_database_error_keeps_totals_exact_and_a_rerun_finishes(
    spring_of_2026, frozen_now, make_log, reader_client, monkeypatch
):
    for month in (3, 4, 5):
        make_log(id=f"log_{month}", created_at=at(2026, month, 10), user_id="usr_alice")
    real_forget = purge_logs.forget_month
    forgotten = []

    def forget_then_lose_the_connection(partition, using="default"):
        """The second month's counters are taken out, then the connection drops: its drop rolls back whole."""
        forgotten.append(real_forget(partition, using))
        if len(forgotten) == 2:
            raise DatabaseError("server closed the connection unexpectedly")
        return forgotten[-1]

    monkeypatch.setattr(purge_logs, "forget_month", forget_then_lose_the_connection)
    with pytest.raises(CommandError) as stopped:
        run("purge_logs", "--older-than", "180d")

    assert stopped.value.returncode == 1
    assert str(stopped.value).startswith(
        "Stopped by a database error (DatabaseError: server closed the connection unexpectedly) after removing 1 rows"
    )
    assert sorted(CommunicationLog.objects.values_list("id", flat=True)) == ["log_4", "log_5"]
    assert totals_match_counts(reader_client)
    assert AuditEvent.objects.get(action=AuditEvent.Action.PURGE).total == 1

    monkeypatch.setattr(purge_logs, "forget_month", real_forget)
    run("purge_logs", "--older-than", "180d")
    assert not CommunicationLog.objects.exists()
    assert totals_match_counts(reader_client)


def test_a_purge_interrupted_between_months_keeps_what_it_dropped(
    spring_of_2026, frozen_now, make_log, reader_client, monkeypatch
):
    for month in (3, 4):
        make_log(id=f"log_{month}", created_at=at(2026, month, 10))
    real_drop = partitions.drop_month

    def interrupted_after_the_first(partition, **options):
        rows = real_drop(partition, **options)
        monkeypatch.setattr(lifecycle, "drop_month", lambda *args, **kwargs: (_ for _ in ()).throw(KeyboardInterrupt))
        return rows

    monkeypatch.setattr(lifecycle, "drop_month", interrupted_after_the_first)
    with pytest.raises(CommandError, match=r"^Interrupted after removing 1 rows;") as stopped:
        run("purge_logs", "--older-than", "180d")

    assert stopped.value.returncode == 130
    assert list(CommunicationLog.objects.values_list("id", flat=True)) == ["log_4"]
    assert totals_match_counts(reader_client)


def test_purge_audit_drops_whole_months_of_the_audit_trail(spring_of_2026, frozen_now, settings):
    settings.AUDIT_RETENTION_DAYS = 180
    for month in (3, 4, 5, 6):
        AuditEvent.objects.create(actor_username=f"reader_{month}", created_at=at(2026, month, 10))

    output, _ = run("purge_audit", "--older-than", "180d")

    assert output == "Deleted 3 audit events created before 2026-05-31T12:00:00Z, 2 of them in 2 whole months dropped."
    assert sorted(
        AuditEvent.objects.exclude(action=AuditEvent.Action.AUDIT_PURGE).values_list("actor_username", flat=True)
    ) == ["reader_6"]
    assert not {"2026-03", "2026-04"} & set(months_of(AuditEvent))


def test_erasure_and_export_reach_every_month(spring_of_2026, make_log, reader_client, tmp_path):
    for month in (3, 5, 11):
        make_log(id=f"log_{month}", created_at=at(2026, month, 10), user_id="usr_alice")
    make_log(id="log_bob", created_at=at(2026, 4, 10), user_id="usr_bob")
    output = tmp_path / "alice.jsonl"

    run("export_user_logs", "usr_alice", "--output", str(output))
    exported = output.read_text().count("\n")
    run("erase_user_logs", "usr_alice")

    assert exported == 3
    assert list(CommunicationLog.objects.values_list("id", flat=True)) == ["log_bob"]
    assert totals_match_counts(reader_client)


def test_a_purge_waits_for_a_roll_up_in_progress_and_keeps_totals_exact(
    spring_of_2026, frozen_now, make_log, reader_client
):
    for day in (3, 17):
        make_log(created_at=at(2026, 3, day))
    make_log(created_at=at(2026, 6, 2))
    # Another session is rolling the counters up while the purge starts; it finishes a moment later.
    other = connection.get_new_connection(connection.get_connection_params())
    other.autocommit = True
    other.execute("SELECT pg_advisory_lock(%s)", [counters.ROLLUP_LOCK_KEY])
    threading.Timer(0.5, other.close).start()

    run("purge_logs", "--older-than", "180d")

    assert CommunicationLog.objects.count() == 1
    assert totals_match_counts(reader_client)
