"""Reads of the back office: the Home's onboarding checklist and the day's figures, and the
customers derived from orders. Each runs in the active shop's schema and reads only it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from catalog.models import Product
from orders.models import Order, ShippingRate
from orders.payment_accounts import shop_payments
from orders.services.privacy import ANONYMISED_EMAIL
from shops.backoffice.models import Milestone
from shops.channels.models import Connection
from shops.currencies import money_format
from shops.storefront.documents import default_document
from shops.storefront.models import Design


@dataclass(frozen=True)
class ChecklistItem:
    """One onboarding step: ``key`` names it in tests and the page, ``url_name`` (an admin
    URL name) is where it is done."""

    key: str
    title: str
    description: str
    action: str
    url_name: str
    is_done: bool


@dataclass(frozen=True)
class Checklist:
    items: tuple[ChecklistItem, ...]

    @property
    def done_count(self) -> int:
        return sum(item.is_done for item in self.items)

    @property
    def is_complete(self) -> bool:
        return self.done_count == len(self.items)


def _design_is_done(design: dict | None) -> bool:
    """Designed: published at least once, or a draft saved that differs from the default."""
    if design is None:
        return False
    return design["published_at"] is not None or bool(
        design["draft"] and design["draft"] != default_document()
    )


def onboarding_checklist() -> Checklist:
    """The six first steps, each ticked from the shop's real state (a fixed number of
    queries, whatever the shop holds)."""
    design = Design.objects.filter(key=1).values("draft", "published_at", "embed_origins").first()
    shared = Milestone.objects.filter(key=Milestone.Key.SHARE_OPENED).exists() or bool(
        design and design["embed_origins"]
    )
    items = (
        ChecklistItem(
            "product",
            "Add a product",
            "An active product is one shoppers can see and buy.",
            "Add a product",
            "admin:catalog_product_add",
            Product.objects.filter(status=Product.Status.ACTIVE).exists(),
        ),
        ChecklistItem(
            "design",
            "Design your shop page",
            "Pick colours, a logo and the sections of your page, then save or publish.",
            "Open the designer",
            "admin:storefront_design_changelist",
            _design_is_done(design),
        ),
        ChecklistItem(
            "payments",
            "Connect payments",
            "Connect Stripe so shoppers can pay you.",
            "Set up payments",
            "admin:orders_paymentaccount_changelist",
            shop_payments().can_sell,
        ),
        ChecklistItem(
            "shipping",
            "Set shipping",
            "Add a shipping zone with at least one rate.",
            "Add a shipping zone",
            "admin:orders_shippingzone_add",
            ShippingRate.objects.exists(),
        ),
        ChecklistItem(
            "channel",
            "Connect a sales channel",
            "List your products on Google, Meta, Pinterest or TikTok.",
            "Add a channel",
            "admin:channels_connection_add",
            Connection.objects.exists(),
        ),
        ChecklistItem(
            "share",
            "Share or embed your shop",
            "Get your shop's link and the snippet that embeds it in another site.",
            "Share and embed",
            "admin:backoffice_share",
            shared,
        ),
    )
    return Checklist(items)


@dataclass(frozen=True)
class DailyFigures:
    """What the merchant checks each day; ``sales_today`` is formatted in the shop's currency."""

    sales_today: str
    paid_orders_today: int
    orders_to_fulfil: int


def _start_of_today() -> datetime.datetime:
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def daily_figures(*, currency: str) -> DailyFigures:
    """Sales today (the totals of orders paid since midnight in the shop's currency,
    orders since refunded in full or cancelled left out) and the paid orders waiting to be
    fulfilled: one query."""
    sold_today = Q(
        paid_at__gte=_start_of_today(),
        currency=currency,
        status__in=[
            Order.Status.PAID,
            Order.Status.FULFILLED,
            Order.Status.PARTIALLY_REFUNDED,
        ],
    )
    figures = Order.objects.aggregate(
        sales=Sum("total", filter=sold_today, default=Decimal(0)),
        paid_today=Count("id", filter=sold_today),
        to_fulfil=Count("id", filter=Q(status=Order.Status.PAID)),
    )
    return DailyFigures(
        sales_today=money_format(figures["sales"], currency),
        paid_orders_today=figures["paid_today"],
        orders_to_fulfil=figures["to_fulfil"],
    )


def customers() -> QuerySet:
    """The shop's customers as its orders know them: one row per email of a paid order,
    with how many orders, what they spent (per currency the shop sold in) and when last.
    Anonymised orders (an erasure, the retention policy) belong to no customer."""
    return (
        Order.objects.exclude(paid_at=None)
        .exclude(email=ANONYMISED_EMAIL)
        .values("email", "currency")
        .annotate(order_count=Count("id"), spent=Sum("total"), last_order=Max("paid_at"))
        .order_by("-last_order", "email")
    )
