"""Template filters of shoppable posts."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value: float) -> str:
    """A tag's normalised coordinate as a CSS percentage: ``0.25`` → ``25.00%``."""
    return f"{float(value) * 100:.2f}%"
