"""Structured logs: one JSON object a line, each carrying the request id echoed in `X-Request-ID`.

No recipient, message content, token or password may reach a log line: messages are scrubbed of
anything shaped like an address, a phone number or a token, and exceptions are logged by type and
stack frames only, because an exception's message can quote the data it failed on.
"""

import contextvars
import json
import logging
import re
import time
import traceback
import uuid
from datetime import UTC, datetime

from django.db import DatabaseError

from communication.masking import mask_recipient

REQUEST_ID_HEADER = "X-Request-ID"
# An id a proxy or client sent is kept only when it is short and plain, so it cannot inject into logs.
INCOMING_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
NO_REQUEST = "-"

current_request_id = contextvars.ContextVar("current_request_id", default=NO_REQUEST)
access_logger = logging.getLogger("commlogs.access")

EMAIL_LIKE = re.compile(r"[^\s@\"'<>()/=&?]+@[^\s@\"'<>()/&?]+")
PHONE_LIKE = re.compile(r"\+?[0-9][0-9 \-]{6,}[0-9]")
CREDENTIAL_LIKE = re.compile(r"(?i)\b(password|passwd|secret|token|authorization)([\"']?\s*[:=]\s*[\"']?)[^\s,\"'&}]+")
AUTHORIZATION_LIKE = re.compile(r"(?i)\b(bearer|token)(\s+)[A-Za-z0-9._~+/=-]{16,}")
TOKEN_KEY_LIKE = re.compile(r"\b[0-9a-fA-F]{32,}\b")
REDACTED = "[redacted]"
# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged as a field.
STANDARD_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def scrub(text):
    """The text with credentials redacted and anything that looks like a recipient masked."""
    for pattern in (CREDENTIAL_LIKE, AUTHORIZATION_LIKE):
        text = pattern.sub(lambda match: f"{match.group(1)}{match.group(2)}{REDACTED}", text)
    text = TOKEN_KEY_LIKE.sub(REDACTED, text)
    text = EMAIL_LIKE.sub(lambda match: mask_recipient(match.group(0)), text)
    return PHONE_LIKE.sub(lambda match: mask_recipient(match.group(0)), text)


def scrub_value(value):
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    return scrub(str(value))


def exception_fields(exc_info):
    """The exception's type and where it was raised, without its message."""
    exc_type, _, exc_traceback = exc_info
    frames = [f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in traceback.extract_tb(exc_traceback)]
    return {"exception": f"{exc_type.__module__}.{exc_type.__qualname__}", "stack": frames}


def message_of(record):
    """The record's message; Django's `Not Found: <path>` lines keep only the reason, as a path can hold a recipient."""
    if record.name == "django.request" and record.msg == "%s: %s" and len(record.args) == 2:
        return str(record.args[0])
    return record.getMessage()


class JsonLinesFormatter(logging.Formatter):
    """Format each record as one JSON object with time, level, logger, message and request id."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(message_of(record)),
            "request_id": current_request_id.get(),
        }
        # Django logs a finished request's errors after the middleware is done, with the request attached.
        request = getattr(record, "request", None)
        if hasattr(request, "request_id"):
            entry["request_id"] = request.request_id
        for name, value in vars(record).items():
            if name not in STANDARD_RECORD_ATTRIBUTES and name not in entry and name != "request":
                entry[name] = scrub_value(value)
        if record.exc_info and record.exc_info[0] is not None:
            entry.update(exception_fields(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def request_id_for(request):
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    return incoming if INCOMING_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def authenticated_user_id(request):
    """The id of the user the view authenticated, or None; never a database error in the access log."""
    try:
        user = getattr(request, "user", None)
        return user.pk if user is not None and user.is_authenticated else None
    except DatabaseError:
        return None


class RequestIdMiddleware:
    """Give each request an id for its log lines, echo it in `X-Request-ID`, and log one access line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id = request_id_for(request)
        token = current_request_id.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            match = request.resolver_match
            # The route pattern, not the path: a path or query string can carry a recipient.
            access_logger.info(
                "request",
                extra={
                    "method": request.method,
                    "route": match.route if match else "unmatched",
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    "user_id": authenticated_user_id(request),
                },
            )
            return response
        finally:
            current_request_id.reset(token)
