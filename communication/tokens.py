"""How long an API token authenticates, and which token a login or `drf_create_token` hands out."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token


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
