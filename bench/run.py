"""`make bench`: seed PostgreSQL, serve both implementations under gunicorn, compare, write docs/benchmarks.md.

Environment: DATABASE_URL (default the local commlogs_bench database), BENCH_ROWS (default 1000000),
BENCH_REQUESTS (timed requests per shape and implementation, default 25), BENCH_RESULTS (folder of
per-size JSON results, default bench/results) and BENCH_DOCS (the page to write, default
docs/benchmarks.md). Timings are client-side wall clock per request, sequential, one gunicorn worker.
"""

import http.client
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/commlogs_bench"
# Each shape gets at least this many timed requests, however slow the straightforward one is.
MIN_REQUESTS = 3
# ...and stops early once one implementation has spent this long on it.
MAX_SECONDS_PER_SHAPE = 20
# Requests in a row to one target before the next one's turn. After tens of milliseconds idle, as
# while the straightforward implementation counts, a worker's next request took twice as long on one
# host (docs/performance.md), which made our figures depend on how slow the other one was.
REQUESTS_IN_A_ROW = 5
SERIALIZED_ROWS = (20, 50, 100)
INSERT_ROWS = 20_000
SINGLE_STATEMENTS = 500
# Writes are timed in this many alternating rounds, with and without the triggers, for a median.
WRITE_ROUNDS = 5
# What a request may take, server and client alike: the straightforward implementation's deep pages
# read the whole table, tens of seconds at 10M rows, and minutes on a slow host with a cold cache.
SLOWEST_REQUEST_SECONDS = 600


def with_persistent_connections(url):
    """The database URL with persistent connections, as production runs; else each request pays a new backend."""
    if "conn_max_age" in url:
        return url
    return url + ("&" if "?" in url else "?") + "conn_max_age=600"


os.environ["DATABASE_URL"] = with_persistent_connections(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
os.environ["DJANGO_DEBUG"] = "0"
os.environ["DJANGO_THROTTLE_LOGS"] = "1000000/min"
os.environ["DJANGO_SETTINGS_MODULE"] = "commlogs_site.settings"
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, Permission, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from rest_framework.serializers import ModelSerializer  # noqa: E402

from bench.breakdown import request_breakdown  # noqa: E402
from commlogs_site.database import load_utc_times_natively  # noqa: E402
from communication.filters import LogFilterSet  # noqa: E402
from communication.models import CONTRACT_FIELDS, CommunicationLog  # noqa: E402
from communication.pagination import FORWARD_READ_MAX_ROWS, LogPagination, page_window  # noqa: E402
from communication.seeding import BatchLogGenerator, write_rows  # noqa: E402
from communication.serializers import CommunicationLogSerializer  # noqa: E402
from communication.tokens import token_to_hand_out  # noqa: E402
from communication.totals import (  # noqa: E402
    counted_total_sql,
    page_sql,
    roll_up_and_vacuum,
    rows_with_total_sql,
    uses_counters,
)

TABLE = CommunicationLog._meta.db_table


def say(text):
    print(text, flush=True)


def ensure_database():
    """Create the database of DATABASE_URL when it does not exist yet."""
    name = settings.DATABASES["default"]["NAME"]
    admin_url = os.environ["DATABASE_URL"].split("?")[0].rsplit("/", 1)[0] + "/postgres"
    exists = subprocess.run(
        ["psql", admin_url, "-Atc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["psql", admin_url, "-qc", f'CREATE DATABASE "{name}"'], check=True)


def prepare_data(rows):
    call_command("migrate", verbosity=0)
    present = CommunicationLog.objects.count()
    if present < rows:
        say(f"Seeding {rows - present} rows (table has {present})")
        started = time.perf_counter()
        call_command("seed_logs", rows=rows - present, users=max(100, rows // 100), days=90, seed=rows)
        seeded = (rows - present) / (time.perf_counter() - started) * 60
        say(f"Seeded at {seeded:,.0f} rows/minute")
    else:
        seeded = None
    roll_up_and_vacuum(connection)
    with connection.cursor() as cursor:
        # What autovacuum does in production (this machine runs PostgreSQL without it): index-only scans
        # need the visibility map, and the counters' delta table must not carry the dead rows of a load.
        cursor.execute("VACUUM ANALYZE")
    return reader_token(), seeded


def reader_token():
    """The token of a staff member who reads the logs through a group, as support staff do: not a superuser,
    whose permission check asks nothing of the database."""
    support, _ = Group.objects.get_or_create(name="bench support")
    support.permissions.add(Permission.objects.get(codename="view_communicationlog"))
    user, _ = User.objects.update_or_create(username="bench_reader", defaults={"is_staff": True, "is_superuser": False})
    user.groups.add(support)
    return token_to_hand_out(user).key


def free_port():
    while True:
        port = random.randint(18000, 19999)
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port


def start_server(settings_module, **extra_env):
    port = free_port()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--workers",
            "1",
            "--timeout",
            str(SLOWEST_REQUEST_SECONDS),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "commlogs_site.wsgi:application",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": settings_module, **extra_env},
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit(f"gunicorn ({settings_module}) did not start")


def get(port, path, token):
    """One request on a new connection: (seconds, status, parsed body)."""
    started = time.perf_counter()
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=SLOWEST_REQUEST_SECONDS)
    client.request("GET", path, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    response = client.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    client.close()
    return elapsed, response.status, json.loads(body)


def query_string(params):
    from urllib.parse import urlencode

    return "/admin/communication/logs?" + urlencode(params) if params else "/admin/communication/logs"


def sample_values():
    """Real filter values from the data, so every filtered shape matches rows."""
    row = CommunicationLog.objects.filter(channel="email").order_by("-created_at").values().first()
    newest = CommunicationLog.objects.order_by("-created_at").values_list("created_at", flat=True).first()
    return row, newest


def shapes(total):
    """(name, params) of every measured shape; `total` places the last and middle pages."""
    row, newest = sample_values()
    week_ago = (newest - timedelta(days=7)).strftime("%Y-%m-%d")
    month_ago = (newest - timedelta(days=30, hours=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    two_months_ago = (newest - timedelta(days=60)).strftime("%Y-%m-%d")
    last_page = max(1, -(-total // 20))
    return [
        ("no filter", {}),
        ("user_id", {"user_id": row["user_id"]}),
        ("channel=sms", {"channel": "sms"}),
        ("status=delivered", {"status": "delivered"}),
        ("channel=email&status=failed", {"channel": "email", "status": "failed"}),
        ("channel=sms,email&status=failed,pending", {"channel": "sms,email", "status": "failed,pending"}),
        ("channel=push&status=pending", {"channel": "push", "status": "pending"}),
        ("user_id&status=delivered", {"user_id": row["user_id"], "status": "delivered"}),
        ("user_id&channel=email,push", {"user_id": row["user_id"], "channel": "email,push"}),
        ("page_size=100", {"page_size": 100}),
        ("page 50", {"page": 50}),
        ("last page", {"page": last_page}),
        ("second-to-last page", {"page": max(1, last_page - 1)}),
        ("middle page", {"page": max(1, last_page // 2)}),
        ("tenant_id", {"tenant_id": row["tenant_id"]}),
        ("template_id", {"template_id": row["template_id"]}),
        ("provider&status=failed", {"provider": row["provider"], "status": "failed"}),
        ("recipient", {"recipient": row["recipient"]}),
        ("created_after (last 7 days)", {"created_after": week_ago}),
        ("created_after&status=failed", {"created_after": week_ago, "status": "failed"}),
        ("created_after (30 days, a time)&channel=sms", {"created_after": month_ago, "channel": "sms"}),
        ("created_before (60 days ago)", {"created_before": two_months_ago}),
    ]


def timed_side_by_side(targets):
    """Time each (port, path, token) in turn, REQUESTS_IN_A_ROW at a time, so that all see the same load.

    Each target is asked once untimed first. A target leaves the rotation after MIN_REQUESTS once it
    has spent MAX_SECONDS_PER_SHAPE. Returns, per target, (timings, last status, last body).
    """
    for port, path, token in targets:
        get(port, path, token)
    requests = requests_per_shape()
    results = [([], None, None) for _ in targets]
    spent = [0.0 for _ in targets]

    def finished(index):
        timed = len(results[index][0])
        return timed >= requests or (timed >= MIN_REQUESTS and spent[index] > MAX_SECONDS_PER_SHAPE)

    while not all(finished(index) for index in range(len(targets))):
        for index, (port, path, token) in enumerate(targets):
            timings = results[index][0]
            for _ in range(REQUESTS_IN_A_ROW):
                if finished(index):
                    break
                elapsed, status, body = get(port, path, token)
                timings.append(elapsed)
                spent[index] += elapsed
                results[index] = (timings, status, body)
    return results


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def page_and_size(params):
    """The shape's page number and page size as our paginator reads them, the size cut to its maximum."""
    size = int(params.get("page_size", LogPagination.page_size))
    return int(params.get("page", 1)), min(size, LogPagination.max_page_size)


def page_rows_sql(params, total, *, rfc3339_times=False):
    """The SQL for the page's rows as our paginator picks them, to time it raw.

    With `rfc3339_times` PostgreSQL writes the times, as the paginator has it do; the floor reads them as stored.
    """
    queryset = LogFilterSet(params, queryset=CommunicationLog.objects.order_by("-created_at", "-id")).qs
    start, limit, reverse = page_window(*page_and_size(params), total)
    return page_sql(queryset, CONTRACT_FIELDS, start, limit, reverse=reverse, rfc3339_times=rfc3339_times)


def our_sql_seconds(params, total):
    """Median database time of the queries our paginator runs for this shape (rows and total)."""
    filterset = LogFilterSet(params, queryset=CommunicationLog.objects.order_by("-created_at", "-id"))
    filterset.is_valid()
    page, size = page_and_size(params)
    offset = (page - 1) * size
    filters = filterset.form.cleaned_data
    if offset <= min(FORWARD_READ_MAX_ROWS, settings.DEEP_PAGE_MAX_ROWS):
        return raw_sql_seconds(
            *rows_with_total_sql(filterset.qs, filters, CONTRACT_FIELDS, offset, size, rfc3339_times=True)
        )
    if uses_counters(connection, filters):
        count_seconds = raw_sql_seconds(*counted_total_sql(filters))
    else:
        count_seconds = raw_sql_seconds(*count_sql(params))
    if page_window(page, size, total)[0] > settings.DEEP_PAGE_MAX_ROWS:
        return count_seconds
    return count_seconds + raw_sql_seconds(*page_rows_sql(params, total, rfc3339_times=True))


def raw_sql_seconds(sql, params, repeat=15):
    """Median seconds to run `sql` and fetch its rows, reading times as fast as the product does."""
    timings = []
    with connection.cursor() as cursor:
        load_utc_times_natively(cursor)
        for _ in range(repeat):
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def explain(sql, params):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + sql, params)
        return "\n".join(line for (line,) in cursor.fetchall())


def count_sql(params):
    queryset = LogFilterSet(params, queryset=CommunicationLog.objects.order_by()).qs
    sql, sql_params = queryset.query.sql_with_params()
    return f"SELECT count(*) FROM ({sql}) AS matching", sql_params


def same_answer(ours, plain):
    def comparable(body):
        return {key: value for key, value in body.items() if key != "timestamp"}

    return comparable(ours) == comparable(plain)


def serialization_timings():
    """Median milliseconds to serialize n rows: ours, and DRF's generic field walk over the same fields."""
    results = {}
    for size in SERIALIZED_ROWS:
        logs = list(CommunicationLog.objects.order_by("-created_at", "-id")[:size])
        ours, generic = [], []
        for _ in range(50):
            started = time.perf_counter()
            CommunicationLogSerializer(logs, many=True).data  # noqa: B018
            ours.append(time.perf_counter() - started)
            serializer = CommunicationLogSerializer()
            started = time.perf_counter()
            [ModelSerializer.to_representation(serializer, log) for log in logs]
            generic.append(time.perf_counter() - started)
        results[size] = {"ours": statistics.median(ours) * 1000, "drf": statistics.median(generic) * 1000}
    return results


def timed_writes(kind, rows, ids, triggers):
    """Seconds to write `rows` (or update `ids`) one way, with or without the counter triggers; rolled back."""
    with transaction.atomic(), connection.cursor() as cursor:
        if not triggers:
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        started = time.perf_counter()
        if kind == "COPY":
            write_rows(rows)
        elif kind == "single-row INSERTs":
            placeholders = ", ".join(["%s"] * len(rows[0]))
            for row in rows:
                cursor.execute(f"INSERT INTO {TABLE} VALUES ({placeholders})", row)
        else:
            for row_id in ids:
                cursor.execute(f"UPDATE {TABLE} SET status = 'failed' WHERE id = %s", [row_id])
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def insert_throughput():
    """Median rows a second written with and without the counter triggers, alternating runs; all rolled back.

    Live writers append rows of the current minute; a bulk load of old rows spreads them over many days,
    which the day in the counters' key makes dearer, so both are timed.
    """
    now = datetime.now(UTC)
    live = BatchLogGenerator(seed=7, users=1000, now=now, days=1 / 1440)
    spread = BatchLogGenerator(seed=8, users=1000, now=now, days=30)
    ids = list(CommunicationLog.objects.values_list("id", flat=True)[:SINGLE_STATEMENTS])
    writes = [
        (f"COPY of the current minute's rows ({INSERT_ROWS:,} rows)", "COPY", INSERT_ROWS, live),
        (f"COPY of rows spread over 30 days ({INSERT_ROWS:,} rows)", "COPY", INSERT_ROWS, spread),
        (f"single-row INSERTs ({SINGLE_STATEMENTS:,} rows)", "single-row INSERTs", SINGLE_STATEMENTS, live),
        (f"single-row status UPDATEs ({SINGLE_STATEMENTS:,} rows)", "UPDATEs", SINGLE_STATEMENTS, live),
    ]
    rates = {True: {}, False: {}}
    for label, kind, size, generator in writes:
        for triggers in (True, False):
            rates[triggers][label] = []
        for _ in range(WRITE_ROUNDS):
            rows = generator.rows(size)
            for triggers in (True, False):
                rates[triggers][label].append(size / timed_writes(kind, rows, ids, triggers))
    restore_after_writes()
    return {
        label: {kind: statistics.median(values) for kind, values in rates[triggers].items()}
        for label, triggers in (("with triggers", True), ("without triggers", False))
    }


def restore_after_writes():
    """Leave the tables as seeded, so that a later run on this database measures the same data.

    The rolled-back writes leave dead delta rows, heap pages at the table's end and index pages split
    by their entries: 400,000 rows' worth, which once made a 100,000-row table five times its size and
    the straightforward last page on it 2.7 times slower in the next run. VACUUM empties the delta
    table and cuts the heap back; REINDEX rebuilds the indexes (about 10 s at 1M rows).
    """
    roll_up_and_vacuum(connection)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {TABLE}")
        cursor.execute(f"REINDEX TABLE {TABLE}")


def machine():
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    return {
        "cpu": f"{os.cpu_count()} x {cpu}",
        "memory": f"{memory_kb / 1024 / 1024:.0f} GiB",
        "postgresql": f"{version} (shared_buffers {shared_buffers})",
        "python": platform.python_version(),
        "load average at start": " ".join(f"{value:.2f}" for value in os.getloadavg()),
        "note": "other work on the machine moves absolute figures (see the load average); quote medians and ratios",
    }


def run():
    rows = int(os.environ.get("BENCH_ROWS", "1000000"))
    ensure_database()
    token, seeded_per_minute = prepare_data(rows)
    total = CommunicationLog.objects.count()
    info = machine()
    ours_server, ours_port = start_server("commlogs_site.settings")
    # Uncapped, so its deep pages are timed to the end and compared rather than cut off by the API's timeout.
    plain_server, plain_port = start_server("bench.settings", DJANGO_API_STATEMENT_TIMEOUT_MS="0")
    # The floor gets a worker of its own: served by the plain one, it would always run straight after that
    # worker's own request, warm, while ours runs after another process, as every timed request should.
    floor_server, floor_port = start_server("bench.settings")
    results = []
    mismatches = []
    try:
        say(f"\n{total:,} rows\n")
        floor_https = []
        header = f"{'shape':42} {'ours p50':>9} {'p95':>8} {'plain p50':>10} {'p95':>8} {'speedup':>8} {'x floor':>8}"
        say(header)
        for name, params in shapes(total):
            path = query_string(params)
            targets = [(floor_port, "/bench/floor", token), (ours_port, path, token), (plain_port, path, token)]
            (floor_timings, _, _), (ours, ours_status, ours_body), (plain, plain_status, plain_body) = (
                timed_side_by_side(targets)
            )
            floor_http = statistics.median(floor_timings)
            floor_https.append(floor_http)
            matching = ours_body.get("total", 0) if ours_status == 200 else plain_body.get("total", total)
            sql, sql_params = page_rows_sql(params, matching)
            floor = floor_http + raw_sql_seconds(sql, sql_params)
            identical = ours_status == plain_status == 200 and same_answer(ours_body, plain_body)
            if ours_status == 200 and not identical:
                mismatches.append(name)
            result = {
                "shape": name,
                "params": params,
                "status": ours_status,
                "plain_status": plain_status,
                "message": ours_body.get("message") if ours_status != 200 else "",
                "total": matching,
                "ours_p50": statistics.median(ours) * 1000,
                "ours_p95": percentile(ours, 0.95) * 1000,
                "plain_p50": statistics.median(plain) * 1000,
                "plain_p95": percentile(plain, 0.95) * 1000,
                "floor": floor * 1000,
                "floor_http": floor_http * 1000,
                "ours_sql": our_sql_seconds(params, matching) * 1000,
                "identical": identical,
                "plan": explain(sql, sql_params),
                "count_plan": explain(*count_sql(params)),
            }
            results.append(result)
            say(format_row(result))
    finally:
        for server in (ours_server, plain_server, floor_server):
            server.terminate()
            server.wait()
    serialization = serialization_timings()
    breakdown = request_breakdown(token)
    say(
        "\nwhere a request's time goes (in-process medians, ms): "
        + ", ".join(f"{k} {v:.2f}" for k, v in breakdown.items())
    )
    say(
        "\nserialization (ours / DRF field walk): "
        + ", ".join(f"{size} rows {ms['ours']:.2f} / {ms['drf']:.2f} ms" for size, ms in serialization.items())
    )
    inserts = insert_throughput()
    for triggers, kinds in inserts.items():
        say(f"{triggers}: " + ", ".join(f"{kind} {rate:,.0f}/s" for kind, rate in kinds.items()))
    record = {
        "rows": total,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": info,
        "floor_http_ms": statistics.median(floor_https) * 1000,
        "seeded_rows_per_minute": seeded_per_minute,
        "deep_page_max_rows": settings.DEEP_PAGE_MAX_ROWS,
        "shapes": results,
        "serialization_ms": serialization,
        "request_breakdown_ms": breakdown,
        "insert_rows_per_second": inserts,
    }
    write_results(f"rows-{rows}.json", record)
    if mismatches:
        raise SystemExit(f"the two implementations answered differently for: {', '.join(mismatches)}")


def requests_per_shape():
    """Timed requests per shape and target: BENCH_REQUESTS, default 25."""
    return int(os.environ.get("BENCH_REQUESTS", "25"))


def write_results(file_name, record):
    """Write `record` into BENCH_RESULTS as `file_name`, then BENCH_DOCS again from every result there."""
    results_dir = Path(os.environ.get("BENCH_RESULTS", ROOT / "bench" / "results"))
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / file_name).write_text(json.dumps(record, indent=1) + "\n")
    docs = Path(os.environ.get("BENCH_DOCS", ROOT / "docs" / "benchmarks.md"))
    docs.parent.mkdir(parents=True, exist_ok=True)
    from bench.report import benchmarks_page

    docs.write_text(benchmarks_page(results_dir))
    say(f"\nWrote {docs}")


def format_row(result):
    ours = f"{result['ours_p50']:9.1f} {result['ours_p95']:8.1f}"
    if result["status"] != 200:
        ours = f"{'400':>9} {'':>8}"
    speedup = result["plain_p50"] / result["ours_p50"]
    times_floor = result["ours_p50"] / result["floor"]
    return (
        f"{result['shape']:42} {ours} {result['plain_p50']:10.1f} {result['plain_p95']:8.1f} "
        f"{speedup:7.1f}x {times_floor:7.2f}x"
    )


if __name__ == "__main__":
    run()
