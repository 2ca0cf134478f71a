"""Database plumbing for API reads: a statement timeout that cancels a slow query and frees the connection."""

from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def statement_timeout(milliseconds):
    """Run the block in a transaction whose statements PostgreSQL cancels after `milliseconds` (0: no limit)."""
    if connection.vendor != "postgresql" or not milliseconds:
        yield
        return
    # A local setting ends with the transaction, so the pooled connection goes back with its usual settings.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(int(milliseconds))])
        yield
