"""Structured logs (python-json-logger): one JSON object a line, each with the request id echoed in `X-Request-ID`.

No recipient, message content, token or password may reach a log line: messages and fields are masked where
they look like an address, a phone number, a token or a credential, and exceptions are logged by type and
stack frames only, because an exception's message can quote the data it failed on.
"""

import contextvars
import logging
import re
import time
import traceback
import uuid

from django.db import DatabaseError
from pythonjsonlogger.json import JsonFormatter

from communication.masking import mask_personal_data

REQUEST_ID_HEADER = "X-Request-ID"
# An id a proxy or client sent is kept only when it is short and plain (a UUID, a proxy's id), so it cannot inject
# into logs; not shaped like the platform's ids (`usr_...`), which may hold a phone number.
INCOMING_REQUEST_ID = re.compile(r"[A-Za-z0-9.-]{1,64}")
CREDENTIAL_LIKE = re.compile(r"(?i)\b(password|passwd|secret|token|authorization)([\"']?\s*[:=]\s*[\"']?)[^\s,\"'&}]+")
AUTHORIZATION_LIKE = re.compile(r"(?i)\b(bearer|token)(\s+)[A-Za-z0-9._~+/=-]{16,}")
TOKEN_KEY_LIKE = re.compile(r"\b[0-9a-fA-F]{32,}\b")
REDACTED = "[redacted]"

current_request_id = contextvars.ContextVar("current_request_id", default="-")
access_logger = logging.getLogger("commlogs.access")


def scrub(value):
    """The value with credentials redacted and anything that looks like a recipient masked; numbers as they are."""
    if isinstance(value, bool | int | float) or value is None:
        return value
    text = str(value)
    for pattern in (CREDENTIAL_LIKE, AUTHORIZATION_LIKE):
        text = pattern.sub(lambda match: f"{match[1]}{match[2]}{REDACTED}", text)
    return mask_personal_data(TOKEN_KEY_LIKE.sub(REDACTED, text))


class JsonLinesFormatter(JsonFormatter):
    """python-json-logger's formatter: time, level, logger, message and request id, every value scrubbed."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "{levelname}{name}{message}")
        kwargs.setdefault("style", "{")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)

    def add_fields(self, log_data, record, message_dict):
        super().add_fields(log_data, record, message_dict)
        log_data["time"] = log_data["time"].isoformat(timespec="milliseconds")
        # Django logs a finished request's errors after the middleware is done, with the request attached.
        request = log_data.pop("request", None)
        log_data["request_id"] = getattr(request, "request_id", None) or current_request_id.get()
        if record.name == "django.request" and record.msg == "%s: %s" and len(record.args) == 2:
            # `Not Found: <path>` keeps only the reason: a path can hold a recipient.
            log_data["message"] = str(record.args[0])

    def process_log_record(self, log_data):
        return {name: value if name in ("time", "request_id") else scrub(value) for name, value in log_data.items()}

    def formatException(self, exc_info):
        """The exception's type and where it was raised, without its message."""
        exc_type, _, exc_traceback = exc_info
        frames = [f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in traceback.extract_tb(exc_traceback)]
        return f"{exc_type.__module__}.{exc_type.__qualname__} at " + " < ".join(reversed(frames))


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
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        plain = INCOMING_REQUEST_ID.fullmatch(incoming) and mask_personal_data(incoming) == incoming
        request.request_id = incoming if plain else uuid.uuid4().hex
        token = current_request_id.set(request.request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request.request_id
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
