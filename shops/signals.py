"""What happens to a shop in the core, told to the apps above it (which the core never
imports): they connect to these signals in their ``AppConfig.ready()``.

Plain Django signals, sent with ``sender=Shop`` synchronously inside the transaction of
the change, so what a receiver writes or queues on commit follows the change.
"""

from __future__ import annotations

from django.dispatch import Signal

# A custom domain now reaches the shop. Sends ``shop`` and ``domain`` (shops.models.Domain).
shop_domain_added = Signal()
