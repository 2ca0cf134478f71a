"""The rate limit of the logs API: requests a minute per user, counted in Django's cache by DRF's throttle."""

from rest_framework.throttling import UserRateThrottle


class LogsUserThrottle(UserRateThrottle):
    """Requests a minute per user (per IP when anonymous) on the logs API and its CSV export."""

    scope = "logs"
