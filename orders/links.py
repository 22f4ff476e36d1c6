"""Signed links to an order's shopper pages (the confirmation and the order page): no
login or cookie, so they work from an email, on a phone, in the embed.

The token is the order's public id signed with ``django.core.signing``, salted with the
shop's schema: a link is worthless in any other shop, and a changed character makes it
nothing at all. It does not expire (the order page lives as long as the order); rotating
``SECRET_KEY`` retires every link.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import connection
from django.urls import reverse

from orders.models import Order

# the pages are a shop's: their paths come from the shop hosts' URLs even when the link
# is made on the platform host (Stripe's webhook arrives there) or on a worker
SHOP_URLS = settings.ROOT_URLCONF


class OrderLinkError(Exception):
    """A link that is tampered with, from another shop, or to an order that is gone."""


def _signer() -> signing.Signer:
    return signing.Signer(salt=f"orders.shopper-link:{connection.schema_name}")


def order_link_token(*, order: Order) -> str:
    return _signer().sign(order.public_id.hex)


def _order_signed(signer: signing.Signer, token: str, *, invalid: str, gone: str) -> Order:
    try:
        public_id = uuid.UUID(hex=signer.unsign(token))
    except (signing.BadSignature, ValueError):
        raise OrderLinkError(invalid) from None
    order = Order.objects.filter(public_id=public_id).first()
    if order is None:
        raise OrderLinkError(gone)
    return order


def order_from_link(token: str) -> Order:
    """The order a link was made for, in the active shop; ``OrderLinkError`` otherwise."""
    return _order_signed(
        _signer(),
        token,
        invalid="This order link is not valid in this shop.",
        gone="This order cannot be found any more.",
    )


def order_page_path(*, order: Order) -> str:
    """The shopper's order page (status, tracking): ``/orders/<token>/``."""
    token = order_link_token(order=order)
    return reverse("shopper-order", kwargs={"token": token}, urlconf=SHOP_URLS)


def order_confirmation_path(*, order: Order) -> str:
    """The page shown once the order is paid: ``/orders/<token>/confirmation/``."""
    token = order_link_token(order=order)
    return reverse("order-confirmation", kwargs={"token": token}, urlconf=SHOP_URLS)


def checkout_refill_path(*, order: Order) -> str:
    """``/checkout/?products=<variant id>:<quantity>,…``: a checkout with ``order``'s
    items again (those whose variant still exists), as the platforms' checkout links
    are. It names items only, nothing about the shopper."""
    items = ",".join(
        f"{line.variant_id}:{line.quantity}"
        for line in order.lines.all()
        if line.variant_id is not None
    )
    return reverse("checkout", urlconf=SHOP_URLS) + "?" + urlencode({"products": items}, safe=":,")


def _opt_out_signer() -> signing.Signer:
    return signing.Signer(salt=f"orders.recovery-opt-out:{connection.schema_name}")


def recovery_opt_out_path(*, order: Order) -> str:
    """The link in a checkout reminder that stops them for its shopper:
    ``/checkout/reminders/stop/<token>/``, the token the checkout's public id signed
    (so the address is not in the link, and the link is worthless in another shop)."""
    token = _opt_out_signer().sign(order.public_id.hex)
    return reverse("checkout-reminders-stop", kwargs={"token": token}, urlconf=SHOP_URLS)


def order_from_opt_out_link(token: str) -> Order:
    """The checkout a reminder's stop link was made for; ``OrderLinkError`` otherwise."""
    return _order_signed(
        _opt_out_signer(),
        token,
        invalid="This link is not valid in this shop.",
        gone="This link's checkout cannot be found any more.",
    )


def my_data_path() -> str:
    """The shop's "Your data" page (``shops.privacy``), named in every order email."""
    return reverse("my-data", urlconf=SHOP_URLS)
