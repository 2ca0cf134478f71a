"""Rate limits: a comfortable per-user limit on the logs API, a tight one on the token endpoint."""

import threading

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, connections
from django.test import override_settings
from rest_framework.test import APIClient

from communication.throttling import LogsUserThrottle, TokenIPThrottle, TokenUsernameThrottle, count_hit
from tests.conftest import ADMIN_LOGIN_URL, LOGS_URL, TOKEN_URL, postgres_only


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Twenty logins with the production hasher would take seconds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def rate_per_minute(throttle_class):
    num_requests, duration = throttle_class().parse_rate(throttle_class().get_rate())
    return num_requests * 60 / duration


def assert_throttled_envelope(response):
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    body = response.json()
    assert body["code"] == 429
    assert body["message"].startswith("Request was throttled.")
    assert set(body) == {"code", "message", "timestamp"}


def test_logs_api_allows_at_least_600_requests_a_minute_per_user_by_default():
    assert rate_per_minute(LogsUserThrottle) >= 600


def test_token_endpoint_allows_at_most_20_attempts_a_minute_per_ip_and_per_username_by_default():
    assert rate_per_minute(TokenIPThrottle) <= 20
    assert rate_per_minute(TokenUsernameThrottle) <= 20


def test_rates_come_from_the_environment_variables():
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {
        "logs": "600/min",
        "token_ip": "20/min",
        "token_username": "20/min",
    }


def test_21st_login_attempt_from_one_ip_gets_429_with_retry_after(make_user):
    make_user("alice")
    client = APIClient()
    attempts = [
        client.post(TOKEN_URL, {"username": f"guess{number}", "password": "wrong"}).status_code for number in range(20)
    ]

    blocked = client.post(TOKEN_URL, {"username": "alice", "password": "correct-horse-battery"})

    assert attempts == [400] * 20
    assert_throttled_envelope(blocked)


def test_21st_login_attempt_on_one_username_gets_429_from_any_ip(make_user):
    make_user("alice")
    client = APIClient()
    attempts = [
        client.post(
            TOKEN_URL, {"username": "alice", "password": f"guess{number}"}, REMOTE_ADDR=f"198.51.100.{number}"
        ).status_code
        for number in range(20)
    ]

    blocked = client.post(
        TOKEN_URL, {"username": "Alice ", "password": "correct-horse-battery"}, REMOTE_ADDR="203.0.113.7"
    )

    assert attempts == [400] * 20
    assert_throttled_envelope(blocked)


def admin_login(client, username, password, **extra):
    return client.post(ADMIN_LOGIN_URL, {"username": username, "password": password}, **extra)


def assert_throttled_page(response):
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["Content-Type"].startswith("text/html")
    assert "<h1>Too many login attempts</h1>" in response.content.decode()


def test_21st_admin_login_attempt_from_one_ip_gets_429_even_with_the_right_password(client, make_user):
    make_user("alice", staff=True)
    attempts = [admin_login(client, f"guess{number}", "wrong").status_code for number in range(20)]

    blocked = admin_login(client, "alice", "correct-horse-battery")

    assert attempts == [200] * 20
    assert_throttled_page(blocked)
    assert "_auth_user_id" not in client.session


def test_attempts_on_one_username_count_at_the_token_endpoint_and_the_admin_login_alike(client, make_user):
    make_user("alice", staff=True)
    token_attempts = [
        APIClient()
        .post(TOKEN_URL, {"username": "alice", "password": f"guess{number}"}, REMOTE_ADDR=f"198.51.100.{number}")
        .status_code
        for number in range(10)
    ]
    admin_attempts = [
        admin_login(client, "alice", f"guess{number}", REMOTE_ADDR=f"192.0.2.{number}").status_code
        for number in range(10)
    ]

    blocked = admin_login(client, "ALICE", "correct-horse-battery", REMOTE_ADDR="203.0.113.7")

    assert token_attempts == [400] * 10
    assert admin_attempts == [200] * 10
    assert_throttled_page(blocked)


def test_opening_the_admin_login_page_is_not_a_login_attempt(client, make_user):
    make_user("alice", staff=True)
    pages = [client.get(ADMIN_LOGIN_URL).status_code for _ in range(25)]

    response = admin_login(client, "alice", "correct-horse-battery")

    assert pages == [200] * 25
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(username="alice").pk)


def test_a_correct_login_within_the_limit_gets_a_token(make_user):
    make_user("alice")

    response = APIClient().post(TOKEN_URL, {"username": "alice", "password": "correct-horse-battery"})

    assert response.status_code == 200
    assert set(response.json()) == {"token"}


def test_logs_api_over_the_limit_gets_429_envelope_with_retry_after(reader_client, monkeypatch):
    monkeypatch.setattr(LogsUserThrottle, "THROTTLE_RATES", {"logs": "3/min"})

    statuses = [reader_client.get(LOGS_URL).status_code for _ in range(3)]
    blocked = reader_client.get(LOGS_URL)

    assert statuses == [200, 200, 200]
    assert_throttled_envelope(blocked)


def test_logs_limit_is_per_user(make_user, client_for, monkeypatch):
    monkeypatch.setattr(LogsUserThrottle, "THROTTLE_RATES", {"logs": "1/min"})
    first = client_for(make_user("first", staff=True, can_view_logs=True))
    second = client_for(make_user("second", staff=True, can_view_logs=True))

    statuses = [first.get(LOGS_URL).status_code, first.get(LOGS_URL).status_code, second.get(LOGS_URL).status_code]

    assert statuses == [200, 429, 200]


@override_settings(
    CACHES={"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "t_cache"}}
)
def test_default_cache_keeps_throttle_counters_in_the_database_for_every_worker(make_user):
    call_command("createcachetable", verbosity=0)
    make_user("alice")

    APIClient().post(TOKEN_URL, {"username": "alice", "password": "wrong"})

    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM t_cache ORDER BY cache_key")
        keys = [row[0] for row in cursor.fetchall()]
    assert [key.split("_")[1:3] for key in keys] == [["token", "ip"], ["token", "username"]]
    assert "alice" not in "".join(keys)


def test_logs_limit_starts_afresh_in_the_next_window(reader_client, monkeypatch):
    monkeypatch.setattr(LogsUserThrottle, "THROTTLE_RATES", {"logs": "2/min"})
    now = [1_800_000_000.0]
    monkeypatch.setattr(LogsUserThrottle, "timer", lambda self: now[0])

    within = [reader_client.get(LOGS_URL).status_code for _ in range(3)]
    refused = reader_client.get(LOGS_URL)
    now[0] += 60
    next_window = reader_client.get(LOGS_URL).status_code

    assert within == [200, 200, 429]
    assert refused["Retry-After"] == "60"
    assert next_window == 200


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_no_hit_is_lost_when_workers_count_the_same_client_at_once():
    def hit_many():
        try:
            for _ in range(50):
                count_hit("throttle_logs_7", 123)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=hit_many) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert count_hit("throttle_logs_7", 123) == 201
