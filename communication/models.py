"""The send log of every SMS, email and push message; the counters and the audit trail have modules of their own."""

import secrets
from datetime import UTC, datetime

from django.db import models
from django.db.models import Q, Subquery
from django.utils import timezone
from rest_framework.authtoken.models import TokenProxy

from communication.audit.models import AuditEvent
from communication.counters import (
    LOG_COUNT_TRIGGERS,
    LogCount,
    LogCountByDay,
    LogCountByHour,
    LogCountBySource,
    LogCountDelta,
)
from communication.masking import mask_recipient

__all__ = [
    "ApiToken",
    "AuditEvent",
    "CommunicationLog",
    "LogCount",
    "LogCountByDay",
    "LogCountByHour",
    "LogCountBySource",
    "LogCountDelta",
]

# The fourteen keys of one log item, in the contract's order: the API, the CSV export and the seeding use them.
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
# `recipient-of:<log id>` names the recipient of that log without writing it out: what a page or a URL carries
# in place of a full recipient.
RECIPIENT_REFERENCE = "recipient-of:"
# The longest user, tenant, template or provider id.
IDENTIFIER_MAX_LENGTH = 64
# The times Python can hold.
TIME_RANGE = (datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))


def generate_log_id():
    """A `log_`-prefixed id with 80 random bits, the shape upstream uses."""
    return f"log_{secrets.token_hex(10)}"


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"
    PUSH = "push", "Push"


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    DELIVERED = "delivered", "Delivered"


class CommunicationLogQuerySet(models.QuerySet):
    def sent_to(self, recipient):
        """Logs sent to `recipient`, given in full or as `recipient-of:<log id>`."""
        if recipient.startswith(RECIPIENT_REFERENCE):
            same_as = CommunicationLog.objects.filter(id=recipient.removeprefix(RECIPIENT_REFERENCE))
            return self.filter(recipient=Subquery(same_as.values("recipient")[:1]))
        return self.filter(recipient=recipient)


class CommunicationLog(models.Model):
    """One message the platform sent, or tried to send, to one user."""

    id = models.CharField(primary_key=True, max_length=32, default=generate_log_id, editable=False)
    tenant_id = models.CharField("tenant id", max_length=IDENTIFIER_MAX_LENGTH, blank=True, default="")
    user_id = models.CharField("user id", max_length=IDENTIFIER_MAX_LENGTH)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    provider = models.CharField(max_length=IDENTIFIER_MAX_LENGTH, blank=True, default="")
    template_id = models.CharField("template id", max_length=IDENTIFIER_MAX_LENGTH, blank=True, default="")
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
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="commlog_created_idx"),
            # With channel and status in its leaves, a user's total under those filters is an index-only scan
            # (PostgreSQL; SQLite builds it without them, which models.W040 says).
            models.Index(
                fields=["user_id", "-created_at", "-id"], include=["channel", "status"], name="commlog_user_idx"
            ),
            models.Index(fields=["channel", "status", "-created_at", "-id"], name="commlog_chan_stat_created_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="commlog_status_created_idx"),
            models.Index(fields=["recipient", "-created_at"], name="commlog_recipient_created_idx"),
            models.Index(fields=["tenant_id", "-created_at"], name="commlog_tenant_created_idx"),
            models.Index(fields=["template_id", "-created_at"], name="commlog_template_created_idx"),
            models.Index(fields=["provider", "-created_at"], name="commlog_provider_created_idx"),
        ]
        triggers = LOG_COUNT_TRIGGERS
        constraints = [
            # What Python can read back: no `infinity`, no year before 1 or after 9999, whatever SQL writes.
            models.CheckConstraint(
                condition=Q(created_at__range=TIME_RANGE, updated_at__range=TIME_RANGE)
                & (Q(sent_at__isnull=True) | Q(sent_at__range=TIME_RANGE)),
                name="commlog_times_in_range",
            )
        ]

    def __str__(self):
        return f"{self.channel} to {mask_recipient(self.recipient)} ({self.status}) {self.id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self.updated_at = timezone.now()
        super().save(*args, **kwargs)


class ApiToken(TokenProxy):
    """An API token as the admin lists it: whose, when made, when it expires, and only the start of its key."""

    class Meta:
        proxy = True
        verbose_name = "API token"
        verbose_name_plural = "API tokens"
