"""A read-only Django admin for communication logs and the audit trail."""

from django.contrib import admin

from communication.masking import mask_recipient
from communication.models import AuditEvent, CommunicationLog


class ReadOnlyAdmin(admin.ModelAdmin):
    """Logs are evidence: nobody adds, changes or deletes them here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CommunicationLog)
class CommunicationLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user_id", "channel", "status", "masked_recipient", "provider"]
    list_filter = ["channel", "status", "provider"]
    exclude = ["recipient"]
    readonly_fields = ["masked_recipient"]
    show_full_result_count = False

    @admin.display(description="recipient")
    def masked_recipient(self, log):
        return mask_recipient(log.recipient)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit trail, for superusers and staff with `communication.view_auditevent`; append-only."""

    list_display = ["created_at", "actor_username", "action", "status_code", "total", "client_ip"]
    list_filter = ["action", "status_code", "created_at"]
    search_fields = ["actor_username", "client_ip"]
    date_hierarchy = "created_at"
    fields = readonly_fields = [
        "created_at",
        "actor",
        "actor_username",
        "action",
        "status_code",
        "filters",
        "total",
        "client_ip",
        "user_agent",
    ]
    show_full_result_count = False
