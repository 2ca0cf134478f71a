"""Totals stay exact for every filter shape, whatever wrote, changed or deleted the rows."""

import random
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communication import counters
from communication.counts import conditions_of, count_logs, split_range
from communication.models import CommunicationLog, LogCount, LogCountDelta
from tests.conftest import LOGS_URL, postgres_only

MIX = [
    ("sms", "delivered"),
    ("sms", "delivered"),
    ("sms", "failed"),
    ("email", "failed"),
    ("email", "pending"),
    ("email", "delivered"),
    ("push", "sent"),
    ("push", "delivered"),
]
SHAPES = [
    {},
    {"channel": "sms"},
    {"status": "delivered"},
    {"channel": "email", "status": "failed"},
    {"channel": "sms,email"},
    {"status": "failed,pending"},
    {"channel": "push,email", "status": "delivered,sent"},
    {"user_id": "usr_other"},
    {"user_id": "usr_other", "status": "failed"},
    {"tenant_id": "tnt_acme01", "channel": "email"},
    {"provider": "twilio"},
    {"provider": "twilio", "status": "failed,delivered"},
    {"template_id": "tpl_welcome"},
    {"tenant_id": "tnt_acme01", "provider": "twilio", "template_id": "tpl_welcome", "channel": "sms"},
    # Dates: whole days from the day counters, part days counted, and the shapes counted directly.
    {"created_after": "2026-04-13"},
    {"created_before": "2026-04-14"},
    {"created_after": "2026-04-12", "created_before": "2026-04-15", "status": "delivered,failed"},
    {"created_after": "2026-04-12T10:00:00Z"},
    {"created_after": "2026-04-12T10:00:00Z", "channel": "push"},
    {"created_after": "2026-04-13T12:00:00Z", "created_before": "2026-04-15T05:00:00Z", "channel": "email"},
    {"created_after": "2026-04-11T20:00:00Z", "created_before": "2026-04-14T08:30:00Z", "channel": "sms,email"},
    {"created_before": "2026-04-13T23:59:59Z", "channel": "push", "status": "delivered"},
    {"created_after": "2026-04-12T06:00:00Z", "created_before": "2026-04-12T22:00:00Z"},
    {"created_after": "2026-04-12", "tenant_id": "tnt_acme01"},
    {"created_after": "2026-04-14", "created_before": "2026-04-12"},
]


@pytest.fixture
def mixed_logs(make_log):
    """The MIX, eleven hours apart: from 2026-04-15 09:00 back over four days (UTC)."""
    logs = []
    for number, (channel, status) in enumerate(MIX):
        extra = {"user_id": "usr_other", "tenant_id": "tnt_acme01", "provider": "twilio"} if number % 3 == 0 else {}
        if number % 2 == 0:
            extra["template_id"] = "tpl_welcome"
        logs.append(make_log(channel=channel, status=status, minutes_ago=60 + number * 660, **extra))
    return logs


def as_time(text):
    """A date filter's value as the contract reads it: a date is midnight UTC."""
    return datetime.fromisoformat(f"{text}T00:00:00+00:00" if len(text) == 10 else text)


def expected_rows(params):
    """The rows a reader expects, newest first, computed without the code under test."""
    rows = CommunicationLog.objects.all()
    for name, value in params.items():
        if name == "created_after":
            rows = rows.filter(created_at__gte=as_time(value))
        elif name == "created_before":
            rows = rows.filter(created_at__lt=as_time(value))
        else:
            rows = rows.filter(**{f"{name}__in": value.split(",")})
    return sorted(rows.iterator(), key=lambda log: (log.created_at, log.id), reverse=True)


def expected_total(params):
    return len(expected_rows(params))


def totals_of(client, params):
    body = client.get(LOGS_URL, params).json()
    return body["total"], body["pagination"]["total"]


def assert_every_shape_is_exact(client):
    for params in SHAPES:
        expected = expected_total(params)
        assert totals_of(client, params) == (expected, expected), params


def test_total_is_exact_for_every_filter_shape(reader_client, mixed_logs):
    assert_every_shape_is_exact(reader_client)


def test_every_page_of_every_shape_holds_its_rows_newest_first(reader_client, mixed_logs):
    for params in SHAPES:
        expected = [log.id for log in expected_rows(params)]
        pages = []
        for page in range(1, len(expected) // 3 + 2):
            body = reader_client.get(LOGS_URL, {**params, "page": page, "page_size": 3}).json()
            assert body["total"] == len(expected), (params, page)
            pages.append([item["id"] for item in body["items"]])
        assert [log_id for items in pages for log_id in items] == expected, params
        assert all(len(items) == 3 for items in pages[:-1]), params


def test_total_follows_status_and_channel_changes(reader_client, mixed_logs):
    CommunicationLog.objects.filter(status="pending").update(status="sent")
    CommunicationLog.objects.filter(channel="push").update(channel="sms", status="failed")
    log = CommunicationLog.objects.filter(status="delivered").first()
    log.status = "failed"
    log.save()
    assert_every_shape_is_exact(reader_client)


def test_total_follows_deletes_in_batches(reader_client, mixed_logs):
    CommunicationLog.objects.filter(channel="email").delete()
    mixed_logs[0].delete()
    assert_every_shape_is_exact(reader_client)
    assert totals_of(reader_client, {"channel": "email"}) == (0, 0)


def test_total_follows_tenant_provider_and_template_changes(reader_client, mixed_logs):
    CommunicationLog.objects.filter(channel="sms").update(tenant_id="tnt_acme01", template_id="tpl_welcome")
    CommunicationLog.objects.filter(status="delivered").update(provider="twilio")
    assert_every_shape_is_exact(reader_client)


def test_total_follows_rows_moved_to_another_day(reader_client, mixed_logs):
    CommunicationLog.objects.filter(channel="sms").update(created_at=as_time("2026-04-10T12:00:00Z"))
    mixed_logs[-1].created_at = as_time("2026-04-15T09:30:00Z")
    mixed_logs[-1].save()
    assert_every_shape_is_exact(reader_client)
    assert totals_of(reader_client, {"created_before": "2026-04-11"}) == (3, 3)


def test_updates_of_other_columns_leave_totals_alone(reader_client, mixed_logs):
    CommunicationLog.objects.update(content="edited", error="x")
    assert_every_shape_is_exact(reader_client)


def test_rows_written_with_raw_sql_are_counted(reader_client, mixed_logs):
    table = CommunicationLog._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, tenant_id, user_id, channel, provider, template_id, recipient, content, "
            "status, error, response, created_at, updated_at) "
            "VALUES ('log_raw1', '', 'usr_raw', 'push', '', '', 'fcm:abc', '', 'failed', '', '', "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
        cursor.execute(f"UPDATE {table} SET status = 'pending' WHERE id = %s", [mixed_logs[1].id])
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [mixed_logs[2].id])
    assert_every_shape_is_exact(reader_client)


def test_no_logs_gives_zero_totals(reader_client, db):
    assert totals_of(reader_client, {}) == (0, 0)
    assert totals_of(reader_client, {"channel": "sms", "status": "failed"}) == (0, 0)


@pytest.mark.postgres
@postgres_only
def test_rolling_up_the_counters_keeps_totals_exact(reader_client, mixed_logs, monkeypatch, make_log):
    monkeypatch.setattr(counters, "ROLLUP_AFTER_ROWS", 1)
    for _ in range(3):
        make_log(channel="email", status="sent")
    assert_every_shape_is_exact(reader_client)
    assert LogCountDelta.objects.count() == 0
    assert LogCount.objects.count() == len(set(MIX) | {("email", "sent")})
    assert_every_shape_is_exact(reader_client)


def delta_rows():
    return LogCountDelta.objects.count()


@pytest.mark.postgres
@postgres_only
def test_with_rollup_on_read_off_only_the_periodic_command_folds_the_counters(
    reader_client, mixed_logs, monkeypatch, settings
):
    monkeypatch.setattr(counters, "ROLLUP_AFTER_ROWS", 1)
    settings.COUNTER_ROLLUP_ON_READ = False
    assert_every_shape_is_exact(reader_client)
    piled_up = delta_rows()

    output = StringIO()
    call_command("roll_up_log_counters", stdout=output)

    assert piled_up == len(MIX)
    assert delta_rows() == 0
    assert output.getvalue().startswith("Rolled the log counters up:")
    assert_every_shape_is_exact(reader_client)


def test_rollup_command_refuses_a_database_without_counters(db):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL keeps counters")
    with pytest.raises(CommandError, match="only PostgreSQL keeps log counters"):
        call_command("roll_up_log_counters")


@pytest.mark.postgres
@postgres_only
def test_truncate_resets_the_counters(reader_client, mixed_logs, make_log):
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {CommunicationLog._meta.db_table}")
    assert totals_of(reader_client, {}) == (0, 0)
    make_log(channel="push", status="sent")
    assert_every_shape_is_exact(reader_client)


@pytest.mark.postgres
@postgres_only
@pytest.mark.parametrize(
    "params",
    [
        {"channel": "sms,email", "status": "delivered"},
        {"created_after": "2026-04-12", "status": "failed"},
        {"created_after": "2026-04-11T20:00:00Z", "created_before": "2026-04-14T08:30:00Z", "channel": "email"},
    ],
)
def test_counters_serve_channel_status_and_date_shapes_without_counting_the_table(reader_client, mixed_logs, params):
    with CaptureQueriesContext(connection) as queries:
        reader_client.get(LOGS_URL, params)
    counts = [query["sql"] for query in queries if "COUNT(" in query["sql"].upper()]
    assert not [sql for sql in counts if 'COUNT(*) AS "__count"' in sql], "not a COUNT of the rows"
    [total] = [sql for sql in queries_reading(queries, "communication_logcountdelta")]
    assert ("communication_logcountbyday" in total) == ("created_after" in params)


def queries_reading(queries, table):
    return [query["sql"] for query in queries if f'"{table}"' in query["sql"]]


@pytest.mark.parametrize(
    ("start", "stop"),
    [
        ("2026-04-12T01:00:00Z", "2026-04-13T00:00:00Z"),
        ("2026-04-12T01:20:00Z", "2026-04-13T00:00:00Z"),
        ("2026-04-12T23:59:59Z", "2026-04-13T00:00:00Z"),
        ("2026-04-12T00:00:00Z", "2026-04-12T20:45:00Z"),
        ("2026-04-12T10:10:00Z", "2026-04-12T10:40:00Z"),
        ("2026-04-12T10:10:00Z", "2026-04-12T11:40:00Z"),
        ("2026-04-11T22:10:00Z", "2026-04-12T01:40:00Z"),
        ("2026-04-10T22:10:00Z", "2026-04-12T01:40:00Z"),
        ("2026-04-12T10:00:00+08:00", "2026-04-12T12:05:00+08:00"),
    ],
)
def test_a_range_is_whole_days_and_whole_hours_but_for_under_two_hours_at_each_end(start, stop):
    _, hours, stretches = split_range(as_time(start), as_time(stop))
    assert len(stretches) <= 4
    for first, last in stretches:
        assert timedelta(0) < last - first < timedelta(hours=2), (first, last)
    assert all(0 <= each["hour__gte"] < each["hour__lt"] <= 24 for each in hours)


@pytest.mark.parametrize(
    "narrowed",
    [
        lambda logs: logs.filter(user_id="usr_other"),
        lambda logs: logs.filter(recipient="13800138000"),
        lambda logs: logs.exclude(channel="sms"),
        lambda logs: logs.filter(channel="sms") | logs.filter(status="failed"),
        lambda logs: logs.filter(created_at__gt=as_time("2026-04-12")),
        lambda logs: logs.filter(channel="sms").filter(channel="email"),
        lambda logs: logs.none(),
        lambda logs: logs.distinct(),
        lambda logs: logs[:5],
    ],
)
def test_a_queryset_narrowed_by_anything_but_the_counted_conditions_is_counted_row_by_row(mixed_logs, narrowed):
    queryset = narrowed(CommunicationLog.objects.all())

    assert conditions_of(queryset) is None
    assert count_logs(queryset) == queryset.count()


@pytest.fixture
def logs_every_few_minutes(make_log):
    """Two days and a half of logs, one every 37 minutes, the channels and statuses of the MIX in turn."""
    return [
        make_log(channel=channel, status=status, minutes_ago=number * 37)
        for number, (channel, status) in zip(range(100), MIX * 13, strict=False)
    ]


@postgres_only
@pytest.mark.parametrize("folded", [True, False], ids=["folded", "pending"])
def test_totals_of_time_ranges_are_exact_to_the_second(reader_client, logs_every_few_minutes, folded):
    """Ranges across and inside days, bounds on and off the hour, with the counters folded or pending."""
    if folded:
        call_command("roll_up_log_counters", verbosity=0)
    newest = max(log.created_at for log in logs_every_few_minutes)
    rng = random.Random(7)
    for _ in range(60):
        after = newest - timedelta(seconds=rng.randint(0, 60 * 60 * 70))
        before = after + timedelta(seconds=rng.choice([1, 600, 3600, 5400, 86400, 100_000, rng.randint(1, 200_000)]))
        params = {"created_after": after.isoformat(), "created_before": before.isoformat()}
        params.update(rng.choice([{}, {"channel": "sms"}, {"status": "delivered,failed"}, {"channel": "push,email"}]))
        if rng.random() < 0.2:
            params.pop(rng.choice(["created_after", "created_before"]))
        expected = expected_total(params)
        assert totals_of(reader_client, params) == (expected, expected), params


@postgres_only
def test_a_range_inside_one_day_is_totalled_from_the_hour_counters(reader_client, logs_every_few_minutes):
    with CaptureQueriesContext(connection) as queries:
        reader_client.get(LOGS_URL, {"created_after": "2026-04-14T10:20:00Z", "created_before": "2026-04-14T17:00:00Z"})
    [total] = queries_reading(queries, "communication_logcountdelta")
    assert "communication_logcountbyhour" in total


@pytest.mark.postgres
@postgres_only
def test_day_counters_survive_a_range_at_the_ends_of_the_calendar(reader_client, mixed_logs):
    assert totals_of(reader_client, {"created_after": "9999-12-31T12:00:00Z"}) == (0, 0)
    assert totals_of(reader_client, {"created_after": "0001-01-01T00:00:01Z"}) == (len(MIX), len(MIX))
    assert totals_of(reader_client, {"created_before": "0001-01-02"}) == (0, 0)
    assert totals_of(reader_client, {"created_before": "9999-12-31T12:00:00Z"}) == (len(MIX), len(MIX))
    assert (
        totals_of(reader_client, {"created_after": "2026-04-13", "created_before": "9999-12-31T00:00:01Z"})
        == (expected_total({"created_after": "2026-04-13"}),) * 2
    )
