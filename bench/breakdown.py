"""Where one request's time goes: each step the product adds to the floor, timed in-process on the bench data.

Run from bench/run.py after django.setup(). Each figure is the median of many runs of that step alone,
so the steps do not add up exactly to the whole request; "everything else" is the remainder (DRF's
dispatch, middleware, the request log line).
"""

import statistics
import time

from django.db import connection
from django.http import QueryDict
from django.test import Client, override_settings
from rest_framework.authtoken.models import Token

from commlogs_site.database import cap_statement_time
from commlogs_site.renderers import OrjsonRenderer
from communication.audit import record_audit_event
from communication.auth_backends import permissions_of
from communication.authentication import token_with_user
from communication.filters import LogFilterSet
from communication.models import CONTRACT_FIELDS, AuditEvent, CommunicationLog
from communication.serializers import CommunicationLogSerializer
from communication.throttling import count_hit
from communication.totals import read_rows_with_total

LOGS_PATH = "/admin/communication/logs"
RUNS = 300


def median_ms(step, runs=RUNS):
    for _ in range(20):
        step()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def request_breakdown(token_key):
    """Median milliseconds of a whole page-1 request, of the floor, and of each step in between."""
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_key}", "HTTP_ACCEPT": "application/json", "HTTP_HOST": "localhost"}
    queryset = CommunicationLog.objects.order_by("-created_at", "-id")
    filterset = LogFilterSet(QueryDict(), queryset=queryset)
    filterset.is_valid()
    rows, _ = read_rows_with_total(
        filterset.qs, filterset.form.cleaned_data, CONTRACT_FIELDS, 0, 20, rfc3339_times=True
    )
    serializer = CommunicationLogSerializer(rows, many=True)
    items = serializer.data
    user = Token.objects.get(key=token_key).user

    def filters():
        built = LogFilterSet(QueryDict(), queryset=queryset)
        built.is_valid()
        return built.qs

    steps = {
        "whole request (no filter, page 1)": lambda: client.get(LOGS_PATH, **headers),
        "statement timeout (SET)": lambda: cap_statement_time(5000),
        "token lookup": lambda: token_with_user(Token, token_key),
        "permission check": lambda: permissions_of(user.pk),
        "throttle upsert": lambda: count_hit("bench_breakdown", 1),
        "filters (FilterSet, cleaning)": filters,
        "rows and total (one query)": lambda: read_rows_with_total(
            filterset.qs, {}, CONTRACT_FIELDS, 0, 20, rfc3339_times=True
        ),
        "serialize 20 rows": lambda: CommunicationLogSerializer(rows, many=True).data,
        "render JSON": lambda: OrjsonRenderer().render({"items": items}),
        "audit INSERT": lambda: record_audit_event(
            actor=user, action=AuditEvent.Action.LIST, status_code=200, total=len(rows), client_ip="127.0.0.1"
        ),
    }
    timings = {name: median_ms(step) for name, step in steps.items()}
    with override_settings(ROOT_URLCONF="bench.urls"):
        timings["floor request (auth, permission, empty envelope)"] = median_ms(
            lambda: client.get("/bench/floor", **headers)
        )
    cap_statement_time(0)
    connection.close()
    return timings
