"""Token authentication that accepts both `Bearer <token>` and `Token <token>`."""

import re

from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

# DRF's authtoken keys are 40 hexadecimal characters; anything else cannot match one.
TOKEN_KEY_PATTERN = re.compile(r"[0-9a-fA-F]{1,40}")


class BearerTokenAuthentication(TokenAuthentication):
    """DRF's authtoken, under the `Bearer` keyword that frontends send and the `Token` one DRF uses."""

    keywords = ("bearer", "token")

    def authenticate(self, request):
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower().decode(errors="replace") not in self.keywords:
            return None
        self.keyword = auth[0].decode()
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        # Checked before the lookup: PostgreSQL rejects a NUL byte in a query parameter outright.
        if not TOKEN_KEY_PATTERN.fullmatch(key):
            raise AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
