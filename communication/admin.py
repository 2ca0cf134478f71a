"""The read-only admin of communication logs, fast at millions of rows, and of API tokens, whose keys it hides."""

import json

from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR, SEARCH_VAR
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils.html import format_html
from django.utils.text import Truncator
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from communication.admin_site import SafeListAdmin, redirect_with_search
from communication.audit.admin import AuditedReadOnlyAdmin, CappedCountChangeList
from communication.audit.models import AuditEvent
from communication.counts import known_providers
from communication.masking import hide_recipient_in, mask_recipient
from communication.models import RECIPIENT_REFERENCE, ApiToken, CommunicationLog
from communication.tokens import expiry_of, shown_key

# The list shows the start of a log's content; its page shows all of it.
CONTENT_PREVIEW_LENGTH = 40


class LogChangeList(CappedCountChangeList):
    """Shows the search term masked unless it is an id."""

    def get_results(self, request):
        super().get_results(request)
        if self.query.startswith(RECIPIENT_REFERENCE):
            found = CommunicationLog.objects.sent_to(self.query).values_list("recipient", flat=True).first()
            self.shown_query = mask_recipient(found)
        elif not any(self.query in (log.id, log.user_id) for log in self.result_list):
            self.shown_query = mask_recipient(self.query)


class ProviderListFilter(admin.SimpleListFilter):
    """Filter by provider, listing the providers the logs have without reading the logs (communication.counts)."""

    title = "provider"
    parameter_name = "provider"

    def lookups(self, request, model_admin):
        return [(name, name) for name in known_providers()]

    def queryset(self, request, queryset):
        return queryset.filter(provider=self.value()) if self.value() else queryset


@admin.register(CommunicationLog)
class CommunicationLogAdmin(AuditedReadOnlyAdmin):
    list_action, view_action, owner_field = AuditEvent.Action.ADMIN_LIST, AuditEvent.Action.ADMIN_VIEW, "user_id"
    audited_list_parameters = ("channel__exact", "status__exact", "provider", PAGE_VAR, SEARCH_VAR, "user_id")
    list_display = [
        "created_at",
        "user_id",
        "channel",
        "status",
        "masked_recipient",
        "provider",
        "template_id",
        "tenant_id",
        "content_preview",
    ]
    list_filter = ["channel", "status", ProviderListFilter]
    # Shown as the search box's contract; get_search_results does the exact, index-friendly match itself.
    search_fields = ["=id", "=user_id", "=recipient"]
    search_help_text = "Exact log id, user id, or full phone number, email address or device token."
    fields = readonly_fields = [
        "id",
        "created_at",
        "updated_at",
        "sent_at",
        "tenant_id",
        "user_id",
        "channel",
        "provider",
        "template_id",
        "masked_recipient",
        "status",
        "shown_error",
        "shown_content",
        "pretty_response",
    ]
    # Sorting by any other column would sort the whole table for every page.
    sortable_by = ["created_at"]
    list_per_page = 50

    def get_changelist(self, request, **kwargs):
        return LogChangeList

    def search_as_recorded(self, term, changelist):
        """As the page shows it: masked unless it is a log id, a listed user id or a `recipient-of:` reference."""
        if term.startswith(RECIPIENT_REFERENCE):
            return term
        return mask_recipient(term) if changelist is None else changelist.shown_query

    def found_by_search(self, term, changelist):
        if changelist is not None and any(log.user_id == term for log in changelist.result_list):
            return {"user_id": term}
        return {}

    def query_redirect(self, request):
        """A search for a full recipient, sent on to `recipient-of:<log id>` so the URL never holds it."""
        term = request.GET.get(SEARCH_VAR, "").strip()
        if term and not term.startswith(RECIPIENT_REFERENCE) and self.has_view_or_change_permission(request):
            log_id = CommunicationLog.objects.filter(recipient=term).values_list("id", flat=True).first()
            if log_id is not None:
                return redirect_with_search(request, RECIPIENT_REFERENCE + log_id)
        return super().query_redirect(request)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.startswith(RECIPIENT_REFERENCE):
            return queryset.sent_to(term), False
        return queryset.filter(Q(id=term) | Q(user_id=term) | Q(recipient=term)), False

    @admin.display(description="recipient")
    def masked_recipient(self, log):
        return mask_recipient(log.recipient)

    @admin.display(description="content")
    def content_preview(self, log):
        return Truncator(self.shown_content(log)).chars(CONTENT_PREVIEW_LENGTH)

    @admin.display(description="content")
    def shown_content(self, log):
        return hide_recipient_in(log.content, log.recipient)

    @admin.display(description="error")
    def shown_error(self, log):
        return hide_recipient_in(log.error, log.recipient) or "-"

    @admin.display(description="response")
    def pretty_response(self, log):
        response = hide_recipient_in(log.response, log.recipient)
        try:
            parsed = json.loads(response)
        except ValueError:
            return response or "-"
        return format_html("<pre>{}</pre>", json.dumps(parsed, indent=2, ensure_ascii=False))


admin.site.unregister(TokenProxy)


@admin.register(ApiToken)
class ApiTokenAdmin(TokenAdmin, SafeListAdmin):
    """API tokens, whose key is never shown whole: they are handed out only by a login or `drf_create_token`,
    and revoked here by deleting them."""

    list_display = ["user", "key_start", "created", "expires"]
    fields = readonly_fields = ["user", "key_start", "created", "expires"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="key")
    def key_start(self, token):
        return shown_key(token)

    @admin.display(description="expires (UTC)")
    def expires(self, token):
        moment = expiry_of(token)
        return "never" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


admin.site.unregister(get_user_model())
admin.site.unregister(Group)


@admin.register(get_user_model())
class StaffUserAdmin(SafeListAdmin, UserAdmin):
    """Django's user admin, its lists as safe as the logs'."""

    def kept_unmasked(self, request):
        """The search, when it names a staff member by username or address."""
        term = request.GET.get(SEARCH_VAR, "").strip()
        model = get_user_model()
        return (SEARCH_VAR,) if term and model.objects.filter(Q(username=term) | Q(email=term)).exists() else ()


@admin.register(Group)
class StaffGroupAdmin(SafeListAdmin, GroupAdmin):
    """Django's group admin, its lists as safe as the logs'."""
