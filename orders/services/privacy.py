"""What the orders app holds about one shopper (by email), and taking the person out of it:
the shopper's export and erasure (``shops.privacy``) and the retention beat call these.

- **Orders** (paid) are kept for accounting: anonymising replaces the email, the name,
  phone and street address (the country stays: taxes are by country), and the email in
  the order's timeline; amounts, lines, taxes, refunds and parcels are unchanged.
- **Checkouts** never paid are deleted once ended. One still holding its stock (a
  payment may yet complete within minutes) is anonymised instead, so its reservation
  ends or settles as usual.
- **Discount uses** keep counting, their email replaced by one per use.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Concat, JSONObject, Replace

from orders.models import (
    AbandonedCheckout,
    DiscountRedemption,
    Order,
    OrderActivity,
    RecoveryOptOut,
)

# what an anonymised order's email reads (".invalid" never delivers: RFC 2606)
ANONYMISED_EMAIL = "anonymised@anonymised.invalid"
ANONYMISED_LABEL = "(anonymised)"
# the part of a shipping address that stays: where the order was taxed and shipped to
ADDRESS_KEPT = ("country",)
# how many orders the retention run changes per transaction
RETENTION_BATCH = 500


def _normalised(email: str) -> str:
    return email.strip().lower()


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _date(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _order_row(order: Order) -> dict[str, Any]:
    return {
        "number": order.number,
        "status": order.get_status_display(),
        "created": _date(order.created),
        "paid_at": _date(order.paid_at),
        "fulfilled_at": _date(order.fulfilled_at),
        "cancelled_at": _date(order.cancelled_at),
        "email": order.email,
        "shipping_address": dict(order.shipping_address or {}),
        "shipping_method": order.shipping_method,
        "currency": order.currency,
        "subtotal": _amount(order.subtotal),
        "shipping": _amount(order.shipping_amount),
        "discount": _amount(order.discount_amount),
        "coupon_code": order.coupon_code,
        "tax": _amount(order.tax_amount),
        "tax_name": order.tax_name,
        "prices_include_tax": order.prices_include_tax,
        "total": _amount(order.total),
        "refunded": _amount(order.refunded_amount),
        "lines": [
            {
                "title": line.title,
                "variant": line.variant_title,
                "sku": line.sku,
                "unit_price": _amount(line.unit_price),
                "quantity": line.quantity,
                "line_total": _amount(line.line_total),
                "fulfilled_quantity": line.fulfilled_quantity,
                "refunded_quantity": line.refunded_quantity,
            }
            for line in order.lines.all()
        ],
        "fulfilments": [
            {
                "created": _date(parcel.created),
                "carrier": parcel.carrier,
                "tracking_number": parcel.tracking_number,
            }
            for parcel in order.fulfilments.all()
        ],
        "refunds": [
            {"created": _date(refund.created), "amount_minor": refund.amount_minor}
            for refund in order.refunds.all()
        ],
    }


def orders_personal_data(email: str) -> dict[str, Any]:
    """Everything the orders app holds about ``email`` (any case): its paid orders, its
    checkouts never paid, and whether it asked for no checkout reminders. A fixed number
    of queries, however many orders."""
    rows = list(
        Order.objects.filter(email__iexact=_normalised(email))
        .prefetch_related("lines", "fulfilments", "refunds")
        .order_by("created", "id")
    )
    return {
        "orders": [_order_row(order) for order in rows if order.paid_at is not None],
        "checkouts": [_order_row(order) for order in rows if order.paid_at is None],
        "checkout_reminders_stopped": RecoveryOptOut.objects.filter(
            email=_normalised(email)
        ).exists(),
    }


def orders_personal_counts(email: str) -> dict[str, int]:
    """How many orders and unpaid checkouts ``email`` has (one query)."""
    counts = Order.objects.filter(email__iexact=_normalised(email)).aggregate(
        orders=Count("id", filter=Q(paid_at__isnull=False)),
        checkouts=Count("id", filter=Q(paid_at__isnull=True)),
    )
    return {"orders": counts["orders"], "checkouts": counts["checkouts"]}


def _anonymise(orders: QuerySet[Order]) -> int:
    """Take the person out of ``orders`` (see the module's docstring), in a fixed number
    of queries; returns how many were changed. Orders already anonymised are left as
    they are."""
    ids = list(orders.exclude(email=ANONYMISED_EMAIL).values_list("id", flat=True))
    if not ids:
        return 0
    with transaction.atomic():
        # the timeline names the email ("To ann@…: Your order … is confirmed")
        OrderActivity.objects.filter(order_id__in=ids).update(
            message=Replace(
                "message",
                Subquery(Order.objects.filter(pk=OuterRef("order_id")).values("email")[:1]),
                Value(ANONYMISED_LABEL),
                output_field=CharField(),
            )
        )
        DiscountRedemption.objects.filter(order_id__in=ids).update(
            email=Concat(
                Value("anonymised-"),
                Cast("id", output_field=CharField()),
                Value("@anonymised.invalid"),
                output_field=CharField(),
            )
        )
        kept_address = JSONObject(**{key: KT(f"shipping_address__{key}") for key in ADDRESS_KEPT})
        changed = Order.objects.filter(id__in=ids).update(
            email=ANONYMISED_EMAIL,
            shipping_address=Case(
                When(shipping_address__has_any_keys=list(ADDRESS_KEPT), then=kept_address),
                default=Value({}, output_field=JSONField()),
            ),
        )
    return changed


def orders_anonymise(email: str) -> int:
    """Anonymise the paid orders of ``email`` (any case); returns how many."""
    return _anonymise(Order.objects.filter(email__iexact=_normalised(email), paid_at__isnull=False))


def orders_anonymise_before(cutoff: datetime, *, batch: int = RETENTION_BATCH) -> int:
    """The retention rule: anonymise the paid orders made before ``cutoff``, ``batch`` at
    a time, each batch its own transaction (a run stopped half-way leaves whole orders
    done and the rest for the next run)."""
    due = Order.objects.filter(paid_at__isnull=False, created__lt=cutoff).exclude(
        email=ANONYMISED_EMAIL
    )
    changed = 0
    while ids := list(due.order_by("id").values_list("id", flat=True)[:batch]):
        changed += _anonymise(Order.objects.filter(id__in=ids))
    return changed


def _ended(checkouts: QuerySet) -> QuerySet:
    return checkouts.exclude(stock_status=Order.Stock.HELD)


def checkouts_delete(email: str) -> int:
    """Delete the ended unpaid checkouts of ``email`` (any case) and its "no reminders"
    wish; anonymise those still holding stock. Returns how many were deleted."""
    email = _normalised(email)
    with transaction.atomic():
        checkouts = AbandonedCheckout.objects.filter(email__iexact=email)
        _anonymise(checkouts.filter(stock_status=Order.Stock.HELD))
        ids = list(_ended(checkouts).values_list("id", flat=True))
        Order.objects.filter(id__in=ids).delete()
        RecoveryOptOut.objects.filter(email=email).delete()
    return len(ids)


def checkouts_delete_before(cutoff: datetime, *, batch: int = RETENTION_BATCH) -> int:
    """The retention rule: delete the ended unpaid checkouts begun before ``cutoff``,
    ``batch`` at a time (each with its lines and emails, in its own transaction)."""
    due = _ended(AbandonedCheckout.objects.filter(created__lt=cutoff))
    deleted = 0
    while ids := list(due.order_by("id").values_list("id", flat=True)[:batch]):
        with transaction.atomic():
            Order.objects.filter(id__in=ids).delete()
        deleted += len(ids)
    return deleted
