"""What the channels do when the catalog changes, connected in ``ChannelsConfig.ready()``:
each commit that wrote catalog outbox rows queues a sync of the shop's push connections
(``catalog.outbox.outbox_listener_add``); a change of the shop's shipping rates queues
a reconcile of the connections whose items carry shipping prices. And the privacy page
learns which platforms the shop is connected to (``shops.consent.disclosures``), retired
when that changes."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from catalog.outbox import outbox_listener_add
from catalog.readiness import CHANNEL_NAMES
from orders.signals import shipping_changed
from shops.channels.models import Connection
from shops.channels.services import shipping_reconciles_queue_on_commit, syncs_queue_on_commit
from shops.consent.disclosures import Processor, processors_provider_register
from shops.page_cache import shop_page_changed

outbox_listener_add(syncs_queue_on_commit)
shipping_changed.connect(shipping_reconciles_queue_on_commit, dispatch_uid="channels.shipping")


def connected_platforms() -> list[Processor]:
    """The platforms this shop has a connection to, for the privacy page (one query)."""
    return [
        Processor(
            name=CHANNEL_NAMES.get(channel, channel),
            purpose="shows the shop's products on its platform; what you do there (and a "
            "purchase started there) it processes under its own privacy policy",
        )
        for channel in Connection.objects.order_by("channel").values_list("channel", flat=True)
    ]


processors_provider_register(connected_platforms)


@receiver(post_save, sender=Connection, dispatch_uid="channels.privacy_page_save")
@receiver(post_delete, sender=Connection, dispatch_uid="channels.privacy_page_delete")
def connection_changed(sender: type, **kwargs: Any) -> None:
    """A connection made or removed changes who the privacy page names."""
    shop_page_changed()
