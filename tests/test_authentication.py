"""The hand-written token and permission lookups give what Django's and DRF's ORM lookups give."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from communication.auth_backends import ModelBackendWithOneQueryPermissions
from communication.authentication import token_with_user


def field_values(instance):
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def test_token_lookup_loads_the_token_and_user_exactly_as_the_orm_does(make_user):
    user = make_user("reader", staff=True, can_view_logs=True)
    User.objects.filter(pk=user.pk).update(
        first_name="Zoë", last_login=datetime(2026, 4, 15, 10, 0, 0, 123456, tzinfo=UTC)
    )
    key = Token.objects.create(user=user).key

    token = token_with_user(Token, key)
    expected = Token.objects.select_related("user").get(key=key)

    assert field_values(token) == field_values(expected)
    assert field_values(token.user) == field_values(expected.user)
    assert token.user.last_login == datetime(2026, 4, 15, 10, 0, 0, 123456, tzinfo=UTC)
    assert (token.user.is_staff, token.user.is_superuser) == (True, False)
    assert (token._state.adding, token.user._state.adding) == (False, False)


def test_token_lookup_is_one_query_and_none_for_an_unknown_key(make_user):
    key = Token.objects.create(user=make_user("reader")).key
    with CaptureQueriesContext(connection) as queries:
        assert token_with_user(Token, "0" * 40) is None
        assert token_with_user(Token, key) is not None
    assert len(queries) == 2


@pytest.fixture
def user_with_permissions(make_user):
    """Permissions held directly, through two groups (one shared), and a bystander's that must not show."""
    user = make_user("support", staff=True, can_view_logs=True)
    first, second = Group.objects.create(name="first"), Group.objects.create(name="second")
    first.permissions.add(*Permission.objects.filter(codename__in=["view_auditevent", "view_communicationlog"]))
    second.permissions.add(Permission.objects.get(codename="view_group"))
    user.groups.add(first, second)
    bystander = make_user("bystander", staff=True)
    bystander.user_permissions.add(Permission.objects.get(codename="delete_user"))
    return user


def test_permissions_in_one_query_are_what_model_backend_finds(user_with_permissions):
    ours = ModelBackendWithOneQueryPermissions().get_all_permissions(User.objects.get(pk=user_with_permissions.pk))
    theirs = ModelBackend().get_all_permissions(User.objects.get(pk=user_with_permissions.pk))
    assert (
        ours
        == theirs
        == {
            "communication.view_communicationlog",
            "communication.view_auditevent",
            "auth.view_group",
        }
    )


def test_permissions_are_read_in_one_query_and_kept_for_the_request(user_with_permissions):
    user = User.objects.get(pk=user_with_permissions.pk)
    with CaptureQueriesContext(connection) as queries:
        assert user.has_perm("communication.view_communicationlog")
        assert user.has_perm("auth.view_group")
        assert not user.has_perm("auth.delete_user")
    assert len(queries) == 1


@pytest.mark.parametrize("kind", ["inactive", "superuser"])
def test_inactive_users_and_superusers_keep_model_backends_answer(make_user, kind):
    user = make_user(kind, staff=True, can_view_logs=True, active=kind != "inactive", superuser=kind == "superuser")
    assert ModelBackendWithOneQueryPermissions().get_all_permissions(user) == ModelBackend().get_all_permissions(
        User.objects.get(pk=user.pk)
    )
