"""The app's tables carry no index that another index already serves: each one costs every write."""

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db


def plain_indexes(table):
    """{name: columns} of the table's indexes that are neither a primary key nor unique."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        name: tuple(found["columns"])
        for name, found in constraints.items()
        if found["index"] and not (found["primary_key"] or found["unique"])
    }


@pytest.mark.parametrize(
    "model", list(apps.get_app_config("communication").get_models()), ids=lambda model: model.__name__
)
def test_no_index_leads_another_on_the_same_table(model):
    indexes = plain_indexes(model._meta.db_table)
    redundant = [
        (name, other)
        for name, columns in indexes.items()
        for other, longer in indexes.items()
        if other != name and longer[: len(columns)] == columns
    ]
    assert not redundant, f"each first index is served by the second: {redundant}"
