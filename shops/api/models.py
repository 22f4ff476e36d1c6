"""API keys and idempotency records, in the shop's schema: a key works on its own shop only."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class Scope(models.TextChoices):
    CATALOG_READ = "catalog:read", "Read products, variants, stock and collections"
    CATALOG_WRITE = "catalog:write", "Change products, variants, stock and collections"
    ORDERS_READ = "orders:read", "Read orders"
    ORDERS_WRITE = "orders:write", "Fulfil, cancel and refund orders"
    SHIPPING_READ = "shipping:read", "Read shipping zones and rates"
    SHIPPING_WRITE = "shipping:write", "Create, change and delete shipping zones and rates"
    DISCOUNTS_READ = "discounts:read", "Read discount codes and their uses"
    DISCOUNTS_WRITE = "discounts:write", "Create, change and delete discount codes"
    REVIEWS_READ = "reviews:read", "Read reviews"
    REVIEWS_WRITE = "reviews:write", "Moderate and reply to reviews"
    POSTS_READ = "posts:read", "Read shoppable posts"
    POSTS_WRITE = "posts:write", "Create, change and delete shoppable posts"
    POLLS_READ = "polls:read", "Read polls and their results"
    POLLS_WRITE = "polls:write", "Create and close polls"
    CHANNELS_READ = "channels:read", "Read channel connections and sync status"
    WEBHOOKS_WRITE = "webhooks:write", "Manage webhook subscriptions"
    ANALYTICS_READ = "analytics:read", "Read analytics: sales, sessions, funnel, breakdowns"
    EVENTS_READ = "events:read", "Read past events (webhook catch-up)"


class ApiKey(models.Model):
    """A partner's key. Only the SHA-256 of the secret is kept; ``prefix`` identifies it.

    Used as ``request.user`` by the API's authentication, hence ``is_authenticated``.
    """

    name = models.CharField(max_length=100, help_text="Who uses it, e.g. “ERP sync”.")
    prefix = models.CharField(max_length=16, editable=False)
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = ArrayField(models.CharField(max_length=32, choices=Scope.choices), default=list)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    is_authenticated = True
    is_anonymous = False
    is_staff = False

    class Meta:
        verbose_name = "API key"
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_read_only(self) -> bool:
        """Only ``…:read`` scopes: the key may read, never write."""
        return all(scope.endswith(":read") for scope in self.scopes)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class IdempotencyRecord(models.Model):
    """The stored answer to a POST sent with an ``Idempotency-Key``, kept 24 hours
    (see ``shops.api.idempotency``).

    ``owner`` is who sent it (``key:<id>`` or ``user:<id>`` in the partner API,
    ``shopper`` for buy-now): keys are per shop (the schema) and per owner. The unique
    constraint makes concurrent requests with one key race to a single row; the loser
    sees ``status_code`` still null (in progress). ``claimed_at`` says which request
    holds the claim (it changes when a stale claim is taken over).
    The answer is kept as the bytes sent (text, not jsonb, which would reorder its keys),
    so a replay is identical to the first answer.
    """

    owner = models.CharField(max_length=40)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(
        blank=True, default="", help_text="The JSON answer as sent, byte for byte."
    )
    created = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(default=timezone.now)
    resource = models.CharField(
        max_length=100,
        blank=True,
        default="",
        help_text="What the request made before it answered (buy-now: the order's id).",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="api_idempotency_once")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
