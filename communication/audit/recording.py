"""The one place that writes audit events, and what each one keeps of the request: masked, cut short, printable."""

import ipaddress
import logging
from contextlib import nullcontext

from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.status import is_success
from rest_framework.throttling import BaseThrottle

from communication.audit.models import AuditEvent
from communication.masking import mask_parameter, mask_personal_data, mask_recipient, printable

logger = logging.getLogger("commlogs.audit")

USER_AGENT_MAX_LENGTH = 512
FILTER_VALUE_MAX_LENGTH = 320
ACTOR_USERNAME_MAX_LENGTH = 150
# Events of a staff member's account, not reads: none hands over logs, so none is fail-closed.
ACCOUNT_ACTIONS = {AuditEvent.Action.LOGIN, AuditEvent.Action.LOGOUT, AuditEvent.Action.PASSWORD_CHANGE}


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


def record_event(*, actor, action, status_code=None, filters=None, total=None, client_ip=None, user_agent=""):
    """Append one audit event. `actor` is a user, or the name of an operator with no account (a command's OS
    user); an anonymous user is recorded as nobody."""
    known = actor if getattr(actor, "pk", None) else None
    named = actor if isinstance(actor, str) else ""
    event = AuditEvent(
        actor_id=known.pk if known else None,
        actor_username=known.get_username() if known else named[:ACTOR_USERNAME_MAX_LENGTH],
        action=action,
        created_at=timezone.now(),
        status_code=status_code,
        filters=filters or {},
        total=total,
        client_ip=client_ip,
        user_agent=printable(mask_personal_data((user_agent or "")[:USER_AGENT_MAX_LENGTH])),
    )
    # Inside a caller's transaction a savepoint keeps it usable if the write fails; alone the INSERT is atomic.
    with transaction.atomic() if connection.in_atomic_block else nullcontext():
        write_event(event)


def write_event(event):
    event.save(force_insert=True)


def client_ip_of(request):
    """The client's IP as the throttles see it (honouring NUM_PROXIES), or None when it is not an IP."""
    try:
        return str(ipaddress.ip_address(BaseThrottle().get_ident(request)))
    except ValueError:
        return None


def recorded_or_refused(request, *, action, status_code, filters, total, actor=None):
    """Record one request; False for a successful read whose event could not be written, which must be refused.

    The event holds `actor`, else the request's user (nobody when the database cannot tell), and the client
    IP and user agent. When the answer hands over no logs (a denial, an error, a login), a failed write is
    logged and the answer stands.
    """
    if actor is None:
        try:
            actor = request.user
        except DatabaseError:
            actor = None
    try:
        record_event(
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
