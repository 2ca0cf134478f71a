"""The logs API: `GET /admin/communication/logs`, and the token endpoint frontends log in with."""

from django.conf import settings
from rest_framework import generics
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response

from commlogs_site.database import cap_statement_time
from communication.audit import AuditedReadMixin, found_database_unreachable, record_account_event
from communication.filters import LogFilterBackend, LogFilterSet
from communication.models import AuditEvent, CommunicationLog
from communication.pagination import LogPagination
from communication.permissions import CanViewCommunicationLogs
from communication.schema import list_logs_schema, token_schema
from communication.serializers import CommunicationLogSerializer
from communication.throttling import LOGIN_THROTTLES, LogsUserThrottle
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
class TokenView(ObtainAuthToken):
    """`POST /api/auth/token/` with `username` and `password` returns `{"token": "..."}`."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = LOGIN_THROTTLES

    def post(self, request, *args, **kwargs):
        """DRF's login, handing out a token that has not expired (communication/tokens.py)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.logged_in = serializer.validated_data["user"]
        return Response({"token": token_to_hand_out(self.logged_in).key})

    def finalize_response(self, request, response, *args, **kwargs):
        """Every attempt, let in, refused or throttled, is recorded in the audit trail."""
        if request.method == "POST" and not found_database_unreachable(response):
            record_account_event(
                request,
                action=AuditEvent.Action.LOGIN,
                door="token",
                status_code=response.status_code,
                user=getattr(self, "logged_in", None),
            )
        return super().finalize_response(request, response, *args, **kwargs)
