"""Django's admin site, with its login form rate limited as the token endpoint is."""

import logging
import math
from urllib.parse import unquote

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import QueryDict

from commlogs_site.views import status_page
from communication.audit import record_account_event
from communication.masking import mask_personal_data
from communication.models import AuditEvent
from communication.throttling import login_wait_seconds

logger = logging.getLogger("commlogs.security")


class CommlogsAdminSite(admin.AdminSite):
    """The admin, whose login counts each attempt per IP and per username on the token endpoint's counters.

    Without it the admin's form was a second door for a guessing script, with no limit at all, and
    alternating between the two doors would have doubled the rate the token endpoint allows.
    """

    def login(self, request, extra_context=None):
        """Django's login page; each attempt is counted, and recorded in the audit trail as the token
        endpoint's are: 200 let in, 400 refused (the form shown again), 429 throttled."""
        request.GET = login_query(request.GET)
        request.META["QUERY_STRING"] = request.GET.urlencode()
        if request.method != "POST":
            return super().login(request, extra_context)
        wait = login_wait_seconds(request)
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            logger.warning("admin login attempt throttled")
            record_account_event(request, action=AuditEvent.Action.LOGIN, door="admin", status_code=429)
            return status_page(
                "Too many login attempts",
                f"Too many login attempts from here or for this user. Retry in {seconds} seconds.",
                status=429,
                retry_after_seconds=seconds,
            )
        response = super().login(request, extra_context)
        let_in = request.user.is_authenticated and response.status_code == 302
        record_account_event(
            request,
            action=AuditEvent.Action.LOGIN,
            door="admin",
            status_code=200 if let_in else 400,
            user=request.user if let_in else None,
        )
        return response

    def logout(self, request, extra_context=None):
        """Django's logout; a session that ends here is recorded in the audit trail."""
        user = request.user if request.user.is_authenticated else None
        response = super().logout(request, extra_context)
        if request.method == "POST" and user is not None:
            record_account_event(request, action=AuditEvent.Action.LOGOUT, door="admin", status_code=200, user=user)
        return response

    def password_change(self, request, extra_context=None):
        """Django's password change form; each attempt is recorded: 200 changed, 400 refused (the form again)."""
        response = super().password_change(request, extra_context)
        if request.method == "POST":
            changed = response.status_code == 302
            record_account_event(
                request,
                action=AuditEvent.Action.PASSWORD_CHANGE,
                door="admin",
                status_code=200 if changed else 400,
                user=request.user,
            )
        return response


def login_query(query):
    """What the login page reads of its query string, `next`, cut to its path when it holds a phone number or an
    address, and left out when that path does: the page writes its query string into its form."""
    kept = QueryDict(mutable=True)
    target = query.get(REDIRECT_FIELD_NAME, "")
    for candidate in (target, target.partition("?")[0]):
        if candidate and mask_personal_data(unquote(candidate)) == unquote(candidate):
            kept[REDIRECT_FIELD_NAME] = candidate
            break
    return kept
