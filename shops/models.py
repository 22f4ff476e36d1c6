"""Public-schema models: a shop (tenant), its domains, and the template of its schema."""

from __future__ import annotations

from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

from shops.currencies import validate_currency


class Shop(TenantMixin):
    """A merchant's shop. Its data lives in its own PostgreSQL schema (``schema_name``)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=40, unique=True)
    owner_email = models.EmailField()
    currency = models.CharField(
        max_length=3,
        default="EUR",
        validators=[validate_currency],
        help_text="ISO 4217 code of the currency the shop sells in.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    created = models.DateTimeField(auto_now_add=True)

    # Schemas are made by shops.services.shop_create from the template, inside the
    # signup transaction, never by django-tenants' slower migrate-per-shop path.
    auto_create_schema = False
    auto_drop_schema = True

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Domain(DomainMixin):
    """A host name that reaches a shop: ``<slug>.<PLATFORM_DOMAIN>`` or a custom domain."""

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class SchemaTemplate(models.Model):
    """The DDL of a freshly migrated shop schema, replayed to create a shop in one round trip.

    ``fingerprint`` hashes the migration files of every shop app, so a row is only used
    while the code's migrations are the ones it was built from.
    """

    fingerprint = models.CharField(max_length=64, unique=True)
    ddl = models.TextField()
    table_count = models.PositiveIntegerField()
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"schema template {self.fingerprint[:12]} ({self.table_count} tables)"
