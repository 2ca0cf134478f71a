"""The logs API, `GET /admin/communication/logs`, and the token endpoint frontends log in with."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections, router
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAdminUser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from communication.accounts import LoginLockedOut, is_locked_out, username_as_text
from communication.api.filters import LogFilterSet
from communication.api.pagination import LogPagination
from communication.api.permissions import CanViewCommunicationLogs
from communication.api.schema import list_logs_schema, token_schema
from communication.api.serializers import CommunicationLogSerializer, CredentialsSerializer
from communication.api.throttling import LogsUserThrottle
from communication.audit.mixins import AuditedReadMixin
from communication.models import CommunicationLog
from communication.replica import replica_is_usable
from communication.tokens import token_to_hand_out


def cap_statement_time(milliseconds, using=DEFAULT_DB_ALIAS):
    """Have PostgreSQL cancel any statement of this connection that runs past `milliseconds` (0: no limit).

    A session setting, made once per connection rather than in a transaction around each request: the API's
    requests set it, management commands, which never do, run uncapped.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    connection.ensure_connection()
    wanted = str(int(milliseconds))
    if getattr(connection.connection, "commlogs_statement_timeout", None) != wanted or connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [wanted])
        # A rollback undoes a setting made inside a transaction, so only one made outside is remembered.
        if not connection.in_atomic_block:
            connection.connection.commlogs_statement_timeout = wanted


class LogReadView(AuditedReadMixin, generics.GenericAPIView):
    """What every staff read of the logs shares: rows newest first, filters, permission, throttle and audit."""

    queryset = CommunicationLog.objects.all()
    serializer_class = CommunicationLogSerializer
    filterset_class = LogFilterSet
    permission_classes = [IsAdminUser, CanViewCommunicationLogs]
    throttle_classes = [LogsUserThrottle]

    def initial(self, request, *args, **kwargs):
        # Before authentication, so the token and throttle lookups are capped like the read and the audit write.
        self.reads_from = router.db_for_read(CommunicationLog)
        for using in {DEFAULT_DB_ALIAS, self.reads_from}:
            cap_statement_time(settings.API_STATEMENT_TIMEOUT_MS, using)
        super().initial(request, *args, **kwargs)

    def get_queryset(self):
        """The logs, all read from one database for the whole request (a replica, or the primary)."""
        return super().get_queryset().using(self.reads_from)

    def handle_exception(self, exc):
        """A replica that vanishes mid-request: the request is answered again from the primary."""
        lost_replica = getattr(self, "reads_from", DEFAULT_DB_ALIAS) != DEFAULT_DB_ALIAS and isinstance(
            exc, (OperationalError, InterfaceError)
        )
        if lost_replica and replica_is_usable.failed():
            self.reads_from = DEFAULT_DB_ALIAS
            handler = getattr(self, self.request.method.lower(), self.http_method_not_allowed)
            try:
                return handler(self.request, *self.args, **self.kwargs)
            except Exception as on_primary:
                exc = on_primary
        return super().handle_exception(exc)


@list_logs_schema
class CommunicationLogListView(LogReadView, generics.ListAPIView):
    """Staff query the send logs of any user, newest first, filtered and paged."""

    pagination_class = LogPagination


@token_schema
class TokenView(generics.GenericAPIView):
    """`POST /api/auth/token/` with `username` and `password` returns `{"token": "..."}`."""

    serializer_class = CredentialsSerializer
    # JSON only: a login form is no page to browse.
    renderer_classes = [JSONRenderer]
    authentication_classes = []
    permission_classes = []

    def post(self, request, *args, **kwargs):
        """A token that has not expired for good credentials; every failure counts against the client's and the
        account's login limit, whatever shape the credentials came in."""
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
