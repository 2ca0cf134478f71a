"""The send log of every SMS, email and push message, and the audit trail of who read it."""

import hashlib
import hmac
import secrets

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q, Subquery
from django.db.models.fields.json import KeyTransform
from django.utils import timezone
from rest_framework.authtoken.models import TokenProxy

from communication.masking import mask_recipient

# How much of a token's key staff may see: enough to tell two apart, far too little to use.
TOKEN_KEY_SHOWN_LENGTH = 6


def generate_log_id():
    """A `log_`-prefixed id with 80 random bits, the shape upstream uses."""
    return f"log_{secrets.token_hex(10)}"


# The fourteen keys of one log item, in the contract's order: the API, the CSV export and COPY use them.
CONTRACT_FIELDS = (
    "id",
    "tenant_id",
    "user_id",
    "channel",
    "provider",
    "template_id",
    "recipient",
    "content",
    "status",
    "error",
    "response",
    "sent_at",
    "created_at",
    "updated_at",
)


# `recipient-of:<log id>` names the recipient of that log without writing it out: what a page or a URL may
# carry in place of a full recipient.
RECIPIENT_REFERENCE = "recipient-of:"


class CommunicationLogQuerySet(models.QuerySet):
    def sent_to(self, recipient):
        """Logs sent to `recipient`, given in full or as `recipient-of:<log id>`."""
        if recipient.startswith(RECIPIENT_REFERENCE):
            log_id = recipient.removeprefix(RECIPIENT_REFERENCE)
            return self.filter(recipient=Subquery(CommunicationLog.objects.filter(id=log_id).values("recipient")[:1]))
        return self.filter(recipient=recipient)


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"
    PUSH = "push", "Push"


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    DELIVERED = "delivered", "Delivered"


class CommunicationLog(models.Model):
    """One message the platform sent, or tried to send, to one user."""

    id = models.CharField(primary_key=True, max_length=32, default=generate_log_id, editable=False)
    tenant_id = models.CharField("tenant id", max_length=64, blank=True, default="")
    user_id = models.CharField("user id", max_length=64)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    provider = models.CharField(max_length=64, blank=True, default="")
    template_id = models.CharField("template id", max_length=64, blank=True, default="")
    recipient = models.CharField(max_length=320, help_text="Stored in full; always shown masked.")
    content = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True, default="")
    response = models.TextField(blank=True, default="", help_text="The provider's raw answer.")
    sent_at = models.DateTimeField("sent (UTC)", null=True, blank=True)
    created_at = models.DateTimeField("created (UTC)", default=timezone.now)
    updated_at = models.DateTimeField("updated (UTC)", default=timezone.now)

    objects = CommunicationLogQuerySet.as_manager()

    class Meta:
        verbose_name = "communication log"
        verbose_name_plural = "communication logs"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="commlog_created_idx"),
            # With channel and status in its leaves, a user's total under those filters is an index-only scan.
            models.Index(
                fields=["user_id", "-created_at", "-id"],
                include=["channel", "status"],
                name="commlog_user_covering_idx",
            ),
            models.Index(fields=["channel", "status", "-created_at", "-id"], name="commlog_chan_stat_created_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="commlog_status_created_idx"),
            models.Index(fields=["recipient", "-created_at"], name="commlog_recipient_created_idx"),
            models.Index(fields=["tenant_id", "-created_at"], name="commlog_tenant_created_idx"),
            models.Index(fields=["template_id", "-created_at"], name="commlog_template_created_idx"),
            models.Index(fields=["provider", "-created_at"], name="commlog_provider_created_idx"),
        ]

    def __str__(self):
        return f"{self.channel} to {mask_recipient(self.recipient)} ({self.status}) {self.id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self.updated_at = timezone.now()
        super().save(*args, **kwargs)


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
        LIST = "list", "List logs"
        EXPORT = "export", "Export logs"
        ERASE = "erase", "Erase a user's logs"
        USER_EXPORT = "user_export", "Export a user's logs"
        ADMIN_LIST = "admin_list", "List logs in the admin"
        ADMIN_VIEW = "admin_view", "View a log in the admin"
        AUDIT_LIST = "audit_list", "List the audit trail"
        AUDIT_VIEW = "audit_view", "View an audit event"
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
    filters = models.JSONField(default=dict, blank=True, help_text="A recipient filter is stored masked.")
    total = models.BigIntegerField(null=True, blank=True, help_text="Rows returned, exported or erased.")
    client_ip = models.GenericIPAddressField("client IP", null=True, blank=True)
    user_agent = models.CharField("user agent", max_length=512, blank=True, default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = "audit event"
        verbose_name_plural = "audit events"
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
        # Append-only in the database itself: only the retention purge deletes, under pgtrigger.ignore.
        triggers = [pgtrigger.Protect(name="audit_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self):
        who = self.actor_username or "anonymous"
        return f"{who} {self.action} {self.status_code or ''} at {self.created_at:%Y-%m-%d %H:%M:%S}".strip()


class ApiToken(TokenProxy):
    """An API token as the admin lists it: whose, when made, when it expires, and only the start of its key."""

    class Meta:
        proxy = True
        verbose_name = "API token"
        verbose_name_plural = "API tokens"

    def __str__(self):
        return f"{self.key[:TOKEN_KEY_SHOWN_LENGTH]}… of {self.user}"
