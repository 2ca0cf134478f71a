"""The app's tables carry no index that another index already serves: each one costs every write."""

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db


def indexes_of(table):
    """({name: columns} of the plain indexes on columns, {name: columns} of every index, keys and unique ones too)."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    every = {
        name: tuple(found["columns"])
        for name, found in constraints.items()
        if found["index"] or found["primary_key"] or found["unique"]
    }
    plain = {
        name: every[name]
        for name, found in constraints.items()
        if found["index"] and not found["unique"] and is_on_columns(every[name])
    }
    return plain, every


def is_on_columns(columns):
    """Whether an index is on plain columns: one on expressions (`filters -> 'user_id'`) names none, or None."""
    return bool(columns) and None not in columns


@pytest.mark.parametrize(
    "model",
    [model for model in apps.get_app_config("communication").get_models() if not model._meta.proxy],
    ids=lambda model: model.__name__,
)
def test_no_index_leads_another_on_the_same_table(model):
    """Such as a foreign key's own index beside (key, time), or the LIKE index Django adds to a text primary key:
    the app looks keys up whole, never by prefix."""
    plain, every = indexes_of(model._meta.db_table)
    redundant = [
        (name, other)
        for name, columns in plain.items()
        for other, longer in every.items()
        if other != name and longer[: len(columns)] == columns
    ]
    assert not redundant, f"each first index is served by the second: {redundant}"
