"""Read-only admin pages that record themselves in the audit trail, and the trail's own admin."""

import ipaddress
from functools import partial

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import PAGE_VAR, SEARCH_VAR, ChangeList
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import router
from django.http import QueryDict
from django.utils.functional import cached_property

from communication.admin_site import SafeListAdmin
from communication.audit.mixins import audited_admin_read
from communication.audit.models import AuditEvent
from communication.audit.recording import masked_filters
from communication.masking import mask_recipient

# In the audit trail's search, `user:<user id>` finds the events that name that user's logs.
SUBJECT_SEARCH_PREFIX = "user:"


class CappedCountPaginator(Paginator):
    """Counts at most `count_limit + 1` rows, so a page never runs `COUNT(*)` over the whole table."""

    # Past this many matching rows the admin says "more than 10000" and stops paging.
    count_limit = 10_000

    @cached_property
    def count(self):
        return self.object_list[: self.count_limit + 1].count()


class CappedCountChangeList(ChangeList):
    """Says "more than N" for a capped count, in the app's pagination and search templates; shows the search."""

    def get_results(self, request):
        super().get_results(request)
        limit = self.model_admin.paginator.count_limit
        self.result_count_label = f"more than {limit}" if self.result_count > limit else str(self.result_count)
        self.shown_query = self.query


class AuditedReadOnlyAdmin(SafeListAdmin):
    """Evidence, read-only: every page that shows objects is recorded in the audit trail and fails closed."""

    list_action = view_action = None
    # The field of an object that says whose it is, recorded with its page (a log's `user_id`).
    owner_field = None
    # What the audit trail keeps of a list page's query string.
    audited_list_parameters = (PAGE_VAR, SEARCH_VAR)
    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changelist(self, request, **kwargs):
        return CappedCountChangeList

    def get_queryset(self, request):
        """All read from one database for the whole page (a replica, or the primary)."""
        return super().get_queryset(request).using(router.db_for_read(self.model))

    def changelist_view(self, request, extra_context=None):
        list_page = partial(super().changelist_view, request, extra_context)
        return audited_admin_read(request, self.list_action, list_page, partial(self.describe_list_page, request))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return audited_admin_read(
            request,
            self.view_action,
            partial(super().change_view, request, object_id, form_url, extra_context),
            partial(audited_object_page, unquote(object_id), "original", whose=self.owner_field),
        )

    def history_view(self, request, object_id, extra_context=None):
        return audited_admin_read(
            request,
            self.view_action,
            partial(super().history_view, request, object_id, extra_context),
            partial(audited_object_page, unquote(object_id), "object", whose=self.owner_field, view="history"),
        )

    def describe_list_page(self, request, response):
        """(filters, total) of a list page for its audit event, its refused parameters masked whole."""
        changelist = shown_on_page(response, "cl")
        params = request.GET.copy()
        term = params.get(SEARCH_VAR, "").strip()
        if term:
            params[SEARCH_VAR] = self.search_as_recorded(term, changelist)
            for name, value in self.found_by_search(term, changelist).items():
                params[name] = value
        refused = self.refused_parameters(request) if changelist is None else ()
        filters = masked_filters(params, self.audited_list_parameters, refused=refused)
        return filters, (None if changelist is None else changelist.result_count)

    def search_as_recorded(self, term, changelist):
        """The search term as the audit trail keeps it: masked unless it names no one's recipient."""
        return mask_recipient(term)

    def found_by_search(self, term, changelist):
        """What a search turned out to name, recorded beside it (whose logs it found)."""
        return {}


def shown_on_page(response, name):
    """What an admin page renders as `name` (its change list, its object), or None for a redirect or a refusal."""
    return (getattr(response, "context_data", None) or {}).get(name)


def audited_object_page(object_id, context_name, response, whose=None, view=None):
    """(filters, total) of one object's page for the audit trail: its id, the `whose` field of it when given
    (a log's `user_id`), and which `view` of it other than its change page; one row when shown."""
    shown = shown_on_page(response, context_name)
    params = QueryDict(mutable=True)
    params["id"] = object_id
    if shown is not None and whose is not None:
        params[whose] = getattr(shown, whose)
    if view is not None:
        params["view"] = view
    return masked_filters(params, ["id", whose, "view"]), (1 if shown is not None else None)


def is_subject_or_ip(term):
    """True for a `user:<id>` reference or a client IP: search terms that name no recipient."""
    if term.startswith(SUBJECT_SEARCH_PREFIX):
        return True
    try:
        ipaddress.ip_address(term)
    except ValueError:
        return False
    return True


class OutcomeListFilter(admin.SimpleListFilter):
    """Allowed, redirected, refused or failed, by ranges of the HTTP status: listed without reading the trail."""

    title = "outcome"
    parameter_name = "outcome"
    STATUS_RANGES = {"allowed": (200, 299), "redirected": (300, 399), "refused": (400, 499), "failed": (500, 599)}

    def lookups(self, request, model_admin):
        return [(name, f"{name} ({low // 100}xx)") for name, (low, _) in self.STATUS_RANGES.items()]

    def queryset(self, request, queryset):
        status_range = self.STATUS_RANGES.get(self.value())
        return queryset if status_range is None else queryset.filter(status_code__range=status_range)


@admin.register(AuditEvent)
class AuditEventAdmin(AuditedReadOnlyAdmin):
    """The audit trail, for superusers and staff with `communication.view_auditevent`; append-only.

    It grows by an event a request, so no page reads the whole trail: the count is capped, the filters offer
    fixed choices, and the searches by user and by staff member go through indexes. Who looked at the trail,
    and for what, is in the trail too.
    """

    list_action, view_action = AuditEvent.Action.AUDIT_LIST, AuditEvent.Action.AUDIT_VIEW
    audited_list_parameters = ("action__exact", "outcome", "created_at__gte", "created_at__lt", PAGE_VAR, SEARCH_VAR)
    list_display = ["created_at", "actor_username", "action", "status_code", "filters", "total", "client_ip"]
    list_filter = ["action", OutcomeListFilter, "created_at"]
    # Shown as the search box's contract; get_search_results picks one indexed match itself.
    search_fields = ["actor_username", "client_ip"]
    search_help_text = (
        f"A staff member's username, a client IP, or {SUBJECT_SEARCH_PREFIX}<user id> for who read that user's logs."
    )
    fields = readonly_fields = [
        "created_at",
        "actor_id",
        "actor_username",
        "action",
        "status_code",
        "filters",
        "total",
        "client_ip",
        "user_agent",
    ]

    def search_as_recorded(self, term, changelist):
        """Kept when it is what the trail is searched by: a `user:` reference, an IP, or a staff member the page
        lists. Anything else is stored masked, as a recipient typed there by mistake must not land in the trail."""
        listed = [] if changelist is None else changelist.result_list
        if is_subject_or_ip(term) or any(event.actor_username == term for event in listed):
            return term
        return mask_recipient(term)

    def kept_unmasked(self, request):
        """The search, when it is the username of a staff member."""
        term = request.GET.get(SEARCH_VAR, "").strip()
        return (SEARCH_VAR,) if term and get_user_model().objects.filter(username=term).exists() else ()

    def get_search_results(self, request, queryset, search_term):
        """Whose logs (`user:<id>`), a client IP, or a staff member: the actor's key when the user still exists
        (indexed), else the username kept after a user is deleted."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.startswith(SUBJECT_SEARCH_PREFIX):
            return queryset.about_user(term.removeprefix(SUBJECT_SEARCH_PREFIX).strip()), False
        if is_subject_or_ip(term):
            return queryset.filter(client_ip=str(ipaddress.ip_address(term))), False
        actor_id = get_user_model().objects.filter(username=term).values_list("pk", flat=True).first()
        if actor_id is not None:
            return queryset.filter(actor_id=actor_id), False
        return queryset.filter(actor_username=term), False
