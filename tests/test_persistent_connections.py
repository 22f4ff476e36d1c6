"""Database connections persist between requests by default (with a health check before
reuse), for DATABASE_URL and the embedded server alike; DB_CONN_MAX_AGE=0 turns it off."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from django.db import connection

from tests.conftest import GUNICORN_APPLICATION_NAME, PROJECT_ROOT

SHOW = (
    "import json; from django.conf import settings; d = settings.DATABASES['default'];"
    "print(json.dumps([d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'], d['ENGINE']]))"
)


def settings_with(**environment: str | None) -> list:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    for name, value in environment.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    output = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {SHOW}"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("database_url", "max_age", "expected"),
    [
        ("postgresql://postgres@127.0.0.1:5432/etalage", None, [60, True, "config.db"]),
        (None, None, [60, True, "config.db"]),  # the embedded server
        ("postgresql://postgres@127.0.0.1:5432/etalage", "0", [0, True, "config.db"]),
        (None, "0", [0, True, "config.db"]),
        (None, "300", [300, True, "config.db"]),
    ],
)
def test_connections_persist_unless_db_conn_max_age_says_otherwise(database_url, max_age, expected):
    assert settings_with(DATABASE_URL=database_url, DB_CONN_MAX_AGE=max_age) == expected


def backends() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
            [GUNICORN_APPLICATION_NAME],
        )
        return {row[0] for row in cursor.fetchall()}


def test_gunicorn_serves_request_after_request_on_one_connection(
    gunicorn, monkeypatch, django_db_blocker
):
    monkeypatch.delenv("DB_CONN_MAX_AGE", raising=False)
    base_url = urlsplit(gunicorn(workers=1))
    seen: set[int] = set()

    for _ in range(5):
        client = http.client.HTTPConnection(base_url.hostname, base_url.port, timeout=30)
        client.request("GET", "/", headers={"Host": "nope.localhost"})  # looked up every time
        assert client.getresponse().status == 404
        client.close()
        with django_db_blocker.unblock():
            seen |= backends()

    assert len(seen) == 1  # one backend, kept from the first request to the last
