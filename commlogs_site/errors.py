"""The one exception handler: every API error becomes the contract's `{code, message, timestamp}`."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from commlogs_site.envelope import error_envelope

logger = logging.getLogger("commlogs.errors")

RETRY_AFTER_SECONDS = 5
INTERNAL_ERROR_MESSAGE = "internal server error"
DATABASE_UNAVAILABLE_MESSAGE = "the database is unavailable or too slow; retry later"

STATUS_MESSAGES = {
    400: "bad request",
    401: "authentication credentials were not provided",
    403: "permission denied",
    404: "not found",
    405: "method not allowed",
    413: "request too large",
    414: "request line too long: send fewer or shorter query parameters",
    429: "too many requests",
    500: INTERNAL_ERROR_MESSAGE,
    503: DATABASE_UNAVAILABLE_MESSAGE,
}


class RequestTooLarge(exceptions.APIException):
    """A body larger than Django reads (DATA_UPLOAD_MAX_MEMORY_SIZE)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "request too large"
    default_code = "request_too_large"


class ServiceUnavailable(exceptions.APIException):
    """The database (or the audit trail) cannot serve this request right now."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = DATABASE_UNAVAILABLE_MESSAGE
    default_code = "service_unavailable"


def message_for_status(status_code):
    return STATUS_MESSAGES.get(status_code, "error")


def first_error_message(detail):
    """One line naming the offending parameter: `channel: must be one of sms, email, push`."""
    if isinstance(detail, dict):
        field, errors = next(iter(detail.items()))
        message = first_error_message(errors)
        if field in ("non_field_errors", "__all__"):
            return message
        return f"{field}: {message}"
    if isinstance(detail, list):
        return first_error_message(detail[0]) if detail else message_for_status(400)
    return str(detail)


def api_exception_handler(exc, context):
    """Wrap DRF's handler: convert Django's exceptions first, keep unknown ones as logged 500s."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.messages)
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError("the request could not be read")
    elif isinstance(exc, (OperationalError, InterfaceError)):
        logger.warning("database unavailable: %s", type(exc).__name__)
        exc = ServiceUnavailable()
    elif isinstance(exc, DatabaseError):
        logger.error("database error: %s", type(exc).__name__)

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled error in %s", type(context.get("view")).__name__, exc_info=exc)
        return Response(error_envelope(500, INTERNAL_ERROR_MESSAGE), status=500)

    response.data = error_envelope(response.status_code, first_error_message(exc.detail))
    if response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
