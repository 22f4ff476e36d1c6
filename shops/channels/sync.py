"""The sync engine: drains the catalog outbox into one connection's platform.

Per connection, ``connection_sync`` reads the settled outbox rows after the
connection's position (``catalog.outbox.outbox_settled``), turns them into item
requests (one per variant), sends them in batches of the platform's size, stores each
item's verdict and moves the position, all inside one transaction that holds the
connection's row lock. Contracts:

- **Nothing is lost.** The position moves only in the transaction that stores the
  platform's answer; a retryable failure (network, timeout, 429, 5xx, garbage) or a
  crashed worker rolls it back, and the same rows are read and sent again. Items are
  sent as upserts keyed by retailer id, so a repeat is harmless.
- **Only what changed.** Rows that touch only stock/availability send the platform's
  stock fields; price-only rows its price fields (the client names them); anything
  else, or an item the platform does not hold yet, sends the whole item. An item the
  platform confirmed as it is now (a reconcile sent it before the rows were read) is
  not sent again.
- **Removals.** A deleted or archived product, one that left the selection or fails the
  readiness rules, and a removed variant, are deleted on the platform.
- **Per-item verdicts.** Accepted, warning or rejected (with the platform's message); a
  rejection is final until the product changes again (a new outbox row), and emits
  ``shops.channels.signals.channel_items_rejected`` (the ``channel.item_rejected``
  webhook event).
- **Product-level platforms** (one product with SKUs: the client's
  ``sends_whole_products``). A product's requests always travel in the same batch;
  unless every SKU is live and only stock or price changed, every SKU of the product is
  sent whole. What the platform assigned (its
  product and SKU ids, uploaded images) is kept on ``ChannelItem.external`` and sent
  with the item's next request.
- ``connection_reconcile`` compares every selected item with what was last sent and
  repairs drift (missing items, other price or stock, any other field whose
  ``fingerprint`` differs, items to remove).

The engine knows no platform: an item's fields come from its row in the channel's feed
through the client's ``item_fields`` (``shops.channels.clients.PlatformClient``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import CatalogChange, Product
from catalog.outbox import outbox_settled
from shops.channels.clients import ItemRequest, ItemResult, PlatformClient
from shops.channels.feeds import ROWS
from shops.channels.items import FeedItem, ShopContext, ready_items, shop_context
from shops.channels.models import ChannelItem, Connection
from shops.channels.selectors import (
    CHUNK,
    connection_products,
    connection_variants,
    products_by_id,
    products_in_chunks,
)
from shops.channels.services import connection_client, connection_pushes
from shops.channels.signals import ItemRejection, channel_items_rejected

Aspect = CatalogChange.Aspect
STOCK_ASPECTS = {Aspect.STOCK, Aspect.AVAILABILITY}
PRICE_ASPECTS = {Aspect.PRICE}


@dataclass(frozen=True)
class Planned:
    request: ItemRequest
    product_id: int
    variant_id: int | None
    sent: dict
    fingerprint: str = ""  # of the item's other fields once the platform confirms it


def _snapshot(item: FeedItem) -> dict:
    return {"price": str(item.price), "sale_price": str(item.sale_price or ""), "stock": item.stock}


def fingerprint(fields: dict, client: PlatformClient) -> str:
    """SHA-256 of an item's platform fields other than the client's stock and price
    fields (which ``_snapshot`` keeps): what a stock- or price-only request leaves as it
    was."""
    partial = {*client.stock_fields, *client.price_fields}
    rest = {name: value for name, value in fields.items() if name not in partial}
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _plan_product(
    connection: Connection,
    client: PlatformClient,
    product_id: int,
    product: Product | None,
    aspects: set[str] | None,
    known: dict[str, ChannelItem],
    selected: set[int],
    context: ShopContext,
) -> list[Planned]:
    """The requests that bring one product up to date (``aspects`` None: everything)."""
    items: list[FeedItem] = []
    if product is not None and product.status == Product.Status.ACTIVE and product_id in selected:
        items = ready_items(product, connection.channel, context)[0]
    planned: list[Planned] = []
    current = {item.id for item in items}
    for retailer, sent in known.items():
        if retailer not in current and sent.state != ChannelItem.State.REMOVED:
            planned.append(
                Planned(
                    ItemRequest(retailer, "delete", external=sent.external),
                    product_id,
                    sent.variant_id,
                    {},
                )
            )
    partial = aspects is not None and aspects <= STOCK_ASPECTS | PRICE_ASPECTS
    if client.sends_whole_products and partial:
        # one platform product: partial only if every SKU is live and none is removed
        partial = not planned and all(_is_live(known.get(item.id)) for item in items)
    row_of = ROWS[connection.channel]
    for item in items:
        fields = client.item_fields(row_of(item), item)
        previous = known.get(item.id)
        whole = fingerprint(fields, client)
        if partial and _is_live(previous):
            whole = previous.fingerprint  # the other fields stay as the platform has them
            names = (client.stock_fields if aspects & STOCK_ASPECTS else ()) + (
                client.price_fields if aspects & PRICE_ASPECTS else ()
            )
            # each field of the group, empty when the item has none (a sale that ended
            # is cleared)
            fields = {name: fields.get(name, "") for name in names}
        external = previous.external if previous is not None else {}
        planned.append(
            Planned(
                ItemRequest(item.id, "upsert", fields, external),
                product_id,
                item.variant_id,
                _snapshot(item),
                whole,
            )
        )
    return planned


def _not_held_yet(
    client: PlatformClient, known: dict[str, ChannelItem], planned: list[Planned]
) -> list[Planned]:
    """The requests that change what the platform holds. An upsert of an item the
    platform confirmed with the same values (a reconcile, "sync now", sent the change
    before the outbox rows were read) is left out, so a change is sent once; on a
    product-level platform a product's requests go together or not at all."""

    def held(plan: Planned) -> bool:
        previous = known.get(plan.request.retailer_id)
        return (
            plan.request.method == "upsert"
            and _is_live(previous)
            and bool(previous.fingerprint)
            and previous.sent == plan.sent
            and previous.fingerprint == plan.fingerprint
        )

    if client.sends_whole_products:
        return [] if all(held(plan) for plan in planned) else planned
    return [plan for plan in planned if not held(plan)]


def _is_live(item: ChannelItem | None) -> bool:
    return item is not None and item.state in (ChannelItem.State.LIVE, ChannelItem.State.WARNING)


def _known_items(
    connection: Connection, product_ids: Iterable[int]
) -> dict[int, dict[str, ChannelItem]]:
    known: dict[int, dict[str, ChannelItem]] = {}
    for item in ChannelItem.objects.filter(connection=connection, product_id__in=set(product_ids)):
        known.setdefault(item.product_id, {})[item.retailer_id] = item
    return known


def _selected(connection: Connection, product_ids: Iterable[int]) -> set[int]:
    return set(
        connection_products(connection=connection)
        .filter(pk__in=set(product_ids))
        .values_list("pk", flat=True)
    )


def _store(connection: Connection, planned: list[Planned], results: list[ItemResult]) -> int:
    """Store each item's verdict; returns how many were rejected."""
    now = timezone.now()
    by_id = {result.retailer_id: result for result in results}
    states = ChannelItem.State
    rows, rejections = [], []
    for plan in planned:
        result = by_id[plan.request.retailer_id]
        if result.outcome == "rejected":
            state = states.REJECTED
            rejections.append(
                ItemRejection(
                    product_id=plan.product_id,
                    variant_id=plan.variant_id,
                    retailer_id=plan.request.retailer_id,
                    message=result.message,
                )
            )
        elif plan.request.method == "delete":
            state = states.REMOVED
        else:
            state = states.WARNING if result.outcome == "warning" else states.LIVE
        rows.append(
            ChannelItem(
                connection=connection,
                retailer_id=plan.request.retailer_id,
                product_id=plan.product_id,
                variant_id=plan.variant_id,
                state=state,
                message=result.message,
                sent=plan.sent,
                # what the platform holds now (a refused item: not this)
                fingerprint="" if state == states.REJECTED else plan.fingerprint,
                sent_at=now,
                external=plan.request.external if result.external is None else result.external,
            )
        )
    ChannelItem.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["connection", "retailer_id"],
        update_fields=[
            "product_id",
            "variant_id",
            "state",
            "message",
            "sent",
            "fingerprint",
            "sent_at",
            "external",
        ],
    )
    if rejections:
        channel_items_rejected.send(sender=Connection, connection=connection, rejections=rejections)
    return len(rejections)


def batch_size(client: PlatformClient) -> int:
    """Items per platform call: the platform's limit, or ``CHANNELS_BATCH_ITEMS_MAX``
    when lower."""
    return min(client.batch_size, settings.CHANNELS_BATCH_ITEMS_MAX)


@dataclass(frozen=True)
class SyncResult:
    rows: int  # outbox rows passed
    items: int  # item requests sent
    rejected: int


def _send(connection: Connection, client: PlatformClient, planned: list[Planned]) -> int:
    results = client.items_send([plan.request for plan in planned]) if planned else []
    return _store(connection, planned, results)


def connection_sync(*, connection_id: int, context: ShopContext | None = None) -> SyncResult:
    """Send the connection's outbox changes until none are left (see the module doc).

    Raises RetryableError / FinalError from the client; the batch that failed is then
    rolled back and its rows are read again by the next run.
    """
    context = context or shop_context()
    rows_total = items_total = rejected_total = 0
    while True:
        with transaction.atomic():
            connection = Connection.objects.select_for_update().get(pk=connection_id)
            if not connection.is_syncing or not connection_pushes(connection):
                break  # paused, or feed only: the platform reads the feed
            client = connection_client(connection)
            rows = outbox_settled(
                CatalogChange.objects.filter(id__gt=connection.outbox_last_id)[
                    : batch_size(client)
                ],
                connection.outbox_last_id,
            )
            if not rows:
                break
            planned, last_id = _plan_rows(connection, client, rows, context)
            rejected_total += _send(connection, client, planned)
            Connection.objects.filter(pk=connection.pk).update(
                outbox_last_id=last_id,
                last_sync_at=timezone.now(),
                last_error="",
                status=Connection.Status.ACTIVE,
            )
            rows_total += sum(1 for row in rows if row.id <= last_id)
            items_total += len(planned)
    return SyncResult(rows_total, items_total, rejected_total)


def _plan_rows(
    connection: Connection,
    client: PlatformClient,
    rows: list[CatalogChange],
    context: ShopContext,
) -> tuple[list[Planned], int]:
    """Requests for the rows, at most a batch (whole products only), and the id of the
    last row they cover."""
    most = batch_size(client)
    merged: dict[int, set[str] | None] = {}
    last_row_of: dict[int, int] = {}
    for row in rows:
        whole = row.kind == CatalogChange.Kind.DELETE or not row.aspects
        previous = merged.get(row.product_id, set())
        merged[row.product_id] = None if whole or previous is None else previous | set(row.aspects)
        last_row_of[row.product_id] = row.id
    products = products_by_id(merged)
    known = _known_items(connection, merged)
    selected = _selected(connection, merged)
    planned: list[Planned] = []
    covered_until = rows[0].id - 1
    for product_id in sorted(merged, key=last_row_of.__getitem__):
        product_known = known.get(product_id, {})
        requests = _not_held_yet(
            client,
            product_known,
            _plan_product(
                connection,
                client,
                product_id,
                products.get(product_id),
                merged[product_id],
                product_known,
                selected,
                context,
            ),
        )
        if planned and len(planned) + len(requests) > most:
            break
        planned.extend(requests)
        covered_until = last_row_of[product_id]
    # rows are covered up to the last whole product planned; a product whose rows
    # straddle that point is re-read (and re-sent) next time, harmlessly
    covered = [row.id for row in rows if row.id <= covered_until]
    return planned, covered[-1] if covered else connection.outbox_last_id


def connection_reconcile(
    *, connection_id: int, context: ShopContext | None = None, chunk: int = CHUNK
) -> SyncResult:
    """Compare every selected product with what was last sent and repair drift.

    Items never sent, or sent with another price, sale price or stock, or whose other
    fields' fingerprint differs from the one the platform confirmed (a title changed
    without an outbox row, say), are sent whole; items the platform holds for products
    no longer listed are removed; a rejected item is sent again only if its product
    changed since. Items without a fingerprint (stored before there was one) are sent
    whole too, at most ``CHANNELS_RECONCILE_BACKFILL_ITEMS`` per run, so that they get
    one over a few reconciles instead of all at once.

    Products are read ``chunk`` at a time. One reconcile of a connection works at a
    time: a newer one (or a "sync now" restarting one that looked stalled) takes over
    and this one stops at its next chunk or batch, having sent nothing more.
    """
    context = context or shop_context()
    connection = Connection.objects.get(pk=connection_id)
    if not connection.is_syncing or not connection_pushes(connection):
        return SyncResult(0, 0, 0)
    client = connection_client(connection)
    progress = _Progress(connection)
    items_total = rejected_total = 0
    try:
        for planned in _drift_batches(connection, client, context, progress, chunk):
            with transaction.atomic():
                # the connection's row lock: never beside a sync's batch (TikTok's
                # creates are not upserts; the later one finds the product by seller SKU
                # and edits it), and only while no newer reconcile took over
                progress.hold()
                rejected_total += _send(connection, client, planned)
                progress.reached(planned)  # committed with the batch's verdicts
            items_total += len(planned)
    except Superseded:
        return SyncResult(0, items_total, rejected_total)  # the newer one finishes
    progress.finish()
    return SyncResult(0, items_total, rejected_total)


class Superseded(Exception):
    """A newer reconcile of the connection started: this one stops."""


class _Progress:
    """``Connection.sync_total`` / ``sync_done`` of a reconcile ("sync now"), for the
    merchant's progress bar: the selected variants, and how many of them are checked.

    The reconcile walks the products by id, so after a batch every variant of a product
    up to the batch's last one is checked: one count per batch, written in the batch's
    transaction (another request sees it once the platform's answer is stored), with
    the time it advanced (``sync_progress_at``: a sync that stops advancing stalled).
    The walk is progress too: after each chunk of products read, every variant before
    the first one still waiting in the unsent batch is checked (one UPDATE per chunk, no
    read), so a long walk through a catalog where nothing drifted never looks stalled.
    Progress never goes backwards and reads "done" only once the walk ended.

    Each reconcile takes the next ``sync_run``; every write is for that run only, so
    once a newer one started, the older one's next write changes nothing and raises
    ``Superseded``."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.variants = connection_variants(connection=connection)
        self.total = self.variants.count()
        self.done = 0
        with transaction.atomic():
            rows = Connection.objects.select_for_update().filter(pk=connection.pk)
            self.run = rows.values_list("sync_run", flat=True).get() + 1
            rows.update(
                sync_run=self.run,
                sync_total=self.total,
                sync_done=0,
                sync_progress_at=timezone.now(),
            )
        self.mine = Connection.objects.filter(pk=connection.pk, sync_run=self.run)

    def hold(self) -> None:
        """In a batch's transaction: lock the connection's row, if still this run's."""
        if not self.mine.select_for_update().exists():
            raise Superseded

    def walked(self, checked: int) -> None:
        """The walk read on: ``checked`` variants (in product id order) are checked."""
        self._write(checked)

    def reached(self, planned: list[Planned]) -> None:
        upserted = [plan.product_id for plan in planned if plan.request.method == "upsert"]
        done = self.done  # removals of products no longer listed: none selected checked
        if upserted:
            done = self.variants.filter(product_id__lte=max(upserted)).count()
        # every confirmed batch is progress, even one that checked no more variants
        self._write(done)

    def _write(self, done: int) -> None:
        # never backwards; "done" is written when the walk ends
        self.done = max(self.done, min(self.total - 1, done))
        if not self.mine.update(sync_done=self.done, sync_progress_at=timezone.now()):
            raise Superseded

    def finish(self) -> None:
        now = timezone.now()
        self.mine.update(
            last_reconcile_at=now,
            last_sync_at=now,
            sync_done=F("sync_total"),
            sync_progress_at=now,
        )


def _drift_batches(
    connection: Connection,
    client: PlatformClient,
    context: ShopContext,
    progress: _Progress,
    chunk_size: int,
) -> Iterator[list[Planned]]:
    states = ChannelItem.State
    most = batch_size(client)
    batch: list[Planned] = []
    seen_products: set[int] = set()
    backfill = settings.CHANNELS_RECONCILE_BACKFILL_ITEMS
    walked = 0  # variants of the products read so far
    before_batch = 0  # ... before the first product waiting in ``batch``
    products = connection_products(connection=connection)
    for chunk in products_in_chunks(products, chunk=chunk_size):
        ids = [product.pk for product in chunk]
        seen_products.update(ids)
        known = _known_items(connection, ids)
        for product in chunk:
            product_known = known.get(product.pk, {})
            plans = _plan_product(
                connection, client, product.pk, product, None, product_known, set(ids), context
            )
            chosen = []
            for plan in plans:
                previous = product_known.get(plan.request.retailer_id)
                if plan.request.method == "upsert" and previous is not None:
                    if previous.state == states.REJECTED and (
                        previous.sent_at and product.updated <= previous.sent_at
                    ):
                        continue
                    held = previous.state not in (states.REJECTED, states.REMOVED)
                    if held and previous.sent == plan.sent:
                        if previous.fingerprint == plan.fingerprint:
                            continue
                        if not previous.fingerprint:  # not known (stored before it was kept)
                            if backfill <= 0:
                                continue  # taken as the same until a later reconcile
                            backfill -= 1
                chosen.append(plan)
            if client.sends_whole_products and chosen:
                # the platform's product is sent whole: every SKU (a removed variant
                # alone would otherwise read as the whole product leaving)
                chosen = plans
            if batch and len(batch) + len(chosen) > most:
                yield batch
                batch = []
            if chosen and not batch:
                before_batch = walked
            batch.extend(chosen)  # a product's requests stay in one batch
            walked += len(product.variants)
        progress.walked(before_batch if batch else walked)
    # items held for products that are no longer listed at all
    stale = (
        ChannelItem.objects.filter(connection=connection)
        .exclude(state=states.REMOVED)
        .exclude(product_id__in=seen_products)
        .order_by("id")
    )
    for item in stale.iterator(chunk_size=most):
        if item.product_id in seen_products:
            continue
        batch.append(
            Planned(
                ItemRequest(item.retailer_id, "delete", external=item.external),
                item.product_id,
                item.variant_id,
                {},
            )
        )
        if len(batch) >= most:
            yield batch
            batch = []
    if batch:
        yield batch
