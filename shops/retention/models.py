"""The shop's retention policy: one row per shop schema (``retention_policy()`` reads it).

Read by the privacy page (what shoppers are told), the retention beat (what is deleted
or anonymised, and when) and the insights (when raw events are dropped)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class RetentionPolicy(models.Model):
    """How many days each kind of shopper data is kept before it is deleted or
    anonymised. The defaults are what a shop that never opened the settings gets."""

    abandoned_checkout_days = models.PositiveIntegerField(
        "delete abandoned checkouts after (days)",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Checkouts never paid: their contact and address are deleted.",
    )
    order_anonymise_days = models.PositiveIntegerField(
        "anonymise orders after (days)",
        default=3650,
        validators=[MinValueValidator(365), MaxValueValidator(7300)],
        help_text="Orders are kept for accounting (often 6 to 10 years, by country); after "
        "this the shopper's name, email and address are taken out and the amounts kept.",
    )
    analytics_raw_days = models.PositiveIntegerField(
        "drop raw analytics events after (days)",
        default=90,
        validators=[MinValueValidator(7), MaxValueValidator(730)],
        help_text="Raw page-view and click events; the daily and hourly totals stay.",
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "retention policy"
        verbose_name_plural = "retention policy"

    def __str__(self) -> str:
        return "Retention policy"
