from django.contrib.auth import get_user_model
from rest_framework.authtoken.management.commands import drf_create_token
from rest_framework.authtoken.models import Token

from communication.tokens import token_to_hand_out


class Command(drf_create_token.Command):
    """DRF's command, handing out a token that still authenticates: a new one once the user's is half used up."""

    def create_user_token(self, username, reset_token):
        user = get_user_model()._default_manager.get_by_natural_key(username)
        if reset_token:
            Token.objects.filter(user=user).delete()
        return token_to_hand_out(user)
