"""Faults: an unreachable or slow database answers a 503 envelope with Retry-After, and the service recovers."""

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.db import OperationalError, connection
from django.test import override_settings
from rest_framework.authtoken.models import Token

from communication.api.pagination import LogPagination
from communication.api.views import cap_statement_time
from communication.audit import recording
from communication.audit.models import AuditEvent
from tests.conftest import EXPORT_URL, LOGS_URL, gunicorn_serving, postgres_only
from tests.tcp_proxy import TcpProxy


@pytest.fixture
def uncapped_at_teardown(transactional_db):
    """The flush after the test runs on the test's connection: not under the few milliseconds the test capped."""
    yield
    cap_statement_time(0)


DSN_LEAK = 'connection to server at "10.20.30.40", port 5432 failed: password authentication failed for user "app"'


def assert_database_unavailable_envelope(response):
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body == {
        "code": 503,
        "message": "the database is unavailable or too slow; retry later",
        "timestamp": body["timestamp"],
    }


def test_database_error_answers_503_envelope_without_host_or_dsn(reader_client, make_log, monkeypatch):
    make_log()

    def fail(self, queryset, request, view=None):
        raise OperationalError(DSN_LEAK)

    monkeypatch.setattr(LogPagination, "paginate_queryset", fail)
    response = reader_client.get(LOGS_URL)

    assert_database_unavailable_envelope(response)
    assert "10.20.30.40" not in response.content.decode()


@pytest.fixture
def database_proxy(transactional_db):
    """A stoppable proxy in front of the test database."""
    proxy = TcpProxy(connection.settings_dict["HOST"] or "127.0.0.1", connection.settings_dict["PORT"] or 5432)
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture
def server_behind_proxy(database_proxy, tmp_path):
    """gunicorn serving the app from the test database through the proxy, as in production."""
    database = connection.settings_dict["NAME"]
    environment = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{database_proxy.port}/{database}",
        "DJANGO_CACHE_URL": "locmemcache://",
    }
    with gunicorn_serving(tmp_path / "gunicorn.log", environment=environment) as base_url:
        yield base_url


@pytest.fixture
def logs_served_behind_proxy(staff_reader, make_log, server_behind_proxy):
    """The logs URL of the server behind the proxy and a reader's token, one log served with a 200."""
    make_log()
    token = Token.objects.create(user=staff_reader).key
    logs_url = server_behind_proxy + LOGS_URL
    assert get(logs_url, token)[0] == 200
    return logs_url, token


def get(url, token):
    """GET with a bearer token: status, headers, body and seconds taken; errors are answers too."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, headers, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, body = error.code, error.headers, error.read()
    return status, headers, json.loads(body), time.monotonic() - started


def post_login(base_url):
    """POST wrong credentials to the token endpoint: status, headers and body."""
    data = urllib.parse.urlencode({"username": "reader", "password": "wrong"}).encode()
    try:
        with urllib.request.urlopen(f"{base_url}/api/auth/token/", data=data, timeout=30) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read())


def assert_served_unavailable_envelope(status, headers, body):
    assert (status, headers["Content-Type"], headers["Retry-After"]) == (503, "application/json", "5")
    assert body == {
        "code": 503,
        "message": "the database is unavailable or too slow; retry later",
        "timestamp": body["timestamp"],
    }


@pytest.mark.postgres
@postgres_only
def test_database_down_answers_503_then_recovers_without_restart(
    logs_served_behind_proxy, database_proxy, server_behind_proxy
):
    logs_url, token = logs_served_behind_proxy

    database_proxy.stop()
    *down, seconds = get(logs_url, token)
    print(f"database down: {down[0]} in {seconds:.2f} s")
    login = post_login(server_behind_proxy)
    database_proxy.start()
    recovered_status, _, recovered_body, _ = get(logs_url, token)

    assert_served_unavailable_envelope(*down)
    assert_served_unavailable_envelope(*login)
    assert (recovered_status, recovered_body["total"]) == (200, 1)


@pytest.mark.postgres
@postgres_only
def test_database_that_accepts_but_never_answers_gives_503_then_recovers(logs_served_behind_proxy, database_proxy):
    logs_url, token = logs_served_behind_proxy

    database_proxy.stop()
    database_proxy.black_hole = True
    database_proxy.start()
    *hung, seconds = get(logs_url, token)
    print(f"database hung: {hung[0]} in {seconds:.2f} s")
    database_proxy.stop()
    database_proxy.black_hole = False
    database_proxy.start()

    assert_served_unavailable_envelope(*hung)
    assert get(logs_url, token)[0] == 200


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("uncapped_at_teardown")
@override_settings(API_STATEMENT_TIMEOUT_MS=50)
def test_read_past_the_statement_timeout_answers_503_and_the_connection_stays_usable(
    reader_client, make_log, monkeypatch
):
    make_log()
    original_paginate = LogPagination.paginate_queryset

    def slow_paginate(self, queryset, request, view=None):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(2)")
        return original_paginate(self, queryset, request, view)

    monkeypatch.setattr(LogPagination, "paginate_queryset", slow_paginate)
    slow = reader_client.get(LOGS_URL)
    monkeypatch.setattr(LogPagination, "paginate_queryset", original_paginate)
    backend_pid = connection.connection.info.backend_pid
    fast = reader_client.get(LOGS_URL)

    assert_database_unavailable_envelope(slow)
    assert fast.status_code == 200
    assert connection.connection.info.backend_pid == backend_pid
    assert [event.status_code for event in AuditEvent.objects.order_by("id")] == [503, 200]


def statement_timeout_of_this_connection():
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("uncapped_at_teardown")
@override_settings(API_STATEMENT_TIMEOUT_MS=700)
def test_every_api_request_caps_its_statements_and_a_streamed_export_is_not_cut(reader_client, make_log):
    make_log()
    assert statement_timeout_of_this_connection() == "0"

    reader_client.get(LOGS_URL)
    assert statement_timeout_of_this_connection() == "700ms"

    export = reader_client.get(EXPORT_URL)
    assert export.status_code == 200
    assert statement_timeout_of_this_connection() == "700ms"
    b"".join(export.streaming_content)
    assert statement_timeout_of_this_connection() == "0"


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("uncapped_at_teardown")
@override_settings(API_STATEMENT_TIMEOUT_MS=700)
def test_a_replaced_connection_is_capped_again_on_the_next_request(reader_client, make_log):
    make_log()
    reader_client.get(LOGS_URL)
    old_backend = connection.connection.info.backend_pid

    connection.close()
    reader_client.get(LOGS_URL)

    assert connection.connection.info.backend_pid != old_backend
    assert statement_timeout_of_this_connection() == "700ms"


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("uncapped_at_teardown")
@override_settings(API_STATEMENT_TIMEOUT_MS=200)
def test_read_whose_audit_write_hangs_is_refused_with_503(reader_client, make_log, monkeypatch):
    make_log()
    insert = recording.write_event

    def slow_insert(event):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(2)")
        insert(event)

    monkeypatch.setattr(recording, "write_event", slow_insert)
    response = reader_client.get(LOGS_URL)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["message"] == "the read could not be recorded in the audit trail; retry later"
    assert AuditEvent.objects.count() == 0
