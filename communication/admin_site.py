"""Django's admin site under the service's name, and what every list of it does with its query string."""

from urllib.parse import unquote

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import ERROR_FLAG, IGNORED_PARAMS, ORDER_VAR, PAGE_VAR, SEARCH_VAR
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect, QueryDict
from rest_framework import status

from communication.audit.models import AuditEvent
from communication.audit.recording import record_account_event
from communication.errors import error_response
from communication.masking import has_control_characters, mask_personal_data


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
        if REDIRECT_FIELD_NAME in request.POST:
            # The form sends `next` back, where the page writes it again, and a login redirects to it.
            form = request.POST.copy()
            form.setlist(REDIRECT_FIELD_NAME, login_query(form).getlist(REDIRECT_FIELD_NAME))
            request.POST = form
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


class SafeListAdmin(admin.ModelAdmin):
    """A list narrowed only by the filters it offers, answering a control character as a bad lookup, and whose
    links never carry a phone number, an address or a device token."""

    def changelist_view(self, request, extra_context=None):
        """Django's list, after the refusal of a lookup it does not offer (a 400 naming it), the bad-lookup answer
        for a control character, and the redirect that keeps personal data out of its links; sorted only by the
        columns of `sortable_by`, whatever `?o=` asks (any other would sort the whole table)."""
        request.GET = self.sortable_ordering_only(request.GET)
        for name in self.refused_parameters(request):
            return error_response(request, status.HTTP_400_BAD_REQUEST, f"Filtering by {name} not allowed")
        if any(has_control_characters(value) for _, values in request.GET.lists() for value in values):
            # Django's answer to a bad lookup; PostgreSQL refuses a NUL in any compared string.
            return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
        return self.query_redirect(request) or super().changelist_view(request, extra_context)

    def sortable_ordering_only(self, query):
        """The query with the parts of `?o=` that name a column outside `sortable_by` left out."""
        if self.sortable_by is None or ORDER_VAR not in query:
            return query
        columns = list(self.list_display)
        kept = [
            part
            for part in query[ORDER_VAR].split(".")
            if part.lstrip("-").isdigit()
            and int(part.lstrip("-")) < len(columns)
            and columns[int(part.lstrip("-"))] in self.sortable_by
        ]
        cleaned = query.copy()
        cleaned.pop(ORDER_VAR)
        if kept:
            cleaned[ORDER_VAR] = ".".join(kept)
        return cleaned

    def lookup_allowed(self, lookup, value, request):
        """Only the parameters of the filters this list offers: any other lookup, such as
        `recipient__startswith`, would let a reader narrow the count until a hidden value is read back."""
        return lookup in self.offered_lookups(request)

    def offered_lookups(self, request):
        names = set()
        for list_filter in self.list_filter:
            if isinstance(list_filter, str):
                field = get_fields_from_path(self.model, list_filter)[-1]
                spec = admin.FieldListFilter.create(field, request, {}, self.model, self, field_path=list_filter)
                names.update(spec.expected_parameters())
            else:
                names.add(list_filter.parameter_name)
        return names

    def refused_parameters(self, request):
        """The names in the query string that no filter offers."""
        offered = {*self.offered_lookups(request), *IGNORED_PARAMS, PAGE_VAR, ERROR_FLAG}
        return [name for name in request.GET if name not in offered]

    def query_redirect(self, request):
        """masked_query_redirect() for those who may see the list."""
        if not self.has_view_or_change_permission(request):
            return None
        return masked_query_redirect(request, kept=self.kept_unmasked(request))

    def kept_unmasked(self, request):
        """The parameters a page may show as they are, even where they look like personal data."""
        return ()

    def get_object(self, request, object_id, from_field=None):
        return None if has_control_characters(object_id) else super().get_object(request, object_id, from_field)

    def get_preserved_filters(self, request):
        """The list's query string that an object's page carries back to the list, its personal data masked."""
        preserved = QueryDict(super().get_preserved_filters(request), mutable=True)
        if preserved:
            filters = QueryDict(preserved.get("_changelist_filters", ""), mutable=True)
            for name, values in list(filters.lists()):
                filters.setlist(name, [mask_personal_data(value) for value in values])
            preserved["_changelist_filters"] = filters.urlencode()
        return preserved.urlencode()


def redirect_with_search(request, term):
    params = request.GET.copy()
    params[SEARCH_VAR] = term
    return HttpResponseRedirect(f"{request.path}?{params.urlencode()}")


def masked_query_redirect(request, kept=()):
    """A list's query string whose values hold personal data, sent on with it masked, so that no link, form or
    search box of the page writes it back; None when there is none. `kept` are left as they are."""
    params = request.GET.copy()
    for name, values in request.GET.lists():
        if name not in kept:
            params.setlist(name, [mask_personal_data(value) for value in values])
    if params == request.GET:
        return None
    return HttpResponseRedirect(f"{request.path}?{params.urlencode()}")
