"""Reads for the sales channels: which products a connection lists, in chunks, and the
counts and lists the merchant view shows.

``products_in_chunks`` walks the products by id, ``CHUNK`` at a time, each chunk with
its variants and images prefetched: three queries per chunk and memory bounded by one
chunk, whatever the catalog's size (feeds stream from it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from catalog.collections import collection_products
from catalog.models import Product, ProductImage, Variant
from catalog.readiness import Facts, channel_problems
from shops.channels.models import ChannelItem, Connection

CHUNK = 1000


def connection_products(*, connection: Connection) -> QuerySet[Product]:
    """The active products the connection's selection names (all, a collection, a tag)."""
    products = Product.objects.filter(status=Product.Status.ACTIVE)
    if connection.selection == Connection.Selection.COLLECTION:
        if connection.collection is None:
            return products.none()
        chosen = collection_products(connection.collection).order_by().values("pk")
        products = products.filter(pk__in=chosen)
    elif connection.selection == Connection.Selection.TAG:
        products = products.filter(tags__contains=[connection.tag])
    return products


def _prefetched(products: QuerySet[Product]) -> QuerySet[Product]:
    return products.prefetch_related(
        Prefetch("variants", queryset=Variant.objects.order_by("position", "id")),
        Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
    )


def products_in_chunks(
    products: QuerySet[Product], *, chunk: int = CHUNK
) -> Iterator[list[Product]]:
    """``products`` ordered by id, ``chunk`` at a time, variants and images prefetched."""
    last_id = 0
    products = products.order_by("id")
    while True:
        batch = list(_prefetched(products.filter(id__gt=last_id))[:chunk])
        if not batch:
            return
        yield batch
        last_id = batch[-1].id


def products_by_id(ids: Iterable[int]) -> dict[int, Product]:
    """Products (any status) with variants and images prefetched, by id."""
    return {p.pk: p for p in _prefetched(Product.objects.filter(pk__in=set(ids)))}


@dataclass(frozen=True)
class LeftOut:
    product: Product
    reasons: list[str]


def products_left_out(*, connection: Connection, limit: int = 200) -> list[LeftOut]:
    """Selected products the channel's readiness rules keep out of the feed and the sync,
    each with the reasons (at most ``limit``)."""
    left_out: list[LeftOut] = []
    for chunk in products_in_chunks(connection_products(connection=connection)):
        for product in chunk:
            problems = channel_problems(product, connection.channel, Facts.of(product))
            if problems:
                left_out.append(LeftOut(product, [rule.message for rule in problems]))
                if len(left_out) >= limit:
                    return left_out
    return left_out


@dataclass(frozen=True)
class ItemCounts:
    live: int
    pending: int
    rejected: int


def item_counts(*, connection: Connection) -> ItemCounts:
    states = ChannelItem.State
    counts = ChannelItem.objects.filter(connection=connection).aggregate(
        live=Count("id", filter=Q(state__in=[states.LIVE, states.WARNING])),
        pending=Count("id", filter=Q(state=states.PENDING)),
        rejected=Count("id", filter=Q(state=states.REJECTED)),
    )
    return ItemCounts(**counts)


def rejected_items(*, connection: Connection, limit: int = 200) -> QuerySet[ChannelItem]:
    return ChannelItem.objects.filter(
        connection=connection, state=ChannelItem.State.REJECTED
    ).order_by("product_id", "retailer_id")[:limit]
