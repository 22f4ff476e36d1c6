"""The Stripe webhook, the checkout page that social platforms link to, and the page
that stops checkout reminders."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tenants.utils import schema_context, tenant_context

from orders import selectors, services, stripe_client
from orders.links import OrderLinkError, order_from_opt_out_link
from orders.payment_accounts import ShopPayments, shop_can_sell, shop_payments
from shops.models import Shop

logger = logging.getLogger(__name__)


def _shop_for_event(metadata: dict[str, str]) -> Shop | None:
    """The shop the event's object names in its metadata (buy-now sets it); suspended
    shops included, since a payment they took must still be recorded.

    Read before the signature is checked, only to pick the secrets to check it with
    (and the shop whose health counts a bad signature): the event is trusted once a
    secret of that shop (or the platform's) verifies it.
    """
    schema = metadata.get("shop", "")
    if not schema or schema == "public":
        return None
    with schema_context("public"):
        return Shop.objects.filter(schema_name=schema).first()


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """``POST /webhooks/stripe/`` on any host: verify, record, dispatch.

    The shop comes from the event (metadata set by buy-now, or on a connected account
    by "Connect with Stripe"; for Connect events the connected account must be the
    shop's), never from the host. 400 for a bad
    signature; 500 if handling failed (Stripe retries); 200 otherwise, duplicates and
    events of no interest included.
    """
    payload = request.body
    signature = request.headers.get("Stripe-Signature", "")
    metadata = stripe_client.event_metadata(payload)
    shop = _shop_for_event(metadata)
    if shop is None:
        try:
            stripe_client.event_verify(
                payload=payload, signature=signature, secrets=[settings.STRIPE_WEBHOOK_SECRET]
            )
        except stripe_client.WebhookSignatureError as exc:
            logger.warning("Stripe webhook for no shop refused: %s", exc)
            return JsonResponse({"error": str(exc)}, status=400)
        return JsonResponse({"result": "ignored: not an Etalage order"})

    with tenant_context(shop):
        payments = shop_payments()
        try:
            event, secret = stripe_client.event_verify(
                payload=payload,
                signature=signature,
                secrets=[payments.webhook_secret, settings.STRIPE_WEBHOOK_SECRET],
            )
        except stripe_client.WebhookSignatureError as exc:
            services.payment_health_bad_signature(
                order_public_id=metadata.get("order", ""),
                payment_intent_id=stripe_client.event_object_id(payload),
            )
            return JsonResponse({"error": str(exc)}, status=400)
        if not _event_belongs_to_shop(event, secret, payments):
            return JsonResponse({"result": "ignored: not this shop's account"})
        if secret == payments.webhook_secret:  # the endpoint the shop's payments rely on
            services.payment_health_webhook_received(event_type=event.type)
        try:
            result = services.stripe_event_handle(event=event, payments=payments)
        except stripe_client.PaymentError:
            logger.exception("Stripe webhook %s for %s failed", event.id, shop.slug)
            return JsonResponse({"error": "try again later"}, status=500)
    return JsonResponse({"result": result})


def _event_belongs_to_shop(event: stripe_client.Event, secret: str, payments: ShopPayments) -> bool:
    """A platform-signed event must come from the shop's connected account (the one it
    sells through, or for ``account.*`` events the one it has, even while it cannot sell
    yet); an event signed with the shop's own secret comes from its own Stripe account."""
    own_secret = payments.webhook_secret
    if own_secret and secret == own_secret and secret != settings.STRIPE_WEBHOOK_SECRET:
        return not event.account_id
    if event.type in services.ACCOUNT_EVENT_HANDLERS:
        account_id = payments.connected_account_id
    else:
        account_id = payments.credentials.account_id if payments.credentials else ""
    return bool(account_id) and event.account_id == account_id


@require_GET
def checkout(request: HttpRequest) -> HttpResponse:
    """``/checkout/?products=<variant id>:<qty>,…&coupon=…&utm_source=…``: the items
    with the shop's prices, and the buy-now form straight away."""
    items = selectors.checkout_items(selectors.checkout_parse(request.GET.get("products", "")))
    utm = {
        name: request.GET.get(f"utm_{name}", "")[:100]
        for name in ("source", "medium", "campaign")
        if request.GET.get(f"utm_{name}")
    }
    context = {
        "items": items,
        "currency": request.shop.currency,
        "coupon": request.GET.get("coupon", "")[:64],
        "items_json": json.dumps(
            [{"variant_id": item.variant.id, "quantity": item.quantity} for item in items]
        ),
        "utm_json": json.dumps(utm),
        "requires_shipping": any(item.variant.product.requires_shipping for item in items),
        "can_sell": shop_can_sell(),
    }
    return render(request, "orders/checkout.html", context, status=200 if items else 404)


@require_http_methods(["GET", "POST"])
def checkout_reminders_stop(request: HttpRequest, token: str) -> HttpResponse:
    """``/checkout/reminders/stop/<token>/`` (the link in a checkout reminder): asks,
    then on POST (so a mail scanner opening the link stops nothing) sends the shopper
    no more reminders from this shop. A bad link says so (404)."""
    try:
        checkout = order_from_opt_out_link(token)
    except OrderLinkError as error:
        context = {"error": str(error)}
        return render(request, "orders/reminders_stop.html", context, status=404)
    stopped = False
    if request.method == "POST":
        services.recovery_opt_out(email=checkout.email)
        stopped = True
    response = render(request, "orders/reminders_stop.html", {"stopped": stopped})
    response["X-Robots-Tag"] = "noindex"
    return response
