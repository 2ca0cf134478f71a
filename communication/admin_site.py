"""Django's admin site under the service's name."""

from urllib.parse import unquote

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.http import QueryDict

from communication.audit.models import AuditEvent
from communication.audit.recording import record_account_event
from communication.masking import mask_personal_data


class AdminLoginForm(AdminAuthenticationForm):
    """Django's admin login form; an account that may not use the admin is a failed login, counted and recorded
    as a wrong password is."""

    def confirm_login_allowed(self, user):
        try:
            super().confirm_login_allowed(user)
        except ValidationError:
            user_login_failed.send(
                sender=type(self), credentials={"username": user.get_username()}, request=self.request
            )
            raise


class CommlogsAdminSite(admin.AdminSite):
    """Django's admin under the service's name; its password changes are recorded in the audit trail (its logins
    and logouts are, through Django's login signals, and django-axes limits its failed logins)."""

    site_header = site_title = "commlogs"
    index_title = "Communication logs and their audit trail"
    login_form = AdminLoginForm

    def login(self, request, extra_context=None):
        """Django's login page, reading nothing of its query string but a `next` that holds no recipient."""
        request.GET = login_query(request.GET)
        request.META["QUERY_STRING"] = request.GET.urlencode()
        return super().login(request, extra_context)

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
