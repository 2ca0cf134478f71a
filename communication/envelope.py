"""The contract's response envelope and its time format: `{code, message, timestamp, ...}`, RFC 3339 in UTC."""

from datetime import UTC

from django.utils import timezone

SUCCESS_CODE = 0
SUCCESS_MESSAGE = "success"


def rfc3339(moment):
    """`2026-04-15T10:00:00Z`: UTC, whole seconds, `Z`; a missing time is `""`."""
    if moment is None:
        return ""
    # isoformat() writes a year before 1000 with four digits, as RFC 3339 requires; strftime's %Y does not.
    return moment.astimezone(UTC).isoformat(timespec="seconds")[:19] + "Z"


def success_envelope(**fields):
    return {"code": SUCCESS_CODE, "message": SUCCESS_MESSAGE, "timestamp": rfc3339(timezone.now()), **fields}


def error_envelope(status_code, message):
    """The body of every error the service answers: the HTTP status, one line, and the time."""
    return {"code": status_code, "message": message, "timestamp": rfc3339(timezone.now())}
