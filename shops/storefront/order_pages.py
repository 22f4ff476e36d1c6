"""The shopper's order pages, opened from a signed link (``orders.links``): the
confirmation shown once the order is paid, and the order page (status, tracking) that
the confirmation and the emails link to.

No login or cookie: the link is the key, so these pages are private. They are never
indexed (``noindex`` in the page and the ``X-Robots-Tag`` header) nor cached, and they
send no referrer, so the link does not travel to a carrier's tracking page. The
confirmation may be framed by the shop's allowed origins when the purchase was made in
the embed (``?embed=1``); the order page opens in a tab of its own.
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from orders.links import OrderLinkError, order_confirmation_path, order_from_link, order_page_path
from orders.models import Order
from orders.receipts import order_receipt, order_shopper_status, order_shopper_timeline
from orders.selectors import order_for_shopper
from shops.storefront.selectors import design_get, embed_origins, shop_theme
from shops.storefront.views import EMBED_BASE, frame_ancestors

LINK_ERROR = (
    "Open the link from your order email once more, whole (a long link sometimes breaks "
    "across two lines), in the shop where you ordered."
)


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    add_never_cache_headers(response)
    return response


def _is_embed(request: HttpRequest) -> bool:
    return request.GET.get("embed") == "1"


def _shown(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    """``template`` rendered as a private page; in the embed (``?embed=1``) on the embed's
    base and frameable by the shop's allowed origins only."""
    origins = embed_origins(design_get()) if _is_embed(request) else []
    context = {
        **shop_theme(),
        **context,
        "embed": _is_embed(request),
        "base_template": EMBED_BASE if _is_embed(request) else "base.html",
        "home_url": "/embed/" if _is_embed(request) else "/",
        "embed_allowed_origins": origins,
    }
    response = render(request, template, context, status=status)
    if _is_embed(request):
        response.xframe_options_exempt = True
        response["Content-Security-Policy"] = frame_ancestors(origins)
    return _private(response)


def _not_found(request: HttpRequest, reason: str) -> HttpResponse:
    context = {"reason": reason, "message": LINK_ERROR}
    return _shown(request, "orders/order_link_error.html", context, status=404)


@csrf_exempt  # no session to ride on: the payment's client secret is the proof
@require_http_methods(["GET", "POST"])
def order_paid(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """``/orders/<id>/paid/``: where the buy-now box goes once the payment is taken (a
    form POST of the PaymentIntent's client secret, ``secret``) and where Stripe sends
    the shopper back after a redirect (GET with ``payment_intent_client_secret``).
    Answers 303 to the order's signed confirmation page (``?embed=1`` kept); the
    secret goes no further than this request."""
    data = request.POST if request.method == "POST" else request.GET
    secret = data.get("secret") or data.get("payment_intent_client_secret") or ""
    order = order_for_shopper(public_id=str(public_id), client_secret=secret)
    if order is None:
        return _not_found(request, "This payment does not belong to an order of this shop.")
    query = {"embed": "1"} if _is_embed(request) else {}
    if data.get("redirect_status") == "failed":  # Stripe's word: 3-D Secure refused, say
        query["payment"] = "failed"
    location = order_confirmation_path(order=order) + (f"?{urlencode(query)}" if query else "")
    return _private(HttpResponse(status=303, headers={"Location": location}))


def _order_context(order: Order) -> dict:
    return {
        "order": order,
        "receipt": order_receipt(order=order),
        "status": order_shopper_status(order=order),
        "order_url": order_page_path(order=order),
    }


@require_GET
def order_confirmation(request: HttpRequest, token: str) -> HttpResponse:
    """``/orders/<token>/confirmation/``: thank you, what was bought, where it goes,
    where the confirmation email went, and the link to the order page. While the
    payment is being confirmed it says so and looks again every few seconds; after a
    payment Stripe's redirect says failed (``?payment=failed``) it says to try again."""
    try:
        order = order_from_link(token)
    except OrderLinkError as error:
        return _not_found(request, str(error))
    is_pending = order.status == Order.Status.PENDING_PAYMENT
    context = {
        **_order_context(order),
        "is_declined": is_pending and request.GET.get("payment") == "failed",
        "is_settling": is_pending and request.GET.get("payment") != "failed",
        "is_paid": order.paid_at is not None,
    }
    return _shown(request, "orders/confirmation.html", context)


@require_GET
def order_page(request: HttpRequest, token: str) -> HttpResponse:
    """``/orders/<token>/``: where the order stands in words, its steps (paid, shipped
    with the carrier and tracking, refunded, cancelled), its lines, totals and address.
    Never framed: the confirmation in the embed opens it in a tab of its own."""
    try:
        order = order_from_link(token)
    except OrderLinkError as error:
        return _not_found(request, str(error))
    context = {**_order_context(order), "timeline": order_shopper_timeline(order=order)}
    return _private(render(request, "orders/order_page.html", {**shop_theme(), **context}))
