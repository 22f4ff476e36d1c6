"""Shapes of the orders API: the partner's orders, and the shopper's buy-now (its
request, its answer, the order's status and its payment). Output serializers read
prefetched rows only; amounts are decimal strings beside the order's currency, times
ISO 8601."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.validators import MaxLengthValidator, MinLengthValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.fields import empty
from rest_framework.settings import api_settings

from orders.models import Order, OrderLine
from orders.selectors import MAX_ROW_ID, is_row_id
from shops.api.catalog.serializers import MoneyField
from shops.api.fields import EmailTextField, TextField, WholeNumberField


class OrderLineSerializer(serializers.ModelSerializer):
    """One variant bought; title, SKU and price are copies taken at purchase time."""

    variant_id = serializers.IntegerField(
        allow_null=True, read_only=True, help_text="Null once the variant is deleted."
    )
    unit_price = MoneyField(read_only=True)
    line_total = MoneyField(read_only=True)

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "variant_id",
            "product_id",
            "title",
            "variant_title",
            "sku",
            "unit_price",
            "quantity",
            "line_total",
            "fulfilled_quantity",
            "refunded_quantity",
            "restocked_quantity",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "fulfilled_quantity": {"help_text": "How many were shipped (all fulfilments)."},
            "refunded_quantity": {"help_text": "How many were refunded by item."},
            "restocked_quantity": {"help_text": "How many refunds put back in stock."},
        }


class OrderSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True, help_text="What the shopper is told.")
    subtotal = MoneyField(read_only=True, help_text="The lines, before any discount.")
    shipping_amount = MoneyField(read_only=True, help_text="Shipping charged (before a code).")
    shipping_method = serializers.CharField(
        read_only=True, help_text="The shipping rate the shopper chose, by its name then."
    )
    discount_amount = MoneyField(
        read_only=True, help_text="Taken off by `coupon_code` (items and shipping)."
    )
    tax_amount = MoneyField(
        read_only=True,
        help_text="The tax (`tax_name`): part of the total when `prices_include_tax`, added "
        "to it otherwise.",
    )
    total = MoneyField(
        read_only=True,
        help_text="subtotal + shipping_amount - discount_amount, + tax_amount unless "
        "prices_include_tax: what was charged.",
    )
    refunded_amount = MoneyField(read_only=True)
    shipping_address = serializers.DictField(child=serializers.CharField(), read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "status",
            "stock_status",
            "email",
            "shipping_address",
            "currency",
            "subtotal",
            "shipping_amount",
            "shipping_method",
            "discount_amount",
            "tax_amount",
            "tax_name",
            "prices_include_tax",
            "total",
            "refunded_amount",
            "lines",
            "carrier",
            "tracking_number",
            "note",
            "coupon_code",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "payment_intent_id",
            "created",
            "paid_at",
            "fulfilled_at",
            "cancelled_at",
        ]
        read_only_fields = fields


class OrderFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Order.Status.choices,
        required=False,
        help_text="Without it the list holds paid orders only; with it, every order of "
        "that status, checkouts never paid included (pending_payment, cancelled).",
    )
    created_after = serializers.DateTimeField(required=False, help_text="ISO 8601.")
    created_before = serializers.DateTimeField(required=False, help_text="ISO 8601.")
    email = serializers.CharField(required=False, help_text="The shopper's email, any case.")
    utm_source = serializers.CharField(required=False, help_text="Exact.")


class LineQuantitySerializer(serializers.Serializer):
    line_id = serializers.IntegerField(min_value=1, help_text="An order line's ``id``.")
    quantity = serializers.IntegerField(min_value=0, max_value=1_000_000)


def _line_quantities(items: list[dict]) -> dict[int, int]:
    """[{line_id, quantity}] as {line id: quantity}, a line named twice summed."""
    quantities: dict[int, int] = {}
    for item in items:
        quantities[item["line_id"]] = quantities.get(item["line_id"], 0) + item["quantity"]
    return quantities


class FulfilInputSerializer(serializers.Serializer):
    carrier = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    lines = LineQuantitySerializer(
        many=True,
        required=False,
        help_text="What this parcel holds, by order line; leave out to ship all that is "
        "left. More than a line has left to ship is refused (`invalid_quantity`).",
    )

    def validate_lines(self, items: list[dict]) -> dict[int, int]:
        return _line_quantities(items)


class RefundInputSerializer(serializers.Serializer):
    amount = MoneyField(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="In the order's currency; leave out to refund what the `lines` cost, or "
        "without lines what is left in full.",
    )
    lines = LineQuantitySerializer(
        many=True,
        required=False,
        help_text="The items refunded, by order line (recorded: `refunded_quantity`). More "
        "than a line has left to refund is refused (`invalid_quantity`).",
    )

    def validate_lines(self, items: list[dict]) -> dict[int, int]:
        return _line_quantities(items)


# --- Buy-now (shoppers) ---------------------------------------------------------------

UNKNOWN_VARIANT = "That product option is not sold in this shop; reload the page and choose again."


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID})
class VariantIdField(serializers.Field):
    """A variant's id; anything that cannot be one (missing, null, "7", 0, 1.5) is
    refused as an unknown variant, as one of another shop is."""

    default_error_messages = {"unknown_variant": UNKNOWN_VARIANT}

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is empty or data is None:
            self.fail("unknown_variant")
        return super().validate_empty_values(data)

    def to_internal_value(self, data: Any) -> int:
        if not is_row_id(data):
            self.fail("unknown_variant")
        return data

    def to_representation(self, value: int) -> int:
        return value


class BuyNowItemsSerializer(serializers.ListSerializer):
    """One to ``ORDERS_MAX_LINES`` items, refused with buy-now's own codes."""

    default_error_messages = {
        "no_items": "Choose at least one product.",
        "too_many_items": "An order holds at most {limit} products.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # what the schema shows (minItems, maxItems); to_internal_value checks them first
        self.validators = [MinLengthValidator(1), MaxLengthValidator(settings.ORDERS_MAX_LINES)]

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is empty or data is None:
            self.fail("no_items")
        return super().validate_empty_values(data)

    def to_internal_value(self, data: Any) -> list:
        if not isinstance(data, list) or not data:
            self.fail("no_items")
        if len(data) > settings.ORDERS_MAX_LINES:
            self.fail("too_many_items", limit=settings.ORDERS_MAX_LINES)
        return super().to_internal_value(data)


class BuyNowItemSerializer(serializers.Serializer):
    default_error_messages = {"invalid": "Each item names a variant and a quantity."}

    variant_id = VariantIdField(help_text="The variant (product option) to buy.")
    quantity = WholeNumberField(
        required=False,
        default=1,
        min_value=1,
        invalid_code="invalid_quantity",
        error_messages={
            "invalid_quantity": "A quantity is a whole number.",
            "null": "A quantity is a whole number.",
            "min_value": "A quantity is at least 1.",
        },
        help_text="1 by default; at most ORDERS_MAX_QUANTITY (20) of a variant in one order.",
    )

    class Meta:
        list_serializer_class = BuyNowItemsSerializer


class ShippingAddressSerializer(serializers.Serializer):
    """Where a physical product is shipped: what is missing is named by the answer
    (``shipping_address.city``); a value longer than 200 characters is cut."""

    name = TextField(cut_at=200)
    line1 = TextField(cut_at=200)
    line2 = TextField(cut_at=200)
    city = TextField(cut_at=200)
    postal_code = TextField(
        cut_at=200,
        help_text="Where the country has postal codes (optional in Ireland). In common "
        "countries (US, CA, GB, FR, DE, NL, BE, ES, IT, IE, AU, JP, CH, AT, LU, PT, SE, DK, "
        "PL) checked against the country's shape and kept in capitals; elsewhere as given.",
    )
    state = TextField(cut_at=200)
    country = TextField(cut_at=200, help_text="ISO 3166-1 alpha-2, e.g. FR.")
    phone = TextField(cut_at=200)


ATTRIBUTION_HELP = "Ignored when malformed: attribution never costs a sale."
SHIPPING_RATE_ERRORS = {
    key: "Choose a shipping method among those offered."
    for key in ("invalid", "null", "min_value", "max_value", "max_string_length")
}


class BuyNowInputSerializer(serializers.Serializer):
    """What the shopper buys, where to, how it is shipped and with which code. Prices and
    totals come from the catalog and the shop's rules: a price in the body is ignored,
    and `expected_total` only checks that the shopper saw the shop's total."""

    default_error_messages = {"invalid_json": "Send a JSON object."}

    items = BuyNowItemSerializer(many=True, help_text="The variants to buy, one order for all.")
    email = EmailTextField(cut_at=254, required=True, help_text="Where the confirmation goes.")
    shipping_address = ShippingAddressSerializer(
        required=False,
        allow_null=True,
        error_messages={"invalid": "The shipping address is an object."},
        help_text="Needed for physical products (name, line1, postal_code, city, country).",
    )
    shipping_rate = WholeNumberField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ROW_ID,
        error_messages=SHIPPING_RATE_ERRORS,
        help_text="The id of the shipping rate chosen among those the checkout quote offers "
        "for the address's country; required for physical products.",
    )
    discount_code = TextField(
        cut_at=64,
        help_text="The discount code the shopper typed, applied by the shop (an unknown, "
        "expired or used-up code refuses the order, naming this field).",
    )
    coupon = TextField(
        cut_at=64,
        help_text="The discount code under its older name (Meta's checkout URL calls it "
        "`coupon`): used when `discount_code` is empty.",
    )
    expected_total = MoneyField(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="The total the shopper was shown (the checkout quote's). If the shop's "
        "total differs, 409 `total_changed` with the new quote, and nothing is held.",
    )
    utm = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text='{"source", "medium", "campaign"}, kept on the order. ' + ATTRIBUTION_HELP,
    )
    marketing_consent = serializers.BooleanField(
        required=False,
        default=False,
        help_text='The shopper ticked "Email me news, polls and review requests": the '
        "address is sent a link to confirm it (double opt-in). Unticked by default.",
    )
    post = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text='{"id": <post id>, "view": <page view token>}: the shoppable post whose '
        "tag led here (``posts.js`` puts them on the tag's link). " + ATTRIBUTION_HELP,
    )

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is None:
            self._not_an_object()
        return super().validate_empty_values(data)

    def to_internal_value(self, data: Any) -> dict:
        if not isinstance(data, Mapping):
            self._not_an_object()
        return super().to_internal_value(data)

    def _not_an_object(self) -> None:
        detail = ErrorDetail(self.error_messages["invalid_json"], code="invalid_json")
        raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [detail]})


class BuyNowOrderSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The order's public id: read it at buy-now/{id}/.")
    number = serializers.CharField(help_text="What the shopper is told.")
    status = serializers.ChoiceField(choices=Order.Status.choices)
    currency = serializers.CharField()
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount = serializers.IntegerField(help_text="The total in the currency's minor unit.")
    reserved_until = serializers.DateTimeField(
        allow_null=True, help_text="The stock is held until then."
    )


class BuyNowPaymentSerializer(serializers.Serializer):
    client_secret = serializers.CharField(
        help_text="The PaymentIntent's: for Stripe.js, and to read or pay the order here."
    )
    publishable_key = serializers.CharField()
    stripe_account = serializers.CharField(
        allow_null=True, help_text="The connected account (Stripe Connect), if any."
    )
    stripe_js_url = serializers.URLField(help_text="Load Stripe.js from here.")


class BuyNowAnswerSerializer(serializers.Serializer):
    """What the page needs to take the payment with Stripe.js."""

    order = BuyNowOrderSerializer()
    payment = BuyNowPaymentSerializer()


class ShopperOrderStatusSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=Order.Status.choices)


class CardPaymentInputSerializer(serializers.Serializer):
    secret = serializers.CharField(
        max_length=255, help_text="The client secret buy-now answered with."
    )
    token = serializers.CharField(
        max_length=255, help_text="A card token (tok_…) made by Stripe.js's card element."
    )


class CardPaymentAnswerSerializer(serializers.Serializer):
    status = serializers.CharField(
        help_text="The PaymentIntent's: succeeded, processing or requires_action (then "
        "confirm with stripe.confirmCardPayment)."
    )


class BagCheckInputSerializer(serializers.Serializer):
    """The bag kept in the shopper's browser: the lines to price and check."""

    items = BuyNowItemSerializer(many=True, help_text="The bag's lines, in its order.")


class BagOptionSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The option's name, e.g. Size.")
    value = serializers.CharField(help_text="The chosen value, e.g. XL.")


class BagLineSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField()
    quantity = serializers.IntegerField(help_text="As asked.")
    available = serializers.IntegerField(help_text="Units that can be bought now.")
    status = serializers.ChoiceField(
        choices=["ok", "short", "sold_out", "gone"],
        help_text="`short`: fewer than asked are left; `gone`: not sold here any more.",
    )
    product_title = serializers.CharField()
    product_slug = serializers.CharField()
    options = BagOptionSerializer(many=True)
    price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    line_total = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="The price times what can be bought of the line."
    )
    requires_shipping = serializers.BooleanField()


class BagCheckAnswerSerializer(serializers.Serializer):
    currency = serializers.CharField()
    lines = BagLineSerializer(many=True)
    subtotal = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="What the lines that can be bought cost."
    )
    requires_shipping = serializers.BooleanField(help_text="A line is a physical product.")


class CheckoutQuoteInputSerializer(serializers.Serializer):
    """What the shopper chose so far: the lines, and optionally the country, the rate, a
    code and the email (a once-per-customer code is checked against it)."""

    items = BuyNowItemSerializer(many=True, help_text="The lines, as buy-now takes them.")
    country = TextField(cut_at=20, help_text="ISO 3166-1 alpha-2, e.g. FR.")
    shipping_rate = WholeNumberField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ROW_ID,
        error_messages=SHIPPING_RATE_ERRORS,
        help_text="One of the `shipping_rates` offered for the country.",
    )
    discount_code = TextField(cut_at=64, help_text="The code the shopper typed, if any.")
    email = EmailTextField(cut_at=254, help_text="For a once-per-customer code.")


class QuoteLineSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField()
    quantity = serializers.IntegerField()
    product_title = serializers.CharField()
    options = BagOptionSerializer(many=True)
    unit_price = MoneyField()
    amount = MoneyField(help_text="unit_price times quantity.")
    discount = MoneyField(help_text="The code's share of this line.")
    requires_shipping = serializers.BooleanField()


class QuoteRateSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Give it to buy-now as `shipping_rate`.")
    name = serializers.CharField()
    zone = serializers.CharField()
    price = MoneyField(help_text="What this order pays for it (0 once over `free_over`).")
    regular_price = MoneyField()
    free_over = MoneyField(allow_null=True, help_text="Free from this order value.")


class QuoteTaxSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="VAT, GST, Sales tax…")
    rate = serializers.DecimalField(
        max_digits=6, decimal_places=3, allow_null=True, help_text="Percent; null without country."
    )
    amount = MoneyField()
    included = serializers.BooleanField(
        help_text='True: part of the prices ("Including VAT €x"); false: added to the total.'
    )


class CheckoutQuoteSerializer(serializers.Serializer):
    """What the checkout costs now: show it before the payment, and send `total` to
    buy-now as `expected_total`."""

    currency = serializers.CharField()
    lines = QuoteLineSerializer(many=True)
    requires_shipping = serializers.BooleanField(help_text="An address and a rate are needed.")
    country = serializers.CharField(allow_null=True)
    shipping_rates = QuoteRateSerializer(many=True, help_text="For the country, cheapest first.")
    shipping_rate = serializers.IntegerField(allow_null=True, help_text="The one chosen.")
    subtotal = MoneyField()
    shipping = MoneyField()
    discount = MoneyField(help_text="Off the items and the shipping.")
    discount_code = serializers.CharField(help_text="The code applied, as the shop spells it.")
    tax = QuoteTaxSerializer()
    total = MoneyField()
    errors = serializers.ListField(
        child=serializers.DictField(),
        help_text='What to fix before paying: [{"field", "code", "message"}] (`country`, '
        "`shipping_rate`, `discount_code`, `email`); the amounts are then without it.",
    )
