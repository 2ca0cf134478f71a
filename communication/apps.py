from django.apps import AppConfig
from django.conf import settings
from django.contrib.admin import apps as admin_apps
from django.core.management import call_command
from django.db.models.signals import post_migrate, post_save, pre_save


def after_migrate(using, **kwargs):
    """What `migrate` makes besides the tables, so no deployment can forget it: the cache's table (the database
    cache's), and on PostgreSQL the partitions of the coming months."""
    from communication.partitions import PARTITIONED, is_partitioned, maintain

    call_command("createcachetable", database=using, verbosity=0)
    if is_partitioned(PARTITIONED[0], using):
        maintain(using)


class CommunicationConfig(AppConfig):
    """The communication-log app: the log model, its API and its admin."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "communication"
    verbose_name = "Communication"

    def ready(self):
        from rest_framework.authtoken.models import Token

        from communication import accounts, tokens

        post_migrate.connect(after_migrate, sender=self)
        accounts.connect_login_events()
        pre_save.connect(tokens.note_credential_change, sender=settings.AUTH_USER_MODEL)
        post_save.connect(tokens.end_tokens_after_credential_change, sender=settings.AUTH_USER_MODEL)
        # DRF's token is its key when printed: on a page that lists what deleting a user deletes, in the admin's
        # history, in a log line. Only its start may be shown.
        Token.__str__ = tokens.shown_key


class CommlogsAdminConfig(admin_apps.AdminConfig):
    """Django's admin app, on the service's own admin site."""

    # Named in INSTALLED_APPS; `communication` itself stands for CommunicationConfig.
    default = False
    default_site = "communication.admin_site.CommlogsAdminSite"
