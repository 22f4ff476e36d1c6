"""Start-up errors that a person fixes by changing configuration, printed as one line."""

from __future__ import annotations

import sys
from collections.abc import Sequence


class SetupError(Exception):
    """A problem with the machine or the configuration, with a message saying what to change."""


def describe_database_error(exc: BaseException) -> str:
    """One line for a database that cannot be reached, naming where it was looked for."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database.get("EMBEDDED_PGDATA"):
        where = f"the embedded server in {database['EMBEDDED_PGDATA']}"
        hint = "delete .data/postgres to start afresh, or set DATABASE_URL"
    else:
        host = database.get("HOST") or "local socket"
        where = (
            f"{database.get('USER') or ''}@{host}:{database.get('PORT') or 5432}/{database['NAME']}"
        )
        hint = "check DATABASE_URL (postgresql://user:password@host:port/name)"
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"cannot connect to PostgreSQL at {where}: {reason}. {hint}"


def run_cli(argv: Sequence[str]) -> None:
    """Run a management command, turning configuration errors into one clear line."""
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.core.management import execute_from_command_line
        from django.db.utils import OperationalError

        execute_from_command_line(list(argv))
    except SetupError as exc:
        sys.exit(f"etalage: {exc}")
    except ImproperlyConfigured as exc:
        sys.exit(f"etalage: configuration error: {exc}")
    except OperationalError as exc:
        sys.exit(f"etalage: {describe_database_error(exc)}")
