"""How long an API token authenticates, which token a login or `drf_create_token` hands out, and when one ends."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

# How much of a token's key staff may see: enough to tell two apart, far too little to use.
TOKEN_KEY_SHOWN_LENGTH = 6


def token_max_age():
    """How long after it is made a token authenticates; None when tokens never expire."""
    hours = settings.TOKEN_MAX_AGE_HOURS
    return timedelta(hours=hours) if hours else None


def has_lived(token, share_of_max_age):
    """Whether `token` is past that share of the maximum age; never when tokens do not expire."""
    max_age = token_max_age()
    return max_age is not None and timezone.now() >= token.created + max_age * share_of_max_age


def has_expired(token):
    return has_lived(token, 1)


def token_to_hand_out(user):
    """The user's token while more than half its lifetime is left, else a new one in its place.

    DRF keeps one token per user, so the user's other sessions keep theirs until then, and every
    token handed out authenticates for at least half the maximum age.
    """
    with transaction.atomic():
        token, created = Token.objects.select_for_update().get_or_create(user=user)
        if not created and has_lived(token, 0.5):
            token.delete()
            token = Token.objects.create(user=user)
    return token


def shown_key(token):
    """What may be shown of a token: the start of its key, too little to use."""
    return f"{token.key[:TOKEN_KEY_SHOWN_LENGTH]}…"


def expiry_of(token):
    """When `token` stops authenticating; None when tokens never expire."""
    max_age = token_max_age()
    return None if max_age is None else token.created + max_age


# A change of any of these ends the user's tokens: a new password, a deactivation, the loss of staff status.
CREDENTIAL_FIELDS = ("password", "is_active", "is_staff")


def note_credential_change(sender, instance, update_fields=None, **kwargs):
    """pre_save of a user: remember whether this save changes what a token was handed out on."""
    instance.ends_tokens = False
    if instance.pk is None or (update_fields is not None and not set(update_fields) & set(CREDENTIAL_FIELDS)):
        return
    if is_password_hash_upgrade(instance, update_fields):
        return
    before = sender._default_manager.filter(pk=instance.pk).values(*CREDENTIAL_FIELDS).first()
    if before is not None:
        instance.ends_tokens = (
            before["password"] != instance.password
            or (before["is_active"] and not instance.is_active)
            or (before["is_staff"] and not instance.is_staff)
        )


def is_password_hash_upgrade(user, update_fields):
    """Django re-hashes a password with a newer hasher at login: the same password, which ends nothing."""
    return update_fields is not None and set(update_fields) == {"password"} and user._password is None


def end_tokens_after_credential_change(sender, instance, **kwargs):
    """post_save of a user: a token handed out on the old password or status authenticates no more."""
    if getattr(instance, "ends_tokens", False):
        Token.objects.filter(user=instance).delete()
