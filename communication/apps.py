from django.apps import AppConfig


class CommunicationConfig(AppConfig):
    """The communication-log app: the log model, its API and its admin."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "communication"
    verbose_name = "Communication"
