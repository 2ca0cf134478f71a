"""The logs API's rate limit: requests a minute per user, counted by DRF's throttle in Django's cache."""

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.test import override_settings

from communication.api.throttling import LogsUserThrottle
from tests.conftest import LOGS_URL


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


def test_the_rate_comes_from_the_environment_variable():
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {"logs": "600/min"}


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


def test_logs_limit_lets_requests_through_again_a_minute_later(reader_client, monkeypatch):
    monkeypatch.setattr(LogsUserThrottle, "THROTTLE_RATES", {"logs": "2/min"})
    now = [1_800_000_000.0]
    monkeypatch.setattr(LogsUserThrottle, "timer", lambda self: now[0])

    within = [reader_client.get(LOGS_URL).status_code for _ in range(3)]
    now[0] += 61
    a_minute_later = reader_client.get(LOGS_URL).status_code

    assert within == [200, 200, 429]
    assert a_minute_later == 200


@override_settings(
    CACHES={"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "t_cache"}}
)
def test_the_default_cache_keeps_the_counters_in_the_database_for_every_worker(reader_client, staff_reader):
    call_command("createcachetable", verbosity=0)

    reader_client.get(LOGS_URL)

    assert caches["default"].get(f"throttle_logs_{staff_reader.pk}") is not None


@pytest.mark.skipif(
    not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"), reason="needs DJANGO_CACHE_URL=redis"
)
def test_redis_keeps_the_counters_when_it_is_the_cache(reader_client, staff_reader):
    reader_client.get(LOGS_URL)

    assert caches["default"].get(f"throttle_logs_{staff_reader.pk}") is not None
