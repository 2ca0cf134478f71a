"""Staff accounts: the login limit at both doors (django-axes), and the audit events of logins and logouts.

The token endpoint and the admin's login form both call Django's `authenticate()`, so django-axes counts the
failures of both on the same counters, per client IP and per username, and Django's login signals record
every attempt in the audit trail.
"""

import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import DatabaseError
from django.urls import reverse
from rest_framework import exceptions, status

from communication.audit.models import AuditEvent
from communication.audit.recording import record_account_event
from communication.errors import error_response
from communication.masking import has_control_characters

# What a failure is counted against is cut to this: a username is no longer.
USERNAME_MAX_LENGTH = 150


class LoginLockedOut(exceptions.Throttled):
    """Too many failed logins from this client or for this account: a 429 with `Retry-After`."""

    default_detail = "Too many failed logins from this address or for this account."

    def __init__(self):
        super().__init__(wait=lockout_seconds())


def lockout_seconds():
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def is_locked_out(request):
    """Whether django-axes refused this login attempt, or locked the client or account out on it."""
    return bool(getattr(request, "axes_locked_out", False))


def username_as_text(value):
    """The username a login attempt sent, as counted and recorded: a JSON value of another type as its JSON text,
    so that `{"username": 123}` counts against the account `123`; None when there was none."""
    if value is None or value == "":
        return None
    text = value if isinstance(value, str) else json.dumps(value)
    # A lone surrogate (`"\ud800"` in JSON) is no text a database or a hash can take.
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def counted_username(request, credentials):
    """AXES_USERNAME_CALLABLE: the username a failure counts against, stripped and in lower case."""
    username = (credentials or {}).get("username")
    if username is None and request is not None and hasattr(request, "POST"):
        username = request.POST.get("username")
    username = username_as_text(username)
    return None if username is None else username.strip().lower()[:USERNAME_MAX_LENGTH]


def client_without_username(username, ip_address, user_agent, path_info, request):
    """AXES_CLIENT_STR_CALLABLE: what django-axes logs of a client; never a username, which may be a password
    typed into the wrong field."""
    return f'path_info: "{path_info}"'


def account_named(username):
    """The user whose account a login attempt named, or None: an unknown name is not kept, as it may be a
    mistyped password."""
    if not isinstance(username, str) or not username.strip() or has_control_characters(username):
        return None
    model = get_user_model()
    try:
        return model._default_manager.filter(**{model.USERNAME_FIELD: username.strip()}).first()
    except DatabaseError:
        return None


def door_of(request):
    """ "token" or "admin" for a request to one of the two login doors, else None (a test's force_login)."""
    doors = {
        reverse("api-token"): "token",
        reverse("api-token-no-slash"): "token",
        reverse("admin:login"): "admin",
    }
    return doors.get(getattr(request, "path", None))


def record_login(sender, request, user, **kwargs):
    """user_logged_in: a login let in, at either door."""
    door = door_of(request)
    if door is not None:
        record_account_event(request, action=AuditEvent.Action.LOGIN, door=door, status_code=200, user=user)


def record_login_failure(sender, credentials, request=None, **kwargs):
    """user_login_failed: a login refused (400), or locked out by django-axes (429), which counted it first."""
    door = door_of(request)
    if door is None:
        return
    refused_as = status.HTTP_429_TOO_MANY_REQUESTS if is_locked_out(request) else status.HTTP_400_BAD_REQUEST
    record_account_event(
        request,
        action=AuditEvent.Action.LOGIN,
        door=door,
        status_code=refused_as,
        user=account_named(credentials.get("username")),
    )


def record_logout(sender, request, user, **kwargs):
    """user_logged_out: a session ended in the admin."""
    if request is not None and user is not None:
        record_account_event(request, action=AuditEvent.Action.LOGOUT, door="admin", status_code=200, user=user)


def connect_login_events():
    """Connected after django-axes's own receivers, so that a refusal knows whether it locked the account out."""
    user_logged_in.connect(record_login, dispatch_uid="commlogs-login")
    user_login_failed.connect(record_login_failure, dispatch_uid="commlogs-login-failed")
    user_logged_out.connect(record_logout, dispatch_uid="commlogs-logout")


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the admin login's answer to a locked-out attempt, a 429 with `Retry-After`."""
    seconds = lockout_seconds()
    return error_response(
        request,
        status.HTTP_429_TOO_MANY_REQUESTS,
        f"{LoginLockedOut.default_detail} Retry in {seconds} seconds.",
        headers={"Retry-After": str(seconds)},
    )
