"""Rate limits: per user on the logs API, per IP and per username on the token endpoint and the admin's login."""

import hashlib

from django.db import connection
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from communication.models import RequestWindow

COUNT_HIT_SQL = """
INSERT INTO {table} AS counted (key, window_number, hits) VALUES (%s, %s, 1)
ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN counted.window_number = excluded.window_number THEN counted.hits + 1 ELSE 1 END,
    window_number = excluded.window_number
RETURNING hits
"""


def count_hit(key, window_number):
    """Count one request against `key` in the window, atomically for every worker; the window's hits so far."""
    with connection.cursor() as cursor:
        cursor.execute(
            COUNT_HIT_SQL.format(table=connection.ops.quote_name(RequestWindow._meta.db_table)), [key, window_number]
        )
        return cursor.fetchone()[0]


class LogsUserThrottle(UserRateThrottle):
    """Requests a minute per user (per IP when anonymous) on the logs API.

    Counted in fixed windows on a table with one upsert per request, rather than DRF's request
    history in the cache, which costs several round trips and races between workers. Refused
    requests count too, so a client that keeps hammering stays refused until the window ends.
    """

    scope = "logs"

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        window_number = int(self.timer() // self.duration)
        self.window_ends_at = (window_number + 1) * self.duration
        return count_hit(key, window_number) <= self.num_requests

    def wait(self):
        return max(1, self.window_ends_at - self.timer())


class TokenIPThrottle(SimpleRateThrottle):
    """Login attempts a minute from one client IP."""

    scope = "token_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenUsernameThrottle(SimpleRateThrottle):
    """Login attempts a minute against one username, whichever IPs they come from."""

    scope = "token_username"

    def get_cache_key(self, request, view):
        username = attempted_username(request)
        if username is None:
            return None
        # Hashed, so the cache never holds a username and any characters make a valid key.
        ident = hashlib.sha256(username.lower().encode(errors="replace")).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


def attempted_username(request):
    """The username a login attempt sent, stripped: DRF's parsed body at the token endpoint, the form's fields
    at the admin's login; None when there is none."""
    try:
        data = request.data if isinstance(request, Request) else request.POST
    except (ParseError, UnsupportedMediaType):
        return None
    username = data.get("username") if hasattr(data, "get") else None
    if not isinstance(username, str) or not username.strip():
        return None
    return username.strip()


LOGIN_THROTTLES = (TokenIPThrottle, TokenUsernameThrottle)


def login_wait_seconds(request):
    """Count a login attempt, at the admin's login form as at the token endpoint (the same counters).

    None while the attempt is within both limits, else the seconds to wait before the next one.
    """
    waits = [
        throttle.wait() for throttle in (cls() for cls in LOGIN_THROTTLES) if not throttle.allow_request(request, None)
    ]
    return max((wait for wait in waits if wait is not None), default=1) if waits else None
