"""Tax rates per country and whether the shop's prices include tax (read by
``orders.pricing``). The admin writes through these functions, which raise
ValidationErrors keyed by field."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from orders.countries import country_clean
from orders.models import TaxRate, TaxSettings
from orders.services.fields import FieldErrors, changes_save, percent, text_required
from shops.audit.services import audit_record
from shops.unset import UNSET, Unset, given


def _country_taken(country: str) -> ValidationError:
    return ValidationError(
        f"{country} has a tax rate already; change that one.", code="duplicate_country"
    )


def _country_free(country: str, *, tax_rate: TaxRate | None) -> None:
    others = TaxRate.objects.filter(country=country)
    if tax_rate is not None:
        others = others.exclude(pk=tax_rate.pk)
    if others.exists():
        raise _country_taken(country)


def tax_rate_clean(
    *, country: object, rate: object, name: object = "VAT", tax_rate: TaxRate | None = None
) -> dict:
    """A tax rate's fields cleaned, or a ValidationError keyed by field; ``tax_rate`` is
    the one being changed, if any (one rate per country)."""
    errors = FieldErrors()
    cleaned = {
        "country": errors.clean("country", lambda: country_clean(str(country or ""))),
        "rate": errors.clean(
            "rate",
            lambda: percent(
                rate,
                places=3,
                refused="Give the rate in percent, from 0 to 100, with at most 3 "
                "decimals, e.g. 20, 5.5 or 8.875.",
            ),
        ),
        "name": errors.clean(
            "name",
            lambda: text_required(
                name, max_length=40, missing="Give the tax the name shoppers know, e.g. VAT."
            ),
        ),
    }
    if cleaned["country"]:
        errors.clean("country", lambda: _country_free(cleaned["country"], tax_rate=tax_rate))
    errors.raise_any()
    return cleaned


def tax_rate_create(*, country: str, rate: Decimal | str, name: str = "VAT") -> TaxRate:
    """The tax on what is sold to ``country`` (shipping included), in percent."""
    cleaned = tax_rate_clean(country=country, rate=rate, name=name)
    try:
        with transaction.atomic():
            tax_rate = TaxRate.objects.create(**cleaned)
            audit_record(
                action="taxrate.create", target=tax_rate, changes={"rate": (None, tax_rate.rate)}
            )
            return tax_rate
    except IntegrityError:  # created meanwhile by another request
        raise ValidationError({"country": _country_taken(cleaned["country"])}) from None


def tax_rate_update(
    *,
    tax_rate: TaxRate,
    country: str | Unset = UNSET,
    rate: Decimal | str | Unset = UNSET,
    name: str | Unset = UNSET,
) -> TaxRate:
    """Change the fields given (those left UNSET keep their value)."""
    merged = {
        "country": tax_rate.country,
        "rate": tax_rate.rate,
        "name": tax_rate.name,
        **given({"country": country, "rate": rate, "name": name}),
    }
    cleaned = tax_rate_clean(tax_rate=tax_rate, **merged)
    try:
        with transaction.atomic():
            changes_save(tax_rate, cleaned)
    except IntegrityError:
        raise ValidationError({"country": _country_taken(cleaned["country"])}) from None
    return tax_rate


def tax_rate_delete(*, tax_rate: TaxRate) -> None:
    """Stop charging tax to its country."""
    audit_record(action="taxrate.delete", target=tax_rate)
    tax_rate.delete()


def tax_settings_set(*, prices_include_tax: bool) -> TaxSettings:
    """Whether the shop's prices include tax (else tax is added at checkout)."""
    before = TaxSettings.objects.filter(id=1).values_list("prices_include_tax", flat=True).first()
    settings, _created = TaxSettings.objects.update_or_create(
        id=1, defaults={"prices_include_tax": prices_include_tax}
    )
    if before != prices_include_tax:
        audit_record(
            action="taxsettings.update",
            target=settings,
            changes={"prices_include_tax": (before, prices_include_tax)},
        )
    return settings
