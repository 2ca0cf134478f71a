from django.apps import AppConfig
from django.conf import settings
from django.contrib.admin import apps as admin_apps
from django.core.management import call_command
from django.db.models.signals import post_migrate, post_save, pre_save


def create_cache_table(using, **kwargs):
    """The throttle counters' cache table comes with `migrate`, so no deployment can forget it."""
    call_command("createcachetable", database=using, verbosity=0)


class CommunicationConfig(AppConfig):
    """The communication-log app: the log model, its API and its admin."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "communication"
    verbose_name = "Communication"

    def ready(self):
        from communication import accounts, tokens

        post_migrate.connect(create_cache_table, sender=self)
        accounts.connect_login_events()
        pre_save.connect(tokens.note_credential_change, sender=settings.AUTH_USER_MODEL)
        post_save.connect(tokens.end_tokens_after_credential_change, sender=settings.AUTH_USER_MODEL)


class CommlogsAdminConfig(admin_apps.AdminConfig):
    """Django's admin app, on the service's own admin site."""

    # Named in INSTALLED_APPS; `communication` itself stands for CommunicationConfig.
    default = False
    default_site = "communication.admin_site.CommlogsAdminSite"
