"""`manage.py seed_logs` appends realistic logs that the API counts and pages exactly."""

import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from communication.counters import DELTA
from communication.counts import count_logs
from communication.management.commands import seed_logs
from communication.models import CONTRACT_FIELDS, Channel, CommunicationLog, Status
from communication.seeding import LogGenerator
from tests.conftest import LOGS_URL, postgres_only


def seed(**options):
    out = StringIO()
    call_command("seed_logs", no_progress=True, stdout=out, **options)
    return out.getvalue()


def test_seed_logs_appends_the_rows_asked_for(db):
    assert seed(rows=120, users=7, days=3) == "Appended 120 logs for 7 users over 3 days.\n"
    seed(rows=30, users=7, days=3)
    assert CommunicationLog.objects.count() == 150


def test_seeded_logs_look_like_real_sends(db):
    seed(rows=400, users=5, days=2, seed=1)
    logs = list(CommunicationLog.objects.all())
    assert {log.user_id for log in logs} <= {f"usr_{number:06d}" for number in range(5)}
    assert {log.channel for log in logs} == set(Channel.values)
    assert {log.status for log in logs} == set(Status.values)
    for log in logs:
        assert re.fullmatch(r"log_[0-9a-f]{20}", log.id)
        assert (log.sent_at is None) == (log.status == Status.PENDING)
        assert (log.error != "") == (log.status == Status.FAILED)
        assert log.created_at <= log.updated_at
        if log.channel == Channel.EMAIL:
            assert "@" in log.recipient


def test_a_planned_load_comes_out_oldest_first_across_its_whole_span():
    now = datetime(2026, 4, 15, tzinfo=UTC)
    generator = LogGenerator(seed=3, users=5, now=now, days=10, planned_rows=1000)
    created = CONTRACT_FIELDS.index("created_at")
    times = [row[created] for size in (400, 400, 200) for row in generator.rows(size)]
    assert times == sorted(times)
    assert now - timedelta(days=10) <= times[0] < now - timedelta(days=10) + timedelta(minutes=15)
    assert now - timedelta(minutes=15) < times[-1] <= now


def test_seeded_logs_are_counted_and_paged_exactly(reader_client):
    seed(rows=250, users=4, days=1)
    body = reader_client.get(LOGS_URL, {"status": "delivered,failed", "page": 2, "page_size": 100}).json()
    expected = CommunicationLog.objects.filter(status__in=["delivered", "failed"]).count()
    assert body["total"] == expected
    assert len(body["items"]) == min(100, expected - 100)


def test_the_same_seed_gives_the_same_rows(db):
    seed(rows=20, users=3, days=1, seed=42)
    first = set(CommunicationLog.objects.values_list("id", "user_id", "channel", "status"))
    CommunicationLog.objects.all().delete()
    seed(rows=20, users=3, days=1, seed=42)
    assert {row[0] for row in first} == set(CommunicationLog.objects.values_list("id", flat=True))


@pytest.mark.parametrize("option", ["rows", "users", "days", "months"])
@pytest.mark.parametrize("value", [0, -1])
def test_zero_or_negative_sizes_are_refused(db, option, value):
    options = {"rows": 10, "users": 2, option: value}
    with pytest.raises(CommandError, match=f"--{option} must be above 0"):
        seed(**options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"months": 10**20}, "--months: 100000000000000000000 reaches back before the year 1"),
        ({"days": 10**9}, "--days: 1000000000 reaches back before the year 1"),
        ({"days": float("inf")}, "--days: inf reaches back before the year 1"),
        ({"days": float("nan")}, "--days must be above 0"),
        ({"users": 10**12}, "--users must be at most 1,000,000"),
    ],
)
def test_spans_the_calendar_cannot_hold_and_users_past_memory_are_refused(db, options, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        seed(rows=10, **{"users": 2, **options})
    assert not CommunicationLog.objects.exists()


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_load_leaves_the_counters_folded_and_their_delta_table_empty():
    seed(rows=41_000, users=50, days=5)

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), pg_relation_size('{DELTA}') FROM {DELTA}")
        delta_rows, delta_bytes = cursor.fetchone()
    everything = CommunicationLog.objects.all()
    assert (delta_rows, delta_bytes) == (0, 0)
    assert count_logs(everything.filter(status="failed")) == everything.filter(status="failed").count()
    assert count_logs(everything) == 41_000


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_load_that_rebuilds_the_indexes_leaves_every_partition_indexed(monkeypatch):
    monkeypatch.setattr(seed_logs, "REBUILD_INDEXES_FROM_ROWS", 1_000)
    seed(rows=2_000, users=50, days=65)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, count(*), bool_and(x.indisvalid) FROM pg_inherits h "
            "JOIN pg_class c ON c.oid = h.inhrelid JOIN pg_index x ON x.indrelid = c.oid "
            "WHERE h.inhparent = %s::regclass GROUP BY c.relname",
            [CommunicationLog._meta.db_table],
        )
        partitions = cursor.fetchall()
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = %s", [CommunicationLog._meta.db_table])
        (parent_indexes,) = cursor.fetchone()
    assert partitions
    assert parent_indexes > 1
    assert {(indexes, valid) for _, indexes, valid in partitions} == {(parent_indexes, True)}


def test_push_logs_go_through_the_provider_of_the_devices_platform(db):
    call_command("seed_logs", rows=400, users=50, seed=11, no_progress=True, stdout=StringIO())

    push = CommunicationLog.objects.filter(channel="push").values_list("provider", "recipient")
    assert push
    for provider, token in push:
        assert token.startswith(f"{provider}:")
        if provider == "apns":
            assert re.fullmatch(r"apns:[0-9a-f]{64}", token)
        else:
            assert re.fullmatch(r"fcm:[A-Za-z0-9_-]{22}:APA91b[A-Za-z0-9_-]{134}", token)
