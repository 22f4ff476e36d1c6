"""Insights tables of one shop (every table lives in the shop's schema).

The raw events table, ``insights_event``, is not a Django model: it is partitioned by day
(PostgreSQL declarative partitioning), which Django's migrations cannot declare, so the
migration ``0002_event_partitions`` creates it in SQL and ``shops.insights.services``
writes and reads it in SQL. What the selectors read are these rollups, kept up to date by
the worker (``services.rollup_run``): the shop's totals per hour (``HourlyRollup``, for
hourly charts) and per day and dimension with unique visitors (``DailyRollup``, for
everything else); they are rebuilt from the raw events for the hours
since their watermark, so running the rollup twice gives the same rows.
"""

from __future__ import annotations

from django.db import models


class Kind(models.IntegerChoices):
    """What happened. Stored as a small integer in the events and the rollups."""

    PAGE_VIEW = 1, "Page view"
    PRODUCT_VIEW = 2, "Product view"
    POST_IMPRESSION = 3, "Post impression"
    TAG_CLICK = 4, "Tag click"
    BAG_ADD = 5, "Added to bag"
    CHECKOUT_STARTED = 6, "Checkout started"
    PAID = 7, "Paid order"
    PRODUCT_SOLD = 8, "Product sold"  # one per order line of a paid order
    RETURNING_PAID = 9, "Paid order of a returning shopper"
    VOTE = 10, "Poll vote"
    REVIEW_WRITTEN = 11, "Review written"
    # rollup only: a poll's voters whose paid order came later the same day (UTC)
    VOTER_BOUGHT = 12, "Voter who later bought"


class Dimension(models.TextChoices):
    """What a rollup row is broken down by ("" is the shop's total)."""

    TOTAL = "", "Total"
    SOURCE = "source", "Source"
    CHANNEL = "channel", "Channel"
    EMBED_SITE = "embed_site", "Embedding site"
    PAGE = "page", "Page type"
    POST = "post", "Post"
    POLL = "poll", "Poll"
    PRODUCT = "product", "Product"


class DimensionRow(models.Model):
    """What a rollup row counts: one kind of event, for the shop (``dimension`` "") or
    one ``value`` of one dimension."""

    kind = models.PositiveSmallIntegerField(choices=Kind.choices)
    dimension = models.CharField(max_length=12, choices=Dimension.choices, blank=True)
    value = models.CharField(max_length=100, blank=True)

    class Meta:
        abstract = True


class HourlyRollup(models.Model):
    """The shop's events of one kind in one hour (UTC): their count and the money they
    carry (paid orders and product sales, in the shop's currency's minor units). What
    the hourly charts read; everything else reads the daily rows."""

    hour = models.DateTimeField()
    kind = models.PositiveSmallIntegerField(choices=Kind.choices)
    events = models.BigIntegerField()
    value_minor = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "hour"], name="insights_hourly_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.get_kind_display()}: {self.events}"


class DailyRollup(DimensionRow):
    """Events of one kind on one day (UTC), for the shop (``dimension`` "") or one value
    of one dimension (a source, a post id…): their count, their money, and their unique
    visitors. Visitors by the day, because the visitor hash changes every day: visitors
    of two days cannot be told apart, so a range's are the sum of its days' (as
    Plausible counts them)."""

    day = models.DateField()
    events = models.BigIntegerField()
    value_minor = models.BigIntegerField(default=0)
    visitors = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "kind", "day", "value"], name="insights_daily_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.get_kind_display()} {self.dimension}={self.value}"


class RollupState(models.Model):
    """One row: the raw events before ``rolled_until`` are in the rollups."""

    rolled_until = models.DateTimeField(null=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="insights_state_single_row"),
        ]

    def __str__(self) -> str:
        return f"rolled up until {self.rolled_until}"


class DailySalt(models.Model):
    """The secret mixed into the visitor hash on ``day`` (UTC). Only today's row exists:
    yesterday's is deleted when today's is made, so yesterday's hashes cannot be
    recomputed from an address, nor linked to today's."""

    day = models.DateField(unique=True)
    salt = models.BinaryField(max_length=32)

    def __str__(self) -> str:
        return f"salt of {self.day}"


class CheckoutVisitor(models.Model):
    """The visitor (that day's hash) whose own request made an order at buy-now, kept
    until the order is paid so that its ``paid`` event carries the same visitor as the
    shopper's votes of that day. Taken (deleted) when the paid order is recorded; rows
    of orders never paid go with the next day's partition maintenance."""

    order_id = models.BigIntegerField(unique=True)
    visitor = models.BigIntegerField()
    day = models.DateField()

    def __str__(self) -> str:
        return f"checkout of order {self.order_id} on {self.day}"
