"""Bad configuration gets one clear line, never a traceback.

And the embedded server starts once and is reused.
"""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from config import embedded_postgres
from config.child_processes import free_port
from config.database_url import database_url_of
from tests.conftest import PROJECT_ROOT


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_one_clear_line(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("etalage: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_unreachable_database_url_is_one_line():
    port = free_port()
    result = manage(
        "migrate_schemas", DATABASE_URL=f"postgresql://etalage:secret@127.0.0.1:{port}/shops"
    )
    assert_one_clear_line(
        result, f"cannot connect to PostgreSQL at etalage@127.0.0.1:{port}/shops", "DATABASE_URL"
    )
    assert "secret" not in result.stderr


def test_database_url_for_another_database_is_one_line():
    result = manage("check", DATABASE_URL="mysql://root@127.0.0.1/etalage")
    assert_one_clear_line(result, "DATABASE_URL must point to PostgreSQL")


def test_unwritable_data_folder_is_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = manage("migrate_schemas", ETALAGE_DATA_DIR=str(blocker / ".data"), SECRET_KEY="k" * 50)
    assert_one_clear_line(result, f"cannot create the data folder {blocker / '.data'}")


def test_unwritable_data_folder_without_secret_key_is_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = manage("check", ETALAGE_DATA_DIR=str(blocker / ".data"), SECRET_KEY="")
    assert_one_clear_line(result, "cannot keep a development secret key", "SECRET_KEY")


def test_port_in_use_is_one_line(db):
    environment = dict(os.environ)
    if "DATABASE_URL" in environment:  # runserver looks at the migrations before binding
        environment["DATABASE_URL"] = database_url_of()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "runserver",
                f"127.0.0.1:{port}",
                "--noreload",
                "--skip-checks",
            ],
            cwd=PROJECT_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode != 0
    assert "Error: That port is already in use." in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(
    os.environ.get("ETALAGE_SKIP_EMBEDDED_TEST") == "1", reason="ETALAGE_SKIP_EMBEDDED_TEST=1"
)
def test_embedded_server_starts_once_and_is_reused(tmp_path):
    pgdata = Path(tmp_path) / "postgres"
    try:
        first = embedded_postgres.ensure_running(pgdata, database="etalage_check")
        embedded_postgres._servers.clear()  # as a new process would see it
        second = embedded_postgres.ensure_running(pgdata, database="etalage_check")

        assert first.pid == second.pid
        import psycopg

        with psycopg.connect(
            host=second.socket_dir, port=second.port, user="postgres", dbname="etalage_check"
        ) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("etalage_check",)
    finally:
        assert embedded_postgres.stop(pgdata)


def test_empty_password_hashers_is_one_line():
    result = manage("check", PASSWORD_HASHERS=" , ")
    assert_one_clear_line(result, "PASSWORD_HASHERS is set but empty")
