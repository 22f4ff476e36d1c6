"""The shop's catalog: products, variants, images, collections, the outbox and imports.

Every table lives in the shop's schema, so "unique" below means unique within one shop.
Writes go through catalog.services, which validates and records outbox rows.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q


class Product(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    class Condition(models.TextChoices):
        NEW = "new", "New"
        REFURBISHED = "refurbished", "Refurbished"
        USED = "used", "Used"

    title = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True, allow_unicode=False)
    description = models.TextField(blank=True, help_text="Limited HTML; sanitized on save.")
    brand = models.CharField(max_length=120, blank=True)
    product_type = models.CharField(max_length=120, blank=True)
    tags = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    condition = models.CharField(max_length=12, choices=Condition.choices, default=Condition.NEW)
    requires_shipping = models.BooleanField(
        default=True,
        help_text="A physical product: buying it asks for a shipping address. "
        "Untick for digital goods (downloads, gift cards, services).",
    )
    # The product's own identifiers, kept for the shop page's structured data and as a
    # fallback: a variant's GTIN and MPN (Variant.gtin / mpn) win. The channels send the
    # product's GTIN only for a product with one variant (variants of one product never
    # share a GTIN), its MPN for any variant without one of its own.
    gtin = models.CharField(
        "GTIN",
        max_length=14,
        blank=True,
        help_text="For a product with one variant; variants have their own barcodes.",
    )
    mpn = models.CharField(
        "MPN", max_length=70, blank=True, help_text="Used by variants without their own MPN."
    )
    is_custom_goods = models.BooleanField(
        "custom goods (no GTIN or MPN)",
        default=False,
        help_text="Handmade, made to order or one of a kind: no manufacturer assigned a "
        "barcode or part number. Google lists it with identifier_exists = no.",
    )
    google_product_category = models.CharField(
        max_length=255,
        blank=True,
        help_text="Google's category path, e.g. “Apparel & Accessories > Clothing”.",
    )
    seo_title = models.CharField("SEO title", max_length=255, blank=True)
    seo_description = models.CharField("SEO description", max_length=320, blank=True)
    option1_name = models.CharField(max_length=64, blank=True)
    option2_name = models.CharField(max_length=64, blank=True)
    option3_name = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        indexes = [
            GinIndex(fields=["tags"], name="catalog_product_tags_gin"),
            models.Index(fields=["status", "title"], name="catalog_product_status_title"),
            models.Index(fields=["product_type"], name="catalog_product_type"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def option_names(self) -> list[str]:
        return [name for name in (self.option1_name, self.option2_name, self.option3_name) if name]


class Variant(models.Model):
    product = models.ForeignKey(Product, related_name="variants", on_delete=models.CASCADE)
    sku = models.CharField("SKU", max_length=64, unique=True)
    option1 = models.CharField(max_length=120, blank=True)
    option2 = models.CharField(max_length=120, blank=True)
    option3 = models.CharField(max_length=120, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    compare_at_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # stock is what the shop physically holds (what a merchant counts and sets); held is
    # the part of it reserved by unpaid orders; ``available`` (on hand - held) is what
    # can be sold: shop pages, buy-now, feeds and channel pushes read that.
    stock = models.IntegerField("stock on hand", default=0)
    held = models.IntegerField(
        "held", default=0, help_text="Units reserved by unpaid orders (part of stock on hand)."
    )
    weight_grams = models.PositiveIntegerField(null=True, blank=True)
    gtin = models.CharField(
        "barcode (GTIN)",
        max_length=14,
        blank=True,
        help_text="The variant's own UPC, EAN, JAN or ISBN: 8, 12, 13 or 14 digits.",
    )
    mpn = models.CharField("MPN", max_length=70, blank=True)
    position = models.PositiveIntegerField(default=0)
    # the picture the product page shows when this variant is chosen (one of its
    # product's images; catalog.services checks that)
    image = models.ForeignKey(
        "ProductImage", related_name="variants", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["product_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "option1", "option2", "option3"],
                name="catalog_variant_unique_options",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="catalog_variant_price_gte_0"),
            models.CheckConstraint(
                condition=Q(compare_at_price__isnull=True) | Q(compare_at_price__gte=0),
                name="catalog_variant_compare_at_gte_0",
            ),
            models.CheckConstraint(condition=Q(stock__gte=0), name="catalog_variant_stock_gte_0"),
            models.CheckConstraint(condition=Q(held__gte=0), name="catalog_variant_held_gte_0"),
        ]

    def __str__(self) -> str:
        options = " / ".join(o for o in (self.option1, self.option2, self.option3) if o)
        return f"{self.sku} ({options})" if options else self.sku

    def save(self, *args, **kwargs) -> None:
        """Saving a form's row never writes ``held``: only catalog.services' conditional
        UPDATEs move it, so a page read before a buyer's hold cannot undo the hold."""
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.attname
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "held"
            ]
        super().save(*args, **kwargs)

    @property
    def options(self) -> list[str]:
        return [o for o in (self.option1, self.option2, self.option3) if o]

    @property
    def available(self) -> int:
        """Units that can be sold: on hand less those held by unpaid orders (0 when a
        count set below the holds leaves fewer on hand than held)."""
        return max(self.stock - self.held, 0)


def variant_identifiers(
    product: Product | Any, variant: Variant | Any, variants: int
) -> tuple[str, str]:
    """(GTIN, MPN) of a variant as the channels and the export send it: its own, else
    the product's GTIN when the product has one variant only (``variants``: how many it
    has; variants never share a GTIN) and the product's MPN. Takes models or the
    channels' rows."""
    gtin = variant.gtin or (product.gtin if variants == 1 else "")
    return gtin, variant.mpn or product.mpn


def product_image_path(instance: ProductImage, filename: str) -> str:
    # The storage puts every shop's files in a folder of its own (MEDIA_ROOT/<schema>/).
    return f"products/{filename}"


class ProductImage(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # waiting for its download or renditions
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    product = models.ForeignKey(Product, related_name="images", on_delete=models.CASCADE)
    image = models.ImageField(
        upload_to=product_image_path, blank=True, width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    alt_text = models.CharField(max_length=255, blank=True)
    position = models.PositiveIntegerField(default=0)
    # {"320": "products/abc-320.webp", "640": ...}: storage names by width
    renditions = models.JSONField(default=dict, blank=True)
    source_url = models.URLField(max_length=2000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.READY)
    error = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["product_id", "position", "id"]

    def __str__(self) -> str:
        return self.alt_text or (self.image.name if self.image else self.source_url)


class Collection(models.Model):
    class Kind(models.TextChoices):
        MANUAL = "manual", "Manual: products picked and ordered by hand"
        AUTOMATIC = "automatic", "Automatic: products matching the rules"

    title = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MANUAL)
    is_published = models.BooleanField(default=True)
    # Rules of an automatic collection; a product must match every rule that is set.
    rule_tags = ArrayField(
        models.CharField(max_length=64),
        default=list,
        blank=True,
        help_text="Products with any of these tags.",
    )
    rule_product_type = models.CharField(max_length=120, blank=True)
    rule_min_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    rule_max_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    products = models.ManyToManyField(
        Product, through="CollectionProduct", blank=True, related_name="manual_collections"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class CollectionProduct(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE)
    product = models.ForeignKey(Product, on_delete=models.CASCADE)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["collection_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "product"], name="catalog_collection_once"
            )
        ]

    def __str__(self) -> str:
        return f"collection {self.collection_id} #{self.position}: product {self.product_id}"


class CatalogChange(models.Model):
    """Outbox: one row per product change a sales channel cares about.

    Written in the same transaction as the change, drained by the channel sync. A row
    names the product by id (not a foreign key: a deleted product's row must survive)
    and the aspects that changed, so a stock- or price-only change can be sent alone.
    """

    class Kind(models.TextChoices):
        UPSERT = "upsert", "Created or changed"
        DELETE = "delete", "Deleted"

    class Aspect(models.TextChoices):
        TITLE = "title"
        DESCRIPTION = "description"
        PRICE = "price"
        STOCK = "stock"
        AVAILABILITY = "availability"
        IMAGES = "images"
        STATUS = "status"
        DETAILS = "details"  # brand, type, identifiers, category, options, variants added/removed

    product_id = models.BigIntegerField(db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    aspects = ArrayField(models.CharField(max_length=20), default=list)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} product {self.product_id}: {', '.join(self.aspects)}"


class ImportJob(models.Model):
    """A product CSV import, run by a Celery task; the admin shows its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"

    file = models.FileField(upload_to="imports/")
    original_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_products = models.PositiveIntegerField(default=0)
    updated_products = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    error_report = models.FileField(upload_to="imports/reports/", blank=True)
    message = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"Import {self.original_name or self.pk} ({self.get_status_display()})"

    @property
    def progress_percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
