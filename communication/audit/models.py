"""The audit event: one row per read, export, erasure, purge, login, logout or password change."""

import hashlib
import hmac

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.fields.json import KeyTransform
from django.utils import timezone


def user_reference(user_id):
    """A keyed digest of a user id: what an erasure's audit event keeps, proving later which user was erased."""
    return hmac.new(settings.SECRET_KEY.encode(), user_id.encode(), hashlib.sha256).hexdigest()[:32]


class AuditEventQuerySet(models.QuerySet):
    def about_user(self, user_id):
        """Events about `user_id`'s logs: the reads and exports that named the user, and the erasures of them
        (by their `user_ref`); each kind through a partial index of its own."""
        named = Q(filters__has_key="user_id", filters__user_id=user_id)
        erased = Q(filters__has_key="user_ref", filters__user_ref=user_reference(user_id))
        return self.filter(named | erased)


class AuditEvent(models.Model):
    """One read of logs (API, admin) or of this trail, allowed or denied; one login, logout or password change;
    or one lifecycle operation on logs."""

    class Action(models.TextChoices):
        # Reads of logs, through the API and the admin.
        LIST = "list", "List logs"
        EXPORT = "export", "Export logs"
        ADMIN_LIST = "admin_list", "List logs in the admin"
        ADMIN_VIEW = "admin_view", "View a log in the admin"
        # Reads of this trail.
        AUDIT_LIST = "audit_list", "List the audit trail"
        AUDIT_VIEW = "audit_view", "View an audit event"
        # Lifecycle operations (management commands).
        ERASE = "erase", "Erase a user's logs"
        USER_EXPORT = "user_export", "Export a user's logs"
        PURGE = "purge", "Purge logs past their retention"
        AUDIT_PURGE = "audit_purge", "Purge audit events past their retention"
        # Staff accounts.
        LOGIN = "login", "Log in"
        LOGOUT = "logout", "Log out"
        PASSWORD_CHANGE = "password_change", "Change one's password"

    # The user's id as a plain column, not a foreign key: deleting a user must not rewrite who acted.
    actor_id = models.BigIntegerField("actor id", null=True, blank=True, help_text="Kept after the user is deleted.")
    actor_username = models.CharField(
        "actor username", max_length=150, blank=True, default="", help_text="Kept after the user is deleted."
    )
    action = models.CharField(max_length=16, choices=Action.choices, default=Action.LIST)
    created_at = models.DateTimeField("time (UTC)", default=timezone.now, db_index=True)
    status_code = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    filters = models.JSONField(default=dict, blank=True, help_text="Phone numbers and addresses are stored masked.")
    total = models.BigIntegerField(null=True, blank=True, help_text="Rows returned, exported, erased or purged.")
    client_ip = models.GenericIPAddressField("client IP", null=True, blank=True)
    user_agent = models.CharField("user agent", max_length=512, blank=True, default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["actor_id", "-created_at"], name="audit_actor_created_idx"),
            # Whose logs were read: the events that name a user, newest first (AuditEventQuerySet.about_user).
            models.Index(
                KeyTransform("user_id", "filters"),
                F("created_at").desc(),
                name="audit_subject_created_idx",
                condition=Q(filters__has_key="user_id"),
            ),
            models.Index(
                KeyTransform("user_ref", "filters"),
                name="audit_erasure_ref_idx",
                condition=Q(filters__has_key="user_ref"),
            ),
        ]
        # Append-only in the database itself: only the retention purge deletes, under deletes_allowed().
        triggers = [
            pgtrigger.Protect(name="audit_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
            pgtrigger.Trigger(
                name="audit_never_truncated",
                level=pgtrigger.Statement,
                when=pgtrigger.Before,
                operation=pgtrigger.Truncate,
                func="RAISE EXCEPTION 'pgtrigger: Cannot truncate the audit trail';",
            ),
        ]

    def __str__(self):
        who = self.actor_username or "anonymous"
        return f"{who} {self.action} {self.status_code or ''} at {self.created_at:%Y-%m-%d %H:%M:%S}".strip()


def deletes_allowed():
    """Within it, the audit trail lets rows be deleted: for its retention purge, and rows moving to their month."""
    return pgtrigger.ignore("communication.AuditEvent:audit_append_only")
