"""What a checkout costs: the shipping rates offered for a country and a bag, the tax, a
discount code's reduction, and the one quote of them all (``checkout_quote``).

Reads only. The rules are written by ``orders.services`` (``shipping_*``, ``tax_*``,
``discount_*``), and a code's use is counted by ``orders.services.discount_redeem``.

Money is a Decimal in the shop's currency, rounded half up to the currency's minor units
(``shops.currencies``: cents, or whole yen). The arithmetic:

- the *subtotal* is the lines' prices times quantities, as the shop shows them;
- a code takes a percentage or a fixed amount off the items (spread over the lines in
  proportion to their amounts, to the cent, so the lines' shares add up to it), or the
  shipping's price (free shipping);
- shipping is charged only for physical products (``Product.requires_shipping``): the
  rates of the zone holding the country (a shop that has set up no shipping zone at all
  ships everywhere at no charge, and no rate is asked for), for the order's weight (the variants'
  ``weight_grams``; physical lines only) or value (the subtotal, before any code), free
  once the value reaches the rate's ``free_over``;
- tax is computed per line, and on shipping, at the country's rate on what is paid for
  it (after the code), each rounded on its own: *included* in the prices
  (``amount * rate / (100 + rate)``, the total is unchanged) or *added* to them
  (``amount * rate / 100``), as the shop's tax settings say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.formats import date_format

from catalog.models import Variant
from orders.countries import country_clean
from orders.models import (
    Discount,
    DiscountRedemption,
    ShippingRate,
    ShippingZone,
    TaxRate,
    TaxSettings,
)
from shops.currencies import minor_units, money_format, to_minor
from shops.selectors import shop_currency

Line = tuple[Variant, int]

# Where prices are shown with tax included by default: the euro and the other currencies
# of EU member states (a shop changes it in its tax settings).
TAX_INCLUSIVE_CURRENCIES = frozenset({"EUR", "BGN", "CZK", "DKK", "HUF", "PLN", "RON", "SEK"})

ZERO = Decimal(0)


@dataclass(frozen=True)
class RateQuote:
    """A shipping rate offered for an order: ``price`` is what the shopper pays for it
    (0 once the order's value reaches ``free_over``), ``regular_price`` the rate's own."""

    id: int
    name: str
    zone: str
    price: Decimal
    regular_price: Decimal
    free_over: Decimal | None

    @property
    def is_free(self) -> bool:
        return self.price == 0


@dataclass(frozen=True)
class QuoteLine:
    """One line of a quote: ``amount`` is unit price times quantity, ``discount`` the code's
    share of it, ``tax`` the tax in (prices include tax) or on ``amount - discount``."""

    variant_id: int
    quantity: int
    unit_price: Decimal
    amount: Decimal
    discount: Decimal
    tax: Decimal
    requires_shipping: bool


@dataclass(frozen=True)
class Quote:
    """What a checkout costs, in ``currency``.

    ``total`` is ``subtotal - discount + shipping``, plus ``tax`` when tax is added at
    checkout (``prices_include_tax`` false); when prices include tax, ``tax`` is the part
    of the total that is tax ("including VAT €3.50"). ``discount`` is what the code took
    off the items (``items_discount``) and the shipping (``shipping_discount``).
    ``shipping_rates`` are the rates offered for the country (empty without one, or when
    nothing needs shipping); ``shipping_rate`` is the one chosen.
    """

    currency: str
    lines: tuple[QuoteLine, ...]
    subtotal: Decimal
    shipping: Decimal
    items_discount: Decimal
    shipping_discount: Decimal
    shipping_tax: Decimal
    tax: Decimal
    total: Decimal
    prices_include_tax: bool
    tax_name: str
    tax_rate: Decimal | None
    country: str | None
    requires_shipping: bool
    shipping_rates: tuple[RateQuote, ...]
    shipping_rate: RateQuote | None
    discount_code: str
    discount_kind: str

    @property
    def discount(self) -> Decimal:
        return self.items_discount + self.shipping_discount

    @property
    def total_minor(self) -> int:
        """The total in the currency's minor units (what Stripe charges)."""
        return to_minor(self.total, self.currency)


def money_round(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half up to the currency's minor units (2.345 EUR → 2.35)."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def email_normalise(email: str) -> str:
    """How a customer is recognised for once-per-customer codes: the address trimmed and
    in lower case."""
    return email.strip().lower()


def prices_include_tax() -> bool:
    """Whether the shop's prices include tax: its tax settings, or by default whether it
    sells in the euro or another currency of the EU."""
    settings = TaxSettings.objects.filter(id=1).first()
    if settings is not None:
        return settings.prices_include_tax
    return shop_currency() in TAX_INCLUSIVE_CURRENCIES


# --- Shipping -------------------------------------------------------------------------


def _weight_grams(lines: Sequence[Line]) -> int:
    return sum(
        (variant.weight_grams or 0) * quantity
        for variant, quantity in lines
        if variant.product.requires_shipping
    )


def _subtotal(lines: Sequence[Line]) -> Decimal:
    return sum((variant.price * quantity for variant, quantity in lines), ZERO)


def _in_band(value: Decimal | int, low: Decimal | int | None, high: Decimal | int | None) -> bool:
    return (low is None or value >= low) and (high is None or value < high)


def _rate_applies(rate: ShippingRate, *, weight: int, value: Decimal) -> bool:
    if rate.kind == ShippingRate.Kind.WEIGHT:
        return _in_band(weight, rate.min_weight_grams, rate.max_weight_grams)
    if rate.kind == ShippingRate.Kind.ORDER_VALUE:
        return _in_band(value, rate.min_order_value, rate.max_order_value)
    return True


def _rate_quote(rate: ShippingRate, *, value: Decimal) -> RateQuote:
    is_free = rate.free_over is not None and value >= rate.free_over
    return RateQuote(
        id=rate.pk,
        name=rate.name,
        zone=rate.zone.name,
        price=ZERO if is_free else rate.price,
        regular_price=rate.price,
        free_over=rate.free_over,
    )


def _rates_of_country(country: str) -> list[ShippingRate]:
    return list(
        ShippingRate.objects.select_related("zone").filter(zone__countries__contains=[country])
    )


def shipping_rates_by_country() -> dict[str, list[ShippingRate]]:
    """Every country the shop ships to, with the rates of its zone (one query): for price
    lists that quote many items at once, such as the channels' feeds."""
    by_country: dict[str, list[ShippingRate]] = {}
    for rate in ShippingRate.objects.select_related("zone").order_by("zone_id", "id"):
        for country in rate.zone.countries:
            by_country.setdefault(country, []).append(rate)
    return dict(sorted(by_country.items()))


# When the shop's shipping zones or rates last changed, kept in the cache (its keys are per
# shop schema) as seconds since the epoch: ``orders.services.shipping`` writes it on each
# change's commit, a deletion included (which leaves no row whose ``updated`` would move).
SHIPPING_CHANGED_KEY = "orders:shipping-changed-at"


def shipping_changed_at() -> datetime:
    """When the shop's shipping zones or rates last changed (the product feeds' ETag and
    Last-Modified move with it). After an eviction from the cache it reads as now, and
    stays so until the next change: a feed fetched once more than needed, never one
    left stale."""
    stamp = cache.get(SHIPPING_CHANGED_KEY)
    if stamp is None:
        cache.add(SHIPPING_CHANGED_KEY, timezone.now().timestamp(), timeout=None)
        stamp = cache.get(SHIPPING_CHANGED_KEY, timezone.now().timestamp())
    return datetime.fromtimestamp(stamp, tz=UTC)


def cheapest_shipping(
    rates: Sequence[ShippingRate], *, weight_grams: int, value: Decimal
) -> Decimal | None:
    """What the cheapest of ``rates`` offered to a parcel of ``weight_grams`` worth
    ``value`` costs (free over its limit included), as ``shipping_rates_for`` quotes it;
    None when none is offered."""
    prices = [
        _rate_quote(rate, value=value).price
        for rate in rates
        if _rate_applies(rate, weight=weight_grams, value=value)
    ]
    return min(prices, default=None)


def shipping_rates_for(*, country: str, lines: Sequence[Line]) -> list[RateQuote]:
    """The rates the shopper can choose to ship ``lines`` (variants with their product,
    and quantities) to ``country``, cheapest first. Empty when the shop does not ship
    there, or when no line is a physical product (nothing to ship). A country that is
    not an ISO code is a ValidationError keyed ``country``."""
    try:
        country = country_clean(country)
    except ValidationError as error:
        raise ValidationError({"country": error}) from None
    if not any(variant.product.requires_shipping for variant, _quantity in lines):
        return []
    weight, value = _weight_grams(lines), _subtotal(lines)
    quotes = [
        _rate_quote(rate, value=value)
        for rate in _rates_of_country(country)
        if _rate_applies(rate, weight=weight, value=value)
    ]
    return sorted(quotes, key=lambda quote: (quote.price, quote.name, quote.id))


def _rate_refused(
    rate_id: object, *, country: str, weight: int, value: Decimal, currency: str
) -> ValidationError:
    """Why the rate ``rate_id`` is not one of those offered, for the shopper."""
    rate = (
        ShippingRate.objects.select_related("zone").filter(pk=rate_id).first()
        if isinstance(rate_id, int) and not isinstance(rate_id, bool) and 0 < rate_id < 2**63
        else None
    )
    if rate is None:
        return ValidationError(
            "That shipping method is not offered any more; choose another one.",
            code="unknown_shipping_rate",
        )
    if country not in rate.zone.countries:
        return ValidationError(
            f"“{rate.name}” does not ship to {country}; choose another shipping method.",
            code="rate_not_for_country",
        )
    if rate.kind == ShippingRate.Kind.WEIGHT:
        grams = [
            None if limit is None else f"{limit:,} g"
            for limit in (rate.min_weight_grams, rate.max_weight_grams)
        ]
        why = f"it is for parcels {_band_text(*grams)} and this one weighs {weight:,} g"
    else:
        money = [
            None if limit is None else money_format(limit, currency)
            for limit in (rate.min_order_value, rate.max_order_value)
        ]
        why = f"it is for orders {_band_text(*money)} and this one is "
        why += money_format(value, currency)
    return ValidationError(
        f"“{rate.name}” is not offered for this order ({why}); choose another shipping method.",
        code="rate_not_for_order",
    )


def _band_text(low: str | None, high: str | None) -> str:
    if low and high:
        return f"from {low} to under {high}"
    return f"from {low}" if low else f"under {high}"


# --- Tax ------------------------------------------------------------------------------


def _tax(amount: Decimal, rate: Decimal, *, included: bool, currency: str) -> Decimal:
    if not rate or not amount:
        return money_round(ZERO, currency)
    share = amount * rate / (100 + rate) if included else amount * rate / 100
    return money_round(share, currency)


# --- Discount codes -------------------------------------------------------------------


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "j F Y")


def discount_for_code(code: str) -> Discount:
    """The discount whose code is ``code`` in any case (surrounding spaces ignored), or a
    ValidationError (``unknown_code``) for the shopper."""
    cleaned = code.strip()
    discount = Discount.objects.filter(code__iexact=cleaned).first() if cleaned else None
    if discount is None:
        raise ValidationError(
            f"There is no discount code “{cleaned[:64]}”; check how it is spelt.",
            code="unknown_code",
        )
    return discount


def discount_check_open(*, discount: Discount, now: datetime | None = None) -> None:
    """A ValidationError for the shopper unless the code can be used now: active,
    started, not ended, not used up."""
    now = now or timezone.now()
    code = discount.code
    if not discount.is_active:
        raise ValidationError(f"The code “{code}” is not valid any more.", code="code_inactive")
    if discount.starts_at is not None and discount.starts_at > now:
        raise ValidationError(
            f"The code “{code}” can be used from {_when(discount.starts_at)}.",
            code="code_not_started",
        )
    if discount.ends_at is not None and discount.ends_at <= now:
        raise ValidationError(
            f"The code “{code}” expired on {_when(discount.ends_at)}.", code="code_expired"
        )
    if discount.usage_limit is not None and discount.uses >= discount.usage_limit:
        raise code_used_up(discount)


def discount_used_by(*, discount: Discount, email: str) -> bool:
    """Whether the customer ``email`` (normalised here) has used the code already."""
    return DiscountRedemption.objects.filter(
        discount=discount, email=email_normalise(email)
    ).exists()


def code_used_up(discount: Discount) -> ValidationError:
    return ValidationError(
        f"The code “{discount.code}” has been used as many times as it can be.",
        code="code_used_up",
    )


def code_already_used(discount: Discount) -> ValidationError:
    return ValidationError(
        f"You have already used the code “{discount.code}”; it can be used once per customer.",
        code="code_already_used",
    )


def _discount_checked(
    *, code: str, email: str | None, subtotal: Decimal, currency: str
) -> Discount:
    discount = discount_for_code(code)
    discount_check_open(discount=discount)
    if (
        email is not None
        and discount.once_per_customer
        and discount_used_by(discount=discount, email=email)
    ):
        raise code_already_used(discount)
    if discount.minimum_subtotal is not None and subtotal < discount.minimum_subtotal:
        missing = money_format(discount.minimum_subtotal - subtotal, currency)
        raise ValidationError(
            f"The code “{discount.code}” needs an order of at least "
            f"{money_format(discount.minimum_subtotal, currency)}; add {missing} more to use it.",
            code="minimum_not_reached",
        )
    return discount


def _items_discount(discount: Discount | None, subtotal: Decimal, currency: str) -> Decimal:
    if discount is None or discount.value is None:
        return money_round(ZERO, currency)
    if discount.kind == Discount.Kind.PERCENTAGE:
        return money_round(subtotal * discount.value / 100, currency)
    if discount.kind == Discount.Kind.FIXED_AMOUNT:
        return money_round(min(discount.value, subtotal), currency)
    return money_round(ZERO, currency)


def _spread(total: Decimal, amounts: Sequence[Decimal], currency: str) -> list[Decimal]:
    """``total`` shared out over ``amounts`` in proportion, in minor units, the units
    left by rounding down going to the largest remainders (so the shares add up to
    ``total`` exactly, and none is above its amount when ``total`` ≤ their sum)."""
    units = minor_units(currency)
    whole = int(total.scaleb(units))
    weights = [int(amount.scaleb(units)) for amount in amounts]
    base = sum(weights)
    if not whole or not base:
        return [money_round(ZERO, currency) for _ in amounts]
    shares = [whole * weight // base for weight in weights]
    left = whole - sum(shares)
    by_remainder = sorted(
        range(len(weights)), key=lambda index: (-(whole * weights[index] % base), index)
    )
    for index in by_remainder[:left]:
        shares[index] += 1
    return [Decimal(share).scaleb(-units).quantize(Decimal(1).scaleb(-units)) for share in shares]


# --- The quote ------------------------------------------------------------------------


def _lines_checked(lines: Sequence[Line]) -> list[Line]:
    if not lines:
        raise ValidationError({"lines": ValidationError("Your bag is empty.", code="no_items")})
    for index, (_variant, quantity) in enumerate(lines):
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise ValidationError(
                {
                    f"lines[{index}].quantity": ValidationError(
                        "A quantity is a whole number of at least 1.", code="invalid_quantity"
                    )
                }
            )
    return list(lines)


def checkout_quote(
    *,
    lines: Sequence[Line],
    country: str | None = None,
    shipping_rate_id: int | None = None,
    discount_code: str | None = None,
    email: str | None = None,
    for_payment: bool = False,
) -> Quote:
    """The price of a checkout: ``lines`` are (variant, quantity), their variants with
    their product (``select_related("product")`` saves a query a line); the rest is what
    the shopper chose so far. Prices come from the variants, the rules from the shop.

    Raises a ValidationError keyed by the field to fix (``lines``, ``country``,
    ``shipping_rate_id``, ``discount_code``, ``email``), every such problem at once,
    with codes: ``unknown_country``, ``no_shipping_to_country``, ``unknown_shipping_rate``,
    ``rate_not_for_country``, ``rate_not_for_order``, ``unknown_code``, ``code_inactive``,
    ``code_not_started``, ``code_expired``, ``code_used_up``, ``code_already_used``
    (needs ``email``), ``minimum_not_reached``, ``invalid_email``. With
    ``for_payment``, an order to ship must also name its country (``country_required``)
    and shipping rate (``shipping_rate_required``): the quote a payment is taken for.
    A code's use is counted only by ``discount_redeem``, never here.
    """
    lines = _lines_checked(lines)
    currency = shop_currency()
    subtotal = money_round(_subtotal(lines), currency)
    requires_shipping = any(variant.product.requires_shipping for variant, _q in lines)
    errors: dict[str, ValidationError] = {}

    country_code = None
    if country:
        try:
            country_code = country_clean(country)
        except ValidationError as error:
            errors["country"] = error
    elif requires_shipping and (for_payment or shipping_rate_id is not None):
        errors["country"] = ValidationError(
            "Choose the country to ship to.", code="country_required"
        )

    if email:
        try:
            validate_email(email.strip())
        except ValidationError:
            errors["email"] = ValidationError("Enter a valid email address.", code="invalid_email")
            email = None

    discount = None
    if discount_code and discount_code.strip():
        try:
            discount = _discount_checked(
                code=discount_code, email=email or None, subtotal=subtotal, currency=currency
            )
        except ValidationError as error:
            errors["discount_code"] = error

    rates: list[RateQuote] = []
    chosen = None
    if requires_shipping and country_code:
        rates = shipping_rates_for(country=country_code, lines=lines)
        chosen = next((rate for rate in rates if rate.id == shipping_rate_id), None)
        ships_free = not rates and not ShippingZone.objects.exists()
        if not rates and not ships_free:
            errors["country"] = ValidationError(
                f"Sorry, we do not ship to {country_code}.", code="no_shipping_to_country"
            )
        elif shipping_rate_id is not None and chosen is None:
            errors["shipping_rate_id"] = _rate_refused(
                shipping_rate_id,
                country=country_code,
                weight=_weight_grams(lines),
                value=subtotal,
                currency=currency,
            )
        elif chosen is None and for_payment and not ships_free:
            errors["shipping_rate_id"] = ValidationError(
                "Choose a shipping method.", code="shipping_rate_required"
            )
    if errors:
        raise ValidationError(errors)

    included = prices_include_tax()
    tax_rate = TaxRate.objects.filter(country=country_code).first() if country_code else None
    percent = tax_rate.rate if tax_rate is not None else ZERO
    shipping = chosen.price if chosen is not None else money_round(ZERO, currency)
    items_discount = _items_discount(discount, subtotal, currency)
    shipping_discount = (
        shipping
        if discount is not None and discount.kind == Discount.Kind.FREE_SHIPPING
        else money_round(ZERO, currency)
    )
    amounts = [variant.price * quantity for variant, quantity in lines]
    shares = _spread(items_discount, amounts, currency)
    quote_lines = tuple(
        QuoteLine(
            variant_id=variant.pk,
            quantity=quantity,
            unit_price=variant.price,
            amount=amount,
            discount=share,
            tax=_tax(amount - share, percent, included=included, currency=currency),
            requires_shipping=variant.product.requires_shipping,
        )
        for (variant, quantity), amount, share in zip(lines, amounts, shares, strict=True)
    )
    shipping_tax = _tax(shipping - shipping_discount, percent, included=included, currency=currency)
    tax = sum((line.tax for line in quote_lines), shipping_tax)
    total = subtotal - items_discount + shipping - shipping_discount + (ZERO if included else tax)
    return Quote(
        currency=currency,
        lines=quote_lines,
        subtotal=subtotal,
        shipping=shipping,
        items_discount=items_discount,
        shipping_discount=shipping_discount,
        shipping_tax=shipping_tax,
        tax=tax,
        total=money_round(total, currency),
        prices_include_tax=included,
        tax_name=tax_rate.name if tax_rate is not None else "Tax",
        tax_rate=tax_rate.rate if tax_rate is not None else (ZERO if country_code else None),
        country=country_code,
        requires_shipping=requires_shipping,
        shipping_rates=tuple(rates),
        shipping_rate=chosen,
        discount_code=discount.code if discount is not None else "",
        discount_kind=discount.kind if discount is not None else "",
    )
