"""Shopper JSON endpoints: buy-now, the order's status, and the card-element payment.

They need no cookie, session or CSRF token (shoppers are anonymous and the embedded
shop page runs in third-party iframes where cookies are blocked): buy-now is safe to
call cross-site because it only creates an unpaid order, and the other two are
authorised by the PaymentIntent's client secret that buy-now returned.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from orders import selectors, services, stripe_client
from orders.models import Order
from orders.payment_accounts import ShopPayments, shop_payments
from shops.api.idempotency import (
    IDEMPOTENCY_HEADER,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    IdempotencyRecord,
    idempotency_answer,
    idempotency_claim,
    idempotency_interrupted,
    idempotency_release,
    idempotency_replay,
    idempotency_resource_set,
)
from shops.json_input import JsonUnreadable, json_input
from shops.ratelimits import rate_limited

MAX_BODY_BYTES = 16 * 1024
SHOPPER = "shopper"  # the owner of buy-now's Idempotency-Keys (shoppers are anonymous)
ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postal_code", "state", "country", "phone")
# what a shopper is told when Stripe refuses the card (by Stripe's decline code)
DECLINED = "Your card was declined; try another card."
CARD_PROBLEMS = {
    "expired_card": "Your card has expired; try another card.",
    "incorrect_cvc": "The card's security code is incorrect; check it or try another card.",
    "incorrect_number": "The card number is incorrect; check it or try another card.",
    "processing_error": "The card could not be charged just now; try again or try another card.",
}


def _error(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    return JsonResponse({"error": error}, status=status)


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _request_from_json(data: Any) -> dict[str, Any]:
    """The buy-now request in a normal form, or a BuyNowError. Anything else in the body
    (prices, totals) is ignored: the server computes them."""
    if not isinstance(data, dict):
        raise services.BuyNowError("Send a JSON object.", code="invalid_json")
    items = data.get("items")
    if not isinstance(items, list) or not items:
        raise services.BuyNowError("Choose at least one product.", code="no_items")
    if len(items) > settings.ORDERS_MAX_LINES:
        raise services.BuyNowError(
            f"An order holds at most {settings.ORDERS_MAX_LINES} products.", code="too_many_items"
        )
    lines = []
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            raise services.BuyNowError(
                "Each item names a variant and a quantity.", field=f"items[{position}]"
            )
        variant, quantity = item.get("variant_id"), item.get("quantity", 1)
        if not selectors.is_row_id(variant):
            raise services.BuyNowError(
                "That product option is not sold in this shop; reload the page and choose again.",
                code="unknown_variant",
                field=f"items[{position}].variant_id",
            )
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise services.BuyNowError(
                "A quantity is a whole number.",
                code="invalid_quantity",
                field=f"items[{position}].quantity",
            )
        lines.append(services.LineRequest(variant_id=variant, quantity=quantity))
    address = data.get("shipping_address") or {}
    if not isinstance(address, dict):
        raise services.BuyNowError("The shipping address is an object.", code="invalid_address")
    utm = data.get("utm") if isinstance(data.get("utm"), dict) else {}
    # the shoppable post whose tag led here: ignored when malformed (never costs a sale)
    post = data.get("post") if isinstance(data.get("post"), dict) else {}
    post_id = post.get("id") if selectors.is_row_id(post.get("id")) else None
    return {
        "lines": lines,
        "email": _text(data.get("email"), 254),
        "shipping_address": {
            name: _text(address.get(name), 200) for name in ADDRESS_FIELDS if address.get(name)
        },
        "attribution": services.Attribution(
            utm_source=_text(utm.get("source"), 100),
            utm_medium=_text(utm.get("medium"), 100),
            utm_campaign=_text(utm.get("campaign"), 100),
            coupon_code=_text(data.get("coupon"), 64),
            post_id=post_id,
            post_view_token=_text(post.get("view"), 64) if post_id else "",
        ),
    }


def buy_now_answer(order: Order, publishable_key: str) -> dict[str, Any]:
    """What the page needs to take the payment with Stripe.js."""
    return {
        "order": {
            "id": str(order.public_id),
            "number": order.number,
            "status": order.status,
            "currency": order.currency,
            "total": str(order.total),
            "amount": order.amount_minor,
            "reserved_until": order.reserved_until.isoformat() if order.reserved_until else None,
        },
        "payment": {
            "client_secret": order.client_secret,
            "publishable_key": publishable_key,
            "stripe_account": order.stripe_account_id or None,
            "stripe_js_url": settings.STRIPE_JS_URL,
        },
    }


@csrf_exempt
@require_POST
@rate_limited("buy_now", setting="ORDERS_RATE_BUY_NOW")
def buy_now(request: HttpRequest) -> HttpResponseBase:
    """``POST /api/v1/buy-now/``: reserve, create the order and its PaymentIntent.

    Each client address may call it ``ORDERS_RATE_BUY_NOW`` times per shop; over that,
    429 with Retry-After (stock held by one address stays bounded).

    With an ``Idempotency-Key`` header (the API's one mechanism, shops.api.idempotency)
    the same key and body give the same answer again, even a refusal, and never a
    second order; the same key with another body gives 409. The whole request then runs
    in one transaction with its stored answer, the call to Stripe included.
    """
    if len(request.body) > MAX_BODY_BYTES:
        return _error(413, "too_large", "The request is too large.")
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    try:
        data = json_input(request.body or b"null")
    except JsonUnreadable:
        data = None
    if not key:
        try:
            return _bought(data)
        except services.BuyNowError as exc:
            return _refused(exc)
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        return _error(400, "bad_key", "The Idempotency-Key header is 1 to 255 characters.")
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    claim = idempotency_claim(
        owner=SHOPPER,
        key=key,
        method=request.method,
        path=request.path,
        body_hash=hashlib.sha256(canonical.encode()).hexdigest(),
    )
    if claim.is_mismatch:
        return _error(
            409,
            "idempotency_conflict",
            "This Idempotency-Key was already used with a different request.",
        )
    if not claim.is_new and claim.is_in_progress:
        return _error(
            409,
            "idempotency_in_progress",
            "A request with this Idempotency-Key is still being processed; retry shortly.",
        )
    if not claim.is_new:
        return idempotency_replay(record=claim.record)
    return _bought_once(claim.record, data)


def _bought_once(record: IdempotencyRecord, data: Any) -> HttpResponseBase:
    """Buy-now under a new claim of its Idempotency-Key.

    The order's id is recorded with the key in the reservation's own transaction, which
    commits before Stripe is called: the stock rows stay locked for milliseconds, not
    for the call (a flash sale's buyers never queue behind each other's Stripe calls).
    A request that fails after the reservation leaves the key pointing at its order,
    and the retry resumes that order (its PaymentIntent's idempotency key is the
    order's, so Stripe gives the same intent back) instead of reserving again.
    """
    try:
        if record.resource:
            order = services.order_payment_start(order=Order.objects.get(public_id=record.resource))
            response = _answer(order)
        else:
            response = _bought(
                data,
                on_reserved=lambda order: idempotency_resource_set(
                    record=record, resource=str(order.public_id)
                ),
            )
    except services.BuyNowError as exc:
        response = _refused(exc)
    except Exception:
        idempotency_interrupted(record=record)
        raise
    if response.status_code >= 500:  # nothing held (the order was released): retry anew
        idempotency_release(record=record)
    else:
        idempotency_answer(record=record, response=response)
    return response


def _bought(data: Any, on_reserved: Callable[[Order], None] | None = None) -> JsonResponse:
    """Buy what ``data`` asks for: 201 with the order, or a BuyNowError."""
    order, payments = services.order_buy_now(**_request_from_json(data), on_reserved=on_reserved)
    return _answer(order, payments)


def _answer(order: Order, payments: ShopPayments | None = None) -> JsonResponse:
    credentials = (payments or shop_payments()).credentials
    assert credentials is not None  # noqa: S101 (the order's payment was started with them)
    return JsonResponse(buy_now_answer(order, credentials.publishable_key), status=201)


def _refused(exc: Exception) -> JsonResponse:
    """The shopper's answer to a BuyNowError; anything else is raised again (a 500)."""
    if not isinstance(exc, services.BuyNowError):
        raise exc
    return _error(exc.status, exc.code, exc.message, exc.field)


def _shopper_order(request: HttpRequest, public_id: str, secret: str) -> Order | None:
    return selectors.order_for_shopper(public_id=public_id, client_secret=secret)


@require_GET
def order_status(request: HttpRequest, public_id: str) -> JsonResponse:
    """``GET /api/v1/buy-now/<id>/`` with the header ``X-Client-Secret: <client secret>``
    (a header, so the secret stays out of access logs): where the order stands."""
    order = _shopper_order(request, public_id, request.headers.get("X-Client-Secret", ""))
    if order is None:
        return _error(404, "not_found", "No such order.")
    return JsonResponse(
        {"id": str(order.public_id), "number": order.number, "status": order.status}
    )


@csrf_exempt
@require_POST
def order_pay_with_card(request: HttpRequest, public_id: str) -> JsonResponse:
    """``POST /api/v1/buy-now/<id>/pay/`` with ``{"secret", "token"}``: confirm the
    payment on the server with a card token made by Stripe.js's card element.

    For Stripe.js builds without the Payment Element (localstripe's stand-in); with
    Stripe's own Stripe.js the page confirms in the browser and never calls this.
    """
    try:
        data = json_input(request.body or b"{}")
    except JsonUnreadable:
        data = {}
    data = data if isinstance(data, dict) else {}
    order = _shopper_order(request, public_id, _text(data.get("secret"), 255))
    if order is None:
        return _error(404, "not_found", "No such order.")
    token = _text(data.get("token"), 255)
    if not token.startswith("tok_"):
        return _error(400, "invalid_token", "The card could not be read.")
    if order.status != Order.Status.PENDING_PAYMENT:
        return _error(
            409,
            "not_payable",
            "This reservation has ended; continue to payment again to reserve the items.",
        )
    payments = shop_payments()
    if payments.credentials is None:
        return _error(503, services.PaymentsNotSetUp.code, payments.problem)
    try:
        card = stripe_client.token_card_id(credentials=payments.credentials, token_id=token)
        intent = stripe_client.payment_intent_confirm_with_card(
            credentials=payments.credentials,
            payment_intent_id=order.payment_intent_id,
            payment_method_id=card,
        )
    except stripe_client.PaymentFinalError as exc:
        # the order stays held and its PaymentIntent payable: the same form takes another card
        code = exc.code or ("card_declined" if exc.http_status == 402 else "payment_refused")
        return _error(402, code, _card_refused_message(exc))
    except stripe_client.PaymentRetryableError:
        return _error(502, "payment_unavailable", "The payment could not be sent; try again.")
    if intent.status == "requires_payment_method":  # declined after the confirm was accepted
        return _error(402, "card_declined", DECLINED)
    return JsonResponse({"status": intent.status})


def _card_refused_message(exc: stripe_client.PaymentFinalError) -> str:
    """What the shopper can do about a card Stripe refused (never Stripe's bare "Bad
    request": a refusal of the request itself is not the card's fault)."""
    if exc.code in CARD_PROBLEMS:
        return CARD_PROBLEMS[exc.code]
    if exc.http_status == 402:  # a card error: declined, insufficient funds, fraud…
        return DECLINED
    return "The payment could not be completed; try another card or reload the page."
