"""Reads of the orders app."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from catalog.models import Product, Variant
from orders.models import (
    AbandonedCheckout,
    CheckoutRecovery,
    Order,
    OrderActivity,
    OrderEmail,
    OrderLine,
    PaymentAccount,
    PaymentHealth,
)
from orders.payment_accounts import (
    platform_connect_available,
    requirements_in_words,
    shop_payments,
)
from shops.currencies import money_format

MAX_ROW_ID = 2**63 - 1


def is_row_id(value: object) -> bool:
    """Whether ``value`` can be a row's id (a bigint above 0): anything else would be a
    database error, not a "no such row"."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ROW_ID


def order_for_shopper(*, public_id: str, client_secret: str) -> Order | None:
    """The order, if ``client_secret`` is its payment's secret (what the shopper's page
    holds: no cookie or login needed). One query."""
    try:
        uuid.UUID(public_id)
    except ValueError:
        return None
    order = Order.objects.filter(public_id=public_id).first()
    if order is None or not order.client_secret:
        return None
    if not hmac.compare_digest(order.client_secret.encode(), client_secret.encode()):
        return None
    return order


def orders_paid() -> QuerySet[Order]:
    """The shop's orders as the merchant counts them: the checkouts that were paid
    (``paid_at`` set: paid, fulfilled, refunded in part or in full, a late payment
    refunded too). A checkout never paid is not an order: see ``checkouts_abandoned``."""
    return Order.objects.filter(paid_at__isnull=False)


def checkouts_abandoned() -> QuerySet[AbandonedCheckout]:
    """The checkouts never paid (still held for their payment, or ended unpaid), newest
    first, each with ``reminder_sent_at`` (when its checkout reminder went, or None)
    and its lines prefetched: a constant number of queries for any number of them."""
    reminder = OrderEmail.objects.filter(
        order=OuterRef("pk"), kind=OrderEmail.Kind.RECOVERY, sent_at__isnull=False
    ).values("sent_at")[:1]
    return AbandonedCheckout.objects.annotate(reminder_sent_at=Subquery(reminder)).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
    )


def checkout_recovery_is_enabled() -> bool:
    """Whether the shop sends checkout reminders (off unless turned on)."""
    return CheckoutRecovery.objects.filter(id=1, is_enabled=True).exists()


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    message: str


Kind = OrderActivity.Kind


def order_timeline(*, order: Order) -> list[TimelineEntry]:
    """What happened to ``order``, oldest first: its placing, then what the services
    recorded (payment, emails, fulfilment, refunds, cancellation). An order from before
    that record was kept gets its paid, fulfilled and cancelled times instead."""
    entries = [
        TimelineEntry(
            order.created,
            "Placed",
            f"By {order.email} for {money_format(order.total, order.currency)}.",
        )
    ]
    activities = list(order.activities.all())
    entries += [TimelineEntry(a.created, a.get_kind_display(), a.message) for a in activities]
    recorded = {activity.kind for activity in activities}
    for kind, at in (
        (Kind.PAID, order.paid_at),
        (Kind.FULFILLED, order.fulfilled_at),
        (Kind.CANCELLED, order.cancelled_at),
    ):
        if at is not None and kind not in recorded:
            entries.append(
                TimelineEntry(at, Kind(kind).label, order.note if kind == Kind.CANCELLED else "")
            )
    return sorted(entries, key=lambda entry: entry.at)


def order_lines_amount(*, order: Order, quantities: Mapping[int, int]) -> Decimal:
    """What ``quantities`` ({line id: how many}) of ``order``'s lines cost the shopper,
    e.g. to refund them. Raises ValueError, saying why, for a line or quantity the order
    does not have."""
    lines: dict[int, OrderLine] = {line.id: line for line in order.lines.all()}
    amount = Decimal(0)
    for line_id, quantity in quantities.items():
        line = lines.get(line_id)
        if line is None:
            raise ValueError(f"Order {order.number} has no line {line_id}.")
        if not 0 <= quantity <= line.quantity:
            raise ValueError(f"Refund between 0 and {line.quantity} of {line.sku}.")
        amount += line.unit_price * quantity
    return amount


@dataclass(frozen=True)
class CheckoutItem:
    variant: Variant
    quantity: int

    @property
    def line_total(self) -> Decimal:
        return self.variant.price * self.quantity


def checkout_parse(products: str) -> list[tuple[int, int]]:
    """``<variant id>:<quantity>,…`` (the form Meta's checkout on website sends) as
    pairs; an unreadable item is left out, a missing quantity is 1."""
    pairs: list[tuple[int, int]] = []
    for item in products.split(",")[: settings.ORDERS_MAX_LINES]:
        variant, _, quantity = item.strip().partition(":")
        try:
            pair = (int(variant), int(quantity or 1))
        except ValueError:
            continue
        if is_row_id(pair[0]):
            pairs.append(pair)
    return pairs


def checkout_items(pairs: list[tuple[int, int]]) -> list[CheckoutItem]:
    """The items of a checkout link that can be bought: active products' variants, in
    the link's order (one query). Quantities are checked again by buy-now."""
    variants = Variant.objects.select_related("product").filter(
        id__in=[variant_id for variant_id, _ in pairs], product__status=Product.Status.ACTIVE
    )
    by_id = {variant.id: variant for variant in variants}
    return [
        CheckoutItem(by_id[variant_id], quantity)
        for variant_id, quantity in pairs
        if variant_id in by_id and quantity > 0
    ]


@dataclass(frozen=True)
class BagLine:
    """A line of a shopper's bag as the shop sees it now: ``available`` is what can be
    bought (0 when the variant is sold out, gone or no longer for sale)."""

    variant_id: int
    quantity: int
    available: int
    product_title: str = ""
    product_slug: str = ""
    options: tuple[tuple[str, str], ...] = ()  # (option name, value): ("Size", "XL")
    price: Decimal | None = None
    requires_shipping: bool = False

    @property
    def status(self) -> str:
        if self.price is None:
            return "gone"
        if self.available <= 0:
            return "sold_out"
        return "short" if self.available < self.quantity else "ok"

    @property
    def buyable_quantity(self) -> int:
        return min(self.quantity, max(self.available, 0)) if self.price is not None else 0

    @property
    def line_total(self) -> Decimal:
        return (self.price or Decimal("0.00")) * self.buyable_quantity


def bag_lines(*, items: Sequence[tuple[int, int]]) -> list[BagLine]:
    """The bag's (variant id, quantity) items with today's prices, option names and
    availability, in the bag's order (one query whatever the number of lines)."""
    variants = Variant.objects.select_related("product").filter(
        id__in=[variant_id for variant_id, _ in items], product__status=Product.Status.ACTIVE
    )
    by_id = {variant.id: variant for variant in variants}
    lines = []
    for variant_id, quantity in items:
        variant = by_id.get(variant_id)
        if variant is None:
            lines.append(BagLine(variant_id=variant_id, quantity=quantity, available=0))
            continue
        product = variant.product
        lines.append(
            BagLine(
                variant_id=variant_id,
                quantity=quantity,
                available=max(variant.available, 0),
                product_title=product.title,
                product_slug=product.slug,
                options=tuple(zip(product.option_names, variant.options, strict=False)),
                price=variant.price,
                requires_shipping=product.requires_shipping,
            )
        )
    return lines


@dataclass(frozen=True)
class PaymentHealthReport:
    """What the admin shows about the shop's payments: figures, and ``problems`` (each a
    sentence saying what is wrong and what to do; empty when healthy)."""

    last_webhook_at: datetime | None
    last_webhook_type: str
    bad_signatures_24h: int
    unmatched_signatures_24h: int
    unsettled_count: int
    unsettled_last_at: datetime | None
    unsettled_last_order: str
    is_broken: bool
    problems: tuple[str, ...]

    @property
    def is_healthy(self) -> bool:
        return not self.problems


def _in_window(count: int, last_at: datetime | None, now: datetime) -> int:
    return count if last_at is not None and last_at >= now - timedelta(hours=24) else 0


def payment_health_report(*, now: datetime | None = None) -> PaymentHealthReport:
    """The active shop's payment health (two queries). Bad signatures are a problem
    until a verified webhook arrives after the last one; payments settled without
    their event, until a verified webhook arrives (``is_broken``)."""
    now = now or timezone.now()
    health = PaymentHealth.objects.filter(id=1).first() or PaymentHealth()
    account = PaymentAccount.objects.filter(id=1).only("mode", "webhook_endpoint_id").first()
    is_connect = account is not None and account.mode == PaymentAccount.Mode.CONNECT
    made_by_etalage = account is not None and bool(account.webhook_endpoint_id)
    bad = _in_window(health.bad_signature_count, health.bad_signature_last_at, now)
    problems = []
    verified_since = health.last_webhook_at is not None and (
        health.bad_signature_last_at is None
        or health.last_webhook_at > health.bad_signature_last_at
    )
    if bad and not verified_since:
        problems.append(
            f"{bad} webhook request(s) from Stripe for your orders in the last 24 h had a "
            "signature that did not verify. "
            + (
                "The platform's webhook secret does not match Stripe's; contact the "
                "platform's support."
                if is_connect
                else "The webhook secret in Payments does not match the endpoint's: save "
                "your keys again in Payments, leaving the signing secret empty, and "
                "Etalage makes a new endpoint."
                if made_by_etalage
                else "The webhook secret in Payments does not match the endpoint's: copy "
                "the signing secret (whsec_…) of the endpoint /webhooks/stripe/ again from "
                "Stripe (Developers → Webhooks) and save it here."
            )
        )
    if health.is_broken:
        problems.append(
            f"{health.unsettled_count} payment(s) succeeded at Stripe without their event "
            f"reaching the shop (the last: order {health.unsettled_last_order}). The shop's "
            "check marked them paid, but minutes late: webhooks are not arriving. "
            "Check that your Stripe webhook endpoint /webhooks/stripe/ exists and that its "
            "secret is the one saved here; this clears when a verified event arrives."
        )
    return PaymentHealthReport(
        last_webhook_at=health.last_webhook_at,
        last_webhook_type=health.last_webhook_type,
        bad_signatures_24h=bad,
        unmatched_signatures_24h=_in_window(
            health.unmatched_signature_count, health.unmatched_signature_last_at, now
        ),
        unsettled_count=health.unsettled_count,
        unsettled_last_at=health.unsettled_last_at,
        unsettled_last_order=health.unsettled_last_order,
        is_broken=health.is_broken,
        problems=tuple(problems),
    )


@dataclass(frozen=True)
class PaymentConnection:
    """What the Payments page says about the shop's Stripe connection, in words:
    ``headline`` (can it sell, or why not), ``facts`` (label, value), ``needs`` (what
    Stripe still asks of a connected account), and which buttons make sense
    (``connect_label`` "" when a connected account has nothing left to do at Stripe)."""

    mode: str
    can_sell: bool
    headline: str
    facts: tuple[tuple[str, str], ...]
    needs: tuple[str, ...]
    connect_available: bool
    connect_label: str
    is_connected: bool


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%-d %b %Y, %H:%M") if moment else ""


def _connect_facts(account: PaymentAccount) -> tuple[tuple[str, str], ...]:
    return (
        ("Stripe account", f"{account.stripe_account_id} ({account.account_type or 'connected'})"),
        (
            "Card payments",
            "Enabled: Stripe accepts payments for your shop"
            if account.charges_enabled
            else "Not enabled yet",
        ),
        (
            "Your details",
            "Sent to Stripe" if account.details_submitted else "Not finished at Stripe yet",
        ),
        ("Payouts to your bank", "Enabled" if account.payouts_enabled else "Not enabled yet"),
        (
            "Stripe still needs",
            ", ".join(requirements_in_words(account.requirements_due)) or "Nothing",
        ),
        ("Last heard from Stripe", _when(account.account_checked_at) or "Not yet"),
    )


def _own_keys_facts(account: PaymentAccount) -> tuple[tuple[str, str], ...]:
    mode = "live" if "_live_" in account.publishable_key else "test"
    return (
        ("Publishable key", f"{account.publishable_key} ({mode} mode)"),
        (
            "Secret key",
            f"Checked with Stripe on {_when(account.verified_at)}"
            if account.verified_at
            else "Not checked yet: save your keys again",
        ),
        (
            "Webhook endpoint",
            f"Created by Etalage in your Stripe account ({account.webhook_endpoint_id})"
            if account.webhook_endpoint_id
            else "Yours: you gave its signing secret",
        ),
    )


def payment_connection() -> PaymentConnection:
    """The active shop's Stripe connection for the Payments page (two queries)."""
    account = PaymentAccount.objects.filter(id=1).first()
    payments = shop_payments()
    mode = account.mode if account else ""
    is_connected = mode == PaymentAccount.Mode.CONNECT and bool(account.stripe_account_id)
    if payments.can_sell:
        headline = (
            "Your shop can sell: Stripe accepts card payments on your connected account."
            if is_connected
            else "Your shop can sell through your own Stripe account."
        )
    elif account is None:
        headline = (
            "Your shop cannot take payments yet. Connect a Stripe account: Stripe asks for "
            "your business and bank details, and your shop can sell as soon as Stripe "
            "accepts them. Or use Stripe keys of your own."
        )
    else:
        headline = payments.problem
    facts: tuple[tuple[str, str], ...] = ()
    if is_connected:
        facts = _connect_facts(account)
    elif mode == PaymentAccount.Mode.OWN_KEYS:
        facts = _own_keys_facts(account)
    if not is_connected:
        connect_label = "Connect with Stripe"
    elif account.details_submitted and account.charges_enabled:
        connect_label = ""  # nothing left to do at Stripe: "Check with Stripe again" instead
    else:
        connect_label = "Continue with Stripe"
    return PaymentConnection(
        mode=mode,
        can_sell=payments.can_sell,
        headline=headline,
        facts=facts,
        needs=tuple(requirements_in_words(account.requirements_due)) if is_connected else (),
        connect_available=platform_connect_available(),
        connect_label=connect_label,
        is_connected=is_connected,
    )
