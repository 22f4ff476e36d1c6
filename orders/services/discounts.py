"""Discount codes: written by the admin and the partner API through ``discount_create``,
``discount_update`` and ``discount_delete`` (fields checked by ``discount_clean``);
a use is counted by ``discount_redeem`` when a checkout is reserved or paid, and given
back by ``discount_release`` when it expires or is cancelled. What a code takes off is
computed by ``orders.pricing.checkout_quote``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from orders.models import Discount, DiscountRedemption, Order
from orders.pricing import (
    code_already_used,
    code_used_up,
    discount_check_open,
    discount_for_code,
    discount_used_by,
    email_normalise,
)
from orders.services.fields import (
    FieldErrors,
    amount_or_none,
    changes_save,
    count_or_none,
    percent,
    text_required,
)
from shops.audit.services import audit_record
from shops.selectors import shop_currency
from shops.unset import UNSET, Unset, given

Kind = Discount.Kind
T = TypeVar("T")

DISCOUNT_FIELDS = (
    "code",
    "kind",
    "value",
    "minimum_subtotal",
    "usage_limit",
    "once_per_customer",
    "starts_at",
    "ends_at",
    "is_active",
)
CODE_PATTERN = re.compile(r"[\w-]+")


def _code_clean(code: object, *, discount: Discount | None) -> str:
    text = text_required(code, max_length=64, missing="Give the code shoppers will type.")
    if not CODE_PATTERN.fullmatch(text):
        raise ValidationError(
            "A code is letters, digits, - and _ only (no spaces), e.g. SUMMER-10.",
            code="invalid_code",
        )
    others = Discount.objects.filter(code__iexact=text)
    if discount is not None:
        others = others.exclude(pk=discount.pk)
    if others.exists():
        raise _code_taken(text)
    return text


def _code_taken(code: str) -> ValidationError:
    return ValidationError(
        f"The code “{code}” exists already (codes are the same whatever their case).",
        code="duplicate_code",
    )


def _value_clean(kind: str | None, value: object, currency: str) -> Decimal | None:
    if kind == Kind.FREE_SHIPPING:
        if value not in (None, ""):
            raise ValidationError(
                "A free-shipping code takes nothing else off; leave the value empty.",
                code="value_not_for_kind",
            )
        return None
    if kind == Kind.PERCENTAGE:
        refused = "Give the percentage off, from 0.01 to 100, e.g. 10 or 12.5."
        off = percent(value, places=2, refused=refused)
        if off == 0:
            raise ValidationError(refused, code="invalid_percentage")
        return off
    amount = amount_or_none(value, label="amount off", currency=currency)
    if kind == Kind.FIXED_AMOUNT and (amount is None or amount <= 0):
        raise ValidationError(
            f"Give the amount taken off the items, in {currency}.", code="invalid_amount"
        )
    return amount


def _moment(value: object, label: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise ValidationError(f"Give the {label} as a date and time.", code="invalid")
    return value


def discount_clean(
    *,
    code: object,
    kind: object,
    value: object = None,
    minimum_subtotal: object = None,
    usage_limit: object = None,
    once_per_customer: bool = False,
    starts_at: object = None,
    ends_at: object = None,
    is_active: bool = True,
    discount: Discount | None = None,
) -> dict:
    """A code's fields cleaned, or a ValidationError keyed by field; ``discount`` is the
    code being changed, if any. A percentage is from 0.01 to 100, a fixed amount more
    than 0 in the shop's currency, free shipping has no value; a usage limit is at least
    1 and never below the uses so far; a code ends after it starts."""
    currency = shop_currency()
    errors = FieldErrors()
    if kind not in Kind.values:
        errors.add(
            "kind",
            ValidationError(
                "Choose the type: percentage, fixed amount or free shipping.", code="invalid"
            ),
        )
    cleaned = {
        "code": errors.clean("code", lambda: _code_clean(code, discount=discount)),
        "kind": kind if kind in Kind.values else None,
        "value": errors.clean("value", lambda: _value_clean(kind, value, currency)),
        "minimum_subtotal": errors.clean(
            "minimum_subtotal",
            lambda: amount_or_none(minimum_subtotal, label="minimum order", currency=currency),
        ),
        "usage_limit": errors.clean(
            "usage_limit", lambda: count_or_none(usage_limit, label="usage limit", minimum=1)
        ),
        "once_per_customer": bool(once_per_customer),
        "starts_at": errors.clean("starts_at", lambda: _moment(starts_at, "start")),
        "ends_at": errors.clean("ends_at", lambda: _moment(ends_at, "end")),
        "is_active": bool(is_active),
    }
    limit, uses = cleaned["usage_limit"], discount.uses if discount is not None else 0
    if limit is not None and limit < uses:
        errors.add(
            "usage_limit",
            ValidationError(
                f"The code has been used {uses:,} times already; the limit cannot be lower.",
                code="limit_below_uses",
            ),
        )
    starts, ends = cleaned["starts_at"], cleaned["ends_at"]
    if starts is not None and ends is not None and ends <= starts:
        errors.add(
            "ends_at", ValidationError("The end must be after the start.", code="ends_first")
        )
    errors.raise_any()
    return cleaned


@contextmanager
def _code_unique(code: str) -> Iterator[None]:
    """The block's write in a savepoint; a code taken meanwhile by another request (the
    unique constraint) is said as the check before it would have said it."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        if "orders_discount_code_unique" in str(exc):
            raise ValidationError({"code": _code_taken(code)}) from None
        raise


def discount_create(
    *,
    code: str,
    kind: str,
    value: Decimal | str | None = None,
    minimum_subtotal: Decimal | str | None = None,
    usage_limit: int | None = None,
    once_per_customer: bool = False,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    is_active: bool = True,
) -> Discount:
    """A discount code (matched in any case by shoppers)."""
    cleaned = discount_clean(
        code=code,
        kind=kind,
        value=value,
        minimum_subtotal=minimum_subtotal,
        usage_limit=usage_limit,
        once_per_customer=once_per_customer,
        starts_at=starts_at,
        ends_at=ends_at,
        is_active=is_active,
    )
    with _code_unique(cleaned["code"]):
        discount = Discount.objects.create(**cleaned)
        audit_record(action="discount.create", target=discount)
        return discount


@transaction.atomic
def discount_update(
    *,
    discount: Discount,
    code: str | Unset = UNSET,
    kind: str | Unset = UNSET,
    value: Decimal | str | Unset | None = UNSET,
    minimum_subtotal: Decimal | str | Unset | None = UNSET,
    usage_limit: int | Unset | None = UNSET,
    once_per_customer: bool | Unset = UNSET,
    starts_at: datetime | Unset | None = UNSET,
    ends_at: datetime | Unset | None = UNSET,
    is_active: bool | Unset = UNSET,
) -> Discount:
    """Change the fields given (those left UNSET keep their value). The code's row is
    locked meanwhile, so a use counted at the same moment cannot pass a lowered limit."""
    stored = Discount.objects.select_for_update().get(pk=discount.pk)
    discount.uses = stored.uses
    changes = given(
        {
            "code": code,
            "kind": kind,
            "value": value,
            "minimum_subtotal": minimum_subtotal,
            "usage_limit": usage_limit,
            "once_per_customer": once_per_customer,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "is_active": is_active,
        }
    )
    cleaned = discount_clean(
        discount=discount,
        **{field: changes.get(field, getattr(stored, field)) for field in DISCOUNT_FIELDS},
    )
    with _code_unique(cleaned["code"]):
        changes_save(discount, cleaned)
    return discount


def discount_delete(*, discount: Discount) -> None:
    """Delete a code and its record of uses."""
    audit_record(action="discount.delete", target=discount)
    discount.delete()


class _SameOrder(Exception):
    """The order redeemed the code already (another call got there first)."""


def discount_redeem(*, code: str, email: str, order_id: int) -> DiscountRedemption:
    """Count one use of ``code`` by the checkout's order ``order_id`` for ``email``,
    atomically, when the checkout is reserved or paid; call it in that transaction.

    The use is taken with one conditional UPDATE (``uses < usage_limit``), which also
    locks the code's row until the transaction ends, so of any number of checkouts at
    once exactly as many as the limit allows get one; the redemption row's unique
    constraints keep it to one per order and, for a once-per-customer code, one per
    customer (by normalised email). Calling it again for the same order returns the
    same redemption and counts nothing. Raises a ValidationError keyed ``discount_code``
    (``unknown_code``, ``code_inactive``, ``code_not_started``, ``code_expired``,
    ``code_used_up``, ``code_already_used``), counting nothing. The minimum order is the
    quote's to check (``checkout_quote``)."""
    email = email_normalise(email)
    discount = _for_shopper(lambda: discount_for_code(code))
    try:
        with transaction.atomic():
            return _redeem(discount=discount, email=email, order_id=order_id)
    except _SameOrder:
        return DiscountRedemption.objects.get(discount=discount, order_id=order_id)


def _for_shopper(check: Callable[[], T]) -> T:
    """``check()``, its ValidationError keyed ``discount_code`` (the field the shopper
    typed it in)."""
    try:
        return check()
    except ValidationError as error:
        raise ValidationError({"discount_code": error}) from None


def _redeem(*, discount: Discount, email: str, order_id: int) -> DiscountRedemption:
    if DiscountRedemption.objects.filter(discount=discount, order_id=order_id).exists():
        raise _SameOrder
    _for_shopper(lambda: discount_check_open(discount=discount))
    now = timezone.now()
    counted = (
        Discount.objects.filter(pk=discount.pk, is_active=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .filter(Q(usage_limit__isnull=True) | Q(uses__lt=F("usage_limit")))
        .update(uses=F("uses") + 1)
    )
    if not counted:  # used up (or changed) since it was read: read again to say why
        discount.refresh_from_db()
        _for_shopper(lambda: discount_check_open(discount=discount))
        raise ValidationError({"discount_code": code_used_up(discount)})
    # From here the code's row is locked by this transaction: its uses are counted one at
    # a time, and what the checks below read was committed by those before.
    if DiscountRedemption.objects.filter(discount=discount, order_id=order_id).exists():
        raise _SameOrder
    if discount.once_per_customer and discount_used_by(discount=discount, email=email):
        raise ValidationError({"discount_code": code_already_used(discount)})
    try:
        with transaction.atomic():
            return DiscountRedemption.objects.create(
                discount=discount,
                order_id=order_id,
                email=email,
                once_per_customer=discount.once_per_customer,
            )
    except IntegrityError as exc:  # the constraints behind the checks above
        if "orders_redemption_once_per_order" in str(exc):
            raise _SameOrder from None
        raise ValidationError({"discount_code": code_already_used(discount)}) from None


def discount_release(*, order_id: int) -> int:
    """Give back the uses of the codes the order ``order_id`` redeemed (its checkout
    expired or was cancelled); how many were given back. Calling it again, or at the
    same time, gives back nothing more: each redemption row is deleted once."""
    with transaction.atomic():
        released: dict[int, int] = {}
        for redemption in DiscountRedemption.objects.select_for_update().filter(order_id=order_id):
            released[redemption.discount_id] = released.get(redemption.discount_id, 0) + 1
        DiscountRedemption.objects.filter(order_id=order_id).delete()
        for discount_id, count in sorted(released.items()):
            Discount.objects.filter(pk=discount_id, uses__gte=count).update(uses=F("uses") - count)
    return sum(released.values())


def discount_use_restore(*, order: Order) -> bool:
    """Count again the use of the code a paid order was priced with, after its checkout
    had ended and given the use back (``discount_release``): the shopper paid with the
    reduction, so the use is real even if the code has been used up or closed since.
    Recorded once per order (calling it again counts nothing); a code deleted since is
    left alone. True when a use was counted."""
    if not order.coupon_code or order.discount_amount <= 0:
        return False
    discount = Discount.objects.filter(code__iexact=order.coupon_code).first()
    if discount is None:
        return False
    with transaction.atomic():
        _, created = DiscountRedemption.objects.get_or_create(
            discount=discount,
            order_id=order.id,
            # not once_per_customer: the shopper may have used the code since, and the
            # constraint would refuse the record of a payment that did happen
            defaults={"email": email_normalise(order.email), "once_per_customer": False},
        )
        if created:  # the count stays within the limit (a check constraint keeps it)
            Discount.objects.filter(pk=discount.pk).filter(
                Q(usage_limit__isnull=True) | Q(uses__lt=F("usage_limit"))
            ).update(uses=F("uses") + 1)
    return created
