"""The admin app, on our own admin site (commlogs_site/admin_site.py)."""

from django.contrib.admin.apps import AdminConfig


class CommlogsAdminConfig(AdminConfig):
    default_site = "commlogs_site.admin_site.CommlogsAdminSite"
