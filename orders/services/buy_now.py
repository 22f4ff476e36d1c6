"""Buy-now: the shopper's request checked and priced (``orders.pricing.checkout_quote``:
lines, shipping, tax, discount code), the stock reserved and the code's use counted, the
order and its Stripe PaymentIntent created. (An Idempotency-Key on buy-now is handled by
the API layer's ``shops.api.idempotency``, the partner API's own.)"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone

from catalog.models import Product, Variant
from catalog.services import StockShortage, outbox_batch, stock_hold_lines
from orders import stripe_client
from orders.countries import (
    COUNTRIES_WITH_OPTIONAL_POSTAL_CODES,
    COUNTRIES_WITHOUT_POSTAL_CODES,
    COUNTRY_CODES,
    postal_code_clean,
)
from orders.models import Order, OrderLine
from orders.payment_accounts import ShopPayments, shop_payments
from orders.pricing import Quote, checkout_quote
from orders.services.discounts import discount_redeem
from orders.services.payments import order_release
from orders.signals import order_created, order_signal_send
from shops.consent.models import MarketingConsent
from shops.consent.services import CHECKBOX_WORDING, consent_request

logger = logging.getLogger(__name__)

Status = Order.Status


class BuyNowError(Exception):
    """A buy-now request that cannot be served; ``message`` is for the shopper and
    ``field`` names the part of the request at fault (``items[0].variant_id``), if one."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class OutOfStock(BuyNowError):
    status = 409
    code = "out_of_stock"


class NotForSale(BuyNowError):
    status = 404
    code = "not_for_sale"


class PaymentsNotSetUp(BuyNowError):
    status = 503
    code = "payments_not_set_up"


class PaymentUnavailable(BuyNowError):
    status = 502
    code = "payment_unavailable"


class CheckoutExpired(BuyNowError):
    status = 409
    code = "checkout_expired"


class TotalChanged(BuyNowError):
    """The total is not the one the shopper was shown (``expected_total``): a price, the
    stock or the code changed. ``quote`` is the checkout's price now, with ``variants``
    (by id, with their product) to describe its lines. Nothing was held."""

    status = 409
    code = "total_changed"

    def __init__(self, message: str, *, quote: Quote, variants: Mapping[int, Variant]):
        super().__init__(message, field="expected_total")
        self.quote = quote
        self.variants = variants


# Where the shopper typed what ``checkout_quote`` refuses, by its key, in the order the
# form asks for them (the first one is named).
QUOTE_FIELDS = {
    "email": "email",
    "lines": "items",
    "country": "shipping_address.country",
    "shipping_rate_id": "shipping_rate",
    "discount_code": "discount_code",
}


@dataclass(frozen=True)
class LineRequest:
    variant_id: int
    quantity: int


@dataclass(frozen=True)
class Attribution:
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    coupon_code: str = ""
    # a tag click on a shoppable post: the post and the page view's token (the order
    # is attributed to the post by shops.posts, through orders.signals.order_created)
    post_id: int | None = None
    post_view_token: str = ""


# What a parcel needs, in the order the form asks for it, and what to say when it is missing.
SHIPPING_ADDRESS_REQUIRED = {
    "name": "Enter the name of the person the parcel is for.",
    "line1": "Enter the street address to ship to.",
    "postal_code": "Enter the postal code to ship to.",
    "city": "Enter the town or city to ship to.",
    "country": "Choose the country to ship to.",
}


def shipping_address_clean(*, address: Mapping[str, str]) -> dict[str, str]:
    """The address a physical product is shipped to, its country as an upper-case ISO
    3166-1 alpha-2 code; or a BuyNowError naming the first field at fault
    (``shipping_address.city``). No postal code is asked for where there is none (nor
    required in Ireland, where Eircodes are often left out); one given is checked against
    the country's shape where ``orders.countries.POSTAL_CODE_FORMATS`` knows it."""
    cleaned = {name: str(value).strip() for name, value in address.items() if value}
    cleaned = {name: value for name, value in cleaned.items() if value}
    country = cleaned.get("country", "").upper()
    optional = COUNTRIES_WITHOUT_POSTAL_CODES | COUNTRIES_WITH_OPTIONAL_POSTAL_CODES
    for name, message in SHIPPING_ADDRESS_REQUIRED.items():
        if name == "postal_code" and country in optional:
            continue
        if not cleaned.get(name):
            raise BuyNowError(message, code="address_incomplete", field=f"shipping_address.{name}")
    if country not in COUNTRY_CODES:
        raise BuyNowError(
            f"We do not know the country “{cleaned['country'][:20]}”; give its two-letter "
            "code, such as FR, DE or US.",
            code="unknown_country",
            field="shipping_address.country",
        )
    if "postal_code" in cleaned:
        try:
            cleaned["postal_code"] = postal_code_clean(cleaned["postal_code"], country=country)
        except ValidationError as error:
            raise BuyNowError(
                error.messages[0], code="invalid_postal_code", field="shipping_address.postal_code"
            ) from None
    return {**cleaned, "country": country}


def lines_clean(lines: Sequence[LineRequest]) -> list[LineRequest]:
    """The requested lines, one per variant (quantities added), in variant id order; or
    a BuyNowError saying what is wrong."""
    if not lines:
        raise BuyNowError("Choose at least one product.", code="no_items")
    if len(lines) > settings.ORDERS_MAX_LINES:
        raise BuyNowError(
            f"An order holds at most {settings.ORDERS_MAX_LINES} products.", code="too_many_items"
        )
    merged: dict[int, int] = {}
    for line in lines:
        if not (isinstance(line.quantity, int) and not isinstance(line.quantity, bool)):
            raise BuyNowError("A quantity is a whole number.", code="invalid_quantity")
        if line.quantity < 1:
            raise BuyNowError("A quantity is at least 1.", code="invalid_quantity")
        merged[line.variant_id] = merged.get(line.variant_id, 0) + line.quantity
        if merged[line.variant_id] > settings.ORDERS_MAX_QUANTITY:
            raise BuyNowError(
                f"You can buy at most {settings.ORDERS_MAX_QUANTITY} of an item at once.",
                code="quantity_over_limit",
            )
    return [LineRequest(variant_id, quantity) for variant_id, quantity in sorted(merged.items())]


def checkout_variants(
    *, lines: Sequence[LineRequest], positions: Mapping[int, int] | None = None
) -> dict[int, Variant]:
    """The variants (with their product) of ``lines`` by id; a BuyNowError naming the
    item (``items[0].variant_id``, by ``positions``, the request's order by default) whose
    variant is not one of this shop's (400) or no longer for sale (404).

    Each line is exactly the variant requested, never replaced by another of the product."""
    positions = positions or _first_positions(lines)
    variants = {
        variant.id: variant
        for variant in Variant.objects.select_related("product").filter(
            id__in=[line.variant_id for line in lines]
        )
    }
    for line in lines:
        variant = variants.get(line.variant_id)
        field = f"items[{positions[line.variant_id]}].variant_id"
        if variant is None:
            raise BuyNowError(
                "That product option is not sold in this shop; reload the page and choose again.",
                code="unknown_variant",
                field=field,
            )
        if variant.product.status != Product.Status.ACTIVE:
            raise NotForSale(f"{variant.product.title} is no longer for sale.", field=field)
    return variants


def buy_now_quote(
    *,
    lines: Sequence[LineRequest],
    variants: Mapping[int, Variant],
    country: str | None,
    shipping_rate_id: int | None,
    discount_code: str,
    email: str | None,
    for_payment: bool,
) -> Quote:
    """``checkout_quote`` of the request's lines, its refusal as a BuyNowError naming
    the field of buy-now's request at fault (``shipping_rate``, ``discount_code``,
    ``shipping_address.country``) with the message for the shopper."""
    try:
        return checkout_quote(
            lines=[(variants[line.variant_id], line.quantity) for line in lines],
            country=country,
            shipping_rate_id=shipping_rate_id,
            discount_code=discount_code,
            email=email,
            for_payment=for_payment,
        )
    except ValidationError as error:
        raise _quote_refusal(error) from None


def _quote_refusal(error: ValidationError) -> BuyNowError:
    errors = error.error_dict if hasattr(error, "error_dict") else {"lines": error.error_list}
    key = min(errors, key=lambda key: list(QUOTE_FIELDS).index(key) if key in QUOTE_FIELDS else 99)
    first = errors[key][0]
    field = QUOTE_FIELDS.get(key, "items" if key.startswith("lines") else key)
    return BuyNowError(next(iter(first)), code=first.code or "invalid", field=field)


def _reserve_and_create(
    *,
    lines: list[LineRequest],
    email: str,
    shipping_address: Mapping[str, str],
    shipping_rate_id: int | None,
    discount_code: str,
    expected_total: Decimal | None,
    attribution: Attribution,
    payments: ShopPayments,
    positions: Mapping[int, int],
) -> Order:
    """Price the order, take the stock of every line, write the order (pending payment)
    and count the discount code's use, in the caller's transaction: any refusal (a code
    used up meanwhile) leaves nothing held. Stock rows are updated in variant id order,
    so two orders for the same variants never wait for each other in a cycle.
    ``positions`` gives each variant's place in the request, to name the item at fault."""
    variants = checkout_variants(lines=lines, positions=positions)
    # a physical product is shipped: its address is checked before anything is held
    requires_shipping = any(variant.product.requires_shipping for variant in variants.values())
    if requires_shipping:
        shipping_address = shipping_address_clean(address=shipping_address)
    quote = buy_now_quote(
        lines=lines,
        variants=variants,
        country=shipping_address["country"] if requires_shipping else None,
        shipping_rate_id=shipping_rate_id,
        discount_code=discount_code,
        email=email,
        for_payment=True,
    )
    if expected_total is not None and quote.total != expected_total:
        raise TotalChanged(
            "The total has changed since you saw it; check the new summary before you pay.",
            quote=quote,
            variants=variants,
        )

    currency = quote.currency
    with outbox_batch():
        try:
            stock_hold_lines(
                quantities=[(variants[line.variant_id], line.quantity) for line in lines]
            )
        except StockShortage as shortage:
            raise _out_of_stock(lines, variants, positions, shortage.available) from None

    amount_minor = quote.total_minor
    fee = 0
    if payments.credentials and payments.credentials.account_id:
        fee = amount_minor * settings.STRIPE_PLATFORM_FEE_BASIS_POINTS // 10_000
    order = Order.objects.create(
        email=email,
        shipping_address=dict(shipping_address),
        currency=currency,
        subtotal=quote.subtotal,
        shipping_amount=quote.shipping,
        shipping_method=quote.shipping_rate.name[:100] if quote.shipping_rate else "",
        tax_amount=quote.tax,
        discount_amount=quote.discount,
        prices_include_tax=quote.prices_include_tax,
        tax_name=quote.tax_name if quote.tax else "",
        total=quote.total,
        amount_minor=amount_minor,
        application_fee_minor=fee,
        stripe_account_id=payments.credentials.account_id if payments.credentials else "",
        reserved_until=timezone.now() + timedelta(seconds=settings.ORDERS_RESERVATION_SECONDS),
        utm_source=attribution.utm_source[:100],
        utm_medium=attribution.utm_medium[:100],
        utm_campaign=attribution.utm_campaign[:100],
        coupon_code=quote.discount_code or attribution.coupon_code[:64],
    )
    if quote.discount_code:
        try:
            discount_redeem(code=quote.discount_code, email=email, order_id=order.id)
        except ValidationError as error:
            raise _quote_refusal(error) from None
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            variant=variants[line.variant_id],
            product_id=variants[line.variant_id].product_id,
            title=variants[line.variant_id].product.title,
            variant_title=" / ".join(variants[line.variant_id].options),
            sku=variants[line.variant_id].sku,
            unit_price=variants[line.variant_id].price,
            quantity=line.quantity,
            line_total=variants[line.variant_id].price * line.quantity,
        )
        for line in lines
    )
    return order


def _out_of_stock(
    lines: Sequence[LineRequest],
    variants: Mapping[int, Variant],
    positions: Mapping[int, int],
    available: Mapping[int, int],
) -> OutOfStock:
    """The refusal naming the first line (in the shopper's order) short of stock, and
    what is left of it."""
    variant_id = min(available, key=lambda variant_id: positions[variant_id])
    title, left, position = (
        _line_title(variants[variant_id]),
        available[variant_id],
        positions[variant_id],
    )
    if left == 0:
        return OutOfStock(f"Sorry, {title} is out of stock.", field=f"items[{position}].variant_id")
    return OutOfStock(
        f"Sorry, only {left} of {title} {'is' if left == 1 else 'are'} left.",
        field=f"items[{position}].quantity",
    )


def _first_positions(lines: Sequence[LineRequest]) -> dict[int, int]:
    positions: dict[int, int] = {}
    for position, line in enumerate(lines):
        positions.setdefault(line.variant_id, position)
    return positions


def _line_title(variant: Variant) -> str:
    options = " / ".join(variant.options)
    return f"{variant.product.title} ({options})" if options else variant.product.title


def order_buy_now(
    *,
    lines: Sequence[LineRequest],
    email: str,
    shipping_address: Mapping[str, str] | None = None,
    shipping_rate_id: int | None = None,
    discount_code: str = "",
    expected_total: Decimal | None = None,
    attribution: Attribution | None = None,
    on_reserved: Callable[[Order], None] | None = None,
    marketing_consent: bool = False,
) -> tuple[Order, ShopPayments]:
    """Price the checkout, reserve the stock, count the discount code's use, create the
    order and its Stripe PaymentIntent.

    Prices, currency and totals come from the catalog and the shop's rules
    (``checkout_quote(..., for_payment=True)``: a physical order names a shipping rate
    that ships to its address's country), never from the caller; the PaymentIntent is for
    the quote's total. ``expected_total`` is the total the shopper was shown: if the
    quote's differs, TotalChanged (409) is raised with the new quote and nothing is held.
    ``discount_code`` (empty for none) is redeemed in the reservation's transaction: a
    code used up meanwhile, or already used by this customer, refuses the order. The
    reservation and the order are committed before Stripe is called (the variant rows
    stay locked only for a few milliseconds); ``on_reserved(order)`` runs inside that
    transaction (the caller's record of what it made, committed with it). If Stripe then
    fails, the stock is given back at once and PaymentUnavailable is raised. Raises a
    BuyNowError subclass for anything the shopper should be told. ``marketing_consent``
    (the shopper ticked the unticked-by-default box) asks the address for marketing
    consent in the reservation's transaction (``consent_request``: pending, a
    confirmation link emailed after the commit).
    """
    payments = shop_payments()
    if not payments.can_sell:
        raise PaymentsNotSetUp("Payments are not set up for this shop yet; you cannot buy here.")
    try:
        validate_email(email)
    except ValidationError:
        raise BuyNowError(
            "Enter a valid email address.", code="invalid_email", field="email"
        ) from None
    cleaned = lines_clean(lines)
    attribution = attribution or Attribution()
    with transaction.atomic():
        order = _reserve_and_create(
            lines=cleaned,
            email=email,
            shipping_address=shipping_address or {},
            shipping_rate_id=shipping_rate_id,
            discount_code=discount_code.strip(),
            expected_total=expected_total,
            attribution=attribution,
            payments=payments,
            positions=_first_positions(lines),
        )
        order_signal_send(order_created, order=order, attribution=attribution)
        if marketing_consent:
            consent_request(
                email=email, source=MarketingConsent.Source.CHECKOUT, wording=CHECKBOX_WORDING
            )
        if on_reserved is not None:
            on_reserved(order)
    return order_payment_start(order=order, payments=payments), payments


def order_payment_start(*, order: Order, payments: ShopPayments | None = None) -> Order:
    """Give a held order its PaymentIntent (once: Stripe's idempotency key is the
    order's, so a second call, after a crash, gets the same intent back). If Stripe
    refuses or cannot be reached, the order is released and PaymentUnavailable raised."""
    if order.client_secret:
        return order
    payments = payments or shop_payments()
    if order.stock_status != Order.Stock.HELD or payments.credentials is None:
        raise CheckoutExpired(
            "This checkout has ended and nothing was charged; please start again."
        )
    try:
        intent = stripe_client.payment_intent_create(
            credentials=payments.credentials,
            amount=order.amount_minor,
            currency=order.currency,
            metadata={"shop": connection.schema_name, "order": str(order.public_id)},
            idempotency_key=f"order-{order.public_id}",
            application_fee_amount=order.application_fee_minor,
        )
    except stripe_client.PaymentError as exc:
        logger.warning("buy-now: Stripe refused order %s: %s", order.number, exc)
        order_release(order=order, to=Status.CANCELLED, note="The payment could not be started.")
        raise PaymentUnavailable(
            "The payment could not be started; nothing was charged. Please try again."
        ) from None
    Order.objects.filter(id=order.id).update(
        payment_intent_id=intent.id, client_secret=intent.client_secret
    )
    order.payment_intent_id, order.client_secret = intent.id, intent.client_secret
    return order
