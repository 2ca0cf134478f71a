from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


def create_cache_table(using, **kwargs):
    """The throttle counters' cache table comes with `migrate`, so no deployment can forget it."""
    call_command("createcachetable", database=using, verbosity=0)


class CommunicationConfig(AppConfig):
    """The communication-log app: the log model, its API and its admin."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "communication"
    verbose_name = "Communication"

    def ready(self):
        post_migrate.connect(create_cache_table, sender=self)
