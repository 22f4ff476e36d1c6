"""``{% load consent_tags %}``: what the marketing consent box says, everywhere it is
shown (the checkout, the poll form), as ``consent_request`` keeps it."""

from __future__ import annotations

from django import template

from shops.consent.services import CHECKBOX_WORDING

register = template.Library()


@register.simple_tag
def marketing_consent_wording() -> str:
    return CHECKBOX_WORDING
