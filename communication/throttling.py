"""Rate limits: per user on the logs API, per IP and per username on the token endpoint."""

import hashlib

from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle


class LogsUserThrottle(UserRateThrottle):
    """Requests a minute per user (per IP when anonymous) on the logs API."""

    scope = "logs"


class TokenIPThrottle(SimpleRateThrottle):
    """Login attempts a minute from one client IP."""

    scope = "token_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenUsernameThrottle(SimpleRateThrottle):
    """Login attempts a minute against one username, whichever IPs they come from."""

    scope = "token_username"

    def get_cache_key(self, request, view):
        try:
            data = request.data
        except (ParseError, UnsupportedMediaType):
            return None
        username = data.get("username") if hasattr(data, "get") else None
        if not isinstance(username, str) or not username.strip():
            return None
        # Hashed, so the cache never holds a username and any characters make a valid key.
        ident = hashlib.sha256(username.strip().lower().encode(errors="replace")).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
