"""Render docs/benchmarks.md from the per-size JSON results that bench/run.py stores."""

import json
from pathlib import Path

INTRO = """# Benchmarks

Written by `make bench` (bench/run.py) and `make bench-flat` (bench/flatness.py) from the results in
bench/results/; do not edit by hand. Reproduce with `make bench` (1M rows), `BENCH_ROWS=10000000 make
bench` and `make bench-flat` (100k and 10M rows side by side).

Every figure is client-side wall time of sequential requests to one gunicorn worker (sync),
20 rows a page unless the shape says otherwise. "ours" is the product; "plain" is the
straightforward implementation in bench/ (DRF PageNumberPagination, `queryset.count()`, OFFSET)
on the same indexes, data and server settings. The floor is the framework's own cost for an
authenticated DRF response that runs no query (`/bench/floor`, on a gunicorn worker of its own) plus
the raw SQL for the page's rows (psycopg, median). Each round asks the floor, ours and plain in turn,
five requests in a row each (`REQUESTS_IN_A_ROW` in bench/run.py), all timed: a worker's time then
does not depend on how long another one kept it waiting (on one host a worker idle for 50 ms answered
its next request twice as slowly), and the p95 shows the first request of each turn. The machine
(2 cores) may be shared with other work, so absolute figures wander between runs: read the medians
and the ratios.
"""


def load(results_dir):
    records = [json.loads(path.read_text()) for path in Path(results_dir).glob("rows-*.json")]
    return sorted(records, key=lambda record: record["rows"])


def shape_table(record):
    lines = [
        "| shape | total | ours p50 | ours p95 | plain p50 | plain p95 | speedup | floor | x floor | same answer |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for shape in record["shapes"]:
        if shape["status"] == 200:
            ours = f"{shape['ours_p50']:.1f} ms | {shape['ours_p95']:.1f} ms"
            speedup = f"{shape['plain_p50'] / shape['ours_p50']:.1f}x"
            floor = f"{shape['floor']:.1f} ms"
            times_floor = f"{shape['ours_p50'] / shape['floor']:.2f}"
            plain_status = shape.get("plain_status", 200)
            same = (
                "yes" if shape["identical"] else "**NO**" if plain_status == 200 else f"**NO** (plain: {plain_status})"
            )
        else:
            ours = f"{shape['status']} in {shape['ours_p50']:.1f} ms | ({shape['message'][:40]}…)"
            # A refused page reads no rows, so it has no floor to compare with.
            speedup = floor = times_floor = "—"
            same = "refused (deep-page rule)"
        lines.append(
            f"| `{shape['shape']}` | {shape['total']:,} | {ours} | {shape['plain_p50']:.1f} ms | "
            f"{shape['plain_p95']:.1f} ms | {speedup} | {floor} | {times_floor} | {same} |"
        )
    return "\n".join(lines)


def scaling_table(records, key, unit_note):
    smallest, largest = records[0], records[-1]
    by_name = {record["rows"]: {shape["shape"]: shape for shape in record["shapes"]} for record in records}
    header = " | ".join(f"{record['rows']:,} rows" for record in records)
    lines = [
        f"{unit_note}\n",
        f"| shape | {header} | {largest['rows']:,} ÷ {smallest['rows']:,} |",
        "|---|" + "---:|" * (len(records) + 1),
    ]

    def value(record, name):
        found = by_name[record["rows"]].get(name)
        return found[key] if found and key in found and (found["status"] == 200 or key == "ours_sql") else None

    for shape in smallest["shapes"]:
        name = shape["shape"]
        values = [value(record, name) for record in records]
        cells = [f"{number:.2f} ms" if number is not None else "—" for number in values]
        ratio = f"{values[-1] / values[0]:.2f}" if values[0] and values[-1] is not None else "—"
        lines.append(f"| `{name}` | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(lines)


def record_section(record):
    machine = "\n".join(f"- {key}: {value}" for key, value in record["machine"].items())
    serialization = ", ".join(
        f"{size} rows: {ms['ours']:.2f} ms (DRF's generic field walk: {ms['drf']:.2f} ms)"
        for size, ms in record["serialization_ms"].items()
    )
    inserts = ["| writes | with triggers | without triggers | cost |", "|---|---:|---:|---:|"]
    with_triggers, without = record["insert_rows_per_second"].values()
    for kind, rate in with_triggers.items():
        inserts.append(
            f"| {kind} | {rate:,.0f} rows/s | {without[kind]:,.0f} rows/s | {1 - rate / without[kind]:.0%} |"
        )
    insert_table = "\n".join(inserts)
    seeded = record.get("seeded_rows_per_minute")
    seeded_line = f"\nSeeding (`seed_logs`, COPY) ran at {seeded:,.0f} rows a minute.\n" if seeded else ""
    return f"""## {record["rows"]:,} rows ({record["date"]})

{machine}

Floor HTTP part: {record["floor_http_ms"]:.1f} ms.
Deep-page limit: {record["deep_page_max_rows"]:,} rows from either end.
{seeded_line}
{shape_table(record)}

Serialization of rows read as model instances (CommunicationLogSerializer, median, in-process): {serialization}.
The API's own pages come with their times already written by PostgreSQL.
{breakdown_table(record)}
Insert throughput, rows a second (each run rolled back; "cost" is the share writers lose):

{insert_table}
"""


def breakdown_table(record):
    """What each step of a page-1 request costs, against the floor; older records have no breakdown."""
    breakdown = record.get("request_breakdown_ms")
    if not breakdown:
        return ""
    lines = [
        "",
        "Where a request's time goes (in-process, Django's test client, median of 300 runs of each step "
        "alone, so the steps do not add up exactly; bench/breakdown.py):",
        "",
        "| step | ms |",
        "|---|---:|",
    ]
    lines += [f"| {step} | {ms:.2f} |" for step, ms in breakdown.items()]
    return "\n".join(lines) + "\n"


def plans_section(record):
    parts = [
        f"## Query plans at {record['rows']:,} rows\n\nEXPLAIN ANALYZE (timing off) of the page's rows query "
        "our paginator runs, and of a direct count of the same filters (used for the shapes the counters "
        "do not serve).\n"
    ]
    for shape in record["shapes"]:
        parts.append(
            f"### `{shape['shape']}`\n\nRows:\n\n```\n{shape['plan']}\n```\n\nDirect count:\n\n"
            f"```\n{shape['count_plan']}\n```\n"
        )
    return "\n".join(parts)


def flatness_section(results_dir):
    """The table of `make bench-flat` (bench/flatness.py), when it has been run."""
    path = Path(results_dir) / "flatness.json"
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    small, large = record["small_rows"], record["large_rows"]
    lines = [
        f"## Flat with size: {small:,} and {large:,} rows side by side ({record['date']})\n",
        f"`make bench-flat` (bench/flatness.py): one gunicorn worker on each database, every round asking "
        f"both in turn, five requests in a row each, {record['requests']} requests a shape on each, so both "
        f"sizes see the same load. Each database has its own sample values (a user, a tenant, a recipient of "
        f"its own), its own last page and middle page. "
        f"Load average at start: {record['machine']['load average at start']}.\n",
        f"| shape | {small:,} rows p50 | {large:,} rows p50 | {large:,} ÷ {small:,} |",
        "|---|---:|---:|---:|",
    ]
    for shape in record["shapes"]:
        refused = " (400, deep-page rule)" if shape["statuses"][0] == 400 else ""
        lines.append(
            f"| `{shape['shape']}`{refused} | {shape['small_p50']:.1f} ms | {shape['large_p50']:.1f} ms | "
            f"{shape['large_p50'] / shape['small_p50']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def benchmarks_page(results_dir):
    records = load(results_dir)
    sections = [INTRO]
    flatness = flatness_section(results_dir)
    if flatness:
        sections.append(flatness)
    if len(records) > 1:
        sections.append(
            "## How our cost grows with the table\n\n"
            + scaling_table(
                records,
                "ours_sql",
                "Database time of the queries the product runs per request (median of 15, psycopg, "
                "rows and total): the part that could grow with the table, and the least disturbed by "
                "the other work on this shared machine.",
            )
            + "\n\n"
            + scaling_table(records, "ours_p50", "End-to-end p50 per request (HTTP, one gunicorn worker):")
            + "\n"
        )
    sections.extend(record_section(record) for record in reversed(records))
    if records:
        sections.append(plans_section(records[-1]))
    return "\n".join(sections)
