"""The contract's response envelope and its time format, shared by every response we build."""

import json
from datetime import UTC

from django.http import HttpResponse
from django.utils import timezone

SUCCESS_CODE = 0
SUCCESS_MESSAGE = "success"


def rfc3339(moment):
    """`2026-04-15T10:00:00Z`: UTC, whole seconds, `Z`; a missing time is `""`."""
    if moment is None:
        return ""
    # isoformat() writes a year before 1000 with four digits, as RFC 3339 requires; strftime's %Y does not.
    return moment.astimezone(UTC).isoformat(timespec="seconds")[:19] + "Z"


def rfc3339_sql(column):
    """SQL for rfc3339() of the PostgreSQL `timestamptz` expression `column`, written by the database.

    to_char() cuts to whole seconds as rfc3339() does. A time outside RFC 3339's four-digit years
    (BC, from year 10000, +/-infinity), which Python cannot hold either, comes as PostgreSQL's own
    text rather than as a wrong RFC 3339 time. NULL stays NULL.
    """
    return (
        f"CASE WHEN {column} >= '0001-01-01T00:00:00Z' AND {column} < '10000-01-01T00:00:00Z' "
        f"""THEN to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') ELSE {column}::text END"""
    )


def success_envelope(**fields):
    return {"code": SUCCESS_CODE, "message": SUCCESS_MESSAGE, "timestamp": rfc3339(timezone.now()), **fields}


def error_envelope(status_code, message):
    return {"code": status_code, "message": message, "timestamp": rfc3339(timezone.now())}


def error_body(status_code, message):
    """The error envelope as JSON bytes, written as compactly as DRF's answers are: for what is not DRF."""
    return json.dumps(error_envelope(status_code, message), separators=(",", ":")).encode()


def error_response(status_code, message):
    """The error envelope as a response outside DRF."""
    return HttpResponse(error_body(status_code, message), status=status_code, content_type="application/json")
