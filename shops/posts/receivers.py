"""What shoppable posts do when an order changes (``orders.signals``), connected in
``PostsConfig.ready()``; each receiver runs in the transaction of the change."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from orders.models import Order
from orders.services.buy_now import Attribution
from orders.signals import order_created
from shops.posts.services import post_order_attribute


@receiver(order_created, dispatch_uid="posts.post_order_attribute_on_creation")
def post_order_attribute_on_creation(
    sender: type[Order], *, order: Order, attribution: Attribution, **details: Any
) -> None:
    """Link a new order to the post whose tag the shopper clicked, if one was."""
    if attribution.post_id is not None:
        post_order_attribute(
            order=order, post_id=attribution.post_id, view_token=attribution.post_view_token
        )
