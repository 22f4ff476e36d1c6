"""Outbound webhooks, in the shop's schema: partners' subscriptions, the events the shop
emitted, one delivery per event and subscription, and every attempt of a delivery."""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone


class EventType(models.TextChoices):
    ORDER_CREATED = "order.created"
    ORDER_PAID = "order.paid"
    ORDER_FULFILLED = "order.fulfilled"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_REFUNDED = "order.refunded"
    PRODUCT_UPDATED = "product.updated"
    STOCK_CHANGED = "stock.changed"
    REVIEW_APPROVED = "review.approved"
    CHANNEL_ITEM_REJECTED = "channel.item_rejected"


class WebhookSubscription(models.Model):
    url = models.URLField("URL", max_length=2000)
    events = ArrayField(models.CharField(max_length=40, choices=EventType.choices))
    description = models.CharField(max_length=255, blank=True)
    # Kept as is: every delivery is signed with it (shown to the merchant once).
    secret = models.CharField(max_length=80, editable=False)
    # After a rotation the old secret still signs (a second v1) until it expires.
    previous_secret = models.CharField(max_length=80, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    def signing_secrets(self, now=None) -> list[str]:
        """The secrets that sign a delivery now: the current one, then the previous one
        while its grace period after a rotation lasts."""
        now = now or timezone.now()
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and now < expires:
            return [self.secret, self.previous_secret]
        return [self.secret]


class WebhookEvent(models.Model):
    """Something that happened in the shop, as sent to subscribers (``data``)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=40, choices=EventType.choices)
    data = models.JSONField()
    created = models.DateTimeField(auto_now_add=True, db_index=True)  # since=, retention

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.public_id}"


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Gave up"

    event = models.ForeignKey(WebhookEvent, related_name="deliveries", on_delete=models.CASCADE)
    subscription = models.ForeignKey(
        WebhookSubscription, related_name="deliveries", on_delete=models.CASCADE
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    # When the next attempt is due; while an attempt runs, a lease in the near future.
    next_attempt_at = models.DateTimeField(db_index=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhooks_delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event.type} → {self.subscription.url} ({self.get_status_display()})"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, related_name="attempts", on_delete=models.CASCADE)
    number = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["delivery_id", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.status_code or self.error}"


class OutboxPosition(models.Model):
    """How far events were emitted from an outbox (``source``: "catalog")."""

    source = models.CharField(max_length=40, unique=True)
    last_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.source} outbox at {self.last_id}"
