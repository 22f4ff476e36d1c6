"""The merchant's posts admin: posts with their pictures, the tag editor (click a picture
to place a tag, drag to move it, remove it), consent records for shopper photos, and
click-through (impressions, tag clicks, CTR, attributed orders and revenue) per post.

The form checks everything through the services' validators; saving calls one service,
so a post is saved whole or not at all."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from shops.currencies import minor_units
from shops.json_input import JsonUnreadable, json_input
from shops.media import stored_image_url
from shops.posts import selectors, services
from shops.posts.models import (
    MAX_TAGS_PER_IMAGE,
    Post,
    PostDailyStats,
    PostOrderAttribution,
    ShopperPhotoConsent,
)
from shops.selectors import shop_currency


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleImageField, self).clean(file, initial) for file in files]


def tags_from_json(raw: str) -> list[services.TagInput]:
    """The editor's hidden field: ``[{"product_id", "x", "y", "variant_id"?}, ...]``."""
    try:
        items = json_input(raw or "[]")
    except JsonUnreadable:
        raise ValidationError("The tags could not be read; reload the page.") from None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValidationError("The tags could not be read; reload the page.")
    return [
        services.TagInput(
            product_id=item.get("product_id"),
            x=item.get("x"),
            y=item.get("y"),
            variant_id=item.get("variant_id"),
        )
        for item in items
    ]


class PostForm(forms.ModelForm):
    new_images = MultipleImageField(
        label="Add pictures", required=False, help_text="JPEG, PNG, WebP or GIF; up to ten."
    )
    new_images_alt = forms.CharField(
        label="Alt text of the added pictures", required=False, max_length=255
    )
    confirm_label_removal = forms.BooleanField(
        label="Remove the paid-partnership label from this published post",
        required=False,
        help_text="Shoppers were told this post is a paid partnership; removing the label "
        "is recorded in the audit log.",
    )

    class Meta:
        model = Post
        fields = list(services.POST_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].queryset = ShopperPhotoConsent.objects.all()
        self.image_inputs: list[services.ImageInput] = []
        self.tags_by_image: dict[int, list[services.TagInput]] = {}
        self.remove_image_ids: list[int] = []

    def _post_clean(self) -> None:
        # the services validate the post as a whole (instead of the model's own checks)
        fields = {name: self.cleaned_data.get(name) for name in services.POST_FIELDS}
        fields["published_at"] = self.cleaned_data.get("published_at")
        existing = self.instance if self.instance.pk else None
        try:
            services.post_fields_clean(
                fields=fields,
                post=existing,
                confirm_label_removal=self.cleaned_data.get("confirm_label_removal", False),
            )
        except ValidationError as error:
            self._update_errors(error)
        alt_text = self.cleaned_data.get("new_images_alt", "")
        self.image_inputs = [
            services.ImageInput(file=file, alt_text=alt_text)
            for file in self.cleaned_data.get("new_images") or []
        ]
        own_ids = set(existing.images.values_list("id", flat=True)) if existing else set()
        self.remove_image_ids = [
            int(value) for value in self.data.getlist("remove_image") if value.isdigit()
        ]
        for image_id in own_ids:
            raw = self.data.get(f"tags_{image_id}")
            if raw is None:
                continue
            try:
                tags = tags_from_json(raw)
                services.post_tags_clean(tags=tags)
            except ValidationError as error:
                self.add_error(None, f"Tags: {error.messages[0]}")
                continue
            self.tags_by_image[image_id] = tags
        remaining = len(own_ids - set(self.remove_image_ids))
        try:
            services.post_images_clean(images=self.image_inputs, existing=remaining)
        except ValidationError as error:
            self.add_error("new_images", error.message_dict.get("images", error.messages))
        if not existing and not self.image_inputs and "new_images" not in self.errors:
            self.add_error("new_images", "A post needs at least one picture.")


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    form = PostForm
    change_form_template = "admin/posts/post/change_form.html"
    list_display = (
        "thumbnail",
        "__str__",
        "status",
        "published_at",
        "source",
        "disclosure",
        "impressions",
        "tag_clicks",
        "click_through_rate",
        "attributed_orders",
        "attributed_revenue",
        "tag_problems",
    )
    list_filter = ("status", "source", "is_paid_partnership")
    search_fields = ("caption", "partner_name")
    readonly_fields = ("daily_click_through",)
    fieldsets = (
        (None, {"fields": ("caption", "status", "published_at", "source")}),
        (
            "Disclosure",
            {"fields": ("is_paid_partnership", "partner_name", "confirm_label_removal")},
        ),
        ("Shopper photo", {"fields": ("consent",)}),
        ("Pictures", {"fields": ("new_images", "new_images_alt")}),
        ("Click-through, last 30 days", {"fields": ("daily_click_through",)}),
    )

    def get_queryset(self, request: HttpRequest):
        def total(field: str):
            return Coalesce(
                Subquery(
                    PostDailyStats.objects.filter(post=OuterRef("pk"))
                    .values("post")
                    .annotate(total=Sum(field))
                    .values("total"),
                    output_field=IntegerField(),
                ),
                0,
            )

        paid = PostOrderAttribution.objects.filter(
            post=OuterRef("pk"), order__status__in=selectors.PAID_STATUSES
        ).values("post")
        return (
            super()
            .get_queryset(request)
            .prefetch_related("images")
            .annotate(
                impressions_total=total("impressions"),
                clicks_total=total("tag_clicks"),
                orders_total=Coalesce(Subquery(paid.annotate(n=Count("id")).values("n")), 0),
                revenue_minor=Coalesce(
                    Subquery(
                        paid.annotate(
                            total=Sum(F("order__amount_minor") - F("order__refunded_minor"))
                        ).values("total")
                    ),
                    0,
                ),
                hidden_tags=Count("images__tags", filter=selectors.hidden_tag_count()),
            )
        )

    @admin.display(description="")
    def thumbnail(self, post: Post) -> str:
        images = list(post.images.all())
        if not images:
            return ""
        return format_html(
            '<img src="{}" alt="" width="64" style="height:auto;border-radius:4px">',
            stored_image_url(images[0].stored, 320),
        )

    @admin.display(description="Disclosure")
    def disclosure(self, post: Post) -> str:
        return f"Paid partnership: {post.partner_name}" if post.is_paid_partnership else ""

    @admin.display(description="Impressions", ordering="impressions_total")
    def impressions(self, post: Post) -> int:
        return post.impressions_total

    @admin.display(description="Tag clicks", ordering="clicks_total")
    def tag_clicks(self, post: Post) -> int:
        return post.clicks_total

    @admin.display(description="CTR")
    def click_through_rate(self, post: Post) -> str:
        if not post.impressions_total:
            return "-"
        return f"{100 * post.clicks_total / post.impressions_total:.1f}%"

    @admin.display(description="Paid orders", ordering="orders_total")
    def attributed_orders(self, post: Post) -> int:
        return post.orders_total

    @admin.display(description="Attributed revenue", ordering="revenue_minor")
    def attributed_revenue(self, post: Post) -> str:
        currency = shop_currency()
        return f"{post.revenue_minor / 10 ** minor_units(currency):.2f} {currency}"

    @admin.display(description="Tag problems")
    def tag_problems(self, post: Post) -> str:
        if not post.hidden_tags:
            return ""
        return format_html(
            '<strong style="color:#a4161a">{} hidden from shoppers</strong>', post.hidden_tags
        )

    @admin.display(description="Per day")
    def daily_click_through(self, post: Post) -> str:
        if not post.pk:
            return "-"
        rows = selectors.post_daily_stats(post=post)
        stats = selectors.post_stats(post_ids=[post.pk])[post.pk]
        rate = stats.click_through_rate
        summary = format_html(
            "<p>All time: {} impressions, {} tag clicks, CTR {}, {} paid orders, {} {}</p>",
            stats.impressions,
            stats.tag_clicks,
            f"{100 * rate:.1f}%" if rate is not None else "-",
            stats.orders,
            stats.revenue(shop_currency()),
            shop_currency(),
        )
        if not rows:
            return summary
        table = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((row.day, row.impressions, row.tag_clicks) for row in rows),
        )
        return format_html(
            "{}<table><thead><tr><th>Day</th><th>Impressions</th><th>Tag clicks</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            summary,
            table,
        )

    def changeform_view(
        self, request: HttpRequest, object_id=None, form_url="", extra_context=None
    ):
        extra_context = extra_context or {}
        post = self.get_object(request, object_id) if object_id else None
        if post is not None:
            extra_context["tag_editor_images"] = [
                {
                    "id": image.id,
                    "url": stored_image_url(image.stored, 1080),
                    "width": image.width,
                    "height": image.height,
                    "alt": image.alt_text,
                    "tags_json": json.dumps(selectors.admin_tags(image)),
                }
                for image in post.images.order_by("position", "id")
            ]
            extra_context["tag_editor_products"] = selectors.tag_editor_products()
            extra_context["max_tags"] = MAX_TAGS_PER_IMAGE
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Post, form: PostForm, change: bool) -> None:
        fields = {name: form.cleaned_data.get(name) for name in services.POST_FIELDS}
        if change:
            saved = services.post_update(
                post=obj,
                new_images=form.image_inputs,
                tags_by_image=form.tags_by_image,
                remove_image_ids=form.remove_image_ids,
                confirm_label_removal=form.cleaned_data.get("confirm_label_removal", False),
                **fields,
            )
        else:
            saved = services.post_create(images=form.image_inputs, **fields)
        obj.__dict__.update(saved.__dict__)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        """Nothing: the service saved the pictures and tags with the post."""

    def delete_model(self, request: HttpRequest, obj: Post) -> None:
        services.post_delete(post=obj)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for post in queryset:
            services.post_delete(post=post)


class ConsentForm(forms.ModelForm):
    class Meta:
        model = ShopperPhotoConsent
        fields = (
            "shopper_display_name",
            "shopper_contact",
            "given_at",
            "purpose",
            "review_photo_id",
        )


@admin.register(ShopperPhotoConsent)
class ShopperPhotoConsentAdmin(admin.ModelAdmin):
    """Consent is a record of fact: added once, never edited."""

    form = ConsentForm
    list_display = ("shopper_display_name", "given_at", "purpose", "recorded_by", "recorded_at")
    readonly_fields = ("recorded_by", "recorded_at")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        saved = services.consent_record(recorded_by=request.user, **form.cleaned_data)
        obj.__dict__.update(saved.__dict__)
