"""Retention purges, per-user erasure and per-user export: `purge_logs`, `purge_audit`, `erase_user_logs`,
`export_user_logs`."""

import csv
import getpass
import io
import json
import stat
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from communication import counters, lifecycle
from communication.audit.models import AuditEvent, user_reference
from communication.management.commands import export_user_logs
from communication.models import CommunicationLog
from tests.conftest import ITEM_KEYS, LOGS_URL

NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_now(monkeypatch):
    """Cutoffs are computed from `timezone.now()`; a fixed now makes the printed cutoff predictable."""
    monkeypatch.setattr(lifecycle.timezone, "now", lambda: NOW)


def run(command, *args):
    """Run a management command; return what it wrote to stdout."""
    output = io.StringIO()
    call_command(command, *args, stdout=output)
    return output.getvalue().strip()


def days_old(days):
    return NOW - timedelta(days=days)


def remaining_ids():
    return sorted(CommunicationLog.objects.values_list("id", flat=True))


def api_total(client):
    return client.get(LOGS_URL).json()["total"]


def audit_events():
    return list(AuditEvent.objects.values("actor_id", "actor_username", "action", "status_code", "filters", "total"))


def stop_after_first_batch(real_delete_in_batches):
    """A stand-in for `delete_in_batches` that is interrupted (Ctrl-C) once the first batch is committed."""

    def interrupted(queryset, **options):
        batches = real_delete_in_batches(queryset, **options)
        yield next(batches)
        raise KeyboardInterrupt

    return interrupted


@pytest.mark.parametrize(
    ("age", "expected"),
    [("180d", timedelta(days=180)), ("12h", timedelta(hours=12)), ("4w", timedelta(weeks=4)), (" 1d ", timedelta(1))],
)
def test_age_is_a_whole_number_of_hours_days_or_weeks(age, expected):
    assert lifecycle.parse_age(age) == expected


@pytest.mark.parametrize("age", ["180", "0d", "-5d", "1.5d", "d", "", "3m", "1y", "180 d", "1e3d", "1234567d"])
def test_purge_with_a_bad_age_is_a_command_error_saying_what_is_allowed(db, age):
    with pytest.raises(CommandError) as error:
        run("purge_logs", f"--older-than={age}")
    assert str(error.value) == (
        f"--older-than: {age!r} is not an age: use a whole number from 1 to 999999 and h, d or w, such as 180d"
    )


def test_purge_with_an_age_before_the_year_1_is_a_command_error(db):
    with pytest.raises(CommandError, match=r"^--older-than: '999999w' reaches back before the year 1$"):
        run("purge_logs", "--older-than", "999999w")


@pytest.mark.parametrize("batch_size", ["0", "-1", "ten", "100001", "99999999999999999999"])
@pytest.mark.parametrize("command", [["purge_logs"], ["purge_audit"], ["erase_user_logs", "usr_alice"]])
def test_a_bad_batch_size_is_a_command_error_naming_the_bounds(db, command, batch_size):
    with pytest.raises(CommandError, match="argument --batch-size: must be a whole number from 1 to 100,000"):
        run(*command, "--batch-size", batch_size)


def test_purge_logs_deletes_only_logs_older_than_the_cutoff(make_log, reader_client):
    make_log(id="log_old_1", created_at=days_old(181))
    make_log(id="log_old_2", created_at=days_old(400))
    make_log(id="log_edge", created_at=days_old(180))
    make_log(id="log_new", created_at=days_old(1))

    assert run("purge_logs", "--older-than", "180d") == "Deleted 2 logs created before 2026-05-31T12:00:00Z."
    assert remaining_ids() == ["log_edge", "log_new"]
    assert api_total(reader_client) == CommunicationLog.objects.count() == 2


def counter_rows_by_table():
    """(rows, rows of 0) of each counter table."""
    with connection.cursor() as cursor:
        found = {}
        for table in counters.COUNTER_TABLES:
            cursor.execute(f"SELECT count(*), count(*) FILTER (WHERE n = 0) FROM {table}")
            found[table] = cursor.fetchone()
        return found


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL keeps counters")
def test_purge_logs_drops_the_counter_rows_it_empties_and_totals_stay_exact(make_log, reader_client):
    for days in (400, 300, 200):
        make_log(channel="email", status="failed", created_at=days_old(days))
    make_log(channel="sms", created_at=days_old(1))
    counters.roll_up()
    before = counter_rows_by_table()

    run("purge_logs", "--older-than", "180d")

    after = counter_rows_by_table()
    assert before["communication_logcountbyday"] == (4, 0)
    assert after == {table: (1, 0) for table in counters.COUNTER_TABLES}
    assert api_total(reader_client) == 1
    assert reader_client.get(LOGS_URL, {"created_before": "2026-10-01"}).json()["total"] == 0
    make_log(channel="email", status="failed", created_at=days_old(250))
    assert reader_client.get(LOGS_URL, {"channel": "email", "created_before": "2026-10-01"}).json()["total"] == 1


def test_purge_logs_default_age_comes_from_the_retention_setting(make_log, settings):
    settings.LOG_RETENTION_DAYS = 30
    make_log(id="log_old", created_at=days_old(31))
    make_log(id="log_new", created_at=days_old(29))

    assert run("purge_logs").startswith("Deleted 1 logs created before 2026-10-28T12:00:00Z")
    assert remaining_ids() == ["log_new"]


def test_purge_logs_accepts_hours_and_weeks(make_log):
    make_log(id="log_13h", created_at=NOW - timedelta(hours=13))
    make_log(id="log_11h", created_at=NOW - timedelta(hours=11))
    make_log(id="log_3w", created_at=NOW - timedelta(weeks=3))

    assert run("purge_logs", "--older-than", "12h").startswith("Deleted 2 logs created before 2026-11-27T00:00:00Z")
    assert remaining_ids() == ["log_11h"]
    assert run("purge_logs", "--older-than", "4w").startswith("Deleted 0 logs created before 2026-10-30T12:00:00Z")


def test_purge_logs_dry_run_counts_and_deletes_nothing(make_log):
    make_log(id="log_old", created_at=days_old(200))
    make_log(id="log_new", created_at=days_old(2))

    assert run("purge_logs", "--dry-run") == "Would delete 1 logs created before 2026-05-31T12:00:00Z (dry run)."
    assert remaining_ids() == ["log_new", "log_old"]


def test_purge_logs_in_small_batches_deletes_every_old_log(make_log, reader_client):
    for number in range(7):
        make_log(id=f"log_old_{number}", created_at=days_old(200 + number))
    make_log(id="log_new", created_at=days_old(3))

    assert run("purge_logs", "--batch-size", "2") == "Deleted 7 logs created before 2026-05-31T12:00:00Z."
    assert remaining_ids() == ["log_new"]
    assert api_total(reader_client) == 1


def test_interrupted_purge_keeps_finished_batches_and_a_rerun_finishes(make_log, monkeypatch, reader_client):
    for number in range(5):
        make_log(id=f"log_old_{number}", created_at=days_old(300 + number))
    monkeypatch.setattr(lifecycle, "delete_in_batches", stop_after_first_batch(lifecycle.delete_in_batches))

    with pytest.raises(CommandError) as error:
        run("purge_logs", "--batch-size", "2")
    assert str(error.value) == (
        "Interrupted after removing 2 rows; each finished step is committed and no longer counted, "
        "the rest are untouched: run the command again to remove them."
    )
    assert error.value.returncode == 130
    # The oldest go first, so an interrupted purge never leaves a gap in the middle of the history.
    assert remaining_ids() == ["log_old_0", "log_old_1", "log_old_2"]
    assert api_total(reader_client) == 3

    monkeypatch.undo()
    monkeypatch.setattr(lifecycle.timezone, "now", lambda: NOW)
    assert run("purge_logs") == "Deleted 3 logs created before 2026-05-31T12:00:00Z."
    assert api_total(reader_client) == 0


def test_purge_audit_deletes_events_older_than_the_audit_retention(db, settings):
    settings.AUDIT_RETENTION_DAYS = 365
    AuditEvent.objects.create(actor_username="old", created_at=days_old(366))
    AuditEvent.objects.create(actor_username="kept", created_at=days_old(364))

    assert run("purge_audit") == "Deleted 1 audit events created before 2025-11-27T12:00:00Z."
    assert list(AuditEvent.objects.order_by("id").values_list("actor_username", "action")) == [
        ("kept", "list"),
        (f"os:{getpass.getuser()}", "audit_purge"),
    ]


def test_purge_audit_dry_run_deletes_nothing(db):
    AuditEvent.objects.create(actor_username="old", created_at=days_old(800))

    assert run("purge_audit", "--older-than", "400d", "--dry-run") == (
        "Would delete 1 audit events created before 2025-10-23T12:00:00Z (dry run)."
    )
    assert AuditEvent.objects.count() == 1


def test_purge_audit_never_deletes_events_younger_than_the_audit_retention(db, settings):
    settings.AUDIT_RETENTION_DAYS = 365
    AuditEvent.objects.create(actor_username="recent", created_at=days_old(30))

    with pytest.raises(CommandError, match=r"audit events are kept 365 days .* 2w is shorter"):
        run("purge_audit", "--older-than", "2w")
    assert AuditEvent.objects.count() == 1


def test_erase_user_logs_deletes_every_log_of_that_user_only(make_log, reader_client):
    for number in range(5):
        make_log(id=f"log_alice_{number}", user_id="usr_alice")
    make_log(id="log_bob", user_id="usr_bob")

    assert run("erase_user_logs", "usr_alice", "--batch-size", "2") == "Erased 5 logs of user usr_alice."
    assert remaining_ids() == ["log_bob"]
    assert api_total(reader_client) == CommunicationLog.objects.count() == 1


def test_erase_user_logs_within_one_tenant_keeps_the_other_tenants(make_log, reader_client):
    make_log(id="log_t1", user_id="usr_alice", tenant_id="tnt_one")
    make_log(id="log_t2", user_id="usr_alice", tenant_id="tnt_two")

    assert run("erase_user_logs", "usr_alice", "--tenant", "tnt_one") == (
        "Erased 1 logs of user usr_alice in tenant tnt_one."
    )
    assert remaining_ids() == ["log_t2"]
    assert api_total(reader_client) == 1


def test_erase_user_logs_dry_run_counts_and_erases_nothing_or_audits(make_log):
    make_log(id="log_alice", user_id="usr_alice")

    assert run("erase_user_logs", "usr_alice", "--dry-run") == "Would erase 1 logs of user usr_alice (dry run)."
    assert remaining_ids() == ["log_alice"]
    assert audit_events() == []


def test_erasure_is_audited_with_the_operator_and_count_but_not_the_user_id(make_log, make_user):
    operator = make_user("dpo", staff=True)
    make_log(user_id="usr_alice", tenant_id="tnt_one")
    make_log(user_id="usr_alice", tenant_id="tnt_one")

    run("erase_user_logs", "usr_alice", "--tenant", "tnt_one", "--actor", "dpo")

    assert audit_events() == [
        {
            "actor_id": operator.pk,
            "actor_username": "dpo",
            "action": "erase",
            "status_code": None,
            "filters": {"user_ref": user_reference("usr_alice"), "tenant_id": "tnt_one"},
            "total": 2,
        }
    ]
    assert "usr_alice" not in json.dumps(audit_events())


def test_erasure_without_actor_is_audited_as_the_os_user(make_log):
    make_log(user_id="usr_alice")

    run("erase_user_logs", "usr_alice")

    assert audit_events() == [
        {
            "actor_id": None,
            "actor_username": f"os:{getpass.getuser()}",
            "action": "erase",
            "status_code": None,
            "filters": {"user_ref": user_reference("usr_alice")},
            "total": 1,
        }
    ]


def test_erasure_of_a_user_without_logs_is_audited_with_zero_rows(db):
    assert run("erase_user_logs", "usr_nobody") == "Erased 0 logs of user usr_nobody."
    assert [event["total"] for event in audit_events()] == [0]


def test_user_reference_is_a_keyed_digest_that_differs_per_user(settings):
    settings.SECRET_KEY = "key-one"
    first = user_reference("usr_alice")
    assert len(first) == 32
    assert first != user_reference("usr_bob")
    settings.SECRET_KEY = "key-two"
    assert first != user_reference("usr_alice")


def test_interrupted_erasure_audits_the_rows_it_erased(make_log, monkeypatch):
    for number in range(3):
        make_log(id=f"log_alice_{number}", user_id="usr_alice")
    monkeypatch.setattr(lifecycle, "delete_in_batches", stop_after_first_batch(lifecycle.delete_in_batches))

    with pytest.raises(CommandError, match=r"^Interrupted after removing 2 rows;"):
        run("erase_user_logs", "usr_alice", "--batch-size", "2")

    assert [(event["action"], event["total"]) for event in audit_events()] == [("erase", 2)]
    assert CommunicationLog.objects.count() == 1


def test_erase_with_an_unknown_actor_is_a_command_error_and_erases_nothing(make_log):
    make_log(user_id="usr_alice")

    with pytest.raises(CommandError, match=r"^--actor: there is no user named 'ghost'$"):
        run("erase_user_logs", "usr_alice", "--actor", "ghost")
    assert CommunicationLog.objects.count() == 1


@pytest.mark.parametrize("user_id", ["", "usr\x00alice", "u" * 65])
def test_erase_with_a_bad_user_id_is_a_command_error(db, user_id):
    with pytest.raises(CommandError, match="argument user_id: must be 1 to 64 characters without control characters"):
        run("erase_user_logs", user_id)


def exported_log(log, **overrides):
    """The fourteen keys of a log in a user's own export: unmasked, times in RFC 3339."""
    values = {key: getattr(log, key) for key in ITEM_KEYS}
    for key in ("sent_at", "created_at", "updated_at"):
        values[key] = values[key].strftime("%Y-%m-%dT%H:%M:%SZ") if values[key] else ""
    return {**values, **overrides}


def test_export_user_logs_writes_every_log_of_the_user_unmasked_as_jsonl(make_log, tmp_path):
    newer = make_log(id="log_2", user_id="usr_alice", recipient="alice@example.com", channel="email")
    older = make_log(id="log_1", user_id="usr_alice", status="pending", sent_at=None, content="Grüße, 你好")
    make_log(id="log_bob", user_id="usr_bob")
    output = tmp_path / "alice.jsonl"

    assert run("export_user_logs", "usr_alice", "--output", str(output)) == (
        f"Exported 2 logs of user usr_alice to {output} (jsonl)."
    )

    lines = output.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [exported_log(newer), exported_log(older)]
    assert json.loads(lines[0])["recipient"] == "alice@example.com"
    assert "你好" in lines[1]


def test_export_user_logs_as_csv_has_a_header_row_and_unmasked_recipients(make_log, tmp_path):
    log = make_log(id="log_1", user_id="usr_alice", content="line one\nline two")
    output = tmp_path / "alice.csv"

    assert run("export_user_logs", "usr_alice", "--output", str(output), "--format", "csv") == (
        f"Exported 1 logs of user usr_alice to {output} (csv)."
    )

    with output.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    assert rows == [ITEM_KEYS, list(exported_log(log).values())]
    assert rows[1][6] == "13800138000"


def test_export_user_logs_file_is_readable_by_its_owner_only(make_log, tmp_path):
    make_log(user_id="usr_alice")
    output = tmp_path / "alice.jsonl"

    run("export_user_logs", "usr_alice", "--output", str(output))

    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert sorted(path.name for path in tmp_path.iterdir()) == ["alice.jsonl"]


def test_export_user_logs_is_audited_with_the_operator_and_count(make_log, make_user, tmp_path):
    operator = make_user("dpo", staff=True)
    make_log(user_id="usr_alice")
    make_log(user_id="usr_alice")

    run("export_user_logs", "usr_alice", "--output", str(tmp_path / "a.csv"), "--format", "csv", "--actor", "dpo")

    assert audit_events() == [
        {
            "actor_id": operator.pk,
            "actor_username": "dpo",
            "action": "user_export",
            "status_code": None,
            "filters": {"user_id": "usr_alice", "format": "csv"},
            "total": 2,
        }
    ]


def test_export_user_logs_refuses_to_overwrite_a_file(make_log, tmp_path):
    make_log(user_id="usr_alice")
    output = tmp_path / "alice.jsonl"
    output.write_text("keep me")

    with pytest.raises(CommandError, match=r"already exists; choose a new file name$"):
        run("export_user_logs", "usr_alice", "--output", str(output))
    assert output.read_text() == "keep me"
    assert audit_events() == []


def test_export_user_logs_into_a_missing_directory_is_a_command_error(make_log, tmp_path):
    output = tmp_path / "missing" / "alice.jsonl"

    with pytest.raises(CommandError, match=r"No such file or directory$"):
        run("export_user_logs", "usr_alice", "--output", str(output))
    assert audit_events() == []


def test_export_user_logs_with_an_unknown_format_is_a_command_error(db, tmp_path):
    with pytest.raises(CommandError, match="argument --format: invalid choice: 'xml'"):
        run("export_user_logs", "usr_alice", "--output", str(tmp_path / "a.xml"), "--format", "xml")


@pytest.mark.postgres
def test_purge_and_erase_are_seen_by_row_triggers_on_postgres(make_log):
    """Counters kept by triggers stay exact: the deletes are ordinary DELETEs."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL triggers")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE log_counter (total bigint)")
        cursor.execute("INSERT INTO log_counter VALUES (0)")
        cursor.execute(
            "CREATE FUNCTION pg_temp.count_logs() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "UPDATE log_counter SET total = total + CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END; RETURN NULL; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER count_logs AFTER INSERT OR DELETE ON communication_communicationlog "
            "FOR EACH ROW EXECUTE FUNCTION pg_temp.count_logs()"
        )
        for number in range(6):
            make_log(user_id="usr_alice" if number % 2 else "usr_bob", created_at=days_old(100 * number))

        run("purge_logs", "--older-than", "250d", "--batch-size", "2")
        run("erase_user_logs", "usr_alice", "--batch-size", "2")

        cursor.execute("SELECT total FROM log_counter")
        assert cursor.fetchone()[0] == CommunicationLog.objects.count() == 2


def test_interrupted_export_user_logs_leaves_no_file_and_no_audit(make_log, tmp_path, monkeypatch):
    make_log(user_id="usr_alice")
    output = tmp_path / "alice.jsonl"

    def interrupted(rows):
        yield "half a line"
        raise KeyboardInterrupt

    monkeypatch.setattr(export_user_logs, "jsonl_chunks", interrupted)

    with pytest.raises(CommandError) as error:
        run("export_user_logs", "usr_alice", "--output", str(output))
    assert str(error.value) == f"Interrupted; {output} was not written."
    assert error.value.returncode == 130
    assert list(tmp_path.iterdir()) == []
    assert audit_events() == []
