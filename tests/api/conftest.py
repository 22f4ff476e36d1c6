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


# --- Objects of the social-proof and channel resources ---------------------------------------


def png_bytes(colour: str = "teal", size: tuple[int, int] = (300, 200)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def png_base64(colour: str = "teal") -> str:
    import base64

    return base64.b64encode(png_bytes(colour)).decode()


def product_only_b_has(shop_b):
    """A product of shop B whose id is not one of A's products' in the test (ids are per
    schema: B makes three others first, so its id runs ahead of the few A makes)."""
    from tests.reviews.helpers import make_product

    with tenant_context(shop_b):
        for number in range(3):
            make_product(f"Beta {number}", slug=f"beta-{number}")
        return make_product("Beta only", slug="beta-only")


def a_review(product, *, rating: int = 4, body: str = "Fits well", ip: str = "192.0.2.1", **fields):
    """A pending review of ``product`` by an anonymous shopper (in the current shop)."""
    from reviews.services import review_submit
    from tests.reviews.helpers import a_shopper

    return review_submit(
        product=product, rating=rating, title=fields.pop("title", ""), body=body,
        display_name=fields.pop("display_name", "Ann"), shopper=a_shopper(ip), **fields,
    )  # fmt: skip


def a_post(*products, caption: str = "Summer look", **fields):
    """A post with one picture tagging ``products`` (in the current shop)."""
    from django.core.files.base import ContentFile

    from shops.storefront.posts import services

    return services.post_create(
        images=[services.ImageInput(file=ContentFile(png_bytes(), name="look.png"))],
        tags=[[services.TagInput(product_id=p.pk, x=0.2 + 0.1 * i, y=0.5)
               for i, p in enumerate(products)]],
        caption=caption, **fields,
    )  # fmt: skip


def a_poll(question: str = "Which colour next?", *, options=("Sage", "Rust"), **fields):
    from reviews.services import PollOptionInput, poll_create

    return poll_create(
        question=question, options=[PollOptionInput(text=text) for text in options], **fields
    )


def a_connection(channel: str = "meta", *, items=()):
    """A connection with ``items``: (retailer id, product id, state, message) each."""
    from shops.channels.models import ChannelItem
    from shops.channels.services import connection_create

    connection = connection_create(
        channel=channel, access_token=f"{channel}-token-secret", external_id="123"
    )
    ChannelItem.objects.bulk_create(
        ChannelItem(connection=connection, retailer_id=retailer_id, product_id=product_id,
                    state=state, message=message)
        for retailer_id, product_id, state, message in items
    )  # fmt: skip
    return connection


def post_twice_with_one_key(api: ApiClient, path: str, body: dict, key: str):
    """The same POST sent twice with one Idempotency-Key: the second must be the first's
    replay. Returns both answers."""
    first = api.post(path, body, headers={"Idempotency-Key": key})
    again = api.post(path, body, headers={"Idempotency-Key": key})
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    return first, again
