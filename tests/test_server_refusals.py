"""What gunicorn refuses itself, before Django sees the request, comes as the API's JSON envelope."""

import json
from urllib.parse import urlsplit

import pytest

from commlogs_site.server_errors import refusal_message
from tests.conftest import gunicorn_serving, raw_http_answer

RECIPIENT = b"alice@example.com"


@pytest.fixture(scope="module")
def gunicorn_address(tmp_path_factory):
    """The address of a gunicorn worker serving the project with its production config (gunicorn.conf.py)."""
    log_path = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with gunicorn_serving(log_path, "-c", "gunicorn.conf.py") as base_url:
        address = urlsplit(base_url)
        yield address.hostname, address.port


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (
            b"GET /admin/communication/logs?recipient=" + RECIPIENT + b" HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer 4e01\x00d5f1\r\n\r\n",
            400,
        ),
        (b"GET /admin/communication/logs?recipient=" + RECIPIENT + b"\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /admin/communication/logs HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    ],
    ids=["NUL byte in a header", "raw non-UTF-8 bytes in the request line", "header over gunicorn's limit"],
)
def test_gunicorn_answers_what_it_refuses_itself_with_the_json_envelope(gunicorn_address, request_bytes, status):
    answered, headers, body = raw_http_answer(gunicorn_address, request_bytes)
    assert (answered, headers["content-type"]) == (status, "application/json")
    envelope = json.loads(body)
    assert envelope == {"code": status, "message": refusal_message(status), "timestamp": envelope["timestamp"]}
    assert envelope["timestamp"].endswith("Z")
    assert int(headers["content-length"]) == len(body)


def test_gunicorn_refusal_does_not_echo_the_request_line(gunicorn_address):
    request = b"GET /x?recipient=" + RECIPIENT + b"\xff HTTP/1.1\r\nHost: x\r\n\r\n"
    _, _, body = raw_http_answer(gunicorn_address, request)
    assert RECIPIENT not in body
