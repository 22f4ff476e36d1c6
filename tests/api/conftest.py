"""Helpers for API tests: keys made through the service, clients on a shop's host."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Sequence

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from shops.api.models import Scope
from shops.api.services import api_key_create
from shops.models import Shop
from tests.orders.conftest import localstripe, selling_a, stripe_settings  # noqa: F401

ALL_SCOPES = list(Scope.values)


class ApiClient:
    """A test client on ``<slug>.localhost`` that sends a key and JSON."""

    def __init__(self, slug: str, secret: str | None) -> None:
        self.client = Client(HTTP_HOST=f"{slug}.localhost")
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def _call(self, method: str, path: str, data=None, headers=None, **extra):
        call = getattr(self.client, method)
        headers = {**self.headers, **(headers or {})}
        if method == "get":
            return call(path, data, headers=headers, **extra)
        return call(path, data, content_type="application/json", headers=headers, **extra)

    def get(self, path, data=None, **kw):
        return self._call("get", path, data, **kw)

    def post(self, path, data=None, **kw):
        return self._call("post", path, data, **kw)

    def patch(self, path, data=None, **kw):
        return self._call("patch", path, data, **kw)

    def delete(self, path, data=None, **kw):
        return self._call("delete", path, data, **kw)


@pytest.fixture
def make_key() -> Callable[..., str]:
    """``make_key(shop, scopes=...)`` → the secret of a new key in that shop."""

    def make(shop: Shop, scopes: Sequence[str] = ALL_SCOPES, **fields) -> str:
        with tenant_context(shop):
            return api_key_create(name="Test partner", scopes=scopes, **fields).secret

    return make


@pytest.fixture
def api_a(shop_a, make_key) -> ApiClient:
    """A client on alpha's host with an all-scopes alpha key."""
    return ApiClient("alpha", make_key(shop_a))


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "field"} <= set(body["error"])
    return body["error"]


class Receiver:
    """An HTTP server on loopback that answers with the next of ``statuses``."""

    def __init__(self, statuses=(200,)) -> None:
        self.statuses = list(statuses)
        self.requests: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = (
                    receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                )
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"boom")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks?shop=alpha"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver():
    made = []

    def make(statuses=(200,)) -> Receiver:
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for instance in made:
        instance.server.shutdown()
