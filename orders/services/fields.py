"""Checks of the fields the pricing rules are written with (shipping, taxes, discount
codes): each returns the cleaned value or raises a ValidationError a merchant can act on;
``FieldErrors`` gathers them by field, so a form or an API answer lists every problem."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model

from catalog.services import parse_amount
from shops.audit.services import audit_record

T = TypeVar("T")

MAX_COUNT = 2**31 - 1  # a PositiveIntegerField's largest value


class FieldErrors:
    """Errors by field: ``clean(field, check)`` keeps ``check()``'s value, or its error
    under ``field``; ``raise_any()`` raises them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[ValidationError]] = {}

    def clean(self, field: str, check: Callable[[], T]) -> T | None:
        try:
            return check()
        except ValidationError as error:
            self.add(field, error)
            return None

    def add(self, field: str, error: ValidationError) -> None:
        self.errors.setdefault(field, []).append(error)

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def text_required(value: object, *, max_length: int, missing: str) -> str:
    """``value`` trimmed; ``missing`` when there is nothing left."""
    text = str(value or "").strip()
    if not text:
        raise ValidationError(missing, code="required")
    if len(text) > max_length:
        raise ValidationError(f"Write at most {max_length} characters.", code="max_length")
    return text


def amount_or_none(value: object, *, label: str, currency: str) -> Decimal | None:
    """An amount of the shop's currency (0 or more, its decimals at most), or None for
    nothing given."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_amount(value, field=label, currency=currency)


def amount_required(value: object, *, label: str, currency: str) -> Decimal:
    amount = amount_or_none(value, label=label, currency=currency)
    if amount is None:
        raise ValidationError(f"Give the {label}.", code="required")
    return amount


def percent(value: object, *, places: int, refused: str) -> Decimal:
    """A percentage from 0 to 100 with at most ``places`` decimals; ``refused`` says what
    to give instead."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(refused, code="invalid_percentage") from None
    if not (number.is_finite() and 0 <= number <= 100):
        raise ValidationError(refused, code="invalid_percentage")
    if -int(number.normalize().as_tuple().exponent) > places:
        raise ValidationError(refused, code="invalid_percentage")
    return number


def count_or_none(value: object, *, label: str, minimum: int = 0) -> int | None:
    """A whole number from ``minimum`` up, or None for nothing given."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = value if isinstance(value, int) else int(str(value).strip())
    except ValueError:
        raise ValidationError(f"The {label} is a whole number.", code="invalid") from None
    if isinstance(number, bool) or not minimum <= number <= MAX_COUNT:
        raise ValidationError(
            f"The {label} is a whole number from {minimum:,} to {MAX_COUNT:,}.", code="invalid"
        )
    return number


def changes_save(instance: Model, cleaned: dict) -> list[str]:
    """Set and save the fields of ``cleaned`` whose value differs from ``instance``'s
    (and ``updated``); the names of those fields. The audit log records the change."""
    changed = [field for field, value in cleaned.items() if getattr(instance, field) != value]
    before = {field: getattr(instance, field) for field in changed}
    for field in changed:
        setattr(instance, field, cleaned[field])
    if changed:
        instance.save(update_fields=[*changed, "updated"])
        audit_record(
            action=f"{instance._meta.model_name}.update",
            target=instance,
            changes={field: (before[field], cleaned[field]) for field in changed},
        )
    return changed
