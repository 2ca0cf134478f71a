"""Site-wide middleware: no cache keeps an answer, and static files are served to be cached a year."""

from django.utils.cache import add_never_cache_headers
from whitenoise.middleware import WhiteNoiseMiddleware


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


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, keeping a file whose name holds its hash a year in caches (`immutable`), not ten."""

    FOREVER = 365 * 24 * 60 * 60
