"""Shoppable posts of one shop (every table lives in the shop's schema).

A post has one or more pictures (cleaned by the media pipeline, shops.media); each picture
has at most ``MAX_TAGS_PER_IMAGE`` product tags at normalised points. Writes go through
``shops.posts.services``, which validates everything before any row is saved.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

MAX_TAGS_PER_IMAGE = 20  # Instagram's limit for a feed image: posts stay exportable
MAX_IMAGES_PER_POST = 10  # an Instagram carousel holds at most ten


class ShopperPhotoConsent(models.Model):
    """A shopper's recorded permission to show their photo as a post.

    The source is named by id only (``review_photo_id``, no foreign key): reviews live in
    another app, and the post keeps its own copy of the picture anyway.
    """

    shopper_display_name = models.CharField(max_length=120, help_text="Credited on the post.")
    shopper_contact = models.CharField(
        max_length=254, blank=True, help_text="How the shopper was asked (email, handle)."
    )
    given_at = models.DateTimeField(help_text="When the shopper said yes.")
    purpose = models.CharField(
        max_length=255, help_text="What the shopper agreed to, e.g. “shop page and Instagram”."
    )
    review_photo_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.shopper_display_name}, {self.given_at:%Y-%m-%d}: {self.purpose}"


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    class Source(models.TextChoices):
        MERCHANT = "merchant", "Merchant"
        SHOPPER_PHOTO = "shopper_photo", "Shopper photo"
        IMPORTED = "imported", "Imported from Instagram"

    caption = models.TextField(max_length=2200, blank=True)  # Instagram's caption limit
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="Publish time; shown from then on once published."
    )
    source = models.CharField(max_length=15, choices=Source.choices, default=Source.MERCHANT)
    is_paid_partnership = models.BooleanField("paid partnership / ad", default=False)
    partner_name = models.CharField(max_length=120, blank=True)
    paid_partnership_shown_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When shoppers were first shown the post as a paid partnership; its label "
        "is then removed only with a confirmation, recorded in the audit log.",
    )
    consent = models.OneToOneField(
        ShopperPhotoConsent, null=True, blank=True, on_delete=models.PROTECT, related_name="post"
    )
    external_id = models.CharField("Instagram media id", max_length=64, blank=True)
    permalink = models.URLField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="posts_post_published"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_paid_partnership=False) | ~Q(partner_name=""),
                name="posts_post_partner_named",
            ),
            models.CheckConstraint(
                condition=~Q(source="shopper_photo") | Q(consent__isnull=False),
                name="posts_post_shopper_photo_consented",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="posts_post_published_has_time",
            ),
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="posts_post_external"
            ),
        ]

    def __str__(self) -> str:
        first_line = (self.caption or "").strip().split("\n")[0]
        return first_line[:60] or f"Post {self.pk}"


class PostImage(models.Model):
    """A cleaned picture of a post: its file and WebP renditions in the shop's media folder."""

    post = models.ForeignKey(Post, related_name="images", on_delete=models.CASCADE)
    name = models.CharField(max_length=255)  # storage name of the cleaned file
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    renditions = models.JSONField(default=dict)  # {"320": "posts/abc-320.webp", ...}
    alt_text = models.CharField(max_length=255, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["post_id", "position", "id"]

    def __str__(self) -> str:
        return self.alt_text or self.name

    @property
    def stored(self) -> dict:
        """The reference ``shops.media.stored_image_url`` reads."""
        return {
            "name": self.name,
            "width": self.width,
            "height": self.height,
            "renditions": self.renditions,
        }


class PostTag(models.Model):
    """A product tagged at a point of a picture (x, y from its top left, 0 to 1).

    A deleted product leaves the tag behind with no product (``product_title`` says what it
    was): shoppers never see it, the admin flags it, as it does a tag to an archived one.
    """

    image = models.ForeignKey(PostImage, related_name="tags", on_delete=models.CASCADE)
    product = models.ForeignKey(
        "catalog.Product", null=True, on_delete=models.SET_NULL, related_name="post_tags"
    )
    variant = models.ForeignKey(
        "catalog.Variant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    product_title = models.CharField(max_length=255)
    x = models.FloatField()
    y = models.FloatField()

    class Meta:
        ordering = ["image_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(x__gte=0, x__lte=1, y__gte=0, y__lte=1), name="posts_tag_in_image"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_title} at ({self.x:.3f}, {self.y:.3f})"


class PostDailyStats(models.Model):
    """Impressions and tag clicks of a post on one day: one counter row, incremented by
    an ``INSERT … ON CONFLICT DO UPDATE`` (services.post_events_record)."""

    post = models.ForeignKey(Post, related_name="daily_stats", on_delete=models.CASCADE)
    day = models.DateField()
    impressions = models.BigIntegerField(default=0)
    tag_clicks = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["post_id", "-day"]
        constraints = [
            models.UniqueConstraint(fields=["post", "day"], name="posts_stats_post_day"),
        ]

    def __str__(self) -> str:
        return f"post {self.post_id} on {self.day}: {self.impressions} / {self.tag_clicks}"


class PostOrderAttribution(models.Model):
    """An order placed after a tag click on a post (the click's page-view token came with
    the buy-now request). Revenue counts once the order is paid (selectors)."""

    order = models.OneToOneField(
        "orders.Order", on_delete=models.CASCADE, related_name="post_attribution"
    )
    post = models.ForeignKey(Post, related_name="attributions", on_delete=models.CASCADE)
    view_token = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"order {self.order_id} after post {self.post_id}"
