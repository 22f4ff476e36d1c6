"""Helpers for API tests: keys made through the service, clients on a shop's host."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Sequence

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from catalog.services import VariantInput, product_create
from orders.models import Order
from orders.services import discount_create, shipping_rate_create, shipping_zone_create
from shops.api.models import Scope
from shops.api.services import api_key_create
from shops.models import Shop
from tests.catalog.conftest import image_server  # noqa: F401
from tests.orders.conftest import selling_a, shirt  # noqa: F401

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
        product=product,
        rating=rating,
        title=fields.pop("title", ""),
        body=body,
        display_name=fields.pop("display_name", "Ann"),
        shopper=a_shopper(ip),
        **fields,
    )


def a_post(*products, caption: str = "Summer look", **fields):
    """A post with one picture tagging ``products`` (in the current shop)."""
    from django.core.files.base import ContentFile

    from shops.posts import services

    return services.post_create(
        images=[services.ImageInput(file=ContentFile(png_bytes(), name="look.png"))],
        tags=[
            [
                services.TagInput(product_id=p.pk, x=0.2 + 0.1 * i, y=0.5)
                for i, p in enumerate(products)
            ]
        ],
        caption=caption,
        **fields,
    )


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
        ChannelItem(
            connection=connection,
            retailer_id=retailer_id,
            product_id=product_id,
            state=state,
            message=message,
        )
        for retailer_id, product_id, state, message in items
    )
    return connection


def post_twice_with_one_key(api: ApiClient, path: str, body: dict, key: str):
    """The same POST sent twice with one Idempotency-Key: the second must be the first's
    replay. Returns both answers."""
    first = api.post(path, body, headers={"Idempotency-Key": key})
    again = api.post(path, body, headers={"Idempotency-Key": key})
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    return first, again


# --- Every endpoint a key opens, and one object of each resource -------------------------

# Every endpoint with the scope it needs: (method, path, body, scope).
ENDPOINTS = [
    ("get", "/api/v1/products/", None, "catalog:read"),
    ("get", "/api/v1/products/{product}/", None, "catalog:read"),
    ("post", "/api/v1/products/", {"title": "New"}, "catalog:write"),
    ("patch", "/api/v1/products/{product}/", {"title": "Renamed"}, "catalog:write"),
    ("delete", "/api/v1/products/{product}/", None, "catalog:write"),
    (
        "post",
        "/api/v1/products/{product}/images/",
        {"url": "http://127.0.0.1:9/x.jpg"},
        "catalog:write",
    ),
    ("delete", "/api/v1/products/{product}/images/999999/", None, "catalog:write"),
    ("get", "/api/v1/variants/", None, "catalog:read"),
    ("get", "/api/v1/variants/{variant}/", None, "catalog:read"),
    ("post", "/api/v1/variants/", {"product": 1, "sku": "N", "price": "1"}, "catalog:write"),
    ("patch", "/api/v1/variants/{variant}/", {"price": "3.00"}, "catalog:write"),
    ("delete", "/api/v1/variants/{variant}/", None, "catalog:write"),
    ("post", "/api/v1/variants/{variant}/stock/", {"adjust": 1}, "catalog:write"),
    ("get", "/api/v1/collections/", None, "catalog:read"),
    ("get", "/api/v1/collections/{collection}/", None, "catalog:read"),
    ("post", "/api/v1/collections/", {"title": "C"}, "catalog:write"),
    ("patch", "/api/v1/collections/{collection}/", {"title": "D"}, "catalog:write"),
    ("delete", "/api/v1/collections/{collection}/", None, "catalog:write"),
    ("get", "/api/v1/webhooks/", None, "webhooks:write"),
    ("get", "/api/v1/webhooks/{subscription}/", None, "webhooks:write"),
    (
        "post",
        "/api/v1/webhooks/",
        {"url": "https://x.example/", "events": ["order.paid"]},
        "webhooks:write",
    ),
    ("patch", "/api/v1/webhooks/{subscription}/", {"is_active": False}, "webhooks:write"),
    ("delete", "/api/v1/webhooks/{subscription}/", None, "webhooks:write"),
    ("get", "/api/v1/webhooks/{subscription}/deliveries/", None, "webhooks:write"),
    ("get", "/api/v1/events/", None, "events:read"),
    ("get", "/api/v1/orders/", None, "orders:read"),
    ("get", "/api/v1/orders/{order}/", None, "orders:read"),
    ("post", "/api/v1/orders/{order}/fulfil/", {"tracking_number": "T"}, "orders:write"),
    ("post", "/api/v1/orders/{order}/cancel/", None, "orders:write"),
    ("post", "/api/v1/orders/{order}/refund/", {"amount": "1.00"}, "orders:write"),
    ("post", "/api/v1/webhooks/{subscription}/rotate-secret/", None, "webhooks:write"),
    ("get", "/api/v1/reviews/", None, "reviews:read"),
    ("get", "/api/v1/reviews/{review}/", None, "reviews:read"),
    ("post", "/api/v1/reviews/{review}/approve/", {}, "reviews:write"),
    ("post", "/api/v1/reviews/{review}/reject/", {"note": "Off topic"}, "reviews:write"),
    ("post", "/api/v1/reviews/{review}/hide/", {}, "reviews:write"),
    ("post", "/api/v1/reviews/{review}/spam/", {}, "reviews:write"),
    ("post", "/api/v1/reviews/{review}/reply/", {"body": "Thank you!"}, "reviews:write"),
    ("delete", "/api/v1/reviews/{review}/reply/", None, "reviews:write"),
    ("get", "/api/v1/posts/", None, "posts:read"),
    ("get", "/api/v1/posts/{post}/", None, "posts:read"),
    ("post", "/api/v1/posts/", {"caption": "No picture", "images": []}, "posts:write"),
    ("patch", "/api/v1/posts/{post}/", {"caption": "Renamed"}, "posts:write"),
    ("delete", "/api/v1/posts/{post}/", None, "posts:write"),
    ("post", "/api/v1/posts/{post}/images/", {"url": "http://127.0.0.1:9/x.png"}, "posts:write"),
    ("get", "/api/v1/polls/", None, "polls:read"),
    ("get", "/api/v1/polls/{poll}/", None, "polls:read"),
    ("post", "/api/v1/polls/", {"question": "?", "options": []}, "polls:write"),
    ("post", "/api/v1/polls/{poll}/close/", None, "polls:write"),
    (
        "post",
        "/api/v1/polls/{poll}/options/{option}/image/",
        {"url": "http://127.0.0.1:9/x.png"},
        "polls:write",
    ),
    ("get", "/api/v1/channels/", None, "channels:read"),
    ("get", "/api/v1/channels/{channel}/", None, "channels:read"),
    ("get", "/api/v1/channels/{channel}/items/", None, "channels:read"),
    ("get", "/api/v1/channels/{channel}/items/{item}/", None, "channels:read"),
    ("get", "/api/v1/analytics/summary/", None, "analytics:read"),
    ("get", "/api/v1/analytics/funnel/", None, "analytics:read"),
    ("get", "/api/v1/analytics/series/?metric=sales", None, "analytics:read"),
    ("get", "/api/v1/analytics/breakdown/?by=source", None, "analytics:read"),
    ("get", "/api/v1/shipping-zones/", None, "shipping:read"),
    ("get", "/api/v1/shipping-zones/{zone}/", None, "shipping:read"),
    (
        "post",
        "/api/v1/shipping-zones/",
        {"name": "Nordics", "countries": ["SE", "NO"]},
        "shipping:write",
    ),
    ("patch", "/api/v1/shipping-zones/{zone}/", {"name": "Renamed"}, "shipping:write"),
    ("delete", "/api/v1/shipping-zones/{zone}/", None, "shipping:write"),
    ("get", "/api/v1/shipping-rates/", None, "shipping:read"),
    ("get", "/api/v1/shipping-rates/{rate}/", None, "shipping:read"),
    (
        "post",
        "/api/v1/shipping-rates/",
        {"zone_id": 1, "name": "Express", "price": "9.90"},
        "shipping:write",
    ),
    ("patch", "/api/v1/shipping-rates/{rate}/", {"price": "5.00"}, "shipping:write"),
    ("delete", "/api/v1/shipping-rates/{rate}/", None, "shipping:write"),
    ("get", "/api/v1/discounts/", None, "discounts:read"),
    ("get", "/api/v1/discounts/{discount}/", None, "discounts:read"),
    (
        "post",
        "/api/v1/discounts/",
        {"code": "NEW5", "kind": "fixed_amount", "value": "5"},
        "discounts:write",
    ),
    ("patch", "/api/v1/discounts/{discount}/", {"is_active": False}, "discounts:write"),
    ("delete", "/api/v1/discounts/{discount}/", None, "discounts:write"),
]


@pytest.fixture
def objects(shop_a, settings, tmp_path) -> dict:
    settings.WEBHOOK_DELIVERY_PRIVATE = True  # no DNS lookups of partner hosts in tests
    settings.MEDIA_ROOT = tmp_path
    from catalog.collections import collection_create
    from shops.webhooks.services import subscription_create

    with tenant_context(shop_a):
        product = product_create(title="Mug", variants=[VariantInput(sku="MUG-1", price="9")])
        collection = collection_create(title="Mugs")
        subscription = subscription_create(url="https://partner.example/", events=["order.paid"])
        order = Order.objects.create(
            email="s@example.com", currency="EUR", subtotal=9, total=9, amount_minor=900
        )
        connection = a_connection("pinterest", items=[("1-1", product.pk, "live", "")])
        poll = a_poll()
        zone = shipping_zone_create(name="Europe", countries=["FR", "DE"])
        rate = shipping_rate_create(zone=zone, name="Standard", price="4.90")
        discount = discount_create(code="WELCOME", kind="percentage", value="10")
        return {
            "zone": zone.pk,
            "rate": rate.pk,
            "discount": discount.pk,
            "review": a_review(product).pk,
            "post": a_post(product).pk,
            "poll": poll.pk,
            "option": poll.options.first().pk,
            "channel": connection.channel,
            "item": connection.items.get().pk,
            "order": order.pk,
            "product": product.pk,
            "variant": product.variants.get().pk,
            "collection": collection.pk,
            "subscription": subscription.subscription.pk,
        }
