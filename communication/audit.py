"""The one place that writes `AuditEvent` rows: who read or changed whose logs, and when."""

from communication.masking import mask_recipient
from communication.models import AuditEvent

USER_AGENT_MAX_LENGTH = 512
FILTER_VALUE_MAX_LENGTH = 320
ACTOR_USERNAME_MAX_LENGTH = 150


def masked_filters(params, names):
    """The filters a request used, with a recipient filter masked, values cut to a sane length."""
    filters = {}
    for name in names:
        value = params.get(name)
        if value:
            filters[name] = mask_recipient(value) if name == "recipient" else str(value)[:FILTER_VALUE_MAX_LENGTH]
    return filters


def record_audit_event(
    *, actor, action, status_code=None, filters=None, total=None, client_ip=None, user_agent="", actor_username=""
):
    """Append one audit event; an anonymous or unsaved actor is recorded as none, or as `actor_username`."""
    known_actor = actor if actor is not None and getattr(actor, "pk", None) else None
    return AuditEvent.objects.create(
        actor=known_actor,
        actor_username=known_actor.get_username() if known_actor else actor_username[:ACTOR_USERNAME_MAX_LENGTH],
        action=action,
        status_code=status_code,
        filters=filters or {},
        total=total,
        client_ip=client_ip,
        user_agent=(user_agent or "")[:USER_AGENT_MAX_LENGTH],
    )
