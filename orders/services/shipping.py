"""Shipping zones and rates: where the shop ships and what it costs (read by
``orders.pricing``). The admin and the partner API write through these functions, which
check every field first (``shipping_zone_clean``, ``shipping_rate_clean``, also what the
admin's forms call) and raise ValidationErrors keyed by field."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from orders.countries import country_clean
from orders.models import ShippingRate, ShippingZone
from orders.pricing import SHIPPING_CHANGED_KEY
from orders.services.fields import (
    FieldErrors,
    amount_or_none,
    amount_required,
    changes_save,
    count_or_none,
    text_required,
)
from orders.signals import shipping_changed
from shops.audit.services import audit_record
from shops.queueing import run_on_commit
from shops.selectors import shop_currency
from shops.unset import UNSET, Unset, given

Kind = ShippingRate.Kind

RATE_FIELDS = (
    "name",
    "kind",
    "price",
    "min_weight_grams",
    "max_weight_grams",
    "min_order_value",
    "max_order_value",
    "free_over",
)
WEIGHT_BAND = ("min_weight_grams", "max_weight_grams")
VALUE_BAND = ("min_order_value", "max_order_value")


def _shipping_changed() -> None:
    """Tell that the shop's shipping changed: the stamp the product feeds read
    (``orders.pricing.shipping_changed_at``), written once the change commits, and
    ``orders.signals.shipping_changed`` to its receivers, in the change's transaction."""
    run_on_commit(lambda: cache.set(SHIPPING_CHANGED_KEY, timezone.now().timestamp(), timeout=None))
    shipping_changed.send(sender=ShippingZone)


def _countries_clean(countries: Sequence[str]) -> list[str]:
    codes, unknown = set(), []
    for value in countries:
        try:
            codes.add(country_clean(value))
        except ValidationError:
            unknown.append(str(value).strip()[:20])
    if unknown:
        raise ValidationError(
            f"Unknown country code{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
            "Give two-letter codes such as FR, DE or US.",
            code="unknown_country",
        )
    if not codes:
        raise ValidationError("Give at least one country this zone ships to.", code="no_countries")
    return sorted(codes)


def _countries_free(countries: list[str], *, zone: ShippingZone | None) -> None:
    """A ValidationError when another zone holds one of ``countries`` already."""
    others = ShippingZone.objects.filter(countries__overlap=countries)
    if zone is not None:
        others = others.exclude(pk=zone.pk)
    for other in others.order_by("name", "id")[:1]:
        taken = sorted(set(other.countries) & set(countries))
        raise ValidationError(
            f"{', '.join(taken)} {'is' if len(taken) == 1 else 'are'} already in the zone "
            f"“{other.name}”; a country belongs to one zone only.",
            code="country_in_another_zone",
        )


def shipping_zone_clean(
    *, name: object, countries: Sequence[str], zone: ShippingZone | None = None
) -> dict:
    """A zone's name and countries (upper-case codes, sorted, each once), or a
    ValidationError keyed by field; ``zone`` is the zone being changed, if any."""
    errors = FieldErrors()
    cleaned = {
        "name": errors.clean(
            "name",
            lambda: text_required(
                name, max_length=100, missing="Give the zone a name, e.g. “Europe”."
            ),
        ),
        "countries": errors.clean("countries", lambda: _countries_clean(countries)),
    }
    if cleaned["countries"]:
        errors.clean("countries", lambda: _countries_free(cleaned["countries"], zone=zone))
    errors.raise_any()
    return cleaned


def _zones_lock() -> None:
    """Two zone writes at once could each put a country in a zone of their own: zone
    writes of this shop (its schema's table) wait for each other; readers do not."""
    table = connection.ops.quote_name(ShippingZone._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")


@transaction.atomic
def shipping_zone_create(*, name: str, countries: Sequence[str]) -> ShippingZone:
    """A zone shipping to ``countries`` (none of them in another zone)."""
    _zones_lock()
    zone = ShippingZone.objects.create(**shipping_zone_clean(name=name, countries=countries))
    audit_record(action="shippingzone.create", target=zone)
    _shipping_changed()
    return zone


@transaction.atomic
def shipping_zone_update(
    *,
    zone: ShippingZone,
    name: str | Unset = UNSET,
    countries: Sequence[str] | Unset = UNSET,
) -> ShippingZone:
    """Change the fields given (those left UNSET keep their value)."""
    _zones_lock()
    merged = {
        "name": zone.name,
        "countries": zone.countries,
        **given(
            {
                "name": name,
                "countries": countries,
            }
        ),
    }
    if changes_save(zone, shipping_zone_clean(zone=zone, **merged)):
        _shipping_changed()
    return zone


@transaction.atomic
def shipping_zone_delete(*, zone: ShippingZone) -> None:
    """Delete a zone and its rates: the shop stops shipping to its countries."""
    audit_record(action="shippingzone.delete", target=zone)
    zone.delete()
    _shipping_changed()


def _band_clean(
    errors: FieldErrors, cleaned: dict, band: tuple[str, str], *, what: str, kind: str
) -> None:
    """The band of the rate's kind has a limit or two, in order; the other band none."""
    low_field, high_field = band
    low, high = cleaned.get(low_field), cleaned.get(high_field)
    if cleaned.get("kind") == kind:
        if low is None and high is None and low_field not in errors.errors:
            errors.add(
                low_field,
                ValidationError(
                    f"Give the {what} this rate is for: from, below, or both.", code="no_band"
                ),
            )
        elif low is not None and high is not None and low >= high:
            errors.add(
                high_field,
                ValidationError(
                    f"The upper {what} must be above the lower one.", code="band_order"
                ),
            )
        return
    for field in band:
        if cleaned.get(field) is not None:
            errors.add(
                field,
                ValidationError(
                    f"Only a rate priced by the order's {what} has {what} limits; leave it empty "
                    "or change “Price by”.",
                    code="band_not_for_kind",
                ),
            )


def shipping_rate_clean(
    *,
    name: object,
    price: object,
    kind: str = Kind.FLAT,
    min_weight_grams: object = None,
    max_weight_grams: object = None,
    min_order_value: object = None,
    max_order_value: object = None,
    free_over: object = None,
) -> dict:
    """A rate's fields cleaned (amounts as Decimals of the shop's currency, weights in
    grams), or a ValidationError keyed by field: a flat rate has no band, a weight or
    value rate has at least one limit, the lower below the upper."""
    currency = shop_currency()
    errors = FieldErrors()
    if kind not in Kind.values:
        errors.add(
            "kind",
            ValidationError(
                "Choose how the rate is priced: flat, by weight or by order value.", code="invalid"
            ),
        )
    cleaned = {
        "name": errors.clean(
            "name",
            lambda: text_required(
                name,
                max_length=100,
                missing="Give the rate the name shoppers will see, e.g. “Standard (2 to 4 days)”.",
            ),
        ),
        "kind": kind if kind in Kind.values else None,
        "price": errors.clean(
            "price", lambda: amount_required(price, label="price", currency=currency)
        ),
        "free_over": errors.clean(
            "free_over",
            lambda: amount_or_none(free_over, label="free-shipping threshold", currency=currency),
        ),
    }
    for field, value in (
        ("min_weight_grams", min_weight_grams),
        ("max_weight_grams", max_weight_grams),
    ):
        cleaned[field] = errors.clean(field, lambda v=value: count_or_none(v, label="weight"))
    for field, value in (
        ("min_order_value", min_order_value),
        ("max_order_value", max_order_value),
    ):
        cleaned[field] = errors.clean(
            field, lambda v=value: amount_or_none(v, label="order value", currency=currency)
        )
    _band_clean(errors, cleaned, WEIGHT_BAND, what="weight", kind=Kind.WEIGHT)
    _band_clean(errors, cleaned, VALUE_BAND, what="order value", kind=Kind.ORDER_VALUE)
    errors.raise_any()
    return cleaned


@transaction.atomic
def shipping_rate_create(
    *,
    zone: ShippingZone,
    name: str,
    price: Decimal | str,
    kind: str = Kind.FLAT,
    min_weight_grams: int | None = None,
    max_weight_grams: int | None = None,
    min_order_value: Decimal | str | None = None,
    max_order_value: Decimal | str | None = None,
    free_over: Decimal | str | None = None,
) -> ShippingRate:
    """A rate of ``zone``: flat, by weight (grams, from the lower limit up to but not
    including the upper) or by order value (the same way); free once the order's value
    reaches ``free_over``."""
    cleaned = shipping_rate_clean(
        name=name,
        price=price,
        kind=kind,
        min_weight_grams=min_weight_grams,
        max_weight_grams=max_weight_grams,
        min_order_value=min_order_value,
        max_order_value=max_order_value,
        free_over=free_over,
    )
    rate = ShippingRate.objects.create(zone=zone, **cleaned)
    audit_record(action="shippingrate.create", target=rate, changes={"price": (None, rate.price)})
    _shipping_changed()
    return rate


@transaction.atomic
def shipping_rate_update(
    *,
    rate: ShippingRate,
    zone: ShippingZone | Unset = UNSET,
    name: str | Unset = UNSET,
    price: Decimal | str | Unset = UNSET,
    kind: str | Unset = UNSET,
    min_weight_grams: int | Unset | None = UNSET,
    max_weight_grams: int | Unset | None = UNSET,
    min_order_value: Decimal | str | Unset | None = UNSET,
    max_order_value: Decimal | str | Unset | None = UNSET,
    free_over: Decimal | str | Unset | None = UNSET,
) -> ShippingRate:
    """Change the fields given (those left UNSET keep their value); the whole rate is
    checked again, so changing ``kind`` asks for the fitting limits."""
    changes = given(
        {
            "name": name,
            "price": price,
            "kind": kind,
            "min_weight_grams": min_weight_grams,
            "max_weight_grams": max_weight_grams,
            "min_order_value": min_order_value,
            "max_order_value": max_order_value,
            "free_over": free_over,
        }
    )
    cleaned = shipping_rate_clean(
        **{field: changes.get(field, getattr(rate, field)) for field in RATE_FIELDS}
    )
    if zone is not UNSET:
        cleaned["zone"] = zone
    if changes_save(rate, cleaned):
        _shipping_changed()
    return rate


@transaction.atomic
def shipping_rate_delete(*, rate: ShippingRate) -> None:
    audit_record(action="shippingrate.delete", target=rate)
    rate.delete()
    _shipping_changed()
