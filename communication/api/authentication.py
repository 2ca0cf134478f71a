"""DRF's authtoken under the `Bearer` keyword that frontends send (and `Token`, DRF's own), with token expiry."""

import re

from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from communication.tokens import has_expired

# DRF's authtoken keys are 40 hexadecimal characters; anything else cannot match one.
TOKEN_KEY_PATTERN = re.compile(r"[0-9a-fA-F]{1,40}")


class BearerTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, with either keyword; a token past its maximum age is refused."""

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
        user, token = super().authenticate_credentials(key)
        if has_expired(token):
            raise AuthenticationFailed("Token has expired; log in again for a new one.")
        return user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
