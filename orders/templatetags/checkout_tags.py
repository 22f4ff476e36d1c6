"""Template tags of the checkout form (templates/orders/_buy_now.html)."""

from __future__ import annotations

from django import template

from orders.countries import country_choices

register = template.Library()


@register.simple_tag
def shipping_countries() -> tuple[tuple[str, str], ...]:
    """``{% shipping_countries as countries %}``: (code, name) for the country menu."""
    return country_choices()
