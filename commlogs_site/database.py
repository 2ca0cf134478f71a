"""Database plumbing for API requests: a statement timeout that cancels a slow query and frees the connection."""

from django.db import connection


def cap_statement_time(milliseconds):
    """Have PostgreSQL cancel any statement on this connection that runs past `milliseconds` (0: no limit).

    Set for the session, so it costs one round trip per request rather than a transaction around each
    block; every API request sets it afresh, and management commands, which never do, run uncapped.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [str(int(milliseconds))])


def without_statement_timeout(chunks):
    """Yield from `chunks` with no statement timeout: a streamed download must not stop halfway."""
    cap_statement_time(0)
    yield from chunks
