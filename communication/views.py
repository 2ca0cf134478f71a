"""The logs API: `GET /admin/communication/logs`, and the token endpoint frontends log in with."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in, user_login_failed
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response

from commlogs_site.database import cap_statement_time
from communication.accounts import LoginLockedOut, is_locked_out, username_as_text
from communication.audit import AuditedReadMixin
from communication.filters import LogFilterBackend, LogFilterSet
from communication.models import CommunicationLog
from communication.pagination import LogPagination
from communication.parsers import BoundedJSONParser
from communication.permissions import CanViewCommunicationLogs
from communication.schema import list_logs_schema, token_schema
from communication.serializers import CommunicationLogSerializer, CredentialsSerializer
from communication.throttling import LogsUserThrottle
from communication.tokens import token_to_hand_out


class LogReadView(AuditedReadMixin, generics.GenericAPIView):
    """What every staff read of the logs shares: rows newest first, filters, permission, throttle and audit."""

    queryset = CommunicationLog.objects.order_by("-created_at", "-id")
    serializer_class = CommunicationLogSerializer
    filter_backends = [LogFilterBackend]
    filterset_class = LogFilterSet
    permission_classes = [IsAdminUser, CanViewCommunicationLogs]
    throttle_classes = [LogsUserThrottle]

    def initial(self, request, *args, **kwargs):
        # Before authentication, so the token and throttle lookups are capped like the read and the audit write.
        cap_statement_time(settings.API_STATEMENT_TIMEOUT_MS)
        super().initial(request, *args, **kwargs)


@list_logs_schema
class CommunicationLogListView(LogReadView, generics.ListAPIView):
    """Staff query the send logs of any user, newest first, filtered and paged."""

    pagination_class = LogPagination


@token_schema
class TokenView(generics.GenericAPIView):
    """`POST /api/auth/token/` with `username` and `password` returns `{"token": "..."}`."""

    serializer_class = CredentialsSerializer
    parser_classes = [BoundedJSONParser, FormParser]
    authentication_classes = []
    permission_classes = []

    def post(self, request, *args, **kwargs):
        """A token that has not expired for good credentials (communication/tokens.py); every failure counts
        against the client's and the account's login limit, whatever shape the credentials came in."""
        credentials = self.get_serializer(data=request.data)
        if not credentials.is_valid():
            attempted = username_as_text(request.data.get("username")) if hasattr(request.data, "get") else None
            user_login_failed.send(sender=type(self), credentials={"username": attempted}, request=request)
            self.raise_if_locked_out(request)
            raise ValidationError(credentials.errors)
        user = authenticate(request=request, **credentials.validated_data)
        self.raise_if_locked_out(request)
        if user is None:
            raise ValidationError("Unable to log in with provided credentials.")
        user_logged_in.send(sender=type(user), request=request, user=user)
        return Response({"token": token_to_hand_out(user).key})

    def raise_if_locked_out(self, request):
        if is_locked_out(request):
            raise LoginLockedOut()
