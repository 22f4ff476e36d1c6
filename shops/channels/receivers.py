"""What the channels do when the catalog changes, connected in ``ChannelsConfig.ready()``:
each commit that wrote catalog outbox rows queues a sync of the shop's push connections
(``catalog.outbox.outbox_listener_add``); a change of the shop's shipping rates queues
a reconcile of the connections whose items carry shipping prices."""

from __future__ import annotations

from catalog.outbox import outbox_listener_add
from orders.signals import shipping_changed
from shops.channels.services import shipping_reconciles_queue_on_commit, syncs_queue_on_commit

outbox_listener_add(syncs_queue_on_commit)
shipping_changed.connect(shipping_reconciles_queue_on_commit, dispatch_uid="channels.shipping")
