"""Logs are JSON lines carrying the request id echoed in `X-Request-ID`, and never personal data or secrets."""

import io
import json
import logging

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from communication.api.serializers import CommunicationLogSerializer
from communication.log_lines import JsonLinesFormatter
from tests.conftest import LOGS_URL

PHONE = "13912345678"
EMAIL = "carol.secret@example.org"
PUSH_TOKEN = "fcm:d9YxSECRETdevicetokenQm2"
CONTENT = "Your verification code is 482913"
PASSWORD = "hunter2-Sekr1t!"


@pytest.fixture
def log_lines():
    """Every log line the service writes during the test, formatted as in production."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLinesFormatter())
    loggers = [logging.getLogger(), logging.getLogger("django")]
    for logger in loggers:
        logger.addHandler(handler)
    yield lambda: stream.getvalue().splitlines()
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.fixture
def secret_logs(make_log):
    make_log(recipient=PHONE, content=CONTENT)
    make_log(recipient=EMAIL, channel="email", content=CONTENT)
    make_log(recipient=PUSH_TOKEN, channel="push", content=CONTENT)


def test_every_log_line_is_json_with_the_request_id_echoed_in_the_header(reader_client, log_lines):
    response = reader_client.get(LOGS_URL)

    entries = [json.loads(line) for line in log_lines()]
    access = [entry for entry in entries if entry["logger"] == "commlogs.access"]
    assert len(access) == 1
    assert access[0] == {
        "time": access[0]["time"],
        "level": "INFO",
        "logger": "commlogs.access",
        "message": "request",
        "request_id": response["X-Request-ID"],
        "method": "GET",
        "route": "admin/communication/logs",
        "status": 200,
        "duration_ms": access[0]["duration_ms"],
        "user_id": access[0]["user_id"],
    }


def test_a_plain_incoming_request_id_is_kept(reader_client):
    response = reader_client.get(LOGS_URL, HTTP_X_REQUEST_ID="edge-7f3a.42")

    assert response["X-Request-ID"] == "edge-7f3a.42"


@pytest.mark.parametrize(
    "incoming", ['x"}\n{"level": "INFO', "usr_13800138000", "x_" + "ab12" * 10, "13800138000", "alice@example.com"]
)
def test_an_incoming_request_id_that_could_forge_log_lines_or_carry_personal_data_is_replaced(reader_client, incoming):
    response = reader_client.get(LOGS_URL, HTTP_X_REQUEST_ID=incoming)

    assert len(response["X-Request-ID"]) == 32
    assert response["X-Request-ID"] != incoming


def test_error_envelopes_carry_the_request_id_too(db):
    response = APIClient().get("/api/no-such-route")

    assert response.status_code == 404
    assert len(response["X-Request-ID"]) == 32


def test_no_recipient_content_token_or_password_in_any_log_line_or_error_message(
    staff_reader, secret_logs, log_lines, monkeypatch
):
    token = Token.objects.create(user=staff_reader).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    answers = [
        client.get(LOGS_URL, {"recipient": PHONE}),
        client.get(LOGS_URL, {"recipient": EMAIL}),
        client.get(LOGS_URL, {"recipient": PUSH_TOKEN}),
        client.get(LOGS_URL, {"recipient": PHONE * 30}),
        client.get(f"{LOGS_URL}/{PHONE}"),
        client.get(f"/api/{EMAIL}"),
        client.get(f"{LOGS_URL}/{PUSH_TOKEN}"),
        APIClient().post("/api/auth/token/", {"username": staff_reader.username, "password": PASSWORD}, format="json"),
        APIClient().post("/api/auth/token/", {"username": EMAIL, "password": PASSWORD}, format="json"),
        APIClient(HTTP_AUTHORIZATION=f"Bearer {token[:-1]}x").get(LOGS_URL),
    ]

    def explode(self, log):
        raise RuntimeError(f"cannot render {log.recipient}: {log.content} with {token}")

    monkeypatch.setattr(CommunicationLogSerializer, "to_representation", explode)
    forced_500 = client.get(LOGS_URL, {"recipient": PUSH_TOKEN})

    assert [answer.status_code for answer in answers] == [200, 200, 200, 400, 404, 404, 404, 400, 400, 401]
    assert forced_500.status_code == 500
    assert forced_500.json()["message"] == "internal server error"
    written = "\n".join(log_lines())
    assert "RuntimeError" in written
    said = [written] + [answer.content.decode() for answer in [*answers, forced_500][3:]]
    for secret in [PHONE, EMAIL, PUSH_TOKEN, CONTENT, token, token[:-1], PASSWORD]:
        assert not any(secret in text for text in said), secret


def test_an_incoming_request_id_holding_personal_data_is_replaced(reader_client):
    for incoming in ("18692103752", "alice.example@x.io", "fcm:v9DjwytQzGGdem0DuXAQyC"):
        response = reader_client.get(LOGS_URL, HTTP_X_REQUEST_ID=incoming)
        assert len(response["X-Request-ID"]) == 32, incoming


def test_a_push_token_in_a_security_log_message_is_masked(admin_client, log_lines):
    token = "fcm:v9DjwytQzGGdem0DuXAQyC:APA91bxmuG4uVH5WIrQRTrK1m9EBHY2jrMvTV"

    admin_client.get("/admin/communication/communicationlog/", {"_to_field": token})
    APIClient().get("/api/schema/", HTTP_HOST=token)

    written = "\n".join(log_lines())
    assert "DisallowedHost" in written or "Invalid HTTP_HOST" in written
    assert token not in written
