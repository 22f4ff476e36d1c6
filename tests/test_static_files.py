"""Static files under the production server: after collectstatic, content-hashed names
cached for ever (and gzipped); before it (make run, the tests), plain names that still
answer."""

from __future__ import annotations

import gzip
import http.client
import os
import re
import subprocess
import sys
from urllib.parse import urlsplit

from django.test import Client

from tests.conftest import PROJECT_ROOT

FOREVER = "max-age=315360000, public, immutable"


def server_get(base_url: str, path: str, **headers: str) -> tuple[http.client.HTTPResponse, bytes]:
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", path, headers={"Host": "alpha.localhost", **headers})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def test_without_collectstatic_pages_name_plain_files_that_answer(shop_a, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "never-collected"
    client = Client(HTTP_HOST="alpha.localhost")

    html = client.get("/").content.decode()
    stylesheet = client.get("/static/css/etalage.css")

    assert 'href="/static/css/etalage.css"' in html
    assert stylesheet.status_code == 200
    assert b"".join(stylesheet.streaming_content).strip()
    assert "immutable" not in stylesheet["Cache-Control"]  # a plain name may change content


def test_after_collectstatic_gunicorn_serves_hashed_files_cached_for_ever(gunicorn, tmp_path):
    # given: collectstatic into a STATIC_ROOT of the test's own, as a deployment runs it
    static_root = tmp_path / "static"
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "STATIC_ROOT": str(static_root)},
        check=True,
        timeout=300,
    )
    base_url = gunicorn(STATIC_ROOT=str(static_root))

    # when
    page, html = server_get(base_url, "/")
    hashed = re.search(r'href="(/static/css/etalage\.[0-9a-f]{12}\.css)"', html.decode())
    assert page.status == 200 and hashed, html[:500]
    plain, plain_body = server_get(base_url, hashed.group(1))
    zipped, zipped_body = server_get(base_url, hashed.group(1), **{"Accept-Encoding": "gzip"})
    unhashed, _ = server_get(base_url, "/static/css/etalage.css")

    # then
    assert plain.status == 200
    assert plain.headers["Cache-Control"] == FOREVER
    assert plain_body == (PROJECT_ROOT / "static/css/etalage.css").read_bytes()
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Cache-Control"] == FOREVER
    assert gzip.decompress(zipped_body) == plain_body
    assert unhashed.status == 200
    assert "immutable" not in unhashed.headers["Cache-Control"]
