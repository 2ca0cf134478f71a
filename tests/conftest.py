"""Fixtures shared by every test: users of each kind, tokens, clients and a log factory."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pgtrigger
import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, router
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from communication.audit import recording
from communication.models import CommunicationLog
from communication.replica import REPLICA, ReplicaRouter, replica_is_usable
from tests.tcp_proxy import free_port

LOGS_URL = "/admin/communication/logs"
EXPORT_URL = "/admin/communication/logs/export.csv"
TOKEN_URL = "/api/auth/token/"
ADMIN_LOGIN_URL = "/admin/login/"
ADMIN_LOGS_URL = "/admin/communication/communicationlog/"
AUDIT_ADMIN_URL = "/admin/communication/auditevent/"
# The demo's phone number, stored in full, and as every staff surface shows it.
FULL_PHONE = "13800138000"
MASKED_PHONE = "138****8000"
# What a browser sends, so the API answers with its browsable HTML page.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
BASE_TIME = datetime(2026, 4, 15, 10, 0, 0, tzinfo=UTC)
# Tests of what only the PostgreSQL path has (counters, plans, server-side settings) skip on SQLite.
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")

# The contract's fourteen item keys in its order, written out here so the tests do not trust the code.
ITEM_KEYS = [
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
]


@pytest.fixture(scope="session", autouse=True)
def _flush_may_truncate_the_audit_trail():
    """A transactional test's teardown empties every table with TRUNCATE, which the audit trail refuses; on
    PostgreSQL it truncates only the tables that hold rows, as truncating every monthly partition takes a second."""
    handle, sql_flush = flush.Command.handle, PostgresOperations.sql_flush

    def handle_ignoring_the_refusal(self, *args, **options):
        with pgtrigger.ignore("communication.AuditEvent:audit_never_truncated"):
            return handle(self, *args, **options)

    def sql_flush_of_tables_with_rows(operations, style, tables, **options):
        with operations.connection.cursor() as cursor:
            quoted = [operations.quote_name(table) for table in tables]
            cursor.execute(" UNION ALL ".join(f"(SELECT '{name}' FROM {name} LIMIT 1)" for name in quoted))
            holding_rows = [row[0].strip('"') for row in cursor.fetchall()]
        return sql_flush(operations, style, holding_rows, **{**options, "allow_cascade": True})

    flush.Command.handle = handle_ignoring_the_refusal
    PostgresOperations.sql_flush = sql_flush_of_tables_with_rows
    yield
    flush.Command.handle, PostgresOperations.sql_flush = handle, sql_flush


# With DATABASE_REPLICA_URL (`make test-replica`), the replica tests and the contract suite read from a replica.
REPLICA_CONFIGURED = REPLICA in settings.DATABASES


def pytest_collection_modifyitems(items):
    """Through a replica, the contract suite commits its rows so that the replica receives them."""
    if REPLICA_CONFIGURED:
        committed = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
        for item in items:
            if item.get_closest_marker("contract"):
                item.add_marker(committed, append=False)


@pytest.fixture(autouse=True)
def _reads_through_the_replica(request, monkeypatch):
    """Through a replica, each request of the contract suite waits for the replica to replay the primary's writes,
    and must be read from it."""
    if not (REPLICA_CONFIGURED and request.node.get_closest_marker("contract")):
        return
    request.getfixturevalue("replica_of_the_test_database")
    send, route = Client.request, ReplicaRouter.db_for_read
    serving = []

    def send_once_replayed(client, **request_data):
        wait_for_replay()
        serving.append(True)
        try:
            assert router.db_for_read(CommunicationLog) == REPLICA
            return send(client, **request_data)
        finally:
            serving.pop()

    def route_while_serving(replica_router, model, **hints):
        """The test's own reads, of what a request wrote, are of the primary."""
        return route(replica_router, model, **hints) if serving else DEFAULT_DB_ALIAS

    monkeypatch.setattr(Client, "request", send_once_replayed)
    monkeypatch.setattr(ReplicaRouter, "db_for_read", route_while_serving)


@pytest.fixture
def replica_of_the_test_database(transactional_db):
    """The replica of DATABASE_REPLICA_URL, reading the test database the primary streams to it.

    The test runner makes the replica a mirror of the primary's test database; it is pointed back at the replica.
    """
    if not REPLICA_CONFIGURED:
        pytest.fail("no DATABASE_REPLICA_URL: `make test-replica` starts a replica and sets it")
    replica = connections[REPLICA]
    replica.close()
    replica.settings_dict = {**settings.DATABASES[REPLICA], "NAME": connections["default"].settings_dict["NAME"]}
    replica_is_usable.checked_at = None


def wait_for_replay(seconds=10):
    """Until the replica has replayed everything the primary has written so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        written = cursor.fetchone()[0]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [written])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.01)
    raise AssertionError(f"the replica did not replay {written} within {seconds} s")


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    """Throttle counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _static_files_without_collecting(settings):
    """Pages name static files as they lie in the apps: hashed names need a `collectstatic` (tests/test_static.py)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def audit_writes_fail(monkeypatch):
    """Every audit write fails as a database error would."""

    def refuse(*args, **kwargs):
        raise DatabaseError("audit table unavailable")

    monkeypatch.setattr(recording, "write_event", refuse)


@pytest.fixture
def make_user(db):
    def make(username, *, staff=False, superuser=False, can_view_logs=False, active=True):
        user = User.objects.create_user(
            username, password="correct-horse-battery", is_staff=staff, is_superuser=superuser, is_active=active
        )
        if can_view_logs:
            user.user_permissions.add(Permission.objects.get(codename="view_communicationlog"))
        return user

    return make


@pytest.fixture
def staff_reader(make_user):
    """A staff user with the view permission: the normal reader of the logs API."""
    return make_user("reader", staff=True, can_view_logs=True)


@pytest.fixture
def admin_reader(client, staff_reader):
    """A browser session of a staff user who holds the view permission."""
    client.force_login(staff_reader)
    return client


@pytest.fixture
def client_for():
    def build(user):
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
        return client

    return build


@pytest.fixture
def reader_client(client_for, staff_reader):
    return client_for(staff_reader)


@pytest.fixture
def make_log(db):
    """Create one log; `minutes_ago` places it before BASE_TIME, later logs first in the API."""
    counter = iter(range(1, 1_000_000))

    def make(*, minutes_ago=None, **fields):
        number = next(counter)
        created_at = BASE_TIME - timedelta(minutes=number if minutes_ago is None else minutes_ago)
        values = {
            "id": f"log_{number:020x}",
            "tenant_id": "tnt_xyz789",
            "user_id": "usr_abc123",
            "channel": "sms",
            "provider": "aliyun",
            "template_id": "tpl_abc123",
            "recipient": "13800138000",
            "content": "Your verification code is 123456",
            "status": "delivered",
            "error": "",
            "response": '{"BizId":"900619746936498440^0"}',
            "sent_at": created_at + timedelta(minutes=1),
            "created_at": created_at,
            "updated_at": created_at + timedelta(minutes=1, seconds=3),
        }
        values.update(fields)
        return CommunicationLog.objects.create(**values)

    return make


# What settings_probe() prints: the settings a test names, read by a fresh process as production would.
SETTINGS_PROBE = """
import json, sys, django
django.setup()
from django.conf import settings
database = settings.DATABASES["default"]
extra = {"engine": database["ENGINE"], "name": str(database["NAME"]), "cache": settings.CACHES["default"]["BACKEND"],
         "CONN_MAX_AGE": database["CONN_MAX_AGE"], "CONN_HEALTH_CHECKS": database["CONN_HEALTH_CHECKS"],
         "connect_timeout": database.get("OPTIONS", {}).get("connect_timeout")}
print(json.dumps({name: extra[name] if name in extra else getattr(settings, name) for name in sys.argv[1:]}))
"""


def settings_probe(names, **environment):
    """(exit code, {name: value}, stderr) of the settings `names` in a fresh process whose environment has no
    DJANGO_* or DATABASE_URL variable but those given."""
    kept = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "DATABASE_URL"))}
    done = subprocess.run(
        [sys.executable, "-c", SETTINGS_PROBE, *names],
        cwd=settings.BASE_DIR,
        env={**kept, "DJANGO_SETTINGS_MODULE": "commlogs_site.settings", **environment},
        capture_output=True,
        text=True,
    )
    return done.returncode, (json.loads(done.stdout) if done.returncode == 0 else None), done.stderr


def item_ids(response):
    return [item["id"] for item in response.json()["items"]]


def raw_http_answer(address, request):
    """Status, headers (names in lower case) and body of a server's answer to `request`, sent as raw bytes."""
    with socket.create_connection(address, timeout=10) as client:
        client.sendall(request)
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in header_lines)}
    return int(status_line.split()[1]), headers, body


@contextlib.contextmanager
def gunicorn_serving(log_path, *options, environment=None):
    """gunicorn serving the project with one worker on a free port; its base URL once the app answers."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "gunicorn", "commlogs_site.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1", *options]
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            command, env=environment or dict(os.environ), cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            for _ in range(150):
                try:
                    urllib.request.urlopen(f"{base_url}/api/unknown", timeout=1)
                    break
                except urllib.error.HTTPError:
                    break
                except OSError:
                    time.sleep(0.1)
            yield base_url
        finally:
            server.terminate()
            server.wait(timeout=10)
