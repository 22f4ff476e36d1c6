"""What the shopper is shown of an order, the same on the confirmation page, the order
page and the emails: the receipt (lines with their options, amounts as shoppers read
them, the address), the status in words and the timeline a shopper cares about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from orders.carriers import tracking_url
from orders.models import Fulfilment, Order, OrderActivity
from shops.currencies import money_format

Status = Order.Status


@dataclass(frozen=True)
class ReceiptLine:
    title: str
    options: str  # the variant's options as bought: "XL", "Red / L"; "" for none
    quantity: int
    unit_price: str  # formatted: "€26.00"
    line_total: str


@dataclass(frozen=True)
class ReceiptAmount:
    label: str
    amount: str  # formatted; a discount or refund with its minus sign
    is_total: bool = False


@dataclass(frozen=True)
class Receipt:
    number: str
    email: str
    lines: tuple[ReceiptLine, ...]
    amounts: tuple[ReceiptAmount, ...]
    address: tuple[str, ...]  # the shipping address, one line each; empty when none


def _money(order: Order, amount: Decimal) -> str:
    return money_format(amount, order.currency)


def _minus(order: Order, amount: Decimal) -> str:
    return "\N{MINUS SIGN}" + _money(order, amount)


def order_amounts(*, order: Order, with_refund: bool = True) -> tuple[ReceiptAmount, ...]:
    """``order``'s amounts, as its receipt, the confirmation and the admin's order page
    show them: subtotal, shipping for an order shipped somewhere (with the method chosen;
    "Free" when nothing was charged), the discount (with its code) and the tax when
    charged, the total (= subtotal + shipping - discount, + tax unless the prices include
    it: then "Including VAT" follows the total), and what was refunded (unless
    ``with_refund`` is false)."""
    amounts = [ReceiptAmount("Subtotal", _money(order, order.subtotal))]
    if order.shipping_address or order.shipping_amount:
        shipping = _money(order, order.shipping_amount) if order.shipping_amount else "Free"
        label = f"Shipping ({order.shipping_method})" if order.shipping_method else "Shipping"
        amounts.append(ReceiptAmount(label, shipping))
    if order.discount_amount:
        label = f"Discount ({order.coupon_code})" if order.coupon_code else "Discount"
        amounts.append(ReceiptAmount(label, _minus(order, order.discount_amount)))
    tax_name = order.tax_name or "Tax"
    if order.tax_amount and not order.prices_include_tax:
        amounts.append(ReceiptAmount(tax_name, _money(order, order.tax_amount)))
    amounts.append(ReceiptAmount("Total", _money(order, order.total), is_total=True))
    if order.tax_amount and order.prices_include_tax:
        amounts.append(ReceiptAmount(f"Including {tax_name}", _money(order, order.tax_amount)))
    if order.refunded_minor and with_refund:
        amounts.append(ReceiptAmount("Refunded", _minus(order, order.refunded_amount)))
    return tuple(amounts)


def order_receipt(*, order: Order) -> Receipt:
    """``order``'s receipt (one query, for its lines): its lines and ``order_amounts``."""
    amounts = order_amounts(order=order)
    lines = tuple(
        ReceiptLine(
            title=line.title,
            options=line.variant_title,
            quantity=line.quantity,
            unit_price=_money(order, line.unit_price),
            line_total=_money(order, line.line_total),
        )
        for line in order.lines.all()
    )
    return Receipt(
        number=order.number,
        email=order.email,
        lines=lines,
        amounts=tuple(amounts),
        address=address_lines(order.shipping_address),
    )


def address_lines(address: dict[str, str]) -> tuple[str, ...]:
    """A shipping address as it is written on a parcel, one line each."""
    town = " ".join(part for part in (address.get("postal_code"), address.get("city")) if part)
    parts = (
        address.get("name"),
        address.get("line1"),
        address.get("line2"),
        town,
        address.get("state"),
        address.get("country"),
        address.get("phone"),
    )
    return tuple(part for part in parts if part)


@dataclass(frozen=True)
class ParcelItem:
    title: str
    options: str
    quantity: int


@dataclass(frozen=True)
class Parcel:
    """One fulfilment as the shopper reads it: what it holds, who carries it and where
    to follow it."""

    at: datetime
    items: tuple[ParcelItem, ...]
    carrier: str
    tracking_number: str
    tracking_url: str


def order_parcel(fulfilment: Fulfilment) -> Parcel:
    """``fulfilment`` as the shopper reads it (its lines and their order lines
    prefetched, or two queries)."""
    return Parcel(
        at=fulfilment.created,
        items=tuple(
            ParcelItem(
                title=part.order_line.title,
                options=part.order_line.variant_title,
                quantity=part.quantity,
            )
            for part in fulfilment.lines.all()
        ),
        carrier=fulfilment.carrier,
        tracking_number=fulfilment.tracking_number,
        tracking_url=tracking_url(
            carrier=fulfilment.carrier, tracking_number=fulfilment.tracking_number
        ),
    )


@dataclass(frozen=True)
class ShopperStatus:
    label: str  # "Paid", "Shipped": the order's status in a word or two
    sentence: str  # what it means for the shopper


def order_shopper_status(*, order: Order) -> ShopperStatus:
    refunded = _money(order, order.refunded_amount)
    match order.status:
        case Status.PENDING_PAYMENT:
            return ShopperStatus(
                "Awaiting payment", "We have not received your payment yet; nothing is charged."
            )
        case Status.PAID:
            return ShopperStatus("Paid", "We have your payment and are preparing your order.")
        case Status.PARTIALLY_FULFILLED:
            return ShopperStatus(
                "Partly shipped", "Part of your order is on its way; the rest follows."
            )
        case Status.FULFILLED:
            return ShopperStatus("Shipped", "Your order is on its way.")
        case Status.REFUNDED:
            return ShopperStatus("Refunded", f"Your payment of {refunded} was refunded.")
        case Status.PARTIALLY_REFUNDED:
            return ShopperStatus("Partly refunded", f"{refunded} of your payment was refunded.")
        case _:
            return ShopperStatus("Cancelled", "This order was cancelled; you were not charged.")


@dataclass(frozen=True)
class ShopperEvent:
    """One step of the order as the shopper follows it."""

    at: datetime
    title: str
    text: str = ""
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    items: tuple[ParcelItem, ...] = ()


def order_shopper_timeline(*, order: Order) -> list[ShopperEvent]:
    """The steps a shopper cares about, oldest first: placed, paid, each parcel shipped
    (what it holds, the carrier and tracking), refunded, cancelled. Three queries (the
    parcels with their items, the refunds' times)."""
    events = [ShopperEvent(order.created, "Order placed")]
    if order.paid_at:
        events.append(
            ShopperEvent(
                order.paid_at, "Paid", f"Payment of {_money(order, order.total)} received."
            )
        )
    fulfilments = order.fulfilments.prefetch_related("lines__order_line")
    parcels = [order_parcel(fulfilment) for fulfilment in fulfilments]
    events += [
        ShopperEvent(
            parcel.at,
            "Shipped" if len(parcels) == 1 else f"Parcel {number} shipped",
            f"With {parcel.carrier}." if parcel.carrier else "",
            carrier=parcel.carrier,
            tracking_number=parcel.tracking_number,
            tracking_url=parcel.tracking_url,
            items=parcel.items,
        )
        for number, parcel in enumerate(parcels, start=1)
    ]
    refunds = order.activities.filter(kind=OrderActivity.Kind.REFUNDED).values_list(
        "created", flat=True
    )
    events += [
        ShopperEvent(at, "Refund sent", "It can take 5 to 10 days to reach your account.")
        for at in refunds
    ]
    if order.cancelled_at and order.status == Status.CANCELLED:
        events.append(ShopperEvent(order.cancelled_at, "Cancelled", "You were not charged."))
    return sorted(events, key=lambda event: event.at)
