"""The merchant's catalog admin. Forms validate; every save goes through the catalog
services, as the API's, the import's and the demo's do, and writes one outbox row per
product change, however many inlines the save touched."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from catalog.categories import google_category_suggestion
from catalog.collections import (
    collection_create,
    collection_delete,
    collection_products,
    collection_set_products,
    collection_update,
    validate_rules,
)
from catalog.exports import products_export_csv
from catalog.images import (
    image_admin_thumbnail,
    product_image_add,
    product_image_remove,
    upload_check,
)
from catalog.import_jobs import import_job_create, import_jobs_delete
from catalog.models import (
    CatalogChange,
    Collection,
    CollectionProduct,
    ImportJob,
    Product,
    ProductImage,
    Variant,
)
from catalog.readiness import CHANNEL_NAMES, Facts, product_readiness
from catalog.services import (
    VariantInput,
    outbox_batch,
    product_create,
    product_image_update,
    product_update,
    products_delete,
    products_set_status,
    sanitize_description,
    shop_currency,
    validate_gtin,
    variant_create,
    variant_delete,
    variant_update,
)
from catalog.shopify_csv import CsvRefused, max_bytes
from shops.currencies import minor_units, validate_amount
from shops.unset import UNSET

# Where the product admin's readiness reads a product's facts. The link and image-link
# rules need the addresses the channels send, which shops.channels (a layer above the
# catalog) knows: its admin module sets the function (``readiness_facts_set``). Until
# then the rules run on the product alone (``Facts.of``).
_readiness_facts: list[Callable[[Product], Facts]] = [Facts.of]


def readiness_facts_set(facts: Callable[[Product], Facts]) -> None:
    """Have the product admin check channel readiness on ``facts(product)``."""
    _readiness_facts[:] = [facts]


def _readiness(product: Product) -> dict[str, list[str]]:
    return product_readiness(product, facts=_readiness_facts[0](product))


def format_price(amount: Decimal | None, currency: str | None = None) -> str:
    if amount is None:
        return ""
    currency = currency or shop_currency()
    return f"{amount:.{minor_units(currency)}f} {currency}"


class ProductForm(forms.ModelForm):
    use_suggested_category = forms.BooleanField(
        label="Use the suggested Google category",
        required=False,
        help_text="Stored only when ticked; an empty category is never filled in unasked.",
    )

    class Meta:
        model = Product
        fields = (
            "title",
            "slug",
            "status",
            "description",
            "brand",
            "product_type",
            "tags",
            "condition",
            "requires_shipping",
            "option1_name",
            "option2_name",
            "option3_name",
            "gtin",
            "mpn",
            "is_custom_goods",
            "google_product_category",
            "seo_title",
            "seo_description",
        )
        labels = {
            "option1_name": "Option 1 name",
            "option2_name": "Option 2 name",
            "option3_name": "Option 3 name",
            "gtin": "GTIN (barcode)",
            "mpn": "MPN (manufacturer part number)",
            "seo_title": "Search engine title",
            "seo_description": "Search engine description",
        }
        help_texts = {
            "status": "New products start as Draft: shoppers and channels see a product "
            "once it is Active.",
        }

    def clean_description(self) -> str:
        return sanitize_description(self.cleaned_data.get("description", ""))

    def clean_gtin(self) -> str:
        gtin = self.cleaned_data.get("gtin", "").strip()
        validate_gtin(gtin)
        return gtin

    def clean_tags(self) -> list[str]:
        tags = self.cleaned_data.get("tags") or []
        return list(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        product = self.instance
        suggestion = google_category_suggestion(
            product_type=product.product_type, title=product.title
        )
        field = self.fields["use_suggested_category"]
        if product.google_product_category:
            field.disabled, field.help_text = True, "The product has its category."
        elif suggestion:
            field.label = f"Use the suggested Google category: {suggestion}"
        else:
            field.disabled = True
            field.help_text = (
                "No suggestion for this title and type (saved ones): enter the category."
            )

    def clean(self) -> dict:
        """A ticked suggestion (from the type and title as entered) becomes the category,
        unless one was entered."""
        cleaned = super().clean()
        if cleaned.get("use_suggested_category") and not cleaned.get("google_product_category"):
            cleaned["google_product_category"] = google_category_suggestion(
                product_type=cleaned.get("product_type", ""), title=cleaned.get("title", "")
            )
        return cleaned

    @property
    def saved_changes(self) -> list[str]:
        """Fields whose cleaned value differs from what was stored.

        ``changed_data`` compares the raw input, so a description that sanitizes back to
        the stored HTML would count as a change and wake every channel for nothing.
        """
        return [
            name
            for name in self.changed_data
            if name not in self.cleaned_data or self.cleaned_data[name] != self.initial.get(name)
        ]


class VariantForm(forms.ModelForm):
    class Meta:
        model = Variant
        fields = (
            "sku",
            "option1",
            "option2",
            "option3",
            "price",
            "compare_at_price",
            "stock",
            "weight_grams",
            "gtin",
            "mpn",
            "position",
        )
        labels = {
            "sku": "SKU",
            "option1": "Option 1",
            "option2": "Option 2",
            "option3": "Option 3",
            "weight_grams": "Weight (g)",
        }

    def clean_gtin(self) -> str:
        gtin = (self.cleaned_data.get("gtin") or "").strip()
        validate_gtin(gtin)
        return gtin

    def _amount(self, name: str) -> Decimal | None:
        amount = self.cleaned_data.get(name)
        if amount is not None:
            validate_amount(amount, shop_currency(), field=name.replace("_", " "))
        return amount

    def clean_price(self) -> Decimal | None:
        return self._amount("price")

    def clean_compare_at_price(self) -> Decimal | None:
        return self._amount("compare_at_price")

    def clean_stock(self) -> int:
        stock = self.cleaned_data.get("stock")
        if stock is not None and stock < 0:
            raise ValidationError("Stock cannot be negative.", code="negative_stock")
        return stock


def variant_form_save(*, variant: Variant, data: dict[str, Any]) -> Variant:
    """A variant form's cleaned data through ``variant_update``; ``variant`` as stored
    (the form's instance already holds the posted values). The fields a form lacks (the
    stock list's has only stock) keep their value."""
    return variant_update(
        variant=variant,
        sku=data.get("sku", UNSET),
        option1=data.get("option1", UNSET),
        option2=data.get("option2", UNSET),
        option3=data.get("option3", UNSET),
        price=data.get("price", UNSET),
        compare_at_price=data.get("compare_at_price", UNSET),
        stock=data.get("stock", UNSET),
        weight_grams=data.get("weight_grams", UNSET),
        gtin=data.get("gtin", UNSET),
        mpn=data.get("mpn", UNSET),
        position=data.get("position", UNSET),
    )


def inline_changes(formset, rows: QuerySet) -> Iterator[tuple[str, forms.ModelForm, Any]]:
    """What saving an inline formset is to do, form by form, as its ``save()`` decides:
    ``("delete", form, row)``, ``("change", form, row)`` or ``("add", form, None)``;
    unchanged forms are left out. ``row`` is the form's row as ``rows`` read it (the
    form's instance already holds the posted values); one deleted meanwhile is left out."""
    stored = {row.pk: row for row in rows}
    deleted = formset.deleted_forms
    for form in formset.initial_forms:
        row = stored.get(form.instance.pk)
        if row is not None and form in deleted:
            yield "delete", form, row
        elif row is not None and form.has_changed():
            yield "change", form, row
    for form in formset.extra_forms:
        if form not in deleted and form.has_changed():
            yield "add", form, None


class VariantInline(admin.TabularInline):
    model = Variant
    form = VariantForm
    readonly_fields = ("held", "available")
    extra = 0
    min_num = 1  # a product without options still has one variant
    validate_min = True


class ProductImageForm(forms.ModelForm):
    upload = forms.FileField(
        required=False,
        help_text="JPEG, PNG, WebP or GIF. Location and camera data are removed.",
    )

    class Meta:
        model = ProductImage
        fields = ("alt_text", "position")

    def clean_upload(self):
        """Refuse what is not an acceptable image here, next to the file field."""
        upload = self.cleaned_data.get("upload")
        if upload:
            upload_check(upload)
        return upload


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    form = ProductImageForm
    extra = 1
    fields = ("preview", "upload", "alt_text", "position", "status", "error")
    readonly_fields = ("preview", "status", "error")

    @admin.display(description="Image")
    def preview(self, image: ProductImage) -> str:
        if not image.pk:
            return ""
        return image_admin_thumbnail(image)


class FilledValuesFilter(admin.AllValuesFieldListFilter):
    """The values in use, less the empty one (Django lists it as a link without text)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lookup_choices = [value for value in self.lookup_choices if value != ""]


class ProductExportMixin:
    """An "Export CSV" link on the product list, streaming the Shopify product CSV."""

    change_list_template = "admin/catalog/product/change_list.html"

    def get_urls(self) -> list:
        export = path(
            "export/", self.admin_site.admin_view(self.export_view), name="catalog_product_export"
        )
        return [export, *super().get_urls()]

    def export_view(self, request: HttpRequest) -> StreamingHttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        response = StreamingHttpResponse(
            products_export_csv(base_url=request.build_absolute_uri("/").rstrip("/")),
            content_type="text/csv; charset=utf-8",
        )
        slug = getattr(request.tenant, "slug", "shop")
        response["Content-Disposition"] = f'attachment; filename="{slug}-products.csv"'
        return response


@admin.register(Product)
class ProductAdmin(ProductExportMixin, admin.ModelAdmin):
    form = ProductForm
    inlines = [VariantInline, ProductImageInline]
    list_display = (
        "thumbnail",
        "title",
        "status",
        "price_range",
        "stock_total",
        "channels",
        "updated",
    )
    list_display_links = ("thumbnail", "title")
    list_filter = (
        "status",
        "condition",
        ("product_type", FilledValuesFilter),
        ("brand", FilledValuesFilter),
    )
    search_fields = ("title", "slug", "brand", "product_type", "variants__sku")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("channel_readiness", "created", "updated")
    actions = ["publish", "unpublish", "archive"]
    list_per_page = 50
    fieldsets = (
        (None, {"fields": ("title", "slug", "status", "description")}),
        (
            "Organisation",
            {"fields": ("brand", "product_type", "tags", "condition", "requires_shipping")},
        ),
        (
            "Options",
            {
                "fields": ("option1_name", "option2_name", "option3_name"),
                "description": "Name the options variants differ by, e.g. Size, Colour.",
            },
        ),
        (
            "Identifiers",
            {
                "fields": (
                    "gtin",
                    "mpn",
                    "is_custom_goods",
                    "google_product_category",
                    "use_suggested_category",
                ),
                "description": "Each variant has its own barcode (GTIN) and MPN in the "
                "variants below; these are the product's, used where a variant has none.",
            },
        ),
        ("Search engines", {"fields": ("seo_title", "seo_description"), "classes": ("collapse",)}),
        ("Sales channels", {"fields": ("channel_readiness",)}),
        ("Dates", {"fields": ("created", "updated")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # the list shows prices, stock and readiness from prefetched rows: constant queries
        return super().get_queryset(request).prefetch_related("variants", "images")

    @admin.display(description="Image")
    def thumbnail(self, product: Product) -> str:
        images = product.images.all()  # prefetched, in position order
        return image_admin_thumbnail(images[0]) if images else "—"

    @admin.display(description="Price")
    def price_range(self, product: Product) -> str:
        prices = [variant.price for variant in product.variants.all()]
        if not prices:
            return "—"
        low, high = min(prices), max(prices)
        return format_price(low) if low == high else f"{format_price(low)} to {format_price(high)}"

    @admin.display(description="Stock")
    def stock_total(self, product: Product) -> int:
        return sum(variant.stock for variant in product.variants.all())

    @admin.display(description="Channels")
    def channels(self, product: Product) -> str:
        readiness = _readiness(product)
        return format_html_join(
            " ",
            '<span title="{}" style="color:{}">{} {}</span>',
            (
                (
                    "; ".join(reasons) or "Ready",
                    "#a4161a" if reasons else "#0a5c4a",
                    "✗" if reasons else "✓",
                    CHANNEL_NAMES[channel],
                )
                for channel, reasons in readiness.items()
            ),
        )

    @admin.display(description="Channel readiness")
    def channel_readiness(self, product: Product) -> str:
        if not product.pk:
            return "Save the product to see where it can be listed."
        rows = []
        for channel, reasons in _readiness(product).items():
            status = "Ready" if not reasons else "Not listed: " + "; ".join(reasons)
            rows.append((CHANNEL_NAMES[channel], status))
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li><strong>{}</strong>: {}</li>", rows)
        )

    def save_model(self, request: HttpRequest, obj: Product, form, change: bool) -> None:
        """Nothing yet: ``save_related`` writes the product with its variants and images."""

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        """Write the product, then its variants and images, through the catalog services
        (one transaction: the admin's view is atomic), as one outbox row naming every
        aspect that moved; the cached shop page is kept when only stock counts moved,
        none across zero (the services say which)."""
        with outbox_batch():
            fields = {name: form.cleaned_data[name] for name in ProductForm.Meta.fields}
            if change:
                product_update(product=Product.objects.get(pk=form.instance.pk), **fields)
            else:
                # the form's instance is the object the admin logs and redirects to
                form.instance.pk = product_create(**fields).pk
            for formset in formsets:
                self.save_formset(request, form, formset, change)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        """An inline's rows through the catalog services. The formset's new, changed and
        deleted objects are set as its ``save()`` sets them: the change message and the
        history read them."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is Variant:
            self._variants_save(form.instance, formset)
        elif formset.model is ProductImage:
            self._images_save(form.instance, formset)
        else:
            super().save_formset(request, form, formset, change)

    @staticmethod
    def _variants_save(product: Product, formset) -> None:
        rows = Variant.objects.filter(product=product)
        for action, variant_form, variant in inline_changes(formset, rows):
            if action == "delete":
                variant_delete(variant=variant)
                formset.deleted_objects.append(variant)
            elif action == "change":
                variant_form_save(variant=variant, data=variant_form.cleaned_data)
                formset.changed_objects.append((variant, variant_form.changed_data))
            else:
                data = variant_form.cleaned_data
                added = VariantInput(
                    sku=data["sku"],
                    price=data["price"],
                    stock=data["stock"],
                    compare_at_price=data["compare_at_price"],
                    options=(data["option1"], data["option2"], data["option3"]),
                    weight_grams=data["weight_grams"],
                    gtin=data.get("gtin", ""),
                    mpn=data.get("mpn", ""),
                    position=data["position"],
                )
                formset.new_objects.append(variant_create(product=product, variant=added))

    @staticmethod
    def _images_save(product: Product, formset) -> None:
        rows = ProductImage.objects.filter(product=product)
        for action, image_form, image in inline_changes(formset, rows):
            data = image_form.cleaned_data
            if action == "delete":
                product_image_remove(image=image)
                formset.deleted_objects.append(image)
            elif data.get("upload"):  # a new picture, or one replacing a row's picture
                added = product_image_add(
                    product=product,
                    file=data["upload"],
                    alt_text=data["alt_text"],
                    position=data["position"],
                )
                formset.new_objects.append(added)
                if image is not None:
                    product_image_remove(image=image)
            elif image is not None:
                product_image_update(
                    image=image, alt_text=data["alt_text"], position=data["position"]
                )
                formset.changed_objects.append((image, image_form.changed_data))

    def delete_model(self, request: HttpRequest, obj: Product) -> None:
        products_delete(product_ids=[obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        products_delete(product_ids=list(queryset.values_list("id", flat=True)))

    @admin.action(description="Publish selected products")
    def publish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_status(request, queryset, Product.Status.ACTIVE, "published")

    @admin.action(description="Unpublish selected products (back to draft)")
    def unpublish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_status(request, queryset, Product.Status.DRAFT, "moved to draft")

    @admin.action(description="Archive selected products")
    def archive(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_status(request, queryset, Product.Status.ARCHIVED, "archived")

    def _set_status(self, request, queryset, status: str, verb: str) -> None:
        count = products_set_status(
            product_ids=list(queryset.values_list("id", flat=True)), status=status
        )
        self.message_user(request, f"{count} product(s) {verb}.", messages.SUCCESS)


class StockForm(forms.ModelForm):
    class Meta:
        model = Variant
        fields = ("stock",)

    def clean_stock(self) -> int:
        stock = self.cleaned_data.get("stock")
        if stock is None or stock < 0:
            raise ValidationError("Stock cannot be negative.", code="negative_stock")
        return stock


@admin.register(Variant)
class StockAdmin(admin.ModelAdmin):
    """Quick stock edits: every variant in one list, stock editable in place."""

    list_display = (
        "sku",
        "product",
        "option_values",
        "price_display",
        "stock",
        "held",
        "available",
    )
    list_editable = ("stock",)
    list_select_related = ("product",)
    search_fields = ("sku", "product__title")
    list_filter = ("product__status",)
    list_per_page = 100
    fields = (
        "product",
        "sku",
        "option1",
        "option2",
        "option3",
        "price",
        "compare_at_price",
        "stock",
        "held",
        "available",
        "weight_grams",
        "gtin",
        "mpn",
        "position",
    )
    readonly_fields = ("held", "available")
    form = VariantForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # A variant stays with its product (no service moves one); the field is kept,
        # disabled, for the form's check that a product's variants differ in options.
        if "product" in form.base_fields:  # a read-only account's form has no fields
            form.base_fields["product"].disabled = True
        return form

    def get_changelist_form(self, request, **kwargs):
        return StockForm

    @admin.display(description="Options")
    def option_values(self, variant: Variant) -> str:
        return " / ".join(variant.options)

    @admin.display(description="Available")
    def available(self, variant: Variant) -> int:
        """On hand less held: what shoppers and channels can buy."""
        return variant.available

    @admin.display(description="Price", ordering="price")
    def price_display(self, variant: Variant) -> str:
        return format_price(variant.price)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # variants are added on their product's page

    def save_model(self, request, obj: Variant, form, change) -> None:
        """Through the service, so the change reaches the outbox (once per product).
        (Variants are only added on their product's page.)"""
        variant_form_save(variant=Variant.objects.get(pk=obj.pk), data=form.cleaned_data)


class CollectionProductInline(admin.TabularInline):
    model = CollectionProduct
    extra = 1
    autocomplete_fields = ("product",)
    fields = ("product", "position")


class CollectionForm(forms.ModelForm):
    class Meta:
        model = Collection
        fields = (
            "title",
            "slug",
            "description",
            "kind",
            "is_published",
            "rule_tags",
            "rule_product_type",
            "rule_min_price",
            "rule_max_price",
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        try:
            validate_rules(
                kind=cleaned.get("kind", ""),
                rule_tags=cleaned.get("rule_tags") or [],
                rule_product_type=cleaned.get("rule_product_type", ""),
                rule_min_price=cleaned.get("rule_min_price"),
                rule_max_price=cleaned.get("rule_max_price"),
            )
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                self.add_error(field, errors)
        return cleaned


# The fields the collection services take (the kind is chosen once, at creation)
COLLECTION_FIELDS = (
    "title",
    "slug",
    "description",
    "is_published",
    "rule_tags",
    "rule_product_type",
    "rule_min_price",
    "rule_max_price",
)


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    form = CollectionForm
    inlines = [CollectionProductInline]
    list_display = ("title", "kind", "is_published", "product_count")
    list_filter = ("kind", "is_published")
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("matching_products",)
    fieldsets = (
        (None, {"fields": ("title", "slug", "description", "kind", "is_published")}),
        (
            "Rules (automatic collections)",
            {
                "fields": ("rule_tags", "rule_product_type", "rule_min_price", "rule_max_price"),
                "description": "A product belongs when it is active and matches every rule set.",
            },
        ),
        ("Products shown", {"fields": ("matching_products",)}),
    )

    @admin.display(description="Products")
    def product_count(self, collection: Collection) -> int:
        return collection_products(collection).count()

    @admin.display(description="Active products it shows now")
    def matching_products(self, collection: Collection) -> str:
        if not collection.pk:
            return "Save the collection to see its products."
        products = list(collection_products(collection)[:50])
        if not products:
            return "None yet."
        return format_html(
            "<ol>{}</ol>", format_html_join("", "<li>{}</li>", ((p.title,) for p in products))
        )

    def get_inlines(self, request, obj):
        return [] if obj is not None and obj.kind == Collection.Kind.AUTOMATIC else self.inlines

    def save_model(self, request, obj: Collection, form, change: bool) -> None:
        """Nothing yet: ``save_related`` writes the collection with its products."""

    def save_related(self, request, form, formsets, change: bool) -> None:
        """The collection, then a manual one's hand-picked products in their positions,
        through catalog.collections (which retires the cached shop page), as the API does."""
        data = form.cleaned_data
        fields = {name: data[name] for name in COLLECTION_FIELDS}
        if change:
            collection = collection_update(
                collection=Collection.objects.get(pk=form.instance.pk), **fields
            )
        else:
            collection = collection_create(kind=data["kind"], **fields)
            form.instance.pk = collection.pk  # the object the admin logs and redirects to
        for formset in formsets:
            kept = [
                row.cleaned_data
                for row in formset.forms
                if row.cleaned_data.get("product") and row not in formset.deleted_forms
            ]
            kept.sort(key=lambda row: row.get("position") or 0)
            collection_set_products(
                collection=collection, product_ids=[row["product"].pk for row in kept]
            )
            # what the admin's history message reads of a saved formset
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def delete_model(self, request, obj) -> None:
        collection_delete(collection=obj)

    def delete_queryset(self, request, queryset) -> None:
        for collection in queryset:
            collection_delete(collection=collection)


@admin.register(CatalogChange)
class CatalogChangeAdmin(admin.ModelAdmin):
    """The outbox, read only: what the sales channels will be told."""

    list_display = ("created", "product_id", "kind", "aspect_list")
    list_filter = ("kind",)
    search_fields = ("product_id",)

    @admin.display(description="Changed")
    def aspect_list(self, change: CatalogChange) -> str:
        return ", ".join(change.aspects)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Product CSV",
        help_text="Shopify's product CSV format, saved as UTF-8. Products with a handle that "
        "exists are updated; the others are created.",
    )


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Product CSV imports: an upload form, then a page following the task's progress."""

    list_display = (
        "__str__",
        "status",
        "progress_bar",
        "created_products",
        "updated_products",
        "error_rows",
        "created",
    )
    list_filter = ("status",)
    fields = (
        "original_name",
        "status",
        "progress_bar",
        "created_products",
        "updated_products",
        "error_rows",
        "message",
        "error_report_link",
        "created",
        "finished",
    )
    readonly_fields = fields
    change_form_template = "admin/catalog/importjob/change_form.html"

    def get_urls(self) -> list:
        report = path(
            "<int:job_id>/error-report/",
            self.admin_site.admin_view(self.report_view),
            name="catalog_importjob_report",
        )
        return [report, *super().get_urls()]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a job is only followed, never edited

    def delete_model(self, request: HttpRequest, obj: ImportJob) -> None:
        import_jobs_delete(job_ids=[obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        import_jobs_delete(job_ids=list(queryset.values_list("id", flat=True)))

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context=None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                with transaction.atomic():
                    job = import_job_create(file=upload, name=upload.name)
            except CsvRefused as refused:
                form.add_error("file", refused.message)
            else:
                self.message_user(request, f"Importing {job.total_rows:,} rows.", messages.SUCCESS)
                return redirect(reverse("admin:catalog_importjob_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import products",
            "opts": self.model._meta,
            "form": form,
            "max_megabytes": max_bytes() // (1024 * 1024),
        }
        return TemplateResponse(request, "admin/catalog/importjob/upload.html", context)

    def report_view(self, request: HttpRequest, job_id: int) -> FileResponse:
        # looked up in this shop's schema: another shop's job is simply not found
        job = get_object_or_404(ImportJob, pk=job_id)
        if not self.has_view_permission(request, job) or not job.error_report:
            raise Http404("This import has no error report.")
        name = (job.original_name or "import").rsplit(".", 1)[0]
        return FileResponse(
            job.error_report.open("rb"),
            as_attachment=True,
            filename=f"{name}-errors.csv",
            content_type="text/csv",
        )

    @admin.display(description="Progress")
    def progress_bar(self, job: ImportJob) -> str:
        return format_html(
            '<progress value="{}" max="{}">{}%</progress> {} / {} rows',
            job.processed_rows,
            job.total_rows or 1,
            job.progress_percent,
            f"{job.processed_rows:,}",
            f"{job.total_rows:,}",
        )

    @admin.display(description="Error report")
    def error_report_link(self, job: ImportJob) -> str:
        if not job.error_report:
            return "No errors." if job.status == ImportJob.Status.SUCCEEDED else "—"
        url = reverse("admin:catalog_importjob_report", args=[job.pk])
        return format_html('<a href="{}">Download the error report (CSV)</a>', url)
