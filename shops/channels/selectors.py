"""Reads for the sales channels: which products a connection lists, in chunks, and the
counts and lists the merchant view shows.

``products_in_chunks`` walks the products by id, ``CHUNK`` at a time, each chunk with
its variants, images, collections' titles and review ratings: five queries per chunk
and memory bounded by one chunk, whatever the catalog's size (feeds stream from it;
``read_ahead`` holds up to three: the one being built, one handed over, one being
read). The products come as ``ProductRow`` (plain tuples read with ``values_list``, not
model instances: a 100,000-variant feed spends its time writing, not building models);
they answer what ``catalog.readiness.Facts.of`` and ``shops.channels.items`` read
(``variants.all()``, ``images.all()``, the fields).
"""

from __future__ import annotations

import queue
import threading
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection as db_connection
from django.db import connections as db_connections
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from catalog.collections import collection_products
from catalog.models import CollectionProduct, Product, ProductImage, Variant
from catalog.readiness import channel_problems
from orders.countries import COUNTRY_CODES
from orders.models import ShippingZone
from reviews.selectors import product_ratings
from shops.channels.items import ShopContext, channel_facts, shop_context
from shops.channels.models import ChannelItem, Connection

CHUNK = 1000
REJECTED_SHOWN = 200  # rejected items listed on the connection page


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


def connection_variants(*, connection: Connection) -> QuerySet[Variant]:
    """The variants of the products the connection lists (a sync's items to check)."""
    return Variant.objects.filter(
        product__in=connection_products(connection=connection).values("pk")
    )


class _Related(list):
    def all(self) -> _Related:
        return self


PRODUCT_FIELDS = (
    "id",
    "title",
    "slug",
    "description",
    "brand",
    "gtin",
    "mpn",
    "is_custom_goods",
    "product_type",
    "requires_shipping",
    "status",
    "condition",
    "google_product_category",
    "updated",
    "option1_name",
    "option2_name",
    "option3_name",
)
VARIANT_FIELDS = (
    "id",
    "product_id",
    "price",
    "compare_at_price",
    "stock",
    "held",
    "option1",
    "option2",
    "option3",
    "weight_grams",
    "gtin",
    "mpn",
)
IMAGE_FIELDS = ("product_id", "image", "status")


class VariantRow(namedtuple("VariantFields", VARIANT_FIELDS)):
    """A variant's fields as read: a tuple, made at C speed (a feed reads 100,000)."""

    __slots__ = ()

    @property
    def pk(self) -> int:
        return self.id

    @property
    def options(self) -> tuple[str, ...]:
        return tuple(filter(None, (self.option1, self.option2, self.option3)))

    @property
    def available(self) -> int:
        """As ``catalog.models.Variant.available``: on hand less held, never below 0."""
        return max(self.stock - self.held, 0)


class ImageRow:
    __slots__ = IMAGE_FIELDS

    def __init__(self, values: tuple) -> None:
        self.product_id, self.image, self.status = values


class ProductRow:
    """A product with its variants and images, read for the channels."""

    __slots__ = (
        *PRODUCT_FIELDS,
        "pk",
        "variants",
        "images",
        "collection_titles",
        "rating_count",
        "rating_average",
    )

    def __init__(self, values: tuple) -> None:
        for name, value in zip(PRODUCT_FIELDS, values, strict=True):
            setattr(self, name, value)
        self.pk = self.id
        self.variants: _Related = _Related()
        self.images: _Related = _Related()
        # the published collections that list it by hand, by title (its product_type
        # when it has no type of its own)
        self.collection_titles: list[str] = []
        # its approved reviews (Pinterest's average_review_rating and counts)
        self.rating_count = 0
        self.rating_average: float | None = None


def _rows(products: QuerySet[Product]) -> list[ProductRow]:
    rows = [ProductRow(values) for values in products.values_list(*PRODUCT_FIELDS)]
    by_id = {row.id: row for row in rows}
    if not by_id:
        return rows
    # the products' ids as a subquery when they are a page of a query (one parameter,
    # not a thousand for the driver to bind); run again, it may see a product created
    # since, which is skipped
    ids = products.values("id") if products.query.is_sliced else list(by_id)
    variants = Variant.objects.filter(product_id__in=ids).order_by("product_id", "position", "id")
    for values in variants.values_list(*VARIANT_FIELDS):
        if (row := by_id.get(values[1])) is not None:
            row.variants.append(VariantRow._make(values))
    images = ProductImage.objects.filter(product_id__in=ids).order_by(
        "product_id", "position", "id"
    )
    for values in images.values_list(*IMAGE_FIELDS):
        if (row := by_id.get(values[0])) is not None:
            row.images.append(ImageRow(values))
    listed = CollectionProduct.objects.filter(
        product_id__in=ids, collection__is_published=True
    ).order_by("product_id", "collection__title", "collection_id")
    for product_id, title in listed.values_list("product_id", "collection__title"):
        if (row := by_id.get(product_id)) is not None:
            row.collection_titles.append(title)
    for product_id, rating in product_ratings(product_ids=list(by_id)).items():
        row = by_id[product_id]
        row.rating_count, row.rating_average = rating.count, rating.average
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


def read_ahead(chunks: Callable[[], Iterator[list[ProductRow]]]) -> Iterator[list[ProductRow]]:
    """``chunks()``, read one chunk ahead on a thread with its own database connection
    in the current shop's schema, so the next chunk's queries run while the caller
    builds from this one (a feed spends a fifth of its time waiting for the database).

    Only outside a transaction: a second connection cannot see uncommitted rows, so in
    one (a test, an atomic block) the chunks are read here, one after the other. The
    thread stops when the caller stops reading (a client that hung up) and closes its
    connection; an error there is raised here.
    """
    if db_connection.in_atomic_block:
        yield from chunks()
        return
    tenant = db_connection.tenant
    handoff: queue.Queue = queue.Queue(maxsize=1)
    stopped = threading.Event()

    def hand(kind: str, value: object) -> bool:
        while not stopped.is_set():
            try:
                handoff.put((kind, value), timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            db_connection.set_tenant(tenant)
            for chunk in chunks():
                if not hand("chunk", chunk):
                    return
            hand("end", None)
        except BaseException as error:
            hand("error", error)
        finally:
            db_connections.close_all()  # this thread's connections only

    reader = threading.Thread(target=read, name="channels-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stopped.set()
        reader.join()


def products_by_id(ids: Iterable[int]) -> dict[int, ProductRow]:
    """Products (any status) with their variants and images, by id."""
    return {row.pk: row for row in _rows(Product.objects.filter(pk__in=set(ids)))}


@dataclass(frozen=True)
class LeftOut:
    product: ProductRow
    reasons: list[str]


def products_left_out(
    *, connection: Connection, context: ShopContext | None = None, limit: int = 200
) -> list[LeftOut]:
    """Selected products the channel's readiness rules keep out of the feed and the sync,
    each with the reasons (at most ``limit``); links are checked at the shop's address
    (``context``, by default the one the sync sends)."""
    if context is None:
        context = shop_context()
    left_out: list[LeftOut] = []
    for chunk in products_in_chunks(connection_products(connection=connection)):
        for product in chunk:
            problems = channel_problems(
                product, connection.channel, channel_facts(product, context)
            )
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


def items_for_admin(
    *, connection: Connection, state: str = "", query: str = ""
) -> QuerySet[ChannelItem]:
    """The connection's items for the merchant's list: in one ``state`` ("live" takes
    warnings in), matching ``query`` (part of the retailer id or of the product's
    title), by product."""
    items = ChannelItem.objects.filter(connection=connection)
    if state == ChannelItem.State.LIVE:
        items = items.filter(state__in=[ChannelItem.State.LIVE, ChannelItem.State.WARNING])
    elif state:
        items = items.filter(state=state)
    query = query.strip()
    if query:
        titled = Product.objects.filter(title__icontains=query).values("pk")
        items = items.filter(Q(retailer_id__icontains=query) | Q(product_id__in=titled))
    return items.order_by("product_id", "retailer_id")


def product_titles(ids: Iterable[int]) -> dict[int, str]:
    """{product id: title} of the products that still exist (one query)."""
    return dict(Product.objects.filter(pk__in=set(ids)).values_list("pk", "title"))


def rejected_items(*, connection: Connection, limit: int = REJECTED_SHOWN) -> QuerySet[ChannelItem]:
    return ChannelItem.objects.filter(
        connection=connection, state=ChannelItem.State.REJECTED
    ).order_by("product_id", "retailer_id")[:limit]


def sync_state(connection: Connection) -> str:
    """The state of the connection's "sync now" (a reconcile), from its loaded fields:
    "failing" when the last attempt failed (the worker retries with backoff; "sync now"
    tries at once), "running" while variants are left to check, "stalled" when they are
    but the progress has not advanced for ``CHANNELS_SYNC_STALL_MINUTES`` (its worker
    died and the task was not delivered again), else "done"."""
    if connection.status == Connection.Status.FAILING:
        return "failing"
    if connection.sync_done >= connection.sync_total:
        return "done"
    stall = timedelta(minutes=settings.CHANNELS_SYNC_STALL_MINUTES)
    return "stalled" if connection.sync_progress_at < timezone.now() - stall else "running"


def sync_summary(state: str, *, done: int, total: int, percent: int, counts: ItemCounts) -> str:
    """The one sentence the merchant reads about the sync (page and status endpoint)."""
    if state == "running":
        return f"Syncing: {done} of {total} items checked ({percent}%)."
    if state == "stalled":
        return (
            f"The last sync stopped at {done}/{total} without finishing (the worker may "
            "have stopped); start it again."
        )
    if state == "failing":
        return "The last sync failed; it will be retried."
    return f"Sync done: {counts.live} live, {counts.pending} pending, {counts.rejected} rejected."


def sync_status(*, connection: Connection) -> dict:
    """Everything the connection page's sync box shows (its one source of truth):
    ``state`` (``sync_state``), the progress, ``summary`` (``sync_summary``), the
    connection's status, the item counts, the last sync and reconcile, the last error and
    the rejected items with the platform's reason (at most ``REJECTED_SHOWN``)."""
    connection.refresh_from_db(
        fields=[
            "status",
            "sync_total",
            "sync_done",
            "sync_progress_at",
            "last_error",
            "last_sync_at",
            "last_reconcile_at",
        ]
    )
    total, done = connection.sync_total, min(connection.sync_done, connection.sync_total)
    state = sync_state(connection)
    percent = 100 if not total else done * 100 // total
    counts = item_counts(connection=connection)
    return {
        "state": state,
        "summary": sync_summary(state, done=done, total=total, percent=percent, counts=counts),
        "total": total,
        "done": done,
        "percent": percent,
        "live": counts.live,
        "pending": counts.pending,
        "rejected": counts.rejected,
        "status": connection.get_status_display(),
        "last_error": connection.last_error,
        "last_sync_at": _iso(connection.last_sync_at),
        "last_reconcile_at": _iso(connection.last_reconcile_at),
        "rejected_items": [
            {"id": item.retailer_id, "message": item.message, "product_id": item.product_id}
            for item in rejected_items(connection=connection, limit=REJECTED_SHOWN)
        ],
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# The country a currency is mostly sold in, when the shop ships nowhere yet (the euro's
# largest market by default; the merchant picks another in the form)
CURRENCY_COUNTRIES = {
    "AUD": "AU", "BRL": "BR", "CAD": "CA", "CHF": "CH", "CZK": "CZ", "DKK": "DK",
    "EUR": "DE", "GBP": "GB", "HKD": "HK", "HUF": "HU", "INR": "IN", "JPY": "JP",
    "MXN": "MX", "NOK": "NO", "NZD": "NZ", "PLN": "PL", "RON": "RO", "SEK": "SE",
    "SGD": "SG", "USD": "US", "ZAR": "ZA",
}  # fmt: skip
# The catalog language a country's shoppers read (else English)
COUNTRY_LANGUAGES = {
    "AT": "de", "BE": "fr", "BR": "pt", "CH": "de", "CZ": "cs", "DE": "de", "DK": "da",
    "ES": "es", "FI": "fi", "FR": "fr", "GR": "el", "HU": "hu", "IT": "it", "JP": "ja",
    "LU": "fr", "MX": "es", "NL": "nl", "NO": "no", "PL": "pl", "PT": "pt", "RO": "ro",
    "SE": "sv",
}  # fmt: skip


def connection_defaults(platform_country: str = "") -> tuple[str, str]:
    """The country and language a new connection of this shop starts with: the country
    the platform's account sells in (``platform_country``, from its login's answer),
    else the first country the shop ships to (its shipping zones), else its currency's
    country; the country's language, else English."""
    if platform_country.upper() in COUNTRY_CODES:
        return platform_country.upper(), COUNTRY_LANGUAGES.get(platform_country.upper(), "en")
    zone_countries = ShippingZone.objects.order_by("name", "id").values_list("countries", flat=True)
    country = next((codes[0] for codes in zone_countries if codes), "")
    if not country:
        country = CURRENCY_COUNTRIES.get(getattr(db_connection.tenant, "currency", ""), "US")
    return country.upper(), COUNTRY_LANGUAGES.get(country.upper(), "en")
