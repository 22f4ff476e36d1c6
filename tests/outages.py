"""What the outage tests share (issue 14): every kind of write a merchant, a partner and a
shopper make, made at once while some system is down, and what they must have committed.

A shop for them has ``complete_product()`` (Linen Tee, TEE-S 3 in stock), Stripe keys
(``shop_sells``), an API key with ``catalog:write`` and a channel connection.
"""

from __future__ import annotations

import json

from django.core.files.base import ContentFile
from django.http import HttpResponse
from django.test import Client
from django_tenants.utils import tenant_context

from catalog.models import CatalogChange, ImportJob, Product, Variant
from orders.models import Order
from reviews.models import Review
from shops.channels.models import Connection
from shops.models import Shop
from tests.catalog.test_admin import product_post
from tests.catalog.test_imports import csv_bytes, tee_rows
from tests.conftest import owner_client
from tests.orders.conftest import buy

REVIEW = {
    "rating": "4",
    "title": "Nice",
    "body": "Soft.",
    "display_name": "Maya",
    "email": "maya@example.test",
}
# a product of its own, without a picture to download (no network beyond loopback)
CSV_ROWS = [
    {key: value for key, value in row.items() if not str(value).startswith("https://")}
    for row in tee_rows(handle="csv-tee", sku="CSV")
]
# every write answers its committed result
ANSWERS = {
    "admin product add": 302,
    "api product create": 201,
    "api product update": 200,
    "csv import": 302,
    "buy now": 201,
    "review": 303,
    "sync now": 302,
}


def every_write(
    *, slug: str, product: Product, variant: Variant, api_secret: str, connection_id: int
) -> dict[str, int]:
    """Make each write once; the status code of each. ``product`` is renamed "Linen Tee
    II" through the API, one of ``variant`` is bought (held), ``product`` is reviewed."""
    owner, partner = owner_client(slug), Client(HTTP_HOST=f"{slug}.localhost")
    api = {"content_type": "application/json", "headers": {"Authorization": f"Bearer {api_secret}"}}
    answers: dict[str, HttpResponse] = {
        "admin product add": owner.post("/admin/catalog/product/add/", product_post()),
        "api product create": partner.post(
            "/api/v1/products/",
            json.dumps({"title": "Linen Shirt", "variants": [{"sku": "LS-S", "price": "49"}]}),
            **api,
        ),
        "api product update": partner.patch(
            f"/api/v1/products/{product.pk}/", json.dumps({"title": "Linen Tee II"}), **api
        ),
        "csv import": owner.post(
            "/admin/catalog/importjob/add/",
            {"file": ContentFile(csv_bytes(CSV_ROWS), name="p.csv")},
        ),
        "buy now": buy(
            Client(HTTP_HOST=f"{slug}.localhost", enforce_csrf_checks=True),
            {"items": [{"variant_id": variant.pk, "quantity": 1}], "email": "s@example.test"},
        ),
        "review": Client(HTTP_HOST=f"{slug}.localhost").post(
            f"/products/{product.slug}/reviews/", REVIEW
        ),
        "sync now": owner.post(f"/admin/channels/connection/{connection_id}/sync-now/"),
    }
    return {name: response.status_code for name, response in answers.items()}


def assert_every_write_committed(*, product: Product, variant: Variant, stock: int) -> None:
    """In the shop's schema: what ``every_write`` wrote is there (``stock``: the variant's
    available stock once one is held)."""
    assert Product.objects.filter(slug__in=["canvas-tote", "linen-shirt"]).count() == 2
    assert Product.objects.get(pk=product.pk).title == "Linen Tee II"
    assert ImportJob.objects.count() == 1
    assert Order.objects.count() == 1
    assert Variant.objects.get(pk=variant.pk).available == stock
    assert Review.objects.count() == 1


def import_done(shop: Shop) -> bool:
    with tenant_context(shop):
        return ImportJob.objects.filter(status=ImportJob.Status.SUCCEEDED).exists()


def outbox_sent(shop: Shop, connection_id: int) -> bool:
    """Whether the connection's position reached the shop's last outbox row."""
    with tenant_context(shop):
        last = CatalogChange.objects.order_by("-id").values_list("id", flat=True).first()
        return Connection.objects.get(pk=connection_id).outbox_last_id == last
