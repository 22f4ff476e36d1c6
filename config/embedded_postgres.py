"""The embedded PostgreSQL server used when DATABASE_URL is not set.

The server comes from the ``pgserver`` package (PostgreSQL binaries in a wheel), keeps
its data under ``.data/postgres`` and listens on a Unix socket only, so it never clashes
with another server's port. It is started on the first database connection and left
running, so runserver reloads, management commands, the Celery worker and the test
session all share one server; ``make db-stop`` stops it.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from config.errors import SetupError

DATABASE_NAME = "etalage"
USER = "postgres"


@dataclass(frozen=True)
class EmbeddedServer:
    pid: int
    socket_dir: str
    port: int


_lock = threading.Lock()
_servers: dict[Path, EmbeddedServer] = {}
_databases_checked: set[tuple[Path, str]] = set()


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by the pgserver system user
        return True
    return True


def _check_writable(pgdata: Path) -> None:
    parent = pgdata.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SetupError(
            f"cannot create the data folder {parent} ({exc.strerror or exc}); "
            "make it writable, point ETALAGE_DATA_DIR elsewhere, or set DATABASE_URL"
        ) from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise SetupError(
            f"the data folder {parent} is not writable; "
            "make it writable, point ETALAGE_DATA_DIR elsewhere, or set DATABASE_URL"
        )


def _pgserver():
    """Import pgserver quietly: we print our own one line, and platformdirs warns when
    XDG_RUNTIME_DIR is unset."""
    logging.getLogger("pgserver").setLevel(logging.CRITICAL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
        import pgserver._commands
        import pgserver.utils
    return pgserver


def _start(pgdata: Path) -> EmbeddedServer:
    _check_writable(pgdata)
    pgserver = _pgserver()

    fresh = not (pgdata / "PG_VERSION").exists()
    try:
        server = pgserver.get_server(pgdata, cleanup_mode=None)
        info = server.get_postmaster_info()
    except (OSError, subprocess.SubprocessError, AssertionError) as exc:
        if fresh and pgdata.exists() and not (pgdata / "PG_VERSION").exists():
            shutil.rmtree(pgdata, ignore_errors=True)  # leave nothing half-initialised
        log = pgdata / "log"
        where = f"; its log is {log}" if log.exists() else ""
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise SetupError(
            f"the embedded PostgreSQL server in {pgdata} did not start "
            f"({type(exc).__name__}: {reason}){where}. Set DATABASE_URL to use another server"
        ) from None
    return EmbeddedServer(pid=info.pid, socket_dir=str(info.socket_dir), port=info.port or 5432)


def _ensure_database(server: EmbeddedServer, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=server.socket_dir, port=server.port, user=USER, dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def ensure_running(pgdata: Path, database: str = DATABASE_NAME) -> EmbeddedServer:
    """Start the server for ``pgdata`` unless it runs already, and make sure ``database`` exists."""
    pgdata = pgdata.resolve()
    with _lock:
        server = _servers.get(pgdata)
        if server is None or not _is_alive(server.pid):
            server = _servers[pgdata] = _start(pgdata)
            _databases_checked.difference_update({k for k in _databases_checked if k[0] == pgdata})
        if (pgdata, database) not in _databases_checked:
            _ensure_database(server, database)
            _databases_checked.add((pgdata, database))
        return server


def running_pid(pgdata: Path) -> int | None:
    """The server's process id when one runs for ``pgdata``, else None."""
    info = _pgserver().utils.PostmasterInfo.read_from_pgdata(pgdata.resolve())
    return info.pid if info is not None and info.is_running() else None


def stop(pgdata: Path) -> bool:
    """Stop the server for ``pgdata``; False when none was running."""
    if running_pid(pgdata) is None:
        return False
    pg_ctl = _pgserver()._commands.pg_ctl
    user = "pgserver" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-t", "120", "stop"], pgdata=pgdata.resolve(), user=user)
    except subprocess.CalledProcessError:
        # pg_ctl gives up when its check of the stop is slow (a loaded machine); what
        # counts is whether the server is still there
        if running_pid(pgdata) is not None:
            raise
    _servers.pop(pgdata.resolve(), None)
    return True
