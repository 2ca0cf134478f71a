from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from communication.tokens import token_to_hand_out


class Command(BaseCommand):
    help = "Create (or reset) the demo superuser and print its username, password and API token."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo-admin", help="Username (default demo-admin).")
        parser.add_argument("--password", default="commlogs-demo", help="Password (default commlogs-demo).")
        parser.add_argument("--curl-port", type=int, default=8000, help="Port for the printed curl line.")
        parser.add_argument("--force", action="store_true", help="Allow it with DJANGO_DEBUG off.")

    def handle(self, *args, username, password, curl_port, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Refusing to create a demo superuser with debug off; pass --force if you mean it.")
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
        token = token_to_hand_out(user)
        base_url = f"http://127.0.0.1:{curl_port}"
        self.stdout.write(
            f"Demo superuser\n"
            f"  admin:     {base_url}/admin/  (username {username}, password {password})\n"
            f"  API token: {token.key}\n"
            f"  try:       curl -H 'Authorization: Bearer {token.key}' "
            f"'{base_url}/admin/communication/logs?channel=sms&page_size=5'"
        )
