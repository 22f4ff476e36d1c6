"""django-tenants' PostgreSQL backend, plus the embedded server started on first connection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper

from config import embedded_postgres


class DatabaseWrapper(TenantDatabaseWrapper):
    """Connects like django-tenants' backend; with ``EMBEDDED_PGDATA`` set, to the embedded server.

    The server is started lazily, so commands that never touch the database (``help``,
    ``check``) do not start it.
    """

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        pgdata = self.settings_dict.get("EMBEDDED_PGDATA")
        if pgdata:
            database = params.get("dbname") or embedded_postgres.DATABASE_NAME
            maintenance = database in ("postgres", "template1")
            server = embedded_postgres.ensure_running(
                Path(pgdata), database="postgres" if maintenance else database
            )
            params.update(host=server.socket_dir, port=server.port, user=embedded_postgres.USER)
        return params
