"""Totals stay exact for every filter shape, whatever wrote, changed or deleted the rows."""

import random
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from communication import totals
from communication.filters import LogFilterSet
from communication.models import CONTRACT_FIELDS, CommunicationLog
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
    monkeypatch.setattr(totals, "ROLLUP_AFTER_ROWS", 1)
    for _ in range(3):
        make_log(channel="email", status="sent")
    assert_every_shape_is_exact(reader_client)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {totals.DELTA_TABLE}")
        assert cursor.fetchone()[0] == 0
        cursor.execute(f"SELECT count(*) FROM {totals.KIND_TABLE}")
        assert cursor.fetchone()[0] == len(set(MIX) | {("email", "sent")})
    assert_every_shape_is_exact(reader_client)


def delta_rows():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {totals.DELTA_TABLE}")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@postgres_only
def test_with_rollup_on_read_off_only_the_periodic_command_folds_the_counters(
    reader_client, mixed_logs, monkeypatch, settings
):
    monkeypatch.setattr(totals, "ROLLUP_AFTER_ROWS", 1)
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


@pytest.mark.parametrize(
    "params",
    [{}, {"user_id": "usr_other"}, {"status": "failed,sent", "page": 2, "page_size": 2}, {"recipient": "13800138000"}],
)
def test_a_page_near_the_start_comes_with_its_total_in_one_query(reader_client, mixed_logs, params):
    with CaptureQueriesContext(connection) as queries:
        body = reader_client.get(LOGS_URL, params).json()
    log_queries = [query for query in queries if "communication_communicationlog" in query["sql"]]
    assert len(log_queries) == 1, "the page's rows and their total come in one query"
    assert body["total"] == expected_total({k: v for k, v in params.items() if k not in ("page", "page_size")})


@pytest.mark.parametrize(
    "queryset",
    [
        lambda: CommunicationLog.objects.order_by("-created_at", "-id").reverse(),
        lambda: CommunicationLog.objects.all(),
        lambda: CommunicationLog.objects.order_by("id").distinct(),
    ],
    ids=["reversed", "model's default order", "distinct"],
)
def test_the_hand_written_page_statement_leaves_to_the_orm_what_it_cannot_order_alike(db, queryset):
    assert totals.page_sql(queryset(), ("id",), 0, 20) is None


def explained_page(offset, options=""):
    """EXPLAIN's rows for the API's newest-first page from `offset`, its times written by PostgreSQL."""
    newest_first = CommunicationLog.objects.order_by("-created_at", "-id")
    sql, params = totals.page_sql(newest_first, CONTRACT_FIELDS, offset, 20, rfc3339_times=True)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {options} {sql}", params)
        return cursor.fetchall()


@pytest.mark.postgres
@postgres_only
def test_the_page_statement_is_ordered_by_the_columns_not_by_the_times_it_writes(db):
    """A formatted time is named after its column; ORDER BY must still mean the column and its index."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
    plan = "\n".join(row for (row,) in explained_page(0))
    assert "Sort" not in plan
    assert "commlog_created_idx" in plan


@pytest.mark.postgres
@postgres_only
@pytest.mark.parametrize("params", ["user_id=usr_other&status=failed", "user_id=usr_other&channel=sms,push"])
def test_a_users_total_under_channel_or_status_reads_the_index_not_the_table(mixed_logs, params):
    """The user index carries channel and status, so a heavy user's filtered total visits no table page."""
    filterset = LogFilterSet(QueryDict(params), queryset=CommunicationLog.objects.order_by("-created_at", "-id"))
    filterset.is_valid()
    sql, sql_params = totals.rows_with_total_sql(filterset.qs, filterset.form.cleaned_data, CONTRACT_FIELDS, 0, 20)
    with connection.cursor() as cursor:
        # A handful of rows: without these PostgreSQL would rightly read the table whole.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}", sql_params)
        plan = "\n".join(row for (row,) in cursor.fetchall())

    assert "Index Only Scan using commlog_user_covering_idx" in plan


def plan_nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


@pytest.mark.postgres
@postgres_only
def test_times_are_formatted_for_the_pages_rows_only_not_for_those_the_offset_skips(db):
    ((plan,),) = explained_page(980, "(VERBOSE, FORMAT JSON)")
    top = plan[0]["Plan"]
    (limit,) = [node for node in plan_nodes(top) if node["Node Type"] == "Limit"]
    assert any("to_char" in output for output in top["Output"])
    assert not any("to_char" in output for node in plan_nodes(limit) for output in node.get("Output", []))


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
    assert not any('COUNT(*) AS "__count"' in query["sql"] for query in queries)
    log_queries = [query for query in queries if "communication_communicationlog" in query["sql"]]
    assert len(log_queries) == 1, "the page's rows and their total come in one query"
    assert 'count(*) FROM "communication_communicationlog"' not in log_queries[0]["sql"], "not counted directly"
    assert ("communication_log_count_by_day" in log_queries[0]["sql"]) == ("created_after" in params)


@pytest.mark.parametrize(
    ("start", "stop"),
    [
        ("2026-04-12T01:00:00Z", "2026-04-13T00:00:00Z"),
        ("2026-04-12T01:20:00Z", "2026-04-13T00:00:00Z"),
        ("2026-04-12T01:50:00Z", "2026-04-13T00:00:00Z"),
        ("2026-04-12T23:00:00Z", "2026-04-13T00:00:00Z"),
        ("2026-04-12T23:59:59Z", "2026-04-13T00:00:00Z"),
        ("2026-04-12T00:00:00Z", "2026-04-12T00:30:00Z"),
        ("2026-04-12T00:00:00Z", "2026-04-12T20:45:00Z"),
        ("2026-04-12T10:10:00Z", "2026-04-12T10:40:00Z"),
        ("2026-04-12T10:10:00Z", "2026-04-12T11:40:00Z"),
        ("2026-04-12T10:00:00+08:00", "2026-04-12T12:05:00+08:00"),
    ],
)
def test_a_part_day_reads_at_most_half_an_hour_of_the_table_at_each_end(start, stop):
    parts = totals.part_day_parts(as_time(start), as_time(stop), {"channel": ["sms"], "status": None})
    counted = [params for select, _, params in parts if totals.COUNT_FUNCTION in select]
    assert len(counted) <= 2
    for *_, first, last in counted:
        assert timedelta(0) < last - first <= timedelta(minutes=30), (first, last)


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
@pytest.mark.parametrize(
    "kinds",
    [{}, {"channel": "sms,push"}, {"status": "failed,pending"}, {"channel": "email", "status": "delivered,pending"}],
    ids=["all", "channels", "statuses", "both"],
)
def test_the_count_function_counts_what_each_kind_of_filter_names_to_the_second(logs_every_few_minutes, kinds):
    """Channels without statuses too, which the totals never ask for: the function must not count 0 then."""
    newest = max(log.created_at for log in logs_every_few_minutes)
    named = {name: value.split(",") for name, value in kinds.items()}
    counted = []
    # Minutes ago; a log was written every 37 minutes.
    for start, stop in [(185, 148), (184.99, 148), (185, 147.99), (37 * 40, 37 * 28), (370, 0)]:
        start, stop = newest - timedelta(minutes=start), newest - timedelta(minutes=stop)
        select, _, params = totals.rows_between(named, start, stop)
        with connection.cursor() as cursor:
            cursor.execute(select, params)
            [(count,)] = cursor.fetchall()
        assert count == expected_total(
            {**kinds, "created_after": start.isoformat(), "created_before": stop.isoformat()}
        )
        counted.append(count)
    assert sum(counted) > 0


@postgres_only
def test_a_range_inside_one_day_is_totalled_from_the_hour_counters(reader_client, logs_every_few_minutes):
    with CaptureQueriesContext(connection) as queries:
        reader_client.get(LOGS_URL, {"created_after": "2026-04-14T10:20:00Z", "created_before": "2026-04-14T17:00:00Z"})
    [log_query] = [query for query in queries if "communication_communicationlog" in query["sql"]]
    assert totals.HOUR_TABLE in log_query["sql"]


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
