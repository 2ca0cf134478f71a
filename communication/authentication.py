"""Token authentication that accepts both `Bearer <token>` and `Token <token>`."""

from rest_framework.authentication import TokenAuthentication, get_authorization_header


class BearerTokenAuthentication(TokenAuthentication):
    """DRF's authtoken, under the `Bearer` keyword that frontends send and the `Token` one DRF uses."""

    keywords = ("bearer", "token")

    def authenticate(self, request):
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower().decode(errors="replace") not in self.keywords:
            return None
        self.keyword = auth[0].decode()
        return super().authenticate(request)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
