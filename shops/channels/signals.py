"""What happens in a channel's sync, told to the apps that subscribe (shops.webhooks),
which channels never imports: they connect to these signals in their
``AppConfig.ready()``. Plain Django signals, sent with ``sender=Connection``
synchronously inside the sync's transaction, so what a receiver writes commits or rolls
back with the verdicts it reports."""

from __future__ import annotations

from dataclasses import dataclass

from django.dispatch import Signal


@dataclass(frozen=True)
class ItemRejection:
    """One item the platform refused: final until the product changes again."""

    product_id: int
    variant_id: int | None
    retailer_id: str  # the item's id on the platform
    message: str  # the platform's reason


# The platform refused items of one sync batch. Sends ``connection`` (the
# shops.channels.models.Connection synced) and ``rejections`` (ItemRejection, in order).
channel_items_rejected = Signal()
