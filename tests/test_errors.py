"""Every error on the API's routes is the contract's JSON envelope: never HTML, never a traceback."""

import pytest
from django.db import OperationalError
from rest_framework.test import APIClient

from communication.api.serializers import CommunicationLogSerializer
from communication.api.throttling import LogsUserThrottle
from tests.conftest import LOGS_URL, TOKEN_URL


def assert_envelope(response, status):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "timestamp"}
    assert body["code"] == status
    assert "Traceback" not in body["message"]
    return body


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_methods_other_than_get_head_options_get_405(reader_client, method):
    response = getattr(reader_client, method)(LOGS_URL)
    body = assert_envelope(response, 405)
    assert body["message"] == f'Method "{method.upper()}" not allowed.'


@pytest.mark.parametrize("path", ["/api/", "/api/nope", "/api/auth/nope/", "/api/v2/logs", LOGS_URL + "/nope"])
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_unknown_route_under_api_gets_json_404_whatever_the_method(db, path, method):
    client = APIClient(enforce_csrf_checks=True)
    assert_envelope(getattr(client, method)(path), 404)


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        (LOGS_URL, {"REQUEST_METHOD": "13800138000"}),
        (TOKEN_URL, {"REQUEST_METHOD": "alice@example.com"}),
        (TOKEN_URL, {"REQUEST_METHOD": "POST", "CONTENT_TYPE": "text/alice@example.com"}),
        (TOKEN_URL, {"REQUEST_METHOD": "POST", "CONTENT_TYPE": "text/" + "ab12" * 10}),
    ],
    ids=["phone as a method", "address as a method", "address as a media type", "token key as a media type"],
)
def test_an_error_that_quotes_the_request_masks_the_personal_data_in_it(reader_client, path, headers):
    response = reader_client.generic(headers.pop("REQUEST_METHOD"), path, data="x", **headers)

    assert response.status_code in (405, 415)
    for secret in ("13800138000", "alice@example.com", "ab12" * 10):
        assert secret not in response.content.decode()


def test_an_error_from_outside_drf_is_written_as_compactly_as_drfs_own(reader_client):
    unknown_route = reader_client.get("/api/nope")
    bad_filter = reader_client.get(LOGS_URL, {"channel": "fax"})

    for response in (unknown_route, bad_filter):
        assert response.content.startswith(b'{"code":%d,"message":"' % response.status_code)
        assert b'": ' not in response.content


@pytest.mark.parametrize("path", [LOGS_URL + "/123", LOGS_URL + "/x/y/", LOGS_URL + "//"])
def test_unknown_route_under_the_logs_path_gets_json_404(reader_client, path):
    assert_envelope(reader_client.get(path), 404)


def test_unknown_format_gets_400_naming_format(reader_client):
    body = assert_envelope(reader_client.get(LOGS_URL, {"format": "xml"}), 400)
    assert body["message"] == "format: must be one of json, api"


def test_format_json_is_accepted(reader_client):
    assert reader_client.get(LOGS_URL, {"format": "json"}).status_code == 200


@pytest.mark.parametrize(
    "accept", ["application/xml", "image/png", "*/*;q=0", "garbage", "", "application/json; charset=utf-8"]
)
def test_odd_accept_header_still_gets_json(reader_client, accept):
    response = reader_client.get(LOGS_URL, HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == 0


def test_odd_accept_header_on_an_error_still_gets_json(db):
    assert_envelope(APIClient().get(LOGS_URL, HTTP_ACCEPT="application/xml"), 401)


def test_unexpected_error_gets_500_envelope_and_is_logged_without_leaking(reader_client, make_log, monkeypatch, caplog):
    make_log()

    def explode(self, instance):
        raise RuntimeError("secret internal detail at /srv/app.py")

    monkeypatch.setattr(CommunicationLogSerializer, "to_representation", explode)
    response = reader_client.get(LOGS_URL)
    body = assert_envelope(response, 500)
    assert body["message"] == "internal server error"
    assert "secret internal detail" not in response.content.decode()
    assert any("secret internal detail" in str(record.exc_info) for record in caplog.records)


def test_database_unavailable_gets_503_with_retry_after(reader_client, monkeypatch):
    def unavailable(self, queryset, request, view=None):
        raise OperationalError('connection to server at "db.internal" (10.0.0.5), port 5432 failed')

    monkeypatch.setattr("communication.api.pagination.LogPagination.paginate_queryset", unavailable)
    response = reader_client.get(LOGS_URL)
    body = assert_envelope(response, 503)
    assert int(response["Retry-After"]) > 0
    assert "db.internal" not in body["message"]
    assert "10.0.0.5" not in response.content.decode()


def test_disallowed_host_on_api_route_gets_json_400(db):
    assert_envelope(APIClient().get(LOGS_URL, HTTP_HOST="evil.example"), 400)


def test_unknown_page_outside_the_api_keeps_django_html(db):
    response = APIClient().get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_logs_api_is_throttled_per_user_with_retry_after(reader_client, monkeypatch):
    monkeypatch.setattr(LogsUserThrottle, "rate", "3/min", raising=False)
    # Mid-window, so the four requests cannot straddle the start of a new minute.
    monkeypatch.setattr(LogsUserThrottle, "timer", lambda self: 1_800_000_030.0)
    responses = [reader_client.get(LOGS_URL) for _ in range(4)]
    assert [response.status_code for response in responses] == [200, 200, 200, 429]
    assert_envelope(responses[3], 429)
    assert int(responses[3]["Retry-After"]) > 0


def test_default_logs_rate_lets_a_person_page_comfortably():
    number, period = LogsUserThrottle().parse_rate(LogsUserThrottle.THROTTLE_RATES["logs"])
    assert number / period * 60 >= 600
