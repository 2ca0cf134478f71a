"""What every answer passes through: the API's routes stay JSON, outages are 503s, and no cache keeps a copy."""

import logging

from django.db import InterfaceError, OperationalError
from django.utils.cache import add_never_cache_headers
from whitenoise.middleware import WhiteNoiseMiddleware

from commlogs_site.envelope import error_response
from commlogs_site.errors import RETRY_AFTER_SECONDS, message_for_status
from commlogs_site.views import status_page

logger = logging.getLogger("commlogs.errors")

# The API, and every page of the app's admin: their errors are the contract's envelope.
API_PATH_PREFIXES = ("/api/", "/admin/communication/")


def is_api_path(path):
    return path.startswith(API_PATH_PREFIXES)


class JsonErrorsOnApiRoutesMiddleware:
    """Answer every error on an API route with the contract's JSON envelope, whatever wrote it: Django's own
    pages, the admin's, or a DRF view rendering to another format (the schema's YAML, the docs' HTML). The
    browsable API's page of an error stays: it shows the envelope to a browser that asked for HTML."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or not is_api_path(request.path_info) or is_envelope(response):
            return response
        status_code = response.status_code
        data = getattr(response, "data", None)
        message = data.get("message") if isinstance(data, dict) else None
        json_response = error_response(status_code, message or message_for_status(status_code))
        for header in ("Allow", "Retry-After", "WWW-Authenticate", "X-Request-ID"):
            if header in response:
                json_response[header] = response[header]
        if status_code == 503 and "Retry-After" not in json_response:
            json_response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return json_response


def is_envelope(response):
    """JSON, or the browsable API's HTML page of the envelope."""
    if response.get("Content-Type", "").startswith("application/json"):
        return True
    renderer = getattr(response, "accepted_renderer", None)
    return renderer is not None and renderer.format == "api"


class NeverCachedMiddleware:
    """Tell browsers and proxies to store no answer that did not set its own caching, as Django's admin does.

    Pages, exports and tokens hold personal data or credentials, which must not stay in a browser's
    cache on a shared desk or in a proxy. Static files keep WhiteNoise's long cache lifetimes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


class DatabaseUnavailablePageMiddleware:
    """A page outside the API (the admin, its login) whose database cannot be reached answers 503 with
    `Retry-After`, not Django's "Server Error (500)": an outage that staff and monitors can tell from a bug.

    The API's views answer the same in the envelope themselves (commlogs_site/errors.py).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.warning("database unavailable: %s", type(exception).__name__)
        return status_page(
            "Service unavailable",
            "The database cannot be reached just now, so nothing can be shown or recorded. "
            "Nothing was lost: retry in a few seconds.",
            status=503,
            retry_after_seconds=RETRY_AFTER_SECONDS,
        )


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, keeping a file whose name holds its hash a year in caches (`immutable`), not ten."""

    FOREVER = 365 * 24 * 60 * 60
