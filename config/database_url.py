"""A DATABASE_URL for the database a connection uses, to hand to a child process.

Tests and benchmarks start processes of their own (gunicorn, a Celery worker, a feed
child) that must reach the very database they use themselves: the service's, or the
embedded server's, which listens on a socket folder only. The settings alone do not
say where the embedded server listens; the connection's parameters do.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper

_IN_URL = frozenset({"dbname", "user", "password", "host", "port", "client_encoding"})


def database_url_of(connection: BaseDatabaseWrapper = default_connection) -> str:
    """``postgresql://user:password@host:port/name`` of ``connection``'s database.

    A socket folder as host is percent-encoded, as dj-database-url reads it; plain
    libpq options (``sslmode``, …) follow as a query string. Starts the embedded server
    when it is not running yet.
    """
    params = connection.get_connection_params()
    options = {
        name: value
        for name, value in params.items()
        if name not in _IN_URL and isinstance(value, str | int) and not isinstance(value, bool)
    }
    query = f"?{urlencode(options)}" if options else ""
    return (
        f"postgresql://{quote(params.get('user') or '', safe='')}:"
        f"{quote(params.get('password') or '', safe='')}"
        f"@{quote(str(params.get('host') or ''), safe='')}:{params.get('port') or 5432}"
        f"/{quote(params['dbname'], safe='')}{query}"
    )
