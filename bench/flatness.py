"""`make bench-flat`: the product on a small and a large database, side by side in the same rounds.

The issue asks that latency at 10M rows stay within 1.3x of latency at 100k rows. Runs of `make bench`
at each size, minutes apart on a shared 2-core machine, see different load: their floors alone have
differed by 25%. Here one gunicorn worker serves each database and every round asks both in turn
(bench/run.py's timed_side_by_side), so the ratio shows the table's size and little else.

Environment: BENCH_SMALL_URL and BENCH_SMALL_ROWS (default the local commlogs_bench_100k, 100000),
BENCH_LARGE_URL and BENCH_LARGE_ROWS (default the local commlogs_bench, 10000000), BENCH_REQUESTS
(default 25), BENCH_RESULTS (default bench/results) and BENCH_DOCS (default docs/benchmarks.md).
A database with fewer rows than asked for is seeded first, as `make bench` does.
"""

import json
import os
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL = "postgres://postgres@127.0.0.1:5432/"
DATABASES = {
    "small": (os.environ.get("BENCH_SMALL_URL", LOCAL + "commlogs_bench_100k"), "BENCH_SMALL_ROWS", 100_000),
    "large": (os.environ.get("BENCH_LARGE_URL", LOCAL + "commlogs_bench"), "BENCH_LARGE_ROWS", 10_000_000),
}


def prepared(url, rows):
    """Seed the database of `url` up to `rows` in a process of its own; its reader token, total and shapes."""
    output = subprocess.run(
        [sys.executable, __file__, "--prepare", str(rows)],
        env={**os.environ, "DATABASE_URL": url},
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def prepare(rows):
    """In the child process: Django set up on DATABASE_URL by bench.run."""
    from bench import run

    run.ensure_database()
    token, _ = run.prepare_data(rows)
    total = run.CommunicationLog.objects.count()
    shapes = [(name, run.query_string(params)) for name, params in run.shapes(total)]
    print(json.dumps({"token": token, "total": total, "shapes": shapes}))


def measure():
    # bench.run sets Django up on DATABASE_URL when imported; this process only asks it for the machine.
    os.environ["DATABASE_URL"] = DATABASES["large"][0]
    from bench import run

    sides = {}
    for side, (url, rows_variable, default_rows) in DATABASES.items():
        rows = int(os.environ.get(rows_variable, default_rows))
        run.say(f"Preparing the {side} database ({rows:,} rows)")
        sides[side] = prepared(url, rows)
        sides[side]["server"], sides[side]["port"] = run.start_server(
            "commlogs_site.settings", DATABASE_URL=run.with_persistent_connections(url)
        )
    small, large = sides["small"], sides["large"]
    results = []
    try:
        run.say(f"\n{'shape':42} {small['total']:>12,} {large['total']:>12,} {'ratio':>7}")
        for (name, small_path), (_, large_path) in zip(small["shapes"], large["shapes"], strict=True):
            timed = run.timed_side_by_side(
                [(small["port"], small_path, small["token"]), (large["port"], large_path, large["token"])]
            )
            (small_timings, small_status, _), (large_timings, large_status, _) = timed
            result = {
                "shape": name,
                "statuses": [small_status, large_status],
                "small_p50": statistics.median(small_timings) * 1000,
                "large_p50": statistics.median(large_timings) * 1000,
            }
            results.append(result)
            run.say(
                f"{name:42} {result['small_p50']:9.1f} ms {result['large_p50']:9.1f} ms "
                f"{result['large_p50'] / result['small_p50']:7.2f}"
            )
    finally:
        for side in sides.values():
            side["server"].terminate()
            side["server"].wait()
    record = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": run.machine(),
        "requests": run.requests_per_shape(),
        "small_rows": small["total"],
        "large_rows": large["total"],
        "shapes": results,
    }
    run.write_results("flatness.json", record)
    refused = [result["shape"] for result in results if len(set(result["statuses"])) != 1]
    if refused:
        raise SystemExit(f"the two databases answered with different statuses for: {', '.join(refused)}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if sys.argv[1:2] == ["--prepare"]:
        prepare(int(sys.argv[2]))
    else:
        measure()
