"""What the channels do when the catalog changes, connected in ``ChannelsConfig.ready()``:
each commit that wrote catalog outbox rows queues a sync of the shop's push connections
(``catalog.outbox.outbox_listener_add``)."""

from __future__ import annotations

from catalog.outbox import outbox_listener_add
from shops.channels.services import syncs_queue_on_commit

outbox_listener_add(syncs_queue_on_commit)
