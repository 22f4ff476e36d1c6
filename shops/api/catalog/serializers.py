"""Shapes of the catalog API. Output serializers read prefetched rows only; input
serializers check types, and the catalog services do the validating and writing."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Collection, Product, ProductImage, Variant
from shops.api.images import UploadSerializer
from shops.media import file_url_function
from shops.selectors import shop_currency

MONEY = {"max_digits": 12, "decimal_places": 2}


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": r"^\d{1,10}(\.\d{1,2})?$",
        "example": "19.99",
    }
)
class MoneyField(serializers.DecimalField):
    """An amount as a decimal string ("19.99"), never a float; the currency is beside it.
    (Numbers are accepted on input too.)"""

    def __init__(self, **kwargs) -> None:
        super().__init__(**MONEY, **kwargs)


def money(amount: Decimal | None) -> str | None:
    """An amount as MoneyField writes it ("19.90")."""
    return None if amount is None else f"{amount:.{MONEY['decimal_places']}f}"


def _absolute(context: dict, url: str) -> str:
    """``url`` on the request's host. The scheme and host are read once per response
    (kept in the serializers' shared context), not parsed and joined per image."""
    request = context.get("request")
    if not url or request is None:
        return url or ""
    if not url.startswith("/") or url.startswith("//"):
        return request.build_absolute_uri(url)
    if "absolute_base" not in context:
        context["absolute_base"] = request.build_absolute_uri("/")[:-1]
    return context["absolute_base"] + url


def _file_url(context: dict, name: str) -> str:
    """The storage's URL of ``name``, through a function made once per response."""
    if "file_url" not in context:
        context["file_url"] = file_url_function()
    return context["file_url"](name)


class ImageSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(
        help_text="The cleaned full-size file; empty until ready."
    )
    renditions = serializers.SerializerMethodField(help_text="WebP renditions by width.")

    class Meta:
        model = ProductImage
        fields = [
            "id",
            "status",
            "url",
            "renditions",
            "width",
            "height",
            "alt_text",
            "position",
            "source_url",
            "error",
        ]
        read_only_fields = fields

    def get_url(self, image: ProductImage) -> str:
        if image.status != ProductImage.Status.READY or not image.image:
            return ""
        return _absolute(self.context, _file_url(self.context, image.image.name))

    def to_representation(self, image: ProductImage) -> dict:
        """The fields above, built directly (list pages hold many images)."""
        return {
            "id": image.pk,
            "status": image.status,
            "url": self.get_url(image),
            "renditions": self.get_renditions(image),
            "width": image.width,
            "height": image.height,
            "alt_text": image.alt_text,
            "position": image.position,
            "source_url": image.source_url,
            "error": image.error,
        }

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_renditions(self, image: ProductImage) -> dict[str, str]:
        if image.status != ProductImage.Status.READY:
            return {}
        return {
            str(width): _absolute(self.context, _file_url(self.context, name))
            for width, name in sorted((int(w), n) for w, n in (image.renditions or {}).items())
        }


class CurrencyMixin(serializers.Serializer):
    currency = serializers.SerializerMethodField(help_text="ISO 4217 code of the amounts.")

    def get_currency(self, _obj) -> str:
        return shop_currency()


class VariantSerializer(CurrencyMixin, serializers.ModelSerializer):
    price = MoneyField(read_only=True)
    compare_at_price = MoneyField(read_only=True, allow_null=True)
    options = serializers.ListField(child=serializers.CharField(), read_only=True)
    stock = serializers.IntegerField(
        read_only=True,
        help_text="Stock on hand: the units the shop physically has, held ones included "
        "(what a count sets through the stock action's set).",
    )
    held = serializers.IntegerField(
        read_only=True, help_text="Units of the stock on hand reserved by unpaid orders."
    )
    available = serializers.IntegerField(
        read_only=True,
        help_text="Units that can be sold: stock on hand less held (never below 0).",
    )

    def to_representation(self, variant: Variant) -> dict:
        """The fields below, built directly: a page of products holds hundreds of variants
        and DRF's field-by-field path was most of its time."""
        return {
            "id": variant.pk,
            "product": variant.product_id,
            "sku": variant.sku,
            "options": variant.options,
            "price": money(variant.price),
            "compare_at_price": money(variant.compare_at_price),
            "currency": self.get_currency(variant),
            "stock": variant.stock,
            "held": variant.held,
            "available": variant.available,
            "weight_grams": variant.weight_grams,
            "gtin": variant.gtin,
            "mpn": variant.mpn,
            "position": variant.position,
        }

    class Meta:
        model = Variant
        fields = [
            "id",
            "product",
            "sku",
            "options",
            "price",
            "compare_at_price",
            "currency",
            "stock",
            "held",
            "available",
            "weight_grams",
            "gtin",
            "mpn",
            "position",
        ]
        read_only_fields = fields


class ProductSerializer(serializers.ModelSerializer):
    option_names = serializers.ListField(child=serializers.CharField(), read_only=True)
    # the viewset prefetches these as plain lists
    variants = VariantSerializer(many=True, read_only=True, source="variant_list")
    images = ImageSerializer(many=True, read_only=True, source="image_list")

    def to_representation(self, product: Product) -> dict:
        """The fields below, built directly, like a variant's: a page holds 100 products
        and DRF's field-by-field path was half of its time."""
        fields = self.fields
        computed = {
            "option_names": product.option_names,
            "variants": fields["variants"].to_representation(product.variant_list),
            "images": fields["images"].to_representation(product.image_list),
            "created": fields["created"].to_representation(product.created),
            "updated": fields["updated"].to_representation(product.updated),
        }
        return {
            name: computed[name] if name in computed else getattr(product, name)
            for name in self.Meta.fields
        }

    class Meta:
        model = Product
        fields = [
            "id",
            "title",
            "slug",
            "description",
            "status",
            "brand",
            "product_type",
            "tags",
            "condition",
            "requires_shipping",
            "gtin",
            "mpn",
            "is_custom_goods",
            "google_product_category",
            "seo_title",
            "seo_description",
            "option_names",
            "variants",
            "images",
            "created",
            "updated",
        ]
        read_only_fields = fields


class VariantInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    price = MoneyField(min_value=0)
    compare_at_price = MoneyField(min_value=0, required=False, allow_null=True)
    stock = serializers.IntegerField(min_value=0, max_value=2**31 - 1, default=0)
    options = serializers.ListField(
        child=serializers.CharField(max_length=120, allow_blank=True), max_length=3, default=list
    )
    weight_grams = serializers.IntegerField(
        min_value=0, max_value=2**31 - 1, required=False, allow_null=True
    )
    gtin = serializers.CharField(
        max_length=14,
        required=False,
        allow_blank=True,
        help_text="The variant's barcode: GTIN-8, 12 (UPC), 13 (EAN) or 14, check digit checked.",
    )
    mpn = serializers.CharField(
        max_length=70,
        required=False,
        allow_blank=True,
        help_text="Manufacturer part number (empty: the product's is used).",
    )


class ProductInputSerializer(serializers.Serializer):
    """Fields of a product; on update every field is optional."""

    title = serializers.CharField(max_length=255)
    slug = serializers.SlugField(max_length=255, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Product.Status.choices, required=False)
    brand = serializers.CharField(max_length=120, required=False, allow_blank=True)
    product_type = serializers.CharField(max_length=120, required=False, allow_blank=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=64), max_length=250, required=False
    )
    condition = serializers.ChoiceField(choices=Product.Condition.choices, required=False)
    requires_shipping = serializers.BooleanField(
        required=False, help_text="A physical product (default): buy-now asks for an address."
    )
    gtin = serializers.CharField(
        max_length=14,
        required=False,
        allow_blank=True,
        help_text="The product's GTIN, sent only for a product with one variant; variants "
        "have their own (``variants[].gtin``).",
    )
    mpn = serializers.CharField(
        max_length=70,
        required=False,
        allow_blank=True,
        help_text="Used by the variants without an MPN of their own.",
    )
    is_custom_goods = serializers.BooleanField(
        required=False,
        help_text="Handmade or one of a kind, without GTIN or MPN: Google lists it with "
        "identifier_exists = no.",
    )
    google_product_category = serializers.CharField(
        max_length=255, required=False, allow_blank=True
    )
    seo_title = serializers.CharField(max_length=255, required=False, allow_blank=True)
    seo_description = serializers.CharField(max_length=320, required=False, allow_blank=True)
    option_names = serializers.ListField(
        child=serializers.CharField(max_length=64, allow_blank=True), max_length=3, required=False
    )

    def product_fields(self) -> dict:
        """validated_data as catalog.services field names."""
        data = dict(self.validated_data)
        data.pop("variants", None)
        if "option_names" in data:
            names = [*data.pop("option_names"), "", "", ""][:3]
            data.update(option1_name=names[0], option2_name=names[1], option3_name=names[2])
        return data


class ProductCreateSerializer(ProductInputSerializer):
    variants = VariantInputSerializer(many=True, required=False, max_length=100)


class ProductFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Product.Status.choices, required=False)
    product_type = serializers.CharField(required=False, help_text="Exact, any case.")
    tag = serializers.CharField(required=False, help_text="Products with this tag.")
    sku = serializers.CharField(required=False, help_text="Products with a variant of this SKU.")
    updated_after = serializers.DateTimeField(required=False, help_text="ISO 8601.")
    updated_before = serializers.DateTimeField(required=False, help_text="ISO 8601.")


class ImageInputSerializer(UploadSerializer):
    """Either ``url`` (JSON: downloaded by a task, ``pending`` meanwhile) or ``file``
    (multipart upload: cleaned at once, or by a task when large)."""

    position = serializers.IntegerField(min_value=0, max_value=32767, required=False)


class VariantFilterSerializer(serializers.Serializer):
    product = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    sku = serializers.CharField(required=False)


class VariantUpdateSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64, required=False)
    price = MoneyField(min_value=0, required=False)
    compare_at_price = MoneyField(min_value=0, required=False, allow_null=True)
    options = serializers.ListField(
        child=serializers.CharField(max_length=120, allow_blank=True), max_length=3, required=False
    )
    weight_grams = serializers.IntegerField(
        min_value=0, max_value=2**31 - 1, required=False, allow_null=True
    )
    gtin = serializers.CharField(
        max_length=14,
        required=False,
        allow_blank=True,
        help_text="The variant's barcode: GTIN-8, 12 (UPC), 13 (EAN) or 14, check digit checked.",
    )
    mpn = serializers.CharField(
        max_length=70,
        required=False,
        allow_blank=True,
        help_text="Manufacturer part number (empty: the product's is used).",
    )

    def variant_fields(self) -> dict:
        data = dict(self.validated_data)
        if "options" in data:
            options = [*data.pop("options"), "", "", ""][:3]
            data.update(option1=options[0], option2=options[1], option3=options[2])
        if "sku" in data:
            data["sku"] = data["sku"].strip()
        return data


class VariantCreateSerializer(VariantInputSerializer):
    product = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class StockInputSerializer(serializers.Serializer):
    """Exactly one of ``adjust`` (relative: +5 received, -2 damaged) or ``set`` (absolute)."""

    adjust = serializers.IntegerField(required=False, min_value=-(2**31), max_value=2**31 - 1)
    set = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1)

    def validate(self, data: dict) -> dict:
        if ("adjust" in data) == ("set" in data):
            raise serializers.ValidationError(
                "Send either adjust (a relative change) or set (the new stock on hand).",
                code="adjust_or_set",
            )
        return data


class CollectionSerializer(CurrencyMixin, serializers.ModelSerializer):
    rule_min_price = MoneyField(read_only=True, allow_null=True)
    rule_max_price = MoneyField(read_only=True, allow_null=True)
    product_ids = serializers.SerializerMethodField(
        help_text="A manual collection's products, in order; empty for automatic ones."
    )

    class Meta:
        model = Collection
        fields = [
            "id",
            "title",
            "slug",
            "description",
            "kind",
            "is_published",
            "rule_tags",
            "rule_product_type",
            "rule_min_price",
            "rule_max_price",
            "currency",
            "product_ids",
            "created",
            "updated",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "array", "items": {"type": "integer"}})
    def get_product_ids(self, collection: Collection) -> list[int]:
        return [row.product_id for row in collection.collectionproduct_set.all()]


class CollectionInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=255)
    slug = serializers.SlugField(max_length=255, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    is_published = serializers.BooleanField(required=False)
    rule_tags = serializers.ListField(
        child=serializers.CharField(max_length=64), max_length=100, required=False
    )
    rule_product_type = serializers.CharField(max_length=120, required=False, allow_blank=True)
    rule_min_price = MoneyField(min_value=0, required=False, allow_null=True)
    rule_max_price = MoneyField(min_value=0, required=False, allow_null=True)
    product_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        max_length=1000,
        required=False,
    )


class CollectionCreateSerializer(CollectionInputSerializer):
    kind = serializers.ChoiceField(choices=Collection.Kind.choices, default="manual")
