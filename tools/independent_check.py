#!/usr/bin/env python3
"""Independent side-by-side check of `GET /admin/communication/logs` against plain SQL.

The script starts the service under gunicorn, asks it for many query shapes and pages over HTTP,
and compares every answer with what plain SQL (psycopg) says, rendered by this file's own reading
of CONTRACT.md. It imports nothing from the project: the only project code it runs is the
service itself and `manage.py create_demo_admin`, both as separate processes.

    .venv/bin/python tools/independent_check.py [--database-url URL]    (or: make independent-check)

What it checks and why: docs/reliability.md. Exit status 0: every check passed; 1: at least
one mismatch; 2: the check could not run (no database, the service did not start, ...).
"""

import argparse
import json
import math
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

PROJECT = Path(__file__).resolve().parent.parent
VENV_BIN = PROJECT / ".venv" / "bin"
# The database `make bench` seeds (1M rows by default).
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/commlogs_bench_1000000_3m"
TABLE = "communication_communicationlog"
API_PATH = "/admin/communication/logs"

# --- The contract, as this script reads it (CONTRACT.md) ----------------------------------------

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# The service refuses a page with more than this many rows before its first row AND more than this
# many after its last row (400 naming `page`); pages near either end are always served.
DEEP_PAGE_MAX_ROWS = 10_000
TOP_KEYS = {"code", "message", "timestamp", "items", "total", "pagination"}
PAGINATION_KEYS = {"page", "page_size", "total", "total_pages", "has_next", "has_prev"}
ERROR_KEYS = {"code", "message", "timestamp"}
ITEM_FIELDS = (
    "id",
    "tenant_id",
    "user_id",
    "channel",
    "provider",
    "template_id",
    "recipient",
    "content",
    "status",
    "error",
    "response",
    "sent_at",
    "created_at",
    "updated_at",
)
TIME_FIELDS = ("sent_at", "created_at", "updated_at")
EXACT_FILTERS = ("user_id", "tenant_id", "template_id", "provider", "recipient")
LIST_FILTERS = ("channel", "status")
FILTER_NAMES = EXACT_FILTERS + LIST_FILTERS + ("created_after", "created_before")
CHANNELS = ("sms", "email", "push")
STATUSES = ("pending", "sent", "failed", "delivered")
RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
PHONE = re.compile(r"[0-9+ \-]{8,}")

# The masking table's own examples; the script refuses to run if its masking disagrees with them.
CONTRACT_MASK_EXAMPLES = {
    "13800138000": "138****8000",
    "alice@example.com": "a***@example.com",
    "10086": "****",
}

# --- What this script writes during the write phase ---------------------------------------------

NEW_TENANT = "tnt_indepchk"
NEW_USER = "usr_indepchk"
# Recipients of every kind in the masking table, with their edge cases; each goes into one inserted row.
EDGE_RECIPIENTS = (
    "13800138000",
    "+44 7911 123456",
    "+1-415-555-0100",
    "12345678",
    "1234567",
    "10086",
    "alice@example.com",
    "b@sub.example.co.uk",
    "\u00fcser@example.de",
    "abcdefghijkl",
    "abcdefghijk",
    "fcm:" + "d9YxQm2" * 8,
)
INSERT_ROWS_ONE_BY_ONE = 250
INSERT_ROWS_BY_COPY = 150
UPDATE_ROWS_ONE_BY_ONE = 200
UPDATE_ROWS_IN_ONE_STATEMENT = 50
WRITE_PHASE_ROLES = {
    "first",
    "second",
    "last",
    "second-to-last",
    "past the end",
    "first served from the end",
    "first refused",
}


def mask_recipient(recipient):
    """CONTRACT.md's masking table, implemented from its text alone."""
    if PHONE.fullmatch(recipient):
        return f"{recipient[:3]}****{recipient[-4:]}"
    local, at, domain = recipient.rpartition("@")
    if at and local and domain:
        return f"{local[0]}***@{domain}"
    if len(recipient) >= 12:
        return f"{recipient[:4]}****{recipient[-4:]}"
    return "****"


def rfc3339(moment):
    """A time as the contract renders it: UTC, whole seconds (truncated), `Z`; a missing time is `""`."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_created(value):
    """A `created_after`/`created_before` value: `YYYY-MM-DD` is midnight UTC, else an RFC 3339 time."""
    if DATE_ONLY.fullmatch(value):
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    return datetime.fromisoformat(value).astimezone(UTC)


def render_item(row):
    """One database row (ITEM_FIELDS order) as the contract shows it: every field a string."""
    item = {}
    for name, value in zip(ITEM_FIELDS, row, strict=True):
        if name in TIME_FIELDS:
            item[name] = rfc3339(value)
        elif name == "recipient":
            item[name] = mask_recipient(value)
        else:
            item[name] = "" if value is None else value
    return item


def effective_page_size(query):
    return min(int(query.get("page_size") or DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)


def filters_of(query):
    """The filters a query string asks for: known names only, an empty value meaning not given."""
    return {name: query[name] for name in FILTER_NAMES if query.get(name)}


def rows_on_page(page, page_size, total):
    return max(0, min(page_size, total - (page - 1) * page_size))


def is_refused(page, page_size, total):
    """True for a page (within the results) more than DEEP_PAGE_MAX_ROWS rows from both ends."""
    rows_before = (page - 1) * page_size
    rows_after = total - rows_before - rows_on_page(page, page_size, total)
    return rows_before > DEEP_PAGE_MAX_ROWS and rows_after > DEEP_PAGE_MAX_ROWS


def page_plan(total, page_size):
    """Pages worth asking for, each with its role: both ends, the deep-page boundaries, past the end."""
    total_pages = math.ceil(total / page_size)
    plan = {}

    def add(page, role):
        if page >= 1:
            plan.setdefault(page, []).append(role)

    add(1, "first")
    add(2, "second")
    for rows_before in (1_000, 5_000):
        if rows_before // page_size + 1 <= total_pages:
            add(
                rows_before // page_size + 1,
                f"within the first 10,000 rows (offset {rows_before // page_size * page_size})",
            )
    add(total_pages, "last")
    add(total_pages - 1, "second-to-last")
    add(total_pages + 1, "past the end")
    # Served from the front while at most DEEP rows precede the page; from the end once at most DEEP follow it.
    last_from_front = DEEP_PAGE_MAX_ROWS // page_size + 1
    first_from_end = max(1, math.ceil((total - DEEP_PAGE_MAX_ROWS) / page_size))
    if last_from_front + 1 < first_from_end:
        add(last_from_front, "last served from the front")
        add(last_from_front + 1, "first refused")
        add((last_from_front + first_from_end) // 2, "middle")
        add(first_from_end - 1, "last refused")
        add(first_from_end, "first served from the end")
    else:
        add(max(1, (total_pages + 1) // 2), "middle")
    for page, roles in plan.items():
        refused = any(role in ("first refused", "last refused") for role in roles)
        assert not refused or is_refused(page, page_size, total), (page, roles)
    return sorted(plan.items())


# --- Expected answers, from plain SQL ------------------------------------------------------------


@dataclass
class Expected:
    """What the service must answer to one query."""

    status: int
    message_prefix: str = ""
    names_parameter: str = ""
    total: int = 0
    page: int = 0
    page_size: int = 0
    total_pages: int = 0
    items: list = field(default_factory=list)

    def pagination(self):
        return {
            "page": self.page,
            "page_size": self.page_size,
            "total": self.total,
            "total_pages": self.total_pages,
            "has_next": self.page < self.total_pages,
            "has_prev": self.page > 1,
        }

    def summary(self):
        if self.status != 200:
            what = self.message_prefix or self.names_parameter
            return f"{self.status} {what}".strip()
        return f"200 total={self.total} page={self.page}/{self.total_pages} items={len(self.items)}"


def where_clause(filters):
    """SQL WHERE text and parameters for the filters (already known to be valid)."""
    clauses, params = [], []
    for name in EXACT_FILTERS:
        if name in filters:
            clauses.append(f"{name} = %s")
            params.append(filters[name])
    for name in LIST_FILTERS:
        if name in filters:
            clauses.append(f"{name} = ANY(%s)")
            params.append([part.strip() for part in filters[name].split(",") if part.strip()])
    if "created_after" in filters:
        clauses.append("created_at >= %s")
        params.append(parse_created(filters["created_after"]))
    if "created_before" in filters:
        clauses.append("created_at < %s")
        params.append(parse_created(filters["created_before"]))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


class Database:
    """Plain SQL over the log table; counts are cached until the next write."""

    def __init__(self, conn):
        self.conn = conn
        self.counts = {}

    def scalar(self, sql, params=()):
        return self.conn.execute(sql, params).fetchone()[0]

    def count(self, filters):
        key = tuple(sorted(filters.items()))
        if key not in self.counts:
            where, params = where_clause(filters)
            self.counts[key] = self.scalar(f"SELECT count(*) FROM {TABLE}{where}", params)
        return self.counts[key]

    def page(self, filters, limit, offset):
        where, params = where_clause(filters)
        sql = (
            f"SELECT {', '.join(ITEM_FIELDS)} FROM {TABLE}{where} ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s"
        )
        return self.conn.execute(sql, [*params, limit, offset]).fetchall()

    def forget_counts(self):
        self.counts.clear()


def expected_answer(db, query):
    """The answer the contract demands for a valid query string (a dict), computed with SQL."""
    filters = filters_of(query)
    page = int(query.get("page") or 1)
    page_size = effective_page_size(query)
    total = db.count(filters)
    total_pages = math.ceil(total / page_size)
    expected = Expected(200, total=total, page=page, page_size=page_size, total_pages=total_pages)
    if page > total_pages:
        return expected
    if is_refused(page, page_size, total):
        return Expected(400, message_prefix="page:", names_parameter="page")
    expected.items = [render_item(row) for row in db.page(filters, page_size, (page - 1) * page_size)]
    return expected


# --- The service over HTTP -----------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict
    body: object

    def summary(self):
        body = self.body if isinstance(self.body, dict) else {}
        if self.status != 200:
            return f"{self.status} {str(body.get('message', self.body))[:90]}"
        info = body.get("pagination") or {}
        items = body.get("items")
        count = len(items) if isinstance(items, list) else "?"
        return f"200 total={body.get('total')} page={info.get('page')}/{info.get('total_pages')} items={count}"


class Api:
    """GET requests to the logs endpoint with the staff token."""

    def __init__(self, base_url, token):
        self.base_url = base_url
        self.token = token

    def request(self, query, path=API_PATH, method="GET", authorization="default"):
        url = self.base_url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"Accept": "application/json"}
        if authorization == "default":
            headers["Authorization"] = f"Bearer {self.token}"
        elif authorization:
            headers["Authorization"] = authorization
        request = urllib.request.Request(url, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return Reply(response.status, dict(response.headers), parse_json(response.read()))
        except urllib.error.HTTPError as error:
            return Reply(error.code, dict(error.headers), parse_json(error.read()))


def parse_json(raw):
    try:
        return json.loads(raw)
    except ValueError:
        return raw[:200]


def displayed(query, path=API_PATH):
    """The request as printed: the recipient filter masked, so this output never shows a full one."""
    shown = {name: mask_recipient(value) if name == "recipient" and value else value for name, value in query.items()}
    return path + ("?" + urllib.parse.urlencode(shown, safe=",*:") if shown else "")


# --- Comparing -----------------------------------------------------------------------------------


def timestamp_problems(body):
    stamp = body.get("timestamp")
    if not isinstance(stamp, str) or not RFC3339_UTC.fullmatch(stamp):
        return [f"timestamp {stamp!r} is not RFC 3339 UTC with Z and whole seconds"]
    skew = abs((datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds())
    return [f"timestamp {stamp} is {skew:.0f} s away from now"] if skew > 120 else []


def error_problems(expected, reply):
    """A refused request: status, the error envelope, and a message naming the parameter."""
    body = reply.body
    if reply.status != expected.status:
        return [f"status {reply.status}, expected {expected.status}"]
    if not isinstance(body, dict) or set(body) != ERROR_KEYS:
        return [f"error body is not exactly {sorted(ERROR_KEYS)}: {str(body)[:120]}"]
    problems = timestamp_problems(body)
    if body["code"] != expected.status:
        problems.append(f"code {body['code']!r}, expected {expected.status}")
    message = body["message"]
    if not isinstance(message, str) or "\n" in message:
        problems.append(f"message {message!r} is not one line")
    elif expected.message_prefix and not message.startswith(expected.message_prefix):
        problems.append(f"message {message!r} does not start with {expected.message_prefix!r}")
    elif expected.names_parameter and not re.search(rf"\b{expected.names_parameter}\b", message):
        problems.append(f"message {message!r} does not name {expected.names_parameter!r}")
    return problems


def item_problems(position, expected_item, item):
    if not isinstance(item, dict) or set(item) != set(ITEM_FIELDS):
        return [f"item {position}: keys {sorted(item) if isinstance(item, dict) else item!r}"]
    problems = [
        f"item {position}: {name} is {type(value).__name__}"
        for name, value in item.items()
        if not isinstance(value, str)
    ]
    for name in ITEM_FIELDS:
        if item[name] != expected_item[name]:
            problems.append(
                f"item {position} (id {expected_item['id']}): {name} "
                f"expected {expected_item[name]!r} got {item[name]!r}"
            )
    return problems


def success_problems(expected, reply):
    """A served page: envelope, exact pagination, and every item field by field."""
    body = reply.body
    if reply.status != 200:
        return [f"status {reply.status}, expected 200"]
    if not isinstance(body, dict) or set(body) != TOP_KEYS:
        return [f"top-level keys are not exactly {sorted(TOP_KEYS)}: {str(body)[:120]}"]
    problems = timestamp_problems(body)
    if body["code"] != 0 or body["message"] != "success":
        problems.append(f"code/message {body['code']!r}/{body['message']!r}")
    info = body["pagination"]
    if not isinstance(info, dict) or set(info) != PAGINATION_KEYS:
        return [*problems, f"pagination keys: {info!r}"]
    if type(body["total"]) is not int or body["total"] != expected.total:
        problems.append(f"total {body['total']!r}, expected {expected.total}")
    for name, value in expected.pagination().items():
        if info[name] != value or type(info[name]) is not type(value):
            problems.append(f"pagination.{name} {info[name]!r}, expected {value!r}")
    items = body["items"]
    if not isinstance(items, list) or len(items) != len(expected.items):
        count = len(items) if isinstance(items, list) else items
        return [*problems, f"{count} items, expected {len(expected.items)}"]
    for position, (expected_item, item) in enumerate(zip(expected.items, items, strict=True), start=1):
        problems.extend(item_problems(position, expected_item, item))
    return problems


def compare(expected, reply):
    if expected.status == 200:
        return success_problems(expected, reply)
    return error_problems(expected, reply)


class Report:
    """One line per check, then a summary."""

    def __init__(self):
        self.passed = 0
        self.failed = []

    def record(self, label, expected_text, got_text, problems):
        verdict = "MISMATCH" if problems else "OK"
        print(f"{verdict:8} {label} | expected {expected_text} | got {got_text}", flush=True)
        for problem in problems[:5]:
            print(f"           - {problem}", flush=True)
        if len(problems) > 5:
            print(f"           - ... and {len(problems) - 5} more", flush=True)
        if problems:
            self.failed.append((label, expected_text, got_text, problems))
        else:
            self.passed += 1

    def fact(self, ok, label, expected_text, got_text):
        """A check that is not one HTTP request (the database's state after the write phase)."""
        self.record(label, expected_text, got_text, [] if ok else [f"expected {expected_text}, got {got_text}"])

    def section(self, title):
        print(f"\n== {title}", flush=True)

    def summary(self, seconds):
        total = self.passed + len(self.failed)
        print(f"\n== Summary: {total} checks, {self.passed} OK, {len(self.failed)} MISMATCH, {seconds:.0f} s")
        for label, expected_text, got_text, problems in self.failed:
            print(f"MISMATCH {label}: expected {expected_text} | got {got_text}; {problems[0]}")
        return not self.failed


@dataclass
class Context:
    db: Database
    api: Api
    report: Report
    facts: dict


def check_query(ctx, query, role=""):
    """Ask the service for one query string and compare its answer with SQL's."""
    expected = expected_answer(ctx.db, query)
    reply = ctx.api.request(query)
    label = displayed(query) + (f"  [{role}]" if role else "")
    ctx.report.record(label, expected.summary(), reply.summary(), compare(expected, reply))


def check_pages(ctx, filters, page_size=None, roles=None):
    """The page plan of one shape and page size; `roles` narrows it to pages with one of those roles."""
    query = dict(filters)
    if page_size is not None:
        query["page_size"] = str(page_size)
    total = ctx.db.count(filters_of(query))
    for page, page_roles in page_plan(total, effective_page_size(query)):
        if roles is None or roles & set(page_roles):
            check_query(ctx, {**query, "page": str(page)}, ", ".join(page_roles))


# --- Facts about the data, for realistic filter values --------------------------------------------


def data_facts(db):
    """Real values to filter on: one pivot row, the time span, distinct tenants and (channel, provider, template)."""
    pivot = db.conn.execute(
        f"SELECT user_id, tenant_id, channel, provider, template_id, recipient, status, created_at "
        f"FROM {TABLE} WHERE id >= 'log_5' ORDER BY id LIMIT 1"
    ).fetchone()
    if pivot is None:
        raise SystemExit("the log table is empty: seed it first")
    keys = ("user_id", "tenant_id", "channel", "provider", "template_id", "recipient", "status", "created_at")
    oldest, newest = db.conn.execute(f"SELECT min(created_at), max(created_at) FROM {TABLE}").fetchone()
    combos = db.conn.execute(f"SELECT DISTINCT channel, provider, template_id FROM {TABLE} ORDER BY 1, 2, 3").fetchall()
    tenants = [row[0] for row in db.conn.execute(f"SELECT DISTINCT tenant_id FROM {TABLE} ORDER BY 1")]
    return {
        "pivot": dict(zip(keys, pivot, strict=True)),
        "oldest": oldest,
        "newest": newest,
        "combos": combos,
        "tenants": tenants,
    }


def moment_at(facts, fraction):
    """A whole-second time `fraction` of the way from the oldest row to the newest."""
    span = facts["newest"] - facts["oldest"]
    return (facts["oldest"] + span * fraction).replace(microsecond=0)


def with_offset(moment, hours):
    """The same instant written with a +HH:00 offset (RFC 3339)."""
    local = moment.astimezone(UTC) + timedelta(hours=hours)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+{hours:02d}:00"


def user_at(db, prefix):
    """The user of the first row whose id sorts at or after `log_<prefix>`: a deterministic real user."""
    row = db.conn.execute(
        f"SELECT user_id FROM {TABLE} WHERE id >= %s ORDER BY id LIMIT 1", [f"log_{prefix}"]
    ).fetchone()
    return row[0] if row else db.scalar(f"SELECT user_id FROM {TABLE} ORDER BY id LIMIT 1")


# --- The read checks ------------------------------------------------------------------------------


def fixed_shapes(facts):
    """(filters, page sizes, roles) of the brief's list, with values taken from the database."""
    pivot = facts["pivot"]
    exact_moment = rfc3339(pivot["created_at"])
    ends = {"first", "last", "past the end"}
    return [
        ({}, [None, 1, 37, 100, 500, "1000000000000000000000"], None),
        ({"user_id": pivot["user_id"]}, [None, 1], None),
        ({"channel": "sms"}, [None, 37], None),
        ({"status": "delivered"}, [None], None),
        ({"channel": "email", "status": "failed"}, [None, 100], None),
        ({"channel": "sms,email", "status": "failed,pending"}, [None], None),
        ({"channel": "push", "status": "pending"}, [None], None),
        ({"tenant_id": pivot["tenant_id"]}, [None], None),
        ({"template_id": pivot["template_id"]}, [None], None),
        ({"provider": pivot["provider"], "status": "failed"}, [None], None),
        ({"tenant_id": pivot["tenant_id"], "channel": pivot["channel"], "status": pivot["status"]}, [None], None),
        ({"recipient": pivot["recipient"]}, [None, 1], None),
        ({"created_after": moment_at(facts, 0.66).strftime("%Y-%m-%d")}, [None], None),
        ({"created_before": moment_at(facts, 0.33).strftime("%Y-%m-%d")}, [None], None),
        (
            {"created_after": rfc3339(moment_at(facts, 0.4)), "created_before": with_offset(moment_at(facts, 0.6), 8)},
            [None],
            None,
        ),
        ({"created_after": rfc3339(moment_at(facts, 0.5)).replace("Z", ".5Z"), "channel": "push"}, [None], ends),
        # A boundary equal to a real row's time: created_after includes that row, created_before excludes it.
        ({"created_after": exact_moment}, [None], ends),
        ({"created_before": exact_moment, "channel": pivot["channel"]}, [None], ends),
        ({"channel": "push,sms,push", "status": "sent"}, [None], ends),
        ({"channel": "", "status": "", "user_id": "", "created_after": ""}, [None], ends),
        ({"unknown_parameter": "ignored"}, [None], ends),
        ({"tenant_id": "tnt_no_such_tenant"}, [None], None),
    ]


def random_query(rng, db, facts):
    """One filter combination drawn from real values."""
    pivot_user = user_at(db, f"{rng.getrandbits(16):04x}")
    _, provider, template = rng.choice(facts["combos"])
    choices = {
        "channel": lambda: ",".join(rng.sample(CHANNELS, rng.randint(1, 3))),
        "status": lambda: ",".join(rng.sample(STATUSES, rng.randint(1, 4))),
        "tenant_id": lambda: rng.choice(facts["tenants"]),
        "provider": lambda: provider,
        "template_id": lambda: template,
        "user_id": lambda: pivot_user,
        "created_after": lambda: random_moment_text(rng, facts),
        "created_before": lambda: random_moment_text(rng, facts),
    }
    names = rng.sample(sorted(choices), rng.randint(1, 3))
    query = {name: choices[name]() for name in names}
    page_size = rng.choice([None, 1, 7, 20, 50, 100, 250])
    if page_size is not None:
        query["page_size"] = str(page_size)
    return query


def random_moment_text(rng, facts):
    moment = moment_at(facts, rng.random())
    return rng.choice([moment.strftime("%Y-%m-%d"), rfc3339(moment), with_offset(moment, rng.randint(1, 12))])


def run_read_checks(ctx, seed, random_shapes):
    ctx.report.section("Fixed query shapes")
    for filters, page_sizes, roles in fixed_shapes(ctx.facts):
        for page_size in page_sizes:
            check_pages(ctx, filters, page_size, roles)
    ctx.report.section(f"Random query shapes (seed {seed})")
    rng = random.Random(seed)
    for _ in range(random_shapes):
        query = random_query(rng, ctx.db, ctx.facts)
        total = ctx.db.count(filters_of(query))
        page, roles = rng.choice(page_plan(total, effective_page_size(query)))
        check_query(ctx, {**query, "page": "1"}, "first")
        if page != 1:
            check_query(ctx, {**query, "page": str(page)}, ", ".join(roles))


def check_error(ctx, query, status, parameter="", *, path=API_PATH, method="GET", authorization="default", header=None):
    """One request the contract answers with an error envelope."""
    reply = ctx.api.request(query, path=path, method=method, authorization=authorization)
    expected = Expected(status, names_parameter=parameter)
    problems = error_problems(expected, reply)
    if header and header[1] not in reply.headers.get(header[0], ""):
        problems.append(f"header {header[0]}: {reply.headers.get(header[0])!r}, expected it to contain {header[1]!r}")
    label = f"{method} {displayed(query, path)}" + (
        f"  [Authorization: {authorization}]" if authorization != "default" else ""
    )
    ctx.report.record(label, expected.summary(), reply.summary(), problems)


def run_contract_edges(ctx):
    """Bad values, the slash variant, the Token keyword and the auth errors, each once."""
    ctx.report.section("Contract edges: bad values, auth, path variants")
    for query, parameter in (
        ({"channel": "fax"}, "channel"),
        ({"channel": "sms,fax"}, "channel"),
        ({"status": "bounced"}, "status"),
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "1.5"}, "page_size"),
        ({"user_id": "u" * 65}, "user_id"),
        ({"tenant_id": "bad\x01value"}, "tenant_id"),
        ({"recipient": "r" * 321}, "recipient"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": "2026-13-45"}, "created_before"),
    ):
        check_error(ctx, query, 400, parameter)
    check_query(ctx, {"recipient": "r" * 320}, "320 characters is allowed")
    check_query(ctx, {"user_id": "u" * 64}, "64 characters is allowed")
    check_query(ctx, {"page": "100000000000000000000"}, "far past the end")
    check_error(ctx, {}, 401, authorization=None, header=("WWW-Authenticate", "Bearer"))
    check_error(ctx, {}, 401, authorization="Bearer " + "0" * 40)
    check_error(ctx, {}, 405, method="POST")
    slash = ctx.api.request({"channel": "email", "page_size": "5"}, path=API_PATH + "/")
    expected = expected_answer(ctx.db, {"channel": "email", "page_size": "5"})
    ctx.report.record(
        displayed({"channel": "email", "page_size": "5"}, API_PATH + "/"),
        expected.summary(),
        slash.summary(),
        compare(expected, slash),
    )
    token = ctx.api.request({"status": "sent", "page_size": "5"}, authorization=f"Token {ctx.api.token}")
    expected = expected_answer(ctx.db, {"status": "sent", "page_size": "5"})
    label = displayed({"status": "sent", "page_size": "5"}) + "  [Authorization: Token ...]"
    ctx.report.record(label, expected.summary(), token.summary(), compare(expected, token))


# --- Writes: exactness while rows are inserted, changed and deleted ----------------------------------


def write_shapes(facts):
    """Shapes re-checked after each write step: counter-kept totals and counted ones."""
    pivot = facts["pivot"]
    return [
        {},
        {"channel": "sms"},
        {"status": "failed"},
        {"channel": "email", "status": "failed"},
        {"channel": "sms,push", "status": "pending,sent"},
        {"tenant_id": pivot["tenant_id"]},
        {"tenant_id": NEW_TENANT},
        {"provider": pivot["provider"], "status": "failed,delivered"},
        {"template_id": pivot["template_id"]},
        {"tenant_id": pivot["tenant_id"], "channel": pivot["channel"], "status": "delivered"},
        {"user_id": NEW_USER},
        {"recipient": "+44 7911 123456"},
        {"created_after": rfc3339(facts["newest"])},
    ]


def recheck_after_writes(ctx, step):
    ctx.db.forget_counts()
    ctx.report.section(f"After writes: {step}")
    for filters in write_shapes(ctx.facts):
        check_pages(ctx, filters, 100, WRITE_PHASE_ROLES)


def new_rows(rng, facts, run_tag, count):
    """`count` rows in ITEM_FIELDS order: newest rows, ties with a real row, fractional seconds, edge recipients."""
    now = max(datetime.now(UTC), facts["newest"] + timedelta(seconds=1)).replace(microsecond=0)
    rows = []
    for number in range(count):
        channel, provider, template = rng.choice(facts["combos"])
        status = rng.choice(STATUSES)
        if number < 80:
            created = now - timedelta(seconds=number // 4)
            created += timedelta(microseconds=123_456 if number % 4 == 1 else 0)
        elif number < 100:
            created = facts["pivot"]["created_at"]
        else:
            created = moment_at(facts, rng.random())
        sent = None if status == "pending" else created + timedelta(seconds=rng.randint(0, 90))
        edge = EDGE_RECIPIENTS[number // 3 % len(EDGE_RECIPIENTS)]
        recipient = edge if number % 3 == 0 else f"indep{number}@example.org"
        rows.append(
            (
                f"log_{secrets.token_hex(10)}",
                NEW_TENANT if number % 5 == 0 else rng.choice(facts["tenants"]),
                NEW_USER if number % 2 == 0 else facts["pivot"]["user_id"],
                channel,
                provider,
                template,
                recipient,
                f"[{run_tag}] message {number}",
                status,
                "Send timeout" if status == "failed" else "",
                "" if status == "pending" else '{"indep":true}',
                sent,
                created,
                sent or created,
            )
        )
    return rows


def insert_rows(conn, rows):
    """Half one statement per row, half in one COPY: both fire the table's statement triggers."""
    placeholders = ", ".join(["%s"] * len(ITEM_FIELDS))
    single = rows[:INSERT_ROWS_ONE_BY_ONE]
    with conn.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {TABLE} ({', '.join(ITEM_FIELDS)}) VALUES ({placeholders})", single)
        with cursor.copy(f"COPY {TABLE} ({', '.join(ITEM_FIELDS)}) FROM STDIN") as copy:
            for row in rows[INSERT_ROWS_ONE_BY_ONE:]:
                copy.write_row(row)


NEXT_STATUS = {"delivered": "failed", "failed": "pending", "pending": "sent", "sent": "delivered"}


def change_statuses(conn, originals):
    """Rotate statuses: most rows one UPDATE each, the rest in one UPDATE; plus a no-op and a rolled-back one."""
    one_by_one = originals[:UPDATE_ROWS_ONE_BY_ONE]
    together = originals[UPDATE_ROWS_ONE_BY_ONE:]
    with conn.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {TABLE} SET status = %s WHERE id = %s",
            [(NEXT_STATUS[status], row_id) for row_id, status in one_by_one],
        )
        cursor.execute(
            f"UPDATE {TABLE} AS log SET status = changed.status "
            "FROM unnest(%s::text[], %s::text[]) AS changed(id, status) WHERE log.id = changed.id",
            [[row_id for row_id, _ in together], [NEXT_STATUS[status] for _, status in together]],
        )
        # An UPDATE that changes nothing that is counted.
        cursor.execute(
            f"UPDATE {TABLE} SET status = status WHERE id = ANY(%s)", [[row_id for row_id, _ in one_by_one[:20]]]
        )
    with conn.transaction():
        conn.execute(
            f"UPDATE {TABLE} SET status = 'pending', channel = 'push' WHERE id = ANY(%s)", [[i for i, _ in originals]]
        )
        raise psycopg.Rollback  # on purpose: the triggers' work must vanish with it


def move_inserted_rows(conn, inserted_ids):
    """Change channel, tenant, provider and template of some inserted rows (they are deleted at the end anyway)."""
    conn.execute(
        f"UPDATE {TABLE} SET channel = 'push', tenant_id = %s, provider = 'indep_provider', template_id = 'tpl_indep' "
        "WHERE id = ANY(%s)",
        [NEW_TENANT, inserted_ids[::7]],
    )


def rows_to_change(db, inserted_ids, count):
    """(id, status) of `count` existing rows that this run did not insert."""
    return db.conn.execute(
        f"SELECT id, status FROM {TABLE} WHERE id >= 'log_a' AND NOT (id = ANY(%s)) ORDER BY id LIMIT %s",
        [inserted_ids, count],
    ).fetchall()


def save_undo_file(run_tag, inserted_ids, originals):
    """What to delete and restore, on disk before any write, in case this process dies mid-way."""
    path = Path(tempfile.gettempdir()) / f"independent_check_undo_{run_tag}.json"
    path.write_text(json.dumps({"table": TABLE, "inserted_ids": inserted_ids, "original_statuses": originals}))
    return path


def undo_writes(conn, inserted_ids, originals):
    """Delete exactly the inserted rows and put every changed status back."""
    with conn.transaction():
        conn.execute(
            f"UPDATE {TABLE} AS log SET status = original.status "
            "FROM unnest(%s::text[], %s::text[]) AS original(id, status) WHERE log.id = original.id",
            [[row_id for row_id, _ in originals], [status for _, status in originals]],
        )
        conn.execute(f"DELETE FROM {TABLE} WHERE id = ANY(%s)", [inserted_ids])


def verify_restored(ctx, start_count, inserted_ids, originals):
    db = ctx.db
    final_count = db.scalar(f"SELECT count(*) FROM {TABLE}")
    ctx.report.fact(final_count == start_count, "database: final COUNT(*)", start_count, final_count)
    left = db.scalar(f"SELECT count(*) FROM {TABLE} WHERE id = ANY(%s)", [inserted_ids])
    ctx.report.fact(left == 0, "database: inserted rows left", 0, left)
    now = dict(
        db.conn.execute(f"SELECT id, status FROM {TABLE} WHERE id = ANY(%s)", [[i for i, _ in originals]]).fetchall()
    )
    restored = sum(now.get(row_id) == status for row_id, status in originals)
    ctx.report.fact(restored == len(originals), "database: changed statuses restored", len(originals), restored)


def run_write_checks(ctx, seed):
    """Insert, update, re-check against COUNT(*), then undo everything and check the database is as before."""
    db, conn = ctx.db, ctx.db.conn
    rng = random.Random(seed + 1)
    run_tag = f"independent-check {datetime.now(UTC):%Y%m%dT%H%M%S} {secrets.token_hex(3)}"
    start_count = db.scalar(f"SELECT count(*) FROM {TABLE}")
    rows = new_rows(rng, ctx.facts, run_tag, INSERT_ROWS_ONE_BY_ONE + INSERT_ROWS_BY_COPY)
    inserted_ids = [row[0] for row in rows]
    originals = [
        tuple(row) for row in rows_to_change(db, inserted_ids, UPDATE_ROWS_ONE_BY_ONE + UPDATE_ROWS_IN_ONE_STATEMENT)
    ]
    undo_path = save_undo_file(run_tag.replace(" ", "_"), inserted_ids, originals)
    print(f"\n(write phase: {len(rows)} rows inserted, {len(originals)} statuses changed; undo plan in {undo_path})")
    try:
        insert_rows(conn, rows)
        recheck_after_writes(
            ctx, f"{len(rows)} rows inserted ({INSERT_ROWS_ONE_BY_ONE} single INSERTs, {INSERT_ROWS_BY_COPY} by COPY)"
        )
        change_statuses(conn, originals)
        move_inserted_rows(conn, inserted_ids)
        recheck_after_writes(
            ctx,
            f"{len(originals)} statuses changed, {len(inserted_ids[::7])} inserted rows moved, one UPDATE rolled back",
        )
    finally:
        undo_writes(conn, inserted_ids, originals)
        db.forget_counts()
    recheck_after_writes(ctx, "inserted rows deleted and statuses restored")
    ctx.report.section("Database restored")
    verify_restored(ctx, start_count, inserted_ids, originals)
    undo_path.unlink()


# --- Running the service -------------------------------------------------------------------------


def project_env(database_url):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SECRET_KEY="independent-check-not-secret",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_THROTTLE_LOGS="1000000/min",
    )
    env.pop("DJANGO_DEBUG", None)
    # The bench's databases are migrated with Redis as the cache, so they hold no cache table.
    env.setdefault("DJANGO_CACHE_URL", "locmemcache://")
    return env


def demo_admin_token(database_url):
    """A superuser's API token from the project's own command (it prints `API token: <key>`)."""
    result = subprocess.run(
        [str(VENV_BIN / "python"), str(PROJECT / "manage.py"), "create_demo_admin", "--force"],
        cwd=PROJECT,
        env=project_env(database_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    match = re.search(r"API token:\s+(\S+)", result.stdout)
    if result.returncode != 0 or not match:
        raise SystemExit(f"create_demo_admin failed ({result.returncode}): {result.stderr[-500:]}")
    return match.group(1)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_service(database_url):
    """gunicorn with one worker on a free port, stopped (by its own pid) when the block ends."""
    port = free_port()
    log_path = Path(tempfile.gettempdir()) / f"independent_check_gunicorn_{port}.log"
    command = [
        str(VENV_BIN / "gunicorn"),
        "commlogs_site.wsgi",
        "--config",
        str(PROJECT / "gunicorn.conf.py"),
        "--workers",
        "1",
        "--bind",
        f"127.0.0.1:{port}",
    ]
    with log_path.open("w") as log:
        server = subprocess.Popen(command, cwd=PROJECT, env=project_env(database_url), stdout=log, stderr=log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(server, base_url, log_path)
        print(f"gunicorn pid {server.pid} serving {base_url} (log {log_path})")
        yield base_url
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_until_serving(server, base_url, log_name, seconds=60):
    """Poll until the API answers (401 without credentials), or give up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see {log_name}")
        try:
            urllib.request.urlopen(base_url + API_PATH, timeout=5)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer within {seconds} s; see {log_name}")


# --- Main -----------------------------------------------------------------------------------------


def check_own_masking():
    """The contract's own examples, so a wrong expectation here is not reported as the service's fault."""
    for stored, shown in CONTRACT_MASK_EXAMPLES.items():
        if mask_recipient(stored) != shown:
            raise SystemExit(f"this script's masking is wrong: {stored!r} -> {mask_recipient(stored)!r}, not {shown!r}")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--seed", type=int, default=20261127, help="seed of the random shapes and written rows")
    parser.add_argument("--random-shapes", type=int, default=12)
    parser.add_argument("--skip-writes", action="store_true", help="read-only: skip the write phase")
    return parser.parse_args()


def raise_on_sigterm(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, raise_on_sigterm)
    started = time.monotonic()
    check_own_masking()
    report = Report()
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        db = Database(conn)
        start_count = db.scalar(f"SELECT count(*) FROM {TABLE}")
        print(f"{args.database_url}: {start_count} rows in {TABLE}; started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
        facts = data_facts(db)
        token = demo_admin_token(args.database_url)
        with running_service(args.database_url) as base_url:
            ctx = Context(db, Api(base_url, token), report, facts)
            run_read_checks(ctx, args.seed, args.random_shapes)
            run_contract_edges(ctx)
            if not args.skip_writes:
                run_write_checks(ctx, args.seed)
    return 0 if report.summary(time.monotonic() - started) else 1


if __name__ == "__main__":
    sys.exit(main())
