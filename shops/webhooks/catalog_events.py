"""product.updated and stock.changed, emitted from the catalog outbox (CatalogChange rows).

A task reads the rows written since the last run (``OutboxPosition``), turns each into
events and moves the position, all in one transaction: a row becomes events exactly once.
Ids are taken before commit, so a row may appear after rows with higher ids: reading
stops at a gap until it fills or is old enough to be a rollback (``GAP_GRACE``). The
outbox rows must therefore stay until this reader has passed them.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Min, Prefetch

from catalog.models import CatalogChange, Product, Variant
from catalog.outbox import GAP_GRACE, outbox_settled  # noqa: F401 (GAP_GRACE: tests)
from shops.selectors import shop_currency
from shops.webhooks.models import EventType, OutboxPosition, WebhookSubscription
from shops.webhooks.services import webhook_events_emit

BATCH = 500
STOCK_ONLY = {CatalogChange.Aspect.STOCK, CatalogChange.Aspect.AVAILABILITY}


def _stock_fields(variant: Variant) -> dict:
    """stock is on hand (held units included), as the partner API's variants say."""
    return {"stock": variant.stock, "held": variant.held, "available": variant.available}


def _product_snapshot(product: Product) -> dict:
    return {
        "id": product.pk,
        "title": product.title,
        "slug": product.slug,
        "status": product.status,
        "updated": product.updated,
        "variants": [
            {"id": v.pk, "sku": v.sku, "price": v.price, **_stock_fields(v)}
            for v in product.variants.all()
        ],
    }


def _events_for(change: CatalogChange, product: Product | None, currency: str) -> list:
    events = []
    deleted = change.kind == CatalogChange.Kind.DELETE or product is None
    aspects = set(change.aspects)
    if deleted or not aspects <= STOCK_ONLY:
        events.append(
            (
                EventType.PRODUCT_UPDATED,
                {
                    "product_id": change.product_id,
                    "changes": sorted(aspects),
                    "deleted": deleted,
                    "currency": currency,
                    "product": None if deleted else _product_snapshot(product),
                },
            )
        )
    if not deleted and CatalogChange.Aspect.STOCK in aspects:
        events.append(
            (
                EventType.STOCK_CHANGED,
                {
                    "product_id": change.product_id,
                    "variants": [
                        {"id": v.pk, "sku": v.sku, **_stock_fields(v)}
                        for v in product.variants.all()
                    ],
                },
            )
        )
    return events


def catalog_events_emit(*, batch: int = BATCH) -> int:
    """Turn outbox rows into events until none are left; returns how many rows were read.

    The data is the product as it is now (a later change may have followed the row):
    subscribers should read the product again through the API when order matters.
    """
    currency = shop_currency()
    total = 0
    while True:
        with transaction.atomic():
            position, _ = OutboxPosition.objects.select_for_update().get_or_create(source="catalog")
            earliest = WebhookSubscription.objects.filter(
                is_active=True, events__overlap=[EventType.PRODUCT_UPDATED, EventType.STOCK_CHANGED]
            ).aggregate(created=Min("created"))["created"]
            if earliest is None:  # nobody listens: skip what was written so far
                latest = CatalogChange.objects.order_by("-id").values_list("id", flat=True).first()
                OutboxPosition.objects.filter(pk=position.pk).update(last_id=latest or 0)
                return total
            changes = outbox_settled(
                CatalogChange.objects.filter(id__gt=position.last_id)[:batch], position.last_id
            )
            if not changes:
                return total
            # a subscriber starts from when it subscribed: older rows only move the position
            recent = [change for change in changes if change.created >= earliest]
            products = Product.objects.filter(
                pk__in={change.product_id for change in recent}
            ).prefetch_related(
                Prefetch("variants", queryset=Variant.objects.order_by("position", "id"))
            )
            by_id = {product.pk: product for product in products}
            webhook_events_emit(
                events=[
                    (*event, change.created)
                    for change in recent
                    for event in _events_for(change, by_id.get(change.product_id), currency)
                ]
            )
            position.last_id = changes[-1].id
            position.save(update_fields=["last_id"])
            total += len(changes)
