"""Every error answer, shaped in one place as the contract's envelope (communication.envelope.error_envelope).

DRF's views raise, and `api_exception_handler` shapes what they raise; `error_response` answers for everything
else (Django's own error pages, the admin's refusals, an unreachable database), and `ErrorEnvelopeMiddleware`
replaces any other error page on the API's routes. errors nginx answers itself are in deploy/nginx.conf.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from communication.envelope import error_envelope
from communication.replica import replica_is_usable

logger = logging.getLogger("commlogs.errors")

RETRY_AFTER_SECONDS = 5
# Where every error is the JSON envelope: the API, and every page of the app's admin.
API_PATH_PREFIXES = ("/api/", "/admin/communication/")
DATABASE_UNAVAILABLE_MESSAGE = "the database is unavailable or too slow; retry later"
STATUS_MESSAGES = {
    400: "bad request",
    401: "authentication credentials were not provided",
    403: "permission denied",
    404: "not found",
    405: "method not allowed",
    413: "request too large",
    429: "too many requests",
    500: "internal server error",
    503: DATABASE_UNAVAILABLE_MESSAGE,
}
# Headers an error page carries that its envelope keeps.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "X-Request-ID")


class ServiceUnavailable(exceptions.APIException):
    """The database (or the audit trail) cannot serve this request right now."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = DATABASE_UNAVAILABLE_MESSAGE
    default_code = "service_unavailable"


class RequestTooLarge(exceptions.APIException):
    """A body larger than Django reads (DATA_UPLOAD_MAX_MEMORY_SIZE)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = STATUS_MESSAGES[413]
    default_code = "request_too_large"


def is_api_path(path):
    return path.startswith(API_PATH_PREFIXES)


def error_response(request, status_code, message=None, *, headers=None):
    """The envelope as JSON, or, for a page outside the API that a browser opened, as a short HTML page."""
    envelope = error_envelope(status_code, message or STATUS_MESSAGES.get(status_code, "error"))
    headers = dict(headers or {})
    if status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
        headers.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    if is_api_path(request.path_info) or "text/html" not in request.headers.get("Accept", ""):
        # As compact as DRF writes the envelope of the errors it answers.
        return JsonResponse(envelope, status=status_code, headers=headers, json_dumps_params={"separators": (",", ":")})
    page = render_to_string("error_page.html", envelope)
    return HttpResponse(page, status=status_code, headers=headers)


def first_error_message(detail):
    """One line naming the offending parameter: `channel: must be one of sms, email, push`."""
    if isinstance(detail, dict):
        field, errors = next(iter(detail.items()))
        message = first_error_message(errors)
        return message if field in ("non_field_errors", "__all__") else f"{field}: {message}"
    if isinstance(detail, list):
        return first_error_message(detail[0]) if detail else STATUS_MESSAGES[400]
    return str(detail)


def as_api_exception(exc):
    """Django's exceptions, and an unreachable database, as the DRF exceptions that answer them."""
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(exc.messages)
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if isinstance(exc, SuspiciousOperation):
        return exceptions.ParseError("the request could not be read")
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.warning("database unavailable: %s", type(exc).__name__)
        return ServiceUnavailable()
    if isinstance(exc, DatabaseError):
        logger.error("database error: %s", type(exc).__name__)
    return exc


def api_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: DRF's handler after Django's exceptions are converted; unknown ones are logged 500s."""
    exc = as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled error in %s", type(context.get("view")).__name__, exc_info=exc)
        return Response(error_envelope(500, STATUS_MESSAGES[500]), status=500)
    response.data = error_envelope(response.status_code, first_error_message(exc.detail))
    if response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """An unknown route under the API: the 404 envelope, never Django's HTML page."""
    return error_response(request, status.HTTP_404_NOT_FOUND)


def is_envelope(response):
    """JSON, or the browsable API's HTML page of the envelope."""
    if response.get("Content-Type", "").startswith("application/json"):
        return True
    renderer = getattr(response, "accepted_renderer", None)
    return renderer is not None and renderer.format == "api"


class ErrorEnvelopeMiddleware:
    """Every error on an API route is the envelope, whatever wrote it (Django, the admin, a DRF view rendering
    YAML or HTML); and a page whose database cannot be reached answers 503 with `Retry-After`, not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or not is_api_path(request.path_info) or is_envelope(response):
            return response
        data = getattr(response, "data", None)
        message = data.get("message") if isinstance(data, dict) else None
        headers = {name: response[name] for name in KEPT_HEADERS if name in response}
        return error_response(request, response.status_code, message, headers=headers)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.warning("database unavailable: %s", type(exception).__name__)
        # A page read from a replica that vanished: the next one reads from the primary.
        replica_is_usable.failed()
        return error_response(request, status.HTTP_503_SERVICE_UNAVAILABLE)
