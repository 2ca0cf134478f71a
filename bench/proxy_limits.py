"""`make bench-proxy`: how fast nginx refuses a 4 MB request line, and what slow and oversized clients cost the
ordinary requests served beside them by one gunicorn worker (`tools/serve.sh`)."""

import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
OVERSIZED = b"GET /?" + b"a" * 4_000_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
ORDINARY_REQUESTS = 200


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def refusal_seconds(port):
    """Seconds from the first byte of a 4 MB request line to the end of nginx's answer."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        with contextlib.suppress(OSError):
            client.sendall(OVERSIZED)
        while client.recv(65536):
            pass
    return time.perf_counter() - started


def ordinary_milliseconds(port):
    started = time.perf_counter()
    urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read()
    return (time.perf_counter() - started) * 1000


def slow_client(port, stop):
    """Sends a header line every half second and never finishes its request."""
    with socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        while not stop.wait(0.5):
            client.sendall(b"X-Slow: 1\r\n")


def oversized_client(port, stop, refusals):
    """Sends a 4 MB request line ten times a second."""
    while not stop.wait(0.1):
        refusals.append(refusal_seconds(port))


def summary(label, milliseconds):
    ordered = sorted(milliseconds)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(f"| {label} | {len(ordered)} | {statistics.median(ordered):.1f} | {p95:.1f} | {ordered[-1]:.1f} |")


def main():
    port = free_port()
    environment = {
        "DJANGO_SECRET_KEY": "bench-proxy-limits",
        **os.environ,
        "SERVE_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "DJANGO_DEBUG": "0",
    }
    collectstatic = [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"]
    subprocess.run(collectstatic, cwd=BASE_DIR, env=environment, check=True)
    server = subprocess.Popen(
        [BASE_DIR / "tools" / "serve.sh"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(150):
            try:
                ordinary_milliseconds(port)
                break
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        quiet = [ordinary_milliseconds(port) for _ in range(ORDINARY_REQUESTS)]
        stop, refusals = threading.Event(), []
        clients = [threading.Thread(target=slow_client, args=(port, stop)) for _ in range(4)]
        clients += [threading.Thread(target=oversized_client, args=(port, stop, refusals)) for _ in range(2)]
        for client in clients:
            client.start()
        time.sleep(1)
        busy = [ordinary_milliseconds(port) for _ in range(ORDINARY_REQUESTS)]
        stop.set()
        for client in clients:
            client.join()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
    print("| requests | count | median ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    summary("ordinary, nothing else", quiet)
    summary("ordinary, beside 4 slow clients and 2 sending 4 MB lines ten times a second", busy)
    summary("4 MB request line, until refused (414)", [seconds * 1000 for seconds in refusals])


if __name__ == "__main__":
    main()
