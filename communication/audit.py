"""The one place that writes `AuditEvent` rows: who read or changed whose logs, and when."""

import functools
import ipaddress
import logging
from contextlib import nullcontext

from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.status import is_success
from rest_framework.throttling import BaseThrottle

from commlogs_site.envelope import error_response
from commlogs_site.errors import RETRY_AFTER_SECONDS, ServiceUnavailable
from communication.filters import is_control_character
from communication.masking import mask_parameter, mask_personal_data, mask_recipient
from communication.models import AuditEvent

logger = logging.getLogger("commlogs.audit")

USER_AGENT_MAX_LENGTH = 512
FILTER_VALUE_MAX_LENGTH = 320
ACTOR_USERNAME_MAX_LENGTH = 150
AUDIT_UNAVAILABLE_MESSAGE = "the read could not be recorded in the audit trail; retry later"
# Events of a staff member's account, not reads: none hands over logs, so none is fail-closed.
ACCOUNT_ACTIONS = {AuditEvent.Action.LOGIN, AuditEvent.Action.LOGOUT, AuditEvent.Action.PASSWORD_CHANGE}


def printable(text):
    """The text with control characters replaced: PostgreSQL refuses NUL in text and JSON."""
    return "".join("\ufffd" if is_control_character(character) else character for character in text)


def masked_filters(params, names, *, refused=()):
    """The filters a request used, values cut to a sane length: a recipient filter masked, phone numbers and
    addresses in any other value masked, and the values of `refused` parameters masked whole."""
    filters = {}
    for name in [*names, *refused]:
        values = [value for value in params.getlist(name) if value]
        if values:
            shown = [mask_recipient(value) if name in refused else mask_parameter(name, value) for value in values]
            filters[name] = printable(",".join(shown)[:FILTER_VALUE_MAX_LENGTH])
    return filters


def record_audit_event(
    *, actor, action, status_code=None, filters=None, total=None, client_ip=None, user_agent="", actor_username=""
):
    """Append one audit event; an anonymous or unsaved actor is recorded as none, or as `actor_username`."""
    known_actor = actor if actor is not None and getattr(actor, "pk", None) else None
    event = {
        "actor_id": known_actor.pk if known_actor else None,
        "actor_username": known_actor.get_username() if known_actor else actor_username[:ACTOR_USERNAME_MAX_LENGTH],
        "action": action,
        "created_at": timezone.now(),
        "status_code": status_code,
        "filters": filters or {},
        "total": total,
        "client_ip": client_ip,
        "user_agent": printable(mask_personal_data((user_agent or "")[:USER_AGENT_MAX_LENGTH])),
    }
    # Inside a caller's transaction a savepoint keeps it usable if the write fails; alone the INSERT is atomic.
    with transaction.atomic() if connection.in_atomic_block else nullcontext():
        insert_audit_row(event)


def insert_audit_row(event):
    """INSERT one `AuditEvent` from its field values: `create()` costs a model instance and a compiled query."""
    fields = [AuditEvent._meta.get_field(name) for name in event]
    with connection.cursor() as cursor:
        cursor.execute(
            insert_sql(tuple(field.column for field in fields)),
            [field.get_db_prep_save(value, connection) for field, value in zip(fields, event.values(), strict=True)],
        )


@functools.cache
def insert_sql(columns):
    quote = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * len(columns))
    return f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({', '.join(map(quote, columns))}) VALUES ({placeholders})"


def client_ip_of(request):
    """The client's IP as the throttles see it (honouring NUM_PROXIES), or None when it is not an IP."""
    ident = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(ident))
    except ValueError:
        return None


def recorded_or_refused(request, *, action, status_code, filters, total, actor=None):
    """Record one request; False for a successful read whose event could not be written, which must be refused.

    The event holds `actor`, else the request's user (none when the database cannot tell), and the
    client IP and user agent. When the answer hands over no logs (a denial, an error, a login), a
    failed write is logged and the answer stands.
    """
    if actor is None:
        try:
            actor = request.user
        except DatabaseError:
            actor = None
    try:
        record_audit_event(
            actor=actor,
            action=action,
            status_code=status_code,
            filters=filters,
            total=total,
            client_ip=client_ip_of(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except DatabaseError as exc:
        if is_success(status_code) and action not in ACCOUNT_ACTIONS:
            logger.error("read refused: its audit event could not be recorded (%s)", type(exc).__name__)
            return False
        logger.warning("audit event (%s, %s) not recorded (%s)", action, status_code, type(exc).__name__)
    return True


def found_database_unreachable(response):
    """True (and logged) for a 503 answered because the database could not be reached just now: another
    connect attempt to record it would only double the wait."""
    if response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE and connection.connection is None:
        logger.warning("audit event for a 503 answer not recorded: the database is unreachable")
        return True
    return False


def record_account_event(request, *, action, door, status_code, user=None):
    """Record a login attempt, a logout or a password change at `door` ("token" or "admin"): 200 done,
    400 refused, 429 locked out; `user` is the account it named, if any.

    Not fail-closed: none of these hands over logs, and every read with the session or token a login opens
    is recorded on its own.
    """
    # Nobody rather than the request's user: a session may be open in the browser that tries another account.
    actor = user if user is not None else AnonymousUser()
    recorded_or_refused(request, action=action, status_code=status_code, filters={"via": door}, total=None, actor=actor)


class AuditedReadMixin:
    """Record an `AuditEvent` for every request to the view, allowed or denied; refuse a read it cannot record.

    The record is written after the response is decided, so it knows the status and the total. If that
    write fails for a successful read, the reader gets a 503 instead of unaudited personal data.
    """

    # What the audit trail calls a request to this view.
    audit_action = AuditEvent.Action.LIST

    def get_audit_filter_names(self):
        """The query parameters worth recording: the filters and the paging."""
        names = list(self.filterset_class.base_filters) if getattr(self, "filterset_class", None) else []
        paginator = getattr(self, "paginator", None)
        if paginator is not None:
            names += [paginator.page_query_param, paginator.page_size_query_param]
        return names

    def get_audit_total(self, response):
        """The rows this response handed over: the list's `total`; None when it handed over none."""
        data = getattr(response, "data", None)
        if is_success(response.status_code) and isinstance(data, dict):
            return data.get("total")
        return None

    def finalize_response(self, request, response, *args, **kwargs):
        if found_database_unreachable(response):
            return super().finalize_response(request, response, *args, **kwargs)
        recorded = recorded_or_refused(
            request,
            action=self.audit_action,
            status_code=response.status_code,
            filters=masked_filters(request.query_params, self.get_audit_filter_names()),
            total=self.get_audit_total(response),
        )
        if not recorded:
            response = self.handle_exception(ServiceUnavailable(AUDIT_UNAVAILABLE_MESSAGE))
        return super().finalize_response(request, response, *args, **kwargs)


def audited_admin_read(request, action, read, describe):
    """Run `read()`, an admin view of logs, and record it: `describe(response)` gives (filters, total).

    Fail-closed as the API is: a page that cannot be recorded is answered with a 503 instead. The
    admin's pages are TemplateResponses, rendered after the view returns, so none of its rows leave.
    A staff member without the view permission is recorded with the 403 they get, and a lookup the
    page does not offer with the 400 it gets, its values masked.
    """
    try:
        response = read()
    except PermissionDenied:
        filters, total = describe(None)
        recorded_or_refused(request, action=action, status_code=403, filters=filters, total=total)
        raise
    except DisallowedModelAdminLookup as refusal:
        filters, total = describe(None)
        recorded_or_refused(request, action=action, status_code=400, filters=filters, total=total)
        return error_response(status.HTTP_400_BAD_REQUEST, str(refusal))
    filters, total = describe(response)
    if recorded_or_refused(request, action=action, status_code=response.status_code, filters=filters, total=total):
        return response
    unavailable = error_response(status.HTTP_503_SERVICE_UNAVAILABLE, AUDIT_UNAVAILABLE_MESSAGE)
    unavailable["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return unavailable
