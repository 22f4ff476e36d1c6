"""The orders app's receivers of the shops core's signals (connected in
``OrdersConfig.ready()``)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from orders.wallets import host_registrable, wallet_domains_register_later_for
from shops.models import Domain, Shop
from shops.signals import shop_domain_added


@receiver(shop_domain_added, dispatch_uid="orders.wallets")
def shop_domain_added_receiver(sender: Any, *, shop: Shop, domain: Domain, **kwargs: Any) -> None:
    """``shops.signals.shop_domain_added``: register the new host too (if it may be)."""
    if host_registrable(domain.domain):
        wallet_domains_register_later_for(shop)
