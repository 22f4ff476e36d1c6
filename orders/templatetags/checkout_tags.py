"""Template tags of the checkout form (templates/orders/_buy_now.html)."""

from __future__ import annotations

from django import template

from orders.countries import country_choices
from shops.consent.services import CHECKBOX_WORDING

register = template.Library()


@register.simple_tag
def shipping_countries() -> tuple[tuple[str, str], ...]:
    """``{% shipping_countries as countries %}``: (code, name) for the country menu."""
    return country_choices()


@register.simple_tag
def marketing_consent_wording() -> str:
    """What the marketing consent box says (kept with each consent as it was shown)."""
    return CHECKBOX_WORDING
