"""The contract's response envelope and its time format: `{code, message, timestamp, ...}`, RFC 3339 in UTC."""

from datetime import UTC

from django.utils import timezone

from communication.masking import mask_personal_data

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
    """The body of every error the service answers: the HTTP status, one line, and the time. A message that quotes
    the request (a method, a media type) has the personal data in it masked."""
    return {"code": status_code, "message": mask_personal_data(message), "timestamp": rfc3339(timezone.now())}
