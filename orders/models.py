"""Orders of one shop (every table lives in the shop's schema), its Stripe connection, the
Stripe events it has handled, and its pricing rules: shipping zones and rates, tax rates,
discount codes.

Writes go through orders.services; the order status machine lives in orders.status; the
price of a checkout is computed by orders.pricing.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from shops.currencies import minor_units


class PaymentAccount(models.Model):
    """How the shop takes payment: one row per shop (or none: the shop cannot sell).

    ``connect``: the platform's Stripe keys, direct charges on the shop's connected
    account (``stripe_account_id``) with the platform fee; the shop sells once Stripe
    enables charges on it (``charges_enabled``, kept as Stripe last described the
    account: on the merchant's return from onboarding and from ``account.updated``).
    ``own_keys``: the shop's own Stripe keys; the secret key and webhook signing secret
    are stored encrypted (``shops.secrets``), and the shop sells once an authenticated
    call proved Stripe knows the key (``verified_at``). The connected account id is kept
    when a shop moves to its own keys, so connecting again reuses that account.
    """

    # encrypted with shops.secrets; `manage.py rotate_secrets` re-encrypts them
    SECRET_FIELDS = ("secret_key_encrypted", "webhook_secret_encrypted")

    class Mode(models.TextChoices):
        CONNECT = "connect", "Stripe Connect (platform account)"
        OWN_KEYS = "own_keys", "The shop's own Stripe keys"

    mode = models.CharField(max_length=10, choices=Mode.choices)
    stripe_account_id = models.CharField("connected account id", max_length=255, blank=True)
    publishable_key = models.CharField(max_length=255, blank=True)
    secret_key_encrypted = models.TextField(blank=True)
    webhook_secret_encrypted = models.TextField(blank=True)
    # own keys: when Stripe answered an authenticated call made with the secret key
    verified_at = models.DateTimeField("keys checked", null=True, blank=True)
    # own keys: the endpoint Etalage created in the shop's Stripe account for
    # /webhooks/stripe/ (its secret is webhook_secret_encrypted); "" when the merchant
    # entered the signing secret of an endpoint of their own
    webhook_endpoint_id = models.CharField(max_length=255, blank=True)
    # Connect: the connected account as Stripe last described it
    account_type = models.CharField(max_length=10, blank=True)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    requirements_due = models.JSONField(
        default=list, blank=True, help_text="Stripe's requirements.currently_due."
    )
    disabled_reason = models.CharField(max_length=100, blank=True)
    account_checked_at = models.DateTimeField(null=True, blank=True)
    # Connect: the account's latest payouts as Stripe listed them (id, amount in minor
    # units, currency, status, arrival date), fetched by the worker
    # (orders.services.balance); payouts_problem says why the last fetch failed
    payouts = models.JSONField(default=list, blank=True)
    payouts_checked_at = models.DateTimeField(null=True, blank=True)
    payouts_problem = models.CharField(max_length=255, blank=True)
    # the shop's hosts as registered for wallets at Stripe (payment method domains), by
    # the worker (orders.wallets): host, id, enabled, apple_pay, google_pay, problem
    wallet_domains = models.JSONField(default=list, blank=True)
    wallet_domains_checked_at = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="orders_payment_account_single_row"),
        ]

    def __str__(self) -> str:
        return self.get_mode_display()


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", "Pending payment"
        PAID = "paid", "Paid"
        PARTIALLY_FULFILLED = "partially_fulfilled", "Partially fulfilled"
        FULFILLED = "fulfilled", "Fulfilled"
        CANCELLED = "cancelled", "Cancelled"
        REFUNDED = "refunded", "Refunded"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"

    class Stock(models.TextChoices):
        """Where the order's stock stands: taken from the variants and held for the
        payment, kept for good once paid, or given back."""

        HELD = "held", "Reserved"
        COMMITTED = "committed", "Sold"
        RELEASED = "released", "Returned to stock"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT, db_index=True
    )
    stock_status = models.CharField(max_length=10, choices=Stock.choices, default=Stock.HELD)
    reserved_until = models.DateTimeField(null=True, blank=True)
    email = models.EmailField()
    shipping_address = models.JSONField(default=dict, blank=True)
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    # what the shopper pays besides the lines, set when the order is priced (zero where
    # the shop charges none): shown on the receipt, the confirmation and the order page
    shipping_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    # the shipping rate the shopper chose, by its name then ("Express"): what to send with
    shipping_method = models.CharField(max_length=100, blank=True)
    tax_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    discount_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    # as orders.pricing.Quote says: when prices include tax, tax_amount is the part of the
    # total that is tax ("Including VAT €4.33"), else it was added to the total
    prices_include_tax = models.BooleanField(default=False)
    tax_name = models.CharField(max_length=40, blank=True, help_text="VAT, GST, Sales tax…")
    total = models.DecimalField(max_digits=12, decimal_places=2)
    amount_minor = models.BigIntegerField(help_text="Total in the currency's minor units.")
    application_fee_minor = models.BigIntegerField(default=0)
    # Connect: what the payment left the shop, from its Stripe balance transaction (the
    # worker fetches it: orders.services.balance); null until known
    stripe_fee_minor = models.BigIntegerField(null=True, blank=True)
    net_minor = models.BigIntegerField(null=True, blank=True)
    fees_checked_at = models.DateTimeField(null=True, blank=True)
    refunded_minor = models.BigIntegerField(default=0)
    payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    client_secret = models.CharField(max_length=255, blank=True)
    stripe_account_id = models.CharField(max_length=255, blank=True)
    coupon_code = models.CharField(max_length=64, blank=True)
    utm_source = models.CharField(max_length=100, blank=True, db_index=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    carrier = models.CharField(max_length=100, blank=True, help_text="Who delivers it.")
    tracking_number = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=255, blank=True, help_text="Why the order ended so.")
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(
                fields=["reserved_until"],
                condition=Q(stock_status="held"),
                name="orders_order_held_until",
            )
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="orders_order_total_gte_0"),
            models.CheckConstraint(
                condition=Q(shipping_amount__gte=0, tax_amount__gte=0, discount_amount__gte=0),
                name="orders_order_amounts_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(refunded_minor__gte=0)
                & Q(refunded_minor__lte=models.F("amount_minor")),
                name="orders_order_refund_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.number}"

    @property
    def refunded_amount(self) -> Decimal:
        return Decimal(self.refunded_minor).scaleb(-minor_units(self.currency))

    @property
    def number(self) -> str:
        """What the shopper and the merchant call the order: short, from the public id."""
        return self.public_id.hex[:8].upper()


class CheckoutManager(models.Manager):
    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(paid_at__isnull=True)


class AbandonedCheckout(Order):
    """A checkout that was never paid: an ``Order`` row whose ``paid_at`` is empty (held
    for its payment, or ended unpaid). Only a paid checkout is an order for the merchant
    (``orders.selectors.orders_paid``); these are listed apart, as "Abandoned checkouts"
    (``orders.checkouts_admin``), where the shop may turn on a reminder email
    (``CheckoutRecovery``)."""

    objects = CheckoutManager()

    class Meta:
        proxy = True
        ordering = ["-created", "-id"]
        verbose_name = "abandoned checkout"

    def __str__(self) -> str:
        return f"Checkout {self.number}"


class CheckoutRecovery(models.Model):
    """Whether the shop emails shoppers who left a checkout unpaid (off unless the
    merchant turns it on): one row per shop, or none (off). ``enabled_at`` is when it
    was last turned on; only checkouts begun since then get a reminder, so turning it on
    never mails shoppers of old checkouts."""

    is_enabled = models.BooleanField("send checkout reminders", default=False)
    enabled_at = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "checkout reminders"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="orders_checkout_recovery_single_row"),
        ]

    def __str__(self) -> str:
        return "Checkout reminders on" if self.is_enabled else "Checkout reminders off"


class RecoveryOptOut(models.Model):
    """A shopper who asked, from a reminder's link, for no more checkout reminders from
    this shop (``email`` normalised: trimmed, lower case)."""

    email = models.EmailField(unique=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.email


class OrderLine(models.Model):
    """One variant bought; title, SKU and price are copies taken at purchase time."""

    order = models.ForeignKey(Order, related_name="lines", on_delete=models.CASCADE)
    variant = models.ForeignKey(
        "catalog.Variant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    product_id = models.BigIntegerField()
    title = models.CharField(max_length=255)
    variant_title = models.CharField(max_length=255, blank=True)
    sku = models.CharField("SKU", max_length=64)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(max_digits=12, decimal_places=2)
    restocked_quantity = models.PositiveIntegerField(
        "returned to stock", default=0, help_text="How many a refund put back in stock."
    )
    # the sums of the line's fulfilments and refunds (FulfilmentLine, RefundLine), kept
    # in the same transaction by orders.services.merchant: checked here, never beyond
    fulfilled_quantity = models.PositiveIntegerField(
        "shipped", default=0, help_text="How many were shipped."
    )
    refunded_quantity = models.PositiveIntegerField(
        "refunded", default=0, help_text="How many were refunded by item."
    )

    class Meta:
        ordering = ["order_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_line_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(restocked_quantity__lte=models.F("quantity")),
                name="orders_line_restocked_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(fulfilled_quantity__lte=models.F("quantity")),
                name="orders_line_fulfilled_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(refunded_quantity__lte=models.F("quantity")),
                name="orders_line_refunded_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"

    @property
    def restockable_quantity(self) -> int:
        """How many a refund may still put back in stock."""
        return self.quantity - self.restocked_quantity

    @property
    def refundable_quantity(self) -> int:
        """How many a refund by item may still refund."""
        return self.quantity - self.refunded_quantity

    @property
    def to_ship_quantity(self) -> int:
        """How many are still to ship: neither shipped nor refunded (an item refunded
        before it shipped is not sent)."""
        return max(0, self.quantity - self.fulfilled_quantity - self.refunded_quantity)


class Fulfilment(models.Model):
    """One parcel: the items of an order shipped together, with its carrier and
    tracking number (both optional). Written by ``orders.services.order_fulfil``."""

    order = models.ForeignKey(Order, related_name="fulfilments", on_delete=models.CASCADE)
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"Fulfilment {self.pk} of order {self.order_id}"


class FulfilmentLine(models.Model):
    """How many of one order line a fulfilment shipped."""

    fulfilment = models.ForeignKey(Fulfilment, related_name="lines", on_delete=models.CASCADE)
    order_line = models.ForeignKey(
        OrderLine, related_name="fulfilment_lines", on_delete=models.CASCADE
    )
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["fulfilment_id", "order_line_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="orders_fulfilmentline_quantity_gt_0"
            ),
            models.UniqueConstraint(
                fields=["fulfilment", "order_line"], name="orders_fulfilmentline_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.order_line_id}"


class Refund(models.Model):
    """Money sent back through Stripe for an order (``amount_minor``, in the order's
    currency's minor units), and the items it was for, if it was by item, with how many
    of each went back to stock (``lines``). Written by ``orders.services.order_refund``."""

    order = models.ForeignKey(Order, related_name="refunds", on_delete=models.CASCADE)
    amount_minor = models.BigIntegerField()
    stripe_refund_id = models.CharField(max_length=255, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="orders_refund_amount_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return f"Refund {self.pk} of order {self.order_id}"


class RefundLine(models.Model):
    """One order line in a refund: how many were refunded, and how many put back in
    stock (either may be 0, not both)."""

    refund = models.ForeignKey(Refund, related_name="lines", on_delete=models.CASCADE)
    order_line = models.ForeignKey(OrderLine, related_name="refund_lines", on_delete=models.CASCADE)
    quantity = models.PositiveIntegerField("refunded", default=0)
    restocked_quantity = models.PositiveIntegerField("returned to stock", default=0)

    class Meta:
        ordering = ["refund_id", "order_line_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0) | Q(restocked_quantity__gt=0),
                name="orders_refundline_not_empty",
            ),
            models.UniqueConstraint(fields=["refund", "order_line"], name="orders_refundline_once"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.order_line_id} refunded"


class OrderActivity(models.Model):
    """One entry of an order's timeline, written by the service that did it: paid,
    email sent, fulfilled, refunded, cancelled. ``message`` is what the merchant reads."""

    class Kind(models.TextChoices):
        PAID = "paid", "Paid"
        EMAIL = "email", "Email sent"
        FULFILLED = "fulfilled", "Fulfilled"
        REFUNDED = "refunded", "Refunded"
        CANCELLED = "cancelled", "Cancelled"

    order = models.ForeignKey(Order, related_name="activities", on_delete=models.CASCADE)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    message = models.CharField(max_length=255)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]
        verbose_name_plural = "order activities"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"


class StripeEvent(models.Model):
    """A Stripe event handled in this shop: recorded so a redelivery has no effect."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    received = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class OrderEmail(models.Model):
    """An email to the shopper about their order, written in the transaction that calls
    for it and marked sent by the task that sends it: a broker or mail server that is
    down delays it (``orders.emails_sweep`` queues it again), never loses it, and the
    row lock taken while sending keeps two runs from sending it twice."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Order confirmed"
        SHIPPED = "shipped", "Order shipped"
        REFUNDED = "refunded", "Order refunded"
        # to a shopper who left a checkout unpaid (orders.services.recovery)
        RECOVERY = "recovery", "Checkout reminder"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # a shipped email: the parcel it tells of (null for orders shipped before parcels)
    fulfilment = models.ForeignKey(
        "Fulfilment", null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    created = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created"], condition=Q(sent_at__isnull=True), name="orderemail_unsent"
            )
        ]
        constraints = [
            # one reminder per abandoned checkout, however many sweeps race to record it
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(kind="recovery"),
                name="orderemail_one_recovery_per_checkout",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} email of order {self.order_id}"


class PaymentHealth(models.Model):
    """Whether the shop's Stripe webhooks arrive: one row per shop, updated in place by
    each webhook and each run of the settling task (never a row per request).

    ``bad_signature_*``: requests naming one of this shop's orders (its PaymentIntent)
    whose signature did not verify, so most likely Stripe's with another secret.
    ``unmatched_signature_*``: requests naming this shop but none of its orders: a hint
    only (anyone can post a payload), shown apart and never acted on.
    ``unsettled_*``: PaymentIntents that succeeded at Stripe whose event never arrived,
    found and settled by ``orders.payments_settle_held``.
    ``is_broken`` is the state the owner is told about; ``owner_told_broken`` is what
    the last email said, so an email goes out only when the two differ.
    """

    last_webhook_at = models.DateTimeField(null=True, blank=True)
    last_webhook_type = models.CharField(max_length=100, blank=True)
    bad_signature_count = models.PositiveIntegerField(default=0)
    bad_signature_since = models.DateTimeField(null=True, blank=True)
    bad_signature_last_at = models.DateTimeField(null=True, blank=True)
    unmatched_signature_count = models.PositiveIntegerField(default=0)
    unmatched_signature_since = models.DateTimeField(null=True, blank=True)
    unmatched_signature_last_at = models.DateTimeField(null=True, blank=True)
    unsettled_count = models.PositiveIntegerField(default=0)
    unsettled_last_at = models.DateTimeField(null=True, blank=True)
    unsettled_last_order = models.CharField(max_length=32, blank=True)
    is_broken = models.BooleanField(default=False)
    broken_since = models.DateTimeField(null=True, blank=True)
    owner_told_broken = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "payment health"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="orders_payment_health_single_row"),
        ]

    def __str__(self) -> str:
        return "Payments broken" if self.is_broken else "Payments healthy"


# --- Pricing: shipping zones and rates, taxes, discount codes (orders.pricing reads them,
# orders.services.shipping, .taxes and .discounts write them) -----------------------------


class ShippingZone(models.Model):
    """Where the shop ships: a name and the countries it covers (ISO 3166-1 alpha-2
    codes). A country belongs to one zone at most; the zone's rates say what shipping
    there costs. A country in no zone is one the shop does not ship to."""

    name = models.CharField(
        "zone name",
        max_length=100,
        help_text="For you, e.g. “Europe”; shoppers see the rates' names.",
    )
    countries = ArrayField(
        models.CharField(max_length=2),
        default=list,
        help_text="Two-letter country codes, e.g. FR, BE, DE.",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [GinIndex(fields=["countries"], name="orders_shippingzone_countries")]

    def __str__(self) -> str:
        return self.name


class ShippingRate(models.Model):
    """A way to ship to a zone at a price: flat, or for a band of the order's weight
    (grams) or value, from the lower limit (included) up to the upper limit (not
    included); free when the order's value reaches ``free_over``. Only orders with
    physical products pay shipping."""

    class Kind(models.TextChoices):
        FLAT = "flat", "Flat price"
        WEIGHT = "weight", "By the order's weight"
        ORDER_VALUE = "order_value", "By the order's value"

    zone = models.ForeignKey(ShippingZone, related_name="rates", on_delete=models.CASCADE)
    name = models.CharField(
        "rate name",
        max_length=100,
        help_text="Shoppers see it at checkout, e.g. “Standard (2 to 4 days)”.",
    )
    kind = models.CharField(
        "price by",
        max_length=12,
        choices=Kind.choices,
        default=Kind.FLAT,
        help_text="Flat: one price for every order. By weight or by order value: the rate "
        "is offered only to orders within its limits; add one rate per band.",
    )
    price = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="What shipping costs with this rate."
    )
    min_weight_grams = models.PositiveIntegerField(
        "from weight (g)",
        null=True,
        blank=True,
        help_text="By weight: parcels of at least this many grams. Empty: from 0.",
    )
    max_weight_grams = models.PositiveIntegerField(
        "below weight (g)",
        null=True,
        blank=True,
        help_text="By weight: parcels lighter than this. Empty: no upper limit.",
    )
    min_order_value = models.DecimalField(
        "from order value",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="By order value: orders of at least this amount. Empty: from 0.",
    )
    max_order_value = models.DecimalField(
        "below order value",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="By order value: orders below this amount. Empty: no upper limit.",
    )
    free_over = models.DecimalField(
        "free from order value",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Shipping with this rate is free for orders of at least this amount "
        "(the items' total, before discount codes). Empty: never free.",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["zone_id", "price", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0), name="orders_shippingrate_price_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(free_over__isnull=True) | Q(free_over__gte=0),
                name="orders_shippingrate_free_over_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(min_weight_grams__isnull=True)
                | Q(max_weight_grams__isnull=True)
                | Q(min_weight_grams__lt=models.F("max_weight_grams")),
                name="orders_shippingrate_weight_band",
            ),
            models.CheckConstraint(
                condition=Q(min_order_value__isnull=True)
                | Q(max_order_value__isnull=True)
                | Q(min_order_value__lt=models.F("max_order_value")),
                name="orders_shippingrate_value_band",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.zone.name})"


class TaxRate(models.Model):
    """The tax on everything sold to one country (shipping included), in percent."""

    country = models.CharField(max_length=2, unique=True, help_text="Two-letter code, e.g. FR.")
    name = models.CharField(
        "tax name",
        max_length=40,
        default="VAT",
        help_text="What shoppers see: VAT, GST, Sales tax…",
    )
    rate = models.DecimalField(
        "rate (%)", max_digits=6, decimal_places=3, help_text="In percent, e.g. 20 or 5.5."
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lte=100), name="orders_taxrate_percent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.rate.normalize():f}% ({self.country})"


class TaxSettings(models.Model):
    """How the shop's prices treat tax: one row per shop, or none (then prices include
    tax when the shop sells in euros, as EU shops must show them, and tax is added at
    checkout otherwise)."""

    prices_include_tax = models.BooleanField("prices include tax")
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "tax settings"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="orders_tax_settings_single_row"),
        ]

    def __str__(self) -> str:
        return "Prices include tax" if self.prices_include_tax else "Tax added at checkout"


class Discount(models.Model):
    """A discount code: a percentage or a fixed amount off the items, or free shipping.

    ``code`` is matched in any case (unique whatever its case). ``uses`` counts the
    redemptions (``orders.services.discounts``), never above ``usage_limit``."""

    class Kind(models.TextChoices):
        PERCENTAGE = "percentage", "Percentage off the items"
        FIXED_AMOUNT = "fixed_amount", "Fixed amount off the items"
        FREE_SHIPPING = "free_shipping", "Free shipping"

    code = models.CharField(
        max_length=64,
        help_text="What shoppers type at checkout, in any case (SUMMER10 and summer10 are "
        "the same code): letters, digits, - and _.",
    )
    kind = models.CharField("type", max_length=16, choices=Kind.choices)
    value = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="A percentage (10 means 10% off the items) or the amount off the items; "
        "empty for free shipping.",
    )
    minimum_subtotal = models.DecimalField(
        "minimum order",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The items' total needed to use the code. Empty: no minimum.",
    )
    usage_limit = models.PositiveIntegerField(
        "total uses allowed",
        null=True,
        blank=True,
        help_text="How many orders in all may use the code. Empty: no limit.",
    )
    uses = models.PositiveIntegerField(
        "times used",
        default=0,
        help_text="Orders paid or awaiting payment with the code; an unpaid checkout that "
        "expires gives its use back.",
    )
    once_per_customer = models.BooleanField(
        "once per customer",
        default=False,
        help_text="Each email address can use the code once.",
    )
    starts_at = models.DateTimeField(
        "starts", null=True, blank=True, help_text="Empty: usable as soon as it is active."
    )
    ends_at = models.DateTimeField("ends", null=True, blank=True, help_text="Empty: never ends.")
    is_active = models.BooleanField(
        "active", default=True, help_text="Untick to stop the code at once, whatever its dates."
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "discount code"
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(Upper("code"), name="orders_discount_code_unique"),
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(uses__lte=models.F("usage_limit")),
                name="orders_discount_uses_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0),
                name="orders_discount_value_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(starts_at__lt=models.F("ends_at")),
                name="orders_discount_starts_before_end",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class DiscountRedemption(models.Model):
    """One use of a discount code by an order, counted in ``Discount.uses``. ``email`` is
    the shopper's, normalised (trimmed, lower case). The unique constraints make a use
    count once per order, and once per customer for a code that says so
    (``once_per_customer`` is the code's setting when it was used)."""

    discount = models.ForeignKey(Discount, related_name="redemptions", on_delete=models.CASCADE)
    order = models.ForeignKey(Order, related_name="discount_redemptions", on_delete=models.CASCADE)
    email = models.EmailField()
    once_per_customer = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["discount", "order"], name="orders_redemption_once_per_order"
            ),
            models.UniqueConstraint(
                fields=["discount", "email"],
                condition=Q(once_per_customer=True),
                name="orders_redemption_once_per_customer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.discount_id} by {self.email} (order {self.order_id})"
