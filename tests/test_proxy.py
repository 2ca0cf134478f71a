"""nginx in front of gunicorn (deploy/nginx.conf, `make serve`): what it refuses it answers with the JSON envelope
at once, and slow or oversized clients never hold the one gunicorn worker from ordinary requests."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings

from tests.conftest import raw_http_answer
from tests.tcp_proxy import free_port

pytestmark = pytest.mark.proxy
NGINX = "/usr/sbin/nginx"
RECIPIENT = b"alice@example.com"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`tools/serve.sh` with one gunicorn worker, after the collectstatic that `make serve` runs; the address nginx
    listens on."""
    if not os.access(NGINX, os.X_OK):
        message = "PROXY TESTS SKIPPED: nginx is missing (apt-get install nginx-light)"
        if os.environ.get("COMMLOGS_REQUIRE_PROXY") == "1":
            pytest.fail(message)
        pytest.skip(message)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], check=True)
    port = free_port()
    log = (tmp_path_factory.mktemp("serve") / "serve.log").open("w")
    environment = {**os.environ, "SERVE_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1", "DJANGO_DEBUG": "0"}
    server = subprocess.Popen(
        [settings.BASE_DIR / "tools" / "serve.sh"],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except urllib.error.HTTPError as error:
                if error.code not in (502, 503):
                    raise
            except OSError:
                pass
            time.sleep(0.1)
        yield ("127.0.0.1", port)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)


def envelope(body, status):
    parsed = json.loads(body)
    assert parsed == {"code": status, "message": parsed["message"], "timestamp": parsed["timestamp"]}
    assert parsed["timestamp"].endswith("Z")
    return parsed["message"]


@pytest.mark.parametrize(
    ("request_bytes", "status", "message"),
    [
        (
            b"GET /admin/communication/logs?recipient=" + RECIPIENT + b"&x=" + b"a" * 4_000_000 + b" HTTP/1.1\r\n"
            b"Host: x\r\n\r\n",
            414,
            "request line too long: send fewer or shorter query parameters",
        ),
        (
            b"GET /admin/communication/logs?recipient="
            + RECIPIENT
            + b" HTTP/1.1\r\nHost: x\r\nX-Big: "
            + b"b" * 20_000
            + b"\r\n\r\n",
            400,
            "bad request: the request line or a header could not be read",
        ),
        (b"NOT HTTP AT ALL\r\n\r\n", 400, "bad request: the request line or a header could not be read"),
        (
            b"POST /api/auth/token/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200000"
            b"\r\n\r\n" + b"{" * 200_000,
            413,
            "request too large",
        ),
    ],
    ids=["4 MB request line", "20 KB header", "not HTTP", "200 KB body"],
)
def test_what_nginx_refuses_comes_as_the_json_envelope_without_the_request(served, request_bytes, status, message):
    answered, headers, body = raw_http_answer(served, request_bytes)

    assert (answered, headers["content-type"]) == (status, "application/json")
    assert envelope(body, status) == message
    assert RECIPIENT not in body


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /admin/communication/logs?recipient=" + RECIPIENT + b"&x=\xff HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"GET /api/caf\xc3\xa9 HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"GET /api/schema/ HTTP/1.1\r\nHost: localhost\r\nCookie: csrftoken=\x01\r\n\r\n",
        b"GET /api/schema/ HTTP/1.1\r\nHost: localhost\r\nUser-Agent: a\x1fb\r\n\r\n",
        b"GET /api/schema/ HTTP/9.9\r\nHost: localhost\r\n\r\n",
        b"GET /admin/communication/logs?user_id=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"GET /api/schema/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        + b"".join(b"X-%d: 1\r\n" % n for n in range(150))
        + b"\r\n",
    ],
    ids=[
        "raw byte in the line",
        "raw UTF-8 in the path",
        "control in a cookie",
        "control in a header",
        "HTTP/9.9",
        "9 KB line",
        "150 headers",
    ],
)
def test_what_gunicorn_would_refuse_with_a_page_of_its_own_never_reaches_it(served, request_bytes):
    answered, headers, body = raw_http_answer(served, request_bytes)

    assert not headers["content-type"].startswith("text/html")
    if answered >= 400:
        envelope(body, answered)
    assert RECIPIENT not in body


def slow_client(address, stop):
    """A client that sends a header line every half second and never finishes its request."""
    with socket.create_connection(address) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        while not stop.is_set():
            connection.sendall(b"X-Slow: 1\r\n")
            stop.wait(0.5)


def test_slow_and_oversized_clients_do_not_hold_the_worker_from_ordinary_requests(served):
    stop = threading.Event()
    slow = [threading.Thread(target=slow_client, args=(served, stop)) for _ in range(4)]
    for client in slow:
        client.start()
    time.sleep(1)
    try:
        oversized = [raw_http_answer(served, b"GET /?" + b"a" * 4_000_000 + b" HTTP/1.1\r\n\r\n")[0] for _ in range(3)]
        ordinary = [urllib.request.urlopen(f"http://{served[0]}:{served[1]}/", timeout=5).status for _ in range(10)]
        still_sending = all(client.is_alive() for client in slow)
    finally:
        stop.set()
        for client in slow:
            client.join()

    assert oversized == [414, 414, 414]
    assert ordinary == [200] * 10
    assert still_sending


def test_an_ordinary_answer_passes_through_with_djangos_headers(served):
    answered, headers, body = raw_http_answer(
        served, b"GET /api/unknown HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )

    assert answered == 404
    assert envelope(body, 404) == "not found"
    assert "x-request-id" in headers
