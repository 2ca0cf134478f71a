"""`make bench`: the product against the straightforward implementation, and on a small and a large table.

Seeds two PostgreSQL databases (commlogs_bench_<rows>_<months>m) when they hold fewer rows than asked, serves each
with one gunicorn worker per implementation, and asks them in turn, shape by shape, so that all see the same load:

- ours and plain (bench/views.py: DRF's PageNumberPagination, `queryset.count()`, OFFSET) on the large table;
- the floor: an authenticated, permission-checked DRF response that writes one audit event, plus the raw SQL of
  the page's rows timed alone;
- ours on the small table, for flatness.

Then it prints the figures and the targets they meet, and rewrites this size's tables in docs/performance.md where
the page has a place for them. A run over 12 months also purges the oldest month both ways, each rolled back.

Environment: BENCH_ROWS (the large table, default 1000000), BENCH_SMALL_ROWS (default 100000), BENCH_MONTHS
(months the rows spread over, default 3), BENCH_REQUESTS (timed requests per shape and server, default 25),
BENCH_DATABASE_URL (a server's URL without a database name, default the local PostgreSQL), BENCH_DOCS (the page to
rewrite, default docs/performance.md; `-` to only print; a run over 12 months writes docs/scaling.md too),
DJANGO_CACHE_URL (default the local Redis).
"""

import http.client
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
SERVER_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
LARGE_ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
SMALL_ROWS = int(os.environ.get("BENCH_SMALL_ROWS", "100000"))
MONTHS = int(os.environ.get("BENCH_MONTHS", "3"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "25"))
DOCS = os.environ.get("BENCH_DOCS", str(ROOT / "docs" / "performance.md"))
# A run over a year of monthly partitions (`make bench-partitioned`) also writes its figures into the scaling page.
SCALING_DOCS = ROOT / "docs" / "scaling.md"
# What a request may take: the straightforward implementation reads whole tables on some shapes.
SLOWEST_REQUEST_SECONDS = 600
SERVER_ENV = {
    "DJANGO_SECRET_KEY": "bench-only-secret-key",
    "DJANGO_DEBUG": "0",
    "DJANGO_THROTTLE_LOGS": "100000000/min",
    "DJANGO_LOG_LEVEL": "WARNING",
    # The straightforward implementation needs seconds on some shapes; a 503 from the timeout would compare nothing.
    "DJANGO_API_STATEMENT_TIMEOUT_MS": str(SLOWEST_REQUEST_SECONDS * 1000),
    "DJANGO_CACHE_URL": os.environ.get("DJANGO_CACHE_URL", "redis://127.0.0.1:6379/7"),
}


def database_name(rows):
    return f"commlogs_bench_{rows}_{MONTHS}m"


def database_url(rows):
    return f"{SERVER_URL}/{database_name(rows)}?conn_max_age=600"


def manage(rows, *arguments, capture=False):
    """`manage.py arguments` against the database of `rows`."""
    environment = {**os.environ, **SERVER_ENV, "DATABASE_URL": database_url(rows)}
    done = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=environment,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return done.stdout


def prepare(rows):
    """Create, migrate and seed the database of `rows` as needed; the token and shape values of its reader."""
    name = database_name(rows)
    subprocess.run(["psql", f"{SERVER_URL}/postgres", "-qc", f'CREATE DATABASE "{name}"'], capture_output=True)
    manage(rows, "migrate", "--noinput", "-v0")
    output = manage(rows, "shell", "-c", PREPARE_SCRIPT % {"rows": rows, "months": MONTHS}, capture=True)
    return json.loads(output.strip().splitlines()[-1])


# Run in `manage.py shell` on the bench database: top the table up, then name its reader and sample values.
PREPARE_SCRIPT = """
import json
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.db import connection
from communication.models import CommunicationLog
from communication.tokens import token_to_hand_out

present = CommunicationLog.objects.count()
if present < %(rows)d:
    call_command("seed_logs", rows=%(rows)d - present, users=max(100, %(rows)d // 100), months=%(months)d, seed=1,
                 no_progress=True, verbosity=0)
with connection.cursor() as cursor:
    cursor.execute("VACUUM ANALYZE")
support, _ = Group.objects.get_or_create(name="bench support")
support.permissions.add(Permission.objects.get(codename="view_communicationlog"))
reader, _ = User.objects.update_or_create(username="bench_reader", defaults={"is_staff": True})
reader.groups.add(support)
sample = CommunicationLog.objects.filter(channel="email").order_by("-created_at").values().first()
newest = CommunicationLog.objects.order_by("-created_at").values_list("created_at", flat=True).first()
print(json.dumps({
    "token": token_to_hand_out(reader).key, "total": CommunicationLog.objects.count(),
    "sample": {key: sample[key] for key in ("user_id", "tenant_id", "template_id", "provider", "recipient")},
    "newest": newest.isoformat(),
}))
"""


def shapes(sample, newest, total):
    """(name, params) of every measured shape; `total` places the last page."""
    from datetime import datetime, timedelta

    newest = datetime.fromisoformat(newest)
    week_ago = (newest - timedelta(days=7)).strftime("%Y-%m-%d")
    month_ago = (newest - timedelta(days=30, hours=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    hours_ago = (newest - timedelta(hours=6, minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    two_months_ago = (newest - timedelta(days=60)).strftime("%Y-%m-%d")
    last_page = max(1, -(-total // 20))
    return [
        ("no filter", {}),
        ("user_id", {"user_id": sample["user_id"]}),
        ("channel=sms", {"channel": "sms"}),
        ("status=delivered", {"status": "delivered"}),
        ("channel=email&status=failed", {"channel": "email", "status": "failed"}),
        ("channel=sms,email&status=failed,pending", {"channel": "sms,email", "status": "failed,pending"}),
        ("user_id&status=delivered", {"user_id": sample["user_id"], "status": "delivered"}),
        ("page_size=100", {"page_size": 100}),
        ("page 50", {"page": 50}),
        ("last page", {"page": last_page}),
        ("tenant_id", {"tenant_id": sample["tenant_id"]}),
        ("template_id", {"template_id": sample["template_id"]}),
        ("provider&status=failed", {"provider": sample["provider"], "status": "failed"}),
        ("recipient", {"recipient": sample["recipient"]}),
        ("created_after (7 days)", {"created_after": week_ago}),
        ("created_after (30 days, a time)&channel=sms", {"created_after": month_ago, "channel": "sms"}),
        ("created_after (6 hours)", {"created_after": hours_ago}),
        ("created_before (60 days ago)", {"created_before": two_months_ago}),
    ]


def free_port():
    while True:
        port = random.randint(18000, 19999)
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port


def start_server(rows, settings_module):
    port = free_port()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "commlogs_site.wsgi",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            str(SLOWEST_REQUEST_SECONDS),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **SERVER_ENV, "DATABASE_URL": database_url(rows), "DJANGO_SETTINGS_MODULE": settings_module},
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, port
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"gunicorn ({settings_module}) did not start")


def get(port, path, token):
    """One request on a new connection: (seconds, status, parsed body)."""
    started = time.perf_counter()
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=SLOWEST_REQUEST_SECONDS)
    client.request("GET", path, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    response = client.getresponse()
    body = response.read()
    client.close()
    return time.perf_counter() - started, response.status, json.loads(body)


def side_by_side(targets):
    """Ask each (port, path, token) once untimed, then REQUESTS times in turns: per target (median, status, body)."""
    for port, path, token in targets:
        get(port, path, token)
    timings = [[] for _ in targets]
    answers = [None for _ in targets]
    for turn in range(REQUESTS):
        # Each turn starts with the next target, so that none always runs right after another on the same rows.
        for index in [(turn + offset) % len(targets) for offset in range(len(targets))]:
            seconds, status, body = get(*targets[index])
            timings[index].append(seconds)
            answers[index] = (status, body)
    return [(statistics.median(times) * 1000, *answer) for times, answer in zip(timings, answers, strict=True)]


# Run in `manage.py shell` on the large database: the median milliseconds of each shape's page query alone.
PAGE_SQL_SCRIPT = """
import json, statistics, time
from django.db import connection
from django.http import QueryDict
from communication.api.filters import LogFilterSet
from communication.api.pagination import LogPaginator
from communication.models import CommunicationLog

timings = {}
for name, params, total in json.loads(%(shapes)r):
    query = QueryDict(mutable=True)
    query.update(params)
    logs = LogFilterSet(query, queryset=CommunicationLog.objects.all()).qs
    size = min(int(params.get("page_size", 20)), 100)
    offset = (int(params.get("page", 1)) - 1) * size
    rows = max(0, min(size, total - offset))
    from_end = total - offset - rows
    page = logs.reverse()[from_end:from_end + rows] if from_end < offset else logs[offset:offset + rows]
    sql, sql_params = page.query.sql_with_params()
    runs = []
    with connection.cursor() as cursor:
        for _ in range(15):
            started = time.perf_counter()
            cursor.execute(sql, sql_params)
            cursor.fetchall()
            runs.append(time.perf_counter() - started)
    timings[name] = statistics.median(runs) * 1000
print(json.dumps(timings))
"""


def comparable(body):
    return {key: value for key, value in body.items() if key != "timestamp"}


def run():
    print(f"Preparing {SMALL_ROWS:,} and {LARGE_ROWS:,} rows over {MONTHS} months", flush=True)
    small, large = prepare(SMALL_ROWS), prepare(LARGE_ROWS)
    # Each table is asked for its own values (a user, a recipient, its last page), so that every shape finds rows.
    measured = zip(
        shapes(large["sample"], large["newest"], large["total"]),
        shapes(small["sample"], small["newest"], small["total"]),
        strict=True,
    )
    servers = {
        "ours": start_server(LARGE_ROWS, "commlogs_site.settings"),
        "plain": start_server(LARGE_ROWS, "bench.settings"),
        "floor": start_server(LARGE_ROWS, "bench.settings"),
        "small": start_server(SMALL_ROWS, "commlogs_site.settings"),
    }
    results = []
    try:
        for (name, params), (_, small_params) in measured:
            path, small_path = (f"/admin/communication/logs?{urlencode(query)}" for query in (params, small_params))
            (ours, ours_status, ours_body), (plain, plain_status, plain_body), (floor, *_), (on_small, *_) = (
                side_by_side(
                    [
                        (servers["ours"][1], path, large["token"]),
                        (servers["plain"][1], path, large["token"]),
                        (servers["floor"][1], "/bench/floor", large["token"]),
                        (servers["small"][1], small_path, small["token"]),
                    ]
                )
            )
            results.append(
                {
                    "shape": name,
                    "params": params,
                    "total": ours_body.get("total"),
                    "status": ours_status,
                    "ours": ours,
                    "plain": plain,
                    "floor_http": floor,
                    "small": on_small,
                    "identical": ours_status == plain_status == 200 and comparable(ours_body) == comparable(plain_body),
                }
            )
            print(f"  {name:45} ours {ours:8.1f} ms  plain {plain:9.1f} ms  small {on_small:7.1f} ms", flush=True)
    finally:
        for server, _ in servers.values():
            server.terminate()
            server.wait()
    page_sql = json.loads(
        manage(
            LARGE_ROWS,
            "shell",
            "-c",
            PAGE_SQL_SCRIPT % {"shapes": json.dumps([(r["shape"], r["params"], r["total"] or 0) for r in results])},
            capture=True,
        )
        .strip()
        .splitlines()[-1]
    )
    for result in results:
        result["floor"] = result["floor_http"] + page_sql[result["shape"]]
    report(results, large["total"], small["total"])
    report_hour_layer(json.loads(manage(LARGE_ROWS, "shell", "-c", HOUR_LAYER_SCRIPT, capture=True).splitlines()[-1]))
    if MONTHS >= 12:
        report_purge(json.loads(manage(LARGE_ROWS, "shell", "-c", PURGE_SCRIPT, capture=True).strip().splitlines()[-1]))


# Run in `manage.py shell` on the large database: the median milliseconds of totals over ranges that end inside a day,
# with the hour counters, and without them (the part days counted from the rows, as with no hour layer).
HOUR_LAYER_SCRIPT = """
import json, statistics, time
from datetime import timedelta
from communication import counts
from communication.models import CommunicationLog

newest = CommunicationLog.objects.order_by("-created_at").values_list("created_at", flat=True).first()
ranges = {
    "6 hours, open end": {"created_at__gte": newest - timedelta(hours=6, minutes=20)},
    "30 days and a time, channel=sms": {"created_at__gte": newest - timedelta(days=30, hours=5), "channel": "sms"},
    "9:30 to 17:45 of one day": {
        "created_at__gte": (newest - timedelta(days=3)).replace(hour=9, minute=30),
        "created_at__lt": (newest - timedelta(days=3)).replace(hour=17, minute=45)},
    "9:30 to 17:45 of one day, status=failed": {
        "created_at__gte": (newest - timedelta(days=3)).replace(hour=9, minute=30),
        "created_at__lt": (newest - timedelta(days=3)).replace(hour=17, minute=45), "status": "failed"},
}

def median_ms(rows):
    runs = []
    for _ in range(15):
        started = time.perf_counter()
        counts.count_logs(rows)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs) * 1000

timings = {}
for name, conditions in ranges.items():
    rows = CommunicationLog.objects.filter(**conditions)
    with_hours = median_ms(rows)
    counts.HOUR = counts.DAY
    timings[name] = {"with": with_hours, "without": median_ms(rows), "total": counts.count_logs(rows)}
    counts.HOUR = timedelta(hours=1)
print(json.dumps(timings))
"""


def report_hour_layer(timings):
    """Print totals over part days with and without the hour counters, and write them into DOCS."""
    lines = [
        f"Totals over ranges that end inside a day, {LARGE_ROWS:,} rows over {MONTHS} months; medians of 15 (ms).",
        "",
        "| range | total | with hour counters | without | saved |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, t in timings.items():
        saved = 1 - t["with"] / t["without"]
        lines.append(f"| {name} | {t['total']:,} | {t['with']:.1f} | {t['without']:.1f} | {saved:.0%} |")
    table = "\n".join(lines)
    print("\n" + table)
    if DOCS != "-":
        write_blocks(f"hours {LARGE_ROWS} over {MONTHS} months", table)


# Run in `manage.py shell` on the large database: the oldest month that holds rows purged by dropping its partition,
# and by the batched DELETE, each in a transaction rolled back afterwards; and whether totals match COUNT after each.
PURGE_SCRIPT = """
import json, time
from django.db import connection, transaction
from communication.counters import forget_month
from communication.counts import count_logs
from communication.lifecycle import DEFAULT_BATCH_SIZE, delete_in_batches
from communication.models import CommunicationLog
from communication.partitions import drop_month, is_partitioned, monthly_partitions

def holds_rows(partition):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {partition.table})")
        return cursor.fetchone()[0]

def totals_match_count():
    shapes = [{}, {"channel": "email"}, {"status": "failed"}]
    return all(count_logs(CommunicationLog.objects.filter(**shape)) == CommunicationLog.objects.filter(**shape).count()
               for shape in shapes)

def rolled_back(purge):
    with transaction.atomic():
        started = time.perf_counter()
        rows = purge()
        seconds = time.perf_counter() - started
        exact = totals_match_count()
        transaction.set_rollback(True)
    return {"rows": rows, "seconds": seconds, "exact": exact}

month = next(partition for partition in monthly_partitions(CommunicationLog) if holds_rows(partition))
in_month = CommunicationLog.objects.filter(created_at__gte=month.start, created_at__lt=month.end)
print(json.dumps({
    "month": f"{month.start:%Y-%m}",
    "drop": rolled_back(lambda: drop_month(month, forget=forget_month)),
    "delete": rolled_back(lambda: sum(delete_in_batches(in_month, batch_size=DEFAULT_BATCH_SIZE,
                                                        ordering=("created_at", "pk")))),
}))
"""


def report_purge(purge):
    """Print the two ways of purging the oldest month, and write them into DOCS."""
    drop, delete = purge["drop"], purge["delete"]
    table = "\n".join(
        [
            f"Purging the oldest month ({purge['month']}) of {LARGE_ROWS:,} rows over {MONTHS} months.",
            "",
            "| purge | rows | seconds | totals match COUNT after |",
            "|---|---:|---:|---|",
            f"| drop the month's partition | {drop['rows']:,} | {drop['seconds']:.2f} | {drop['exact']} |",
            f"| batched DELETE | {delete['rows']:,} | {delete['seconds']:.1f} | {delete['exact']} |",
            "",
            f"- {'met' if drop['seconds'] < 1 else 'NOT met'}: dropping the month takes under a second "
            f"({delete['seconds'] / drop['seconds']:.0f}x faster than the batched DELETE)",
        ]
    )
    print("\n" + table)
    if DOCS != "-":
        write_blocks(f"purge {LARGE_ROWS} over {MONTHS} months", table)


def report(results, large_total, small_total):
    """Print the table and the targets, and write the table into DOCS between this size's markers."""
    by_shape = {result["shape"]: result for result in results}
    lines = [
        f"{large_total:,} rows against {small_total:,}, over {MONTHS} months; medians of {REQUESTS} requests (ms).",
        "",
        "| shape | total | ours | plain | speedup | floor | x floor | ours at "
        f"{small_total // 1000}k | x {small_total // 1000}k |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['shape']} | {r['total']:,} | {r['ours']:.1f} | {r['plain']:.1f} | {r['plain'] / r['ours']:.1f}x | "
            f"{r['floor']:.1f} | {r['ours'] / r['floor']:.2f} | {r['small']:.1f} | {r['ours'] / r['small']:.2f} |"
        )
    first_pages = [r for r in results if r["shape"] not in ("page 50", "last page")]
    differing = "".join(f"; differs: {r['shape']}" for r in results if not r["identical"])
    slower = "".join(f"; slower: {r['shape']}" for r in results if r["ours"] > r["plain"] * 1.05)
    targets = {
        f"totals and pages identical to the straightforward implementation{differing}": not differing,
        "page 1 of every shape within 1.3x of the small table": all(r["ours"] / r["small"] <= 1.3 for r in first_pages),
        f"no shape slower than the straightforward implementation (5% allowed for noise){slower}": not slower,
        "the last page within 1.5x of page 1": by_shape["last page"]["ours"] <= 1.5 * by_shape["no filter"]["ours"],
        "every shape within 2x of the floor": all(r["ours"] <= 2 * r["floor"] for r in results),
    }
    if large_total >= 10_000_000:
        targets["no filter and status=delivered at least 30x faster"] = all(
            by_shape[name]["plain"] / by_shape[name]["ours"] >= 30 for name in ("no filter", "status=delivered")
        )
    lines += ["", *(f"- {'met' if met else 'NOT met'}: {target}" for target, met in targets.items())]
    table = "\n".join(lines)
    print("\n" + table)
    if DOCS != "-":
        write_blocks(f"bench {LARGE_ROWS} over {MONTHS} months", table)


def write_blocks(name, text):
    """Write `text` as the block `name` of DOCS, and of the scaling page for a run over a year."""
    for path in [Path(DOCS), *([SCALING_DOCS] if MONTHS >= 12 and not name.startswith("hours") else [])]:
        write_block(path, name, text)


def write_block(path, name, text):
    """Replace the text between `<!-- name -->` and `<!-- /name -->` in `path`; a page without them is left alone."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    page = path.read_text() if path.exists() else ""
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if not pattern.search(page):
        print(f"\n{path} has no place for {name!r}: printed only")
        return
    path.write_text(pattern.sub(lambda _: f"{start}\n{text}\n{end}", page))
    print(f"\nWrote {path}")


if __name__ == "__main__":
    run()
