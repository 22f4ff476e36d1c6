"""Buy-now for shoppers: ``POST /api/v1/checkout/quote/`` prices a checkout (shipping
rates, tax, discount code) for the summary; ``POST /api/v1/buy-now/`` prices it again,
reserves the stock and creates the order and its PaymentIntent; ``GET buy-now/{id}/``
tells where the order stands and ``POST buy-now/{id}/pay/`` pays it with a card token.
The last two are authorised by the PaymentIntent's client secret that buy-now answered
with (see ``ShopperView`` for why none of them needs a key, a cookie or a CSRF token)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.http import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.models import Variant
from orders import selectors, services, stripe_client
from orders.models import Order
from orders.payment_accounts import ShopPayments, shop_payments
from orders.pricing import Quote
from orders.totals import order_totals
from shops.api.base import ShopperView
from shops.api.catalog.serializers import money
from shops.api.errors import Conflict, Refused, refusal
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
from shops.api.orders import serializers as s
from shops.api.throttling import ClientAddressThrottle
from shops.insights.services import checkout_visitor_keep
from shops.selectors import shop_currency

SHOPPER = "shopper"  # the owner of buy-now's Idempotency-Keys (shoppers are anonymous)
# what a shopper is told when Stripe refuses the card (by Stripe's decline code)
DECLINED = "Your card was declined; try another card."
CARD_PROBLEMS = {
    "expired_card": "Your card has expired; try another card.",
    "incorrect_cvc": "The card's security code is incorrect; check it or try another card.",
    "incorrect_number": "The card number is incorrect; check it or try another card.",
    "processing_error": "The card could not be charged just now; try again or try another card.",
}

ORDER_ID = OpenApiParameter(
    "public_id", str, OpenApiParameter.PATH, description="The order's id from buy-now's answer."
)
CLIENT_SECRET = OpenApiParameter(
    "X-Client-Secret",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The client secret buy-now answered with (a header, so it stays out of "
    "access logs).",
)
BUY_NOW_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    OpenApiParameter.HEADER,
    description="Any unique string per purchase attempt. The same key and body within 24 "
    "hours give the first answer again (refusals included, header `Idempotent-Replayed: "
    "true`) and never a second order; with another body, 409 `idempotency_conflict`; "
    "while the first is still running, 409 `idempotency_in_progress`.",
)


def buy_now_refusal(
    error: services.BuyNowError, *, code_field: str = "discount_code"
) -> exceptions.APIException:
    """The API's error for a refusal of buy-now's services (the field at fault named:
    a discount code's as the request named it, ``code_field``). ``total_changed`` carries
    the new quote (``CheckoutQuoteSerializer``)."""
    field = code_field if error.field == "discount_code" else error.field
    if isinstance(error, services.TotalChanged):
        return Refused(
            error.message,
            status_code=error.status,
            code=error.code,
            field=field,
            extra={"quote": quote_answer(error.quote, error.variants)},
        )
    return refusal(error.message, status_code=error.status, code=error.code, field=field)


def quote_answer(
    quote: Quote, variants: Mapping[int, Variant], errors: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """A checkout quote as the page shows it (``CheckoutQuoteSerializer``): the lines
    with their options, the rates offered, the amounts, and ``errors`` to fix."""
    return {
        "currency": quote.currency,
        "lines": [
            {
                "variant_id": line.variant_id,
                "quantity": line.quantity,
                "product_title": variants[line.variant_id].product.title,
                "options": [
                    {"name": name, "value": value}
                    for name, value in zip(
                        variants[line.variant_id].product.option_names,
                        variants[line.variant_id].options,
                        strict=False,
                    )
                ],
                "unit_price": money(line.unit_price),
                "amount": money(line.amount),
                "discount": money(line.discount),
                "requires_shipping": line.requires_shipping,
            }
            for line in quote.lines
        ],
        "requires_shipping": quote.requires_shipping,
        "country": quote.country,
        "shipping_rates": [
            {
                "id": rate.id,
                "name": rate.name,
                "zone": rate.zone,
                "price": money(rate.price),
                "regular_price": money(rate.regular_price),
                "free_over": money(rate.free_over),
            }
            for rate in quote.shipping_rates
        ],
        "shipping_rate": quote.shipping_rate.id if quote.shipping_rate else None,
        "subtotal": money(quote.subtotal),
        "shipping": money(quote.shipping),
        "discount": money(quote.discount),
        "discount_code": quote.discount_code,
        "tax": {
            "name": quote.tax_name,
            "rate": None if quote.tax_rate is None else str(quote.tax_rate),
            "amount": money(quote.tax),
            "included": quote.prices_include_tax,
        },
        "total": money(quote.total),
        "errors": errors or [],
    }


def buy_now_answer(order: Order, publishable_key: str) -> dict[str, Any]:
    """What the page needs to take the payment with Stripe.js (``BuyNowAnswerSerializer``)."""
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


def _buy_now_request(data: dict[str, Any]) -> dict[str, Any]:
    """The checked request as ``order_buy_now``'s arguments. A malformed ``utm`` or
    ``post`` is ignored (attribution never costs a sale)."""
    utm = data.get("utm") if isinstance(data.get("utm"), dict) else {}
    post = data.get("post") if isinstance(data.get("post"), dict) else {}
    post_id = post.get("id") if selectors.is_row_id(post.get("id")) else None
    view = post.get("view") if post_id and isinstance(post.get("view"), str) else ""

    def text(value: Any, limit: int) -> str:
        return value.strip()[:limit] if isinstance(value, str) else ""

    return {
        "lines": [
            services.LineRequest(variant_id=item["variant_id"], quantity=item["quantity"])
            for item in data["items"]
        ],
        "email": data["email"],
        "shipping_address": {
            name: value for name, value in (data.get("shipping_address") or {}).items() if value
        },
        "shipping_rate_id": data.get("shipping_rate"),
        "discount_code": data["discount_code"] or data["coupon"],
        "expected_total": data.get("expected_total"),
        "marketing_consent": bool(data.get("marketing_consent")),
        "attribution": services.Attribution(
            utm_source=text(utm.get("source"), 100),
            utm_medium=text(utm.get("medium"), 100),
            utm_campaign=text(utm.get("campaign"), 100),
            coupon_code=data["discount_code"] or data["coupon"],
            post_id=post_id,
            post_view_token=view.strip()[:64],
        ),
    }


class BuyNowView(ShopperView):
    """Price the checkout, reserve the items (and count the discount code's use), create
    the order (pending payment) and its Stripe PaymentIntent for the shop's total, and
    answer what the page needs to take the payment with Stripe.js. The stock is held
    until `order.reserved_until`; prices come from the catalog, shipping, tax and the
    discount from the shop's rules (as `POST checkout/quote/` shows them). A physical
    product needs `shipping_address` and a `shipping_rate` that ships to its country.

    Each client address may call it `ORDERS_RATE_BUY_NOW` times per shop and window.
    With an `Idempotency-Key` header (the API's one mechanism, shops.api.idempotency)
    a retry never makes a second order.
    """

    throttle_classes = [ClientAddressThrottle]
    rate_scope = "buy_now"
    rate_setting = "ORDERS_RATE_BUY_NOW"
    max_body_bytes = 16 * 1024

    @extend_schema(
        operation_id="buy_now",
        summary="Buy now",
        parameters=[BUY_NOW_KEY],
        request=s.BuyNowInputSerializer,
        responses={
            201: s.BuyNowAnswerSerializer,
            400: OpenApiResponse(
                description="Something to fix, `field` naming it: `shipping_address.country` "
                "(`unknown_country`, `no_shipping_to_country`), `shipping_address.postal_code` "
                "(`address_incomplete`, `invalid_postal_code`: the message names the "
                "country's shape), `shipping_rate` "
                "(`shipping_rate_required`, `rate_not_for_country`, `unknown_shipping_rate`, "
                "`rate_not_for_order`), `discount_code` (or `coupon` when sent so: "
                "`unknown_code`, `code_expired`, `code_used_up`, `code_already_used`, "
                "`minimum_not_reached`, …), `email`, an item. Nothing is held."
            ),
            404: OpenApiResponse(
                description="A product is no longer for sale (`not_for_sale`, `field` names it)."
            ),
            409: OpenApiResponse(
                description="Out of stock (`out_of_stock`, `field` names the item), the total is "
                "not `expected_total` (`total_changed`: `error.quote` is the new quote, shaped "
                "as checkout/quote's answer), the checkout ended (`checkout_expired`), or the "
                "Idempotency-Key is in use (`idempotency_conflict`, `idempotency_in_progress`). "
                "Nothing is held."
            ),
            429: OpenApiResponse(
                description="Too many calls from this address (ORDERS_RATE_BUY_NOW); retry after "
                "`Retry-After` seconds."
            ),
            502: OpenApiResponse(
                description="Stripe could not start the payment (`payment_unavailable`); nothing "
                "is held or charged: retry (with the same Idempotency-Key)."
            ),
            503: OpenApiResponse(
                description="This shop has no payments set up (`payments_not_set_up`)."
            ),
        },
    )
    def post(self, request: Request) -> HttpResponseBase:
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if not key:
            return self._bought(request.data)
        if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
            raise exceptions.ValidationError(
                {
                    IDEMPOTENCY_HEADER: [
                        exceptions.ErrorDetail(
                            f"The Idempotency-Key header is 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} "
                            "characters.",
                            code="bad_key",
                        )
                    ]
                }
            )
        canonical = json.dumps(request.data, sort_keys=True, separators=(",", ":"))
        claim = idempotency_claim(
            owner=SHOPPER,
            key=key,
            method=request.method,
            path=request.path,
            body_hash=hashlib.sha256(canonical.encode()).hexdigest(),
        )
        if claim.is_mismatch:
            raise Conflict(
                "This Idempotency-Key was already used with a different request.",
                code="idempotency_conflict",
            )
        if not claim.is_new and claim.is_in_progress:
            raise Conflict(
                "A request with this Idempotency-Key is still being processed; retry shortly.",
                code="idempotency_in_progress",
            )
        if not claim.is_new:
            return idempotency_replay(record=claim.record)
        return self._bought_once(claim.record, request.data)

    def _bought_once(self, record: IdempotencyRecord, data: Any) -> HttpResponseBase:
        """Buy-now under a new claim of its Idempotency-Key.

        The order's id is recorded with the key in the reservation's own transaction,
        which commits before Stripe is called: the stock rows stay locked for
        milliseconds, not for the call (a flash sale's buyers never queue behind each
        other's Stripe calls). A request that fails after the reservation leaves the key
        pointing at its order, and the retry resumes that order (its PaymentIntent's
        idempotency key is the order's, so Stripe gives the same intent back) instead of
        reserving again. A refusal is kept and replayed; a 5xx frees the key.
        """
        try:
            if record.resource:
                order = Order.objects.get(public_id=record.resource)
                response = self._answer(services.order_payment_start(order=order))
            else:
                response = self._bought(
                    data,
                    on_reserved=lambda order: idempotency_resource_set(
                        record=record, resource=str(order.public_id)
                    ),
                )
        except exceptions.APIException as exc:
            response = self.handle_exception(exc)
        except services.BuyNowError as exc:
            response = self.handle_exception(buy_now_refusal(exc, code_field=_code_field(data)))
        except Exception:
            idempotency_interrupted(record=record)
            raise
        response = self.rendered(response)
        if response.status_code >= 500:  # nothing held (the order was released): retry anew
            idempotency_release(record=record)
        else:
            idempotency_answer(record=record, response=response)
        return response

    def _bought(self, data: Any, on_reserved: Callable[[Order], None] | None = None) -> Response:
        """Buy what ``data`` asks for: 201 with the order, or the refusal raised."""
        serializer = s.BuyNowInputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        try:
            order, payments = services.order_buy_now(
                **_buy_now_request(serializer.validated_data), on_reserved=on_reserved
            )
        except services.BuyNowError as error:
            raise buy_now_refusal(error, code_field=_code_field(data)) from None
        # the shopper's own request: keep today's visitor for the order's paid event
        checkout_visitor_keep(self.request, order_id=order.pk)
        return self._answer(order, payments)

    @staticmethod
    def _answer(order: Order, payments: ShopPayments | None = None) -> Response:
        credentials = (payments or shop_payments()).credentials
        assert credentials is not None  # noqa: S101 (the order's payment was started with them)
        return Response(buy_now_answer(order, credentials.publishable_key), status=201)


def _code_field(data: Any) -> str:
    """The request's name for the discount code: ``coupon`` when only that was sent."""
    if isinstance(data, Mapping) and not data.get("discount_code") and data.get("coupon"):
        return "coupon"
    return "discount_code"


def _shopper_order(public_id: str, secret: str) -> Order:
    order = selectors.order_for_shopper(public_id=public_id, client_secret=secret)
    if order is None:
        raise exceptions.NotFound("No such order.")
    return order


class OrderStatusView(ShopperView):
    """The order's status, for the page waiting for Stripe's webhook to mark it paid."""

    @extend_schema(
        operation_id="buy_now_order",
        summary="Where a bought order stands",
        parameters=[ORDER_ID, CLIENT_SECRET],
        responses={
            200: s.ShopperOrderStatusSerializer,
            404: OpenApiResponse(description="No such order, or not this client secret."),
        },
    )
    def get(self, request: Request, public_id: str) -> Response:
        order = _shopper_order(public_id, request.headers.get("X-Client-Secret", ""))
        return Response(
            {"id": str(order.public_id), "number": order.number, "status": order.status}
        )


class OrderPayView(ShopperView):
    """Confirm the payment on the server with a card token made by Stripe.js's card
    element: for Stripe.js builds without the Payment Element (localstripe's stand-in);
    with Stripe's own Stripe.js the page confirms in the browser and never calls this."""

    max_body_bytes = 16 * 1024

    @extend_schema(
        operation_id="buy_now_pay",
        summary="Pay a bought order with a card token",
        parameters=[ORDER_ID],
        request=s.CardPaymentInputSerializer,
        responses={
            200: s.CardPaymentAnswerSerializer,
            400: OpenApiResponse(description="The card could not be read (`invalid_token`)."),
            402: OpenApiResponse(
                description="Stripe refused the card (`card_declined`, `expired_card`, …); the "
                "order stays held and takes another card."
            ),
            404: OpenApiResponse(description="No such order, or not this client secret."),
            409: OpenApiResponse(
                description="The reservation has ended (`not_payable`): buy again to reserve."
            ),
            502: OpenApiResponse(
                description="Stripe could not be reached (`payment_unavailable`); try again."
            ),
            503: OpenApiResponse(
                description="This shop has no payments set up (`payments_not_set_up`)."
            ),
        },
    )
    def post(self, request: Request, public_id: str) -> Response:
        data = self.validated_input(s.CardPaymentInputSerializer).validated_data
        order = _shopper_order(public_id, data["secret"])
        if not data["token"].startswith("tok_"):
            raise refusal(
                "The card could not be read.", status_code=400, code="invalid_token", field="token"
            )
        if order.status != Order.Status.PENDING_PAYMENT:
            raise Refused(
                "This reservation has ended; continue to payment again to reserve the items.",
                status_code=409,
                code="not_payable",
            )
        payments = shop_payments()
        if payments.credentials is None:
            raise Refused(payments.problem, status_code=503, code=services.PaymentsNotSetUp.code)
        try:
            card = stripe_client.token_card_id(
                credentials=payments.credentials, token_id=data["token"]
            )
            intent = stripe_client.payment_intent_confirm_with_card(
                credentials=payments.credentials,
                payment_intent_id=order.payment_intent_id,
                payment_method_id=card,
            )
        except stripe_client.PaymentFinalError as exc:
            # the order stays held and its PaymentIntent payable: the same form takes another
            code = exc.code or ("card_declined" if exc.http_status == 402 else "payment_refused")
            raise Refused(_card_refused_message(exc), status_code=402, code=code) from None
        except stripe_client.PaymentRetryableError:
            raise Refused(
                "The payment could not be sent; try again.",
                status_code=502,
                code="payment_unavailable",
            ) from None
        if intent.status == "requires_payment_method":  # declined after the confirm was accepted
            raise Refused(DECLINED, status_code=402, code="card_declined")
        return Response({"status": intent.status})


def _card_refused_message(exc: stripe_client.PaymentFinalError) -> str:
    """What the shopper can do about a card Stripe refused (never Stripe's bare "Bad
    request": a refusal of the request itself is not the card's fault)."""
    if exc.code in CARD_PROBLEMS:
        return CARD_PROBLEMS[exc.code]
    if exc.http_status == 402:  # a card error: declined, insufficient funds, fraud…
        return DECLINED
    return "The payment could not be completed; try another card or reload the page."


class BagCheckView(ShopperView):
    """Price and check the bag kept in the shopper's browser (opened, or a quantity
    changed): each line with its options, today's price and what is left, and the
    subtotal of what can be bought. Nothing is held: buy-now holds the stock."""

    throttle_classes = [ClientAddressThrottle]
    rate_scope = "bag_check"
    rate_setting = "ORDERS_RATE_BAG_CHECK"
    max_body_bytes = 16 * 1024

    @extend_schema(
        operation_id="bag_check",
        summary="Check a bag",
        request=s.BagCheckInputSerializer,
        responses={
            200: s.BagCheckAnswerSerializer,
            429: OpenApiResponse(
                description="Too many calls from this address (ORDERS_RATE_BAG_CHECK); retry "
                "after `Retry-After` seconds."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.validated_input(s.BagCheckInputSerializer).validated_data
        lines = selectors.bag_lines(
            items=[(item["variant_id"], item["quantity"]) for item in data["items"]]
        )
        totals = order_totals(
            lines=[(line.price, line.buyable_quantity) for line in lines if line.price is not None]
        )
        return Response(
            {
                "currency": shop_currency(),
                "lines": [
                    {
                        "variant_id": line.variant_id,
                        "quantity": line.quantity,
                        "available": line.available,
                        "status": line.status,
                        "product_title": line.product_title,
                        "product_slug": line.product_slug,
                        "options": [{"name": name, "value": value} for name, value in line.options],
                        "price": None if line.price is None else str(line.price),
                        "line_total": str(line.line_total),
                        "requires_shipping": line.requires_shipping,
                    }
                    for line in lines
                ],
                "subtotal": str(totals.subtotal),
                "requires_shipping": any(line.requires_shipping for line in lines),
            }
        )


# What the quote leaves out to price the rest when the shopper's choice is refused (the
# form shows the message by the field and the summary without it).
QUOTE_DROPS = {
    "shipping_address.country": ("country", "shipping_rate_id"),
    "shipping_rate": ("shipping_rate_id",),
    "discount_code": ("discount_code",),
    "email": ("email",),
}


class CheckoutQuoteView(ShopperView):
    """What the checkout costs with what the shopper chose so far, for the summary
    before paying: the lines with their options, the shipping rates offered for the
    country (cheapest first), the subtotal, shipping, discount, tax (its name, included
    in the prices or added) and total. A choice the shop refuses (an unknown country, a
    rate that does not ship there, an expired, unknown or used-up code) is listed in
    `errors` with a message for the shopper, and the amounts are those without it.
    Nothing is held or counted: buy-now prices the checkout again and holds the stock.
    """

    throttle_classes = [ClientAddressThrottle]
    rate_scope = "checkout_quote"
    rate_setting = "ORDERS_RATE_CHECKOUT_QUOTE"
    max_body_bytes = 16 * 1024

    @extend_schema(
        operation_id="checkout_quote",
        summary="Price a checkout",
        request=s.CheckoutQuoteInputSerializer,
        responses={
            200: s.CheckoutQuoteSerializer,
            400: OpenApiResponse(
                description="An item is not sold in this shop (`unknown_variant`), or the "
                "request is malformed; `field` names it."
            ),
            404: OpenApiResponse(
                description="A product is no longer for sale (`not_for_sale`, `field` names it)."
            ),
            429: OpenApiResponse(
                description="Too many calls from this address (ORDERS_RATE_CHECKOUT_QUOTE); "
                "retry after `Retry-After` seconds."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.validated_input(s.CheckoutQuoteInputSerializer).validated_data
        asked = [
            services.LineRequest(variant_id=item["variant_id"], quantity=item["quantity"])
            for item in data["items"]
        ]
        choices: dict[str, Any] = {
            "country": data["country"] or None,
            "shipping_rate_id": data.get("shipping_rate"),
            "discount_code": data["discount_code"],
            "email": data["email"] or None,
        }
        errors: list[dict[str, str]] = []
        try:
            lines = services.lines_clean(asked)
            variants = services.checkout_variants(lines=lines)
            while True:
                try:
                    quote = services.buy_now_quote(
                        lines=lines, variants=variants, for_payment=False, **choices
                    )
                    break
                except services.BuyNowError as error:
                    if error.field not in QUOTE_DROPS or not any(
                        choices[name] for name in QUOTE_DROPS[error.field]
                    ):
                        raise
                    field = "country" if error.field == "shipping_address.country" else error.field
                    errors.append({"field": field, "code": error.code, "message": error.message})
                    choices.update(dict.fromkeys(QUOTE_DROPS[error.field]))
        except services.BuyNowError as error:
            raise buy_now_refusal(error) from None
        return Response(quote_answer(quote, variants, errors))
