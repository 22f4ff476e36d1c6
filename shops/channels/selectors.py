"""Reads for the sales channels: which products a connection lists, in chunks, and the
counts and lists the merchant view shows.

``products_in_chunks`` walks the products by id, ``CHUNK`` at a time, each chunk with
its variants and images: three queries per chunk and memory bounded by one chunk,
whatever the catalog's size (feeds stream from it). The products come as ``ProductRow``
(plain tuples read with ``values_list``, not model instances: a 100,000-variant feed
spends its time writing, not building models); they answer what
``catalog.readiness.Facts.of`` and ``shops.channels.items`` read (``variants.all()``,
``images.all()``, the fields).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

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


class _Related(list):
    def all(self) -> _Related:
        return self


PRODUCT_FIELDS = ("id", "title", "slug", "description", "brand", "gtin", "mpn", "status",
                  "condition", "google_product_category", "updated")  # fmt: skip
VARIANT_FIELDS = ("id", "product_id", "price", "compare_at_price", "stock", "option1",
                  "option2", "option3")  # fmt: skip
IMAGE_FIELDS = ("product_id", "image", "status")


class VariantRow:
    __slots__ = (*VARIANT_FIELDS, "pk", "options")

    def __init__(self, values: tuple) -> None:
        for name, value in zip(VARIANT_FIELDS, values, strict=True):
            setattr(self, name, value)
        self.pk = self.id
        self.options = [o for o in (self.option1, self.option2, self.option3) if o]


class ImageRow:
    __slots__ = IMAGE_FIELDS

    def __init__(self, values: tuple) -> None:
        self.product_id, self.image, self.status = values


class ProductRow:
    """A product with its variants and images, read for the channels."""

    __slots__ = (*PRODUCT_FIELDS, "pk", "variants", "images")

    def __init__(self, values: tuple) -> None:
        for name, value in zip(PRODUCT_FIELDS, values, strict=True):
            setattr(self, name, value)
        self.pk = self.id
        self.variants: _Related = _Related()
        self.images: _Related = _Related()


def _rows(products: QuerySet[Product]) -> list[ProductRow]:
    rows = [ProductRow(values) for values in products.values_list(*PRODUCT_FIELDS)]
    by_id = {row.id: row for row in rows}
    if not by_id:
        return rows
    variants = Variant.objects.filter(product_id__in=by_id).order_by("product_id", "position", "id")
    for values in variants.values_list(*VARIANT_FIELDS):
        by_id[values[1]].variants.append(VariantRow(values))
    images = ProductImage.objects.filter(product_id__in=by_id).order_by(
        "product_id", "position", "id"
    )
    for values in images.values_list(*IMAGE_FIELDS):
        by_id[values[0]].images.append(ImageRow(values))
    return rows


def products_in_chunks(
    products: QuerySet[Product], *, chunk: int = CHUNK
) -> Iterator[list[ProductRow]]:
    """``products`` ordered by id, ``chunk`` at a time, with variants and images."""
    last_id = 0
    products = products.order_by("id")
    while True:
        batch = _rows(products.filter(id__gt=last_id)[:chunk])
        if not batch:
            return
        yield batch
        last_id = batch[-1].id


def products_by_id(ids: Iterable[int]) -> dict[int, ProductRow]:
    """Products (any status) with their variants and images, by id."""
    return {row.pk: row for row in _rows(Product.objects.filter(pk__in=set(ids)))}


@dataclass(frozen=True)
class LeftOut:
    product: ProductRow
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
