"""Collections: manual (products picked and ordered by hand) and automatic (by rules).

Writes (``collection_*``) validate and save; ``collection_products`` reads the products a
collection shows, in one query whatever its kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.text import slugify

from catalog.models import Collection, CollectionProduct, Product, Variant
from catalog.services import parse_amount
from shops.page_cache import shop_page_changed
from shops.unset import UNSET, Unset, given


def validate_rules(
    *,
    kind: str,
    rule_tags: Sequence[str] = (),
    rule_product_type: str = "",
    rule_min_price: Decimal | None = None,
    rule_max_price: Decimal | None = None,
) -> None:
    errors: dict[str, list[ValidationError]] = {}
    if kind not in Collection.Kind.values:
        errors["kind"] = [ValidationError("A collection is manual or automatic.", code="kind")]
    has_rule = bool(
        rule_tags or rule_product_type or rule_min_price is not None or rule_max_price is not None
    )
    if kind == Collection.Kind.AUTOMATIC and not has_rule:
        errors["rule_tags"] = [
            ValidationError(
                "An automatic collection needs at least one rule: tags, a product type "
                "or a price range.",
                code="no_rules",
            )
        ]
    if (
        rule_min_price is not None
        and rule_max_price is not None
        and rule_min_price > rule_max_price
    ):
        errors["rule_max_price"] = [
            ValidationError(
                "The highest price must not be below the lowest price.", code="price_range"
            )
        ]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def collection_create(
    *,
    title: str,
    kind: str = Collection.Kind.MANUAL,
    slug: str | None = None,
    description: str = "",
    rule_tags: Sequence[str] = (),
    rule_product_type: str = "",
    rule_min_price: Decimal | str | None = None,
    rule_max_price: Decimal | str | None = None,
    product_ids: Sequence[int] = (),
    is_published: bool = True,
) -> Collection:
    title = title.strip()
    if not title:
        raise ValidationError(
            {"title": ValidationError("Give the collection a title.", code="required")}
        )
    low = (
        None if rule_min_price in (None, "") else parse_amount(rule_min_price, field="lowest price")
    )
    high = (
        None
        if rule_max_price in (None, "")
        else parse_amount(rule_max_price, field="highest price")
    )
    tags = [tag.strip() for tag in rule_tags if tag.strip()]
    validate_rules(
        kind=kind,
        rule_tags=tags,
        rule_product_type=rule_product_type.strip(),
        rule_min_price=low,
        rule_max_price=high,
    )
    slug = slug or slugify(title) or "collection"
    if Collection.objects.filter(slug=slug).exists():
        raise ValidationError(
            {"slug": ValidationError("Another collection uses that handle.", code="duplicate_slug")}
        )
    collection = Collection.objects.create(
        title=title,
        slug=slug,
        description=description,
        kind=kind,
        rule_tags=tags,
        rule_product_type=rule_product_type.strip(),
        rule_min_price=low,
        rule_max_price=high,
        is_published=is_published,
    )
    if product_ids:
        collection_set_products(collection=collection, product_ids=product_ids)
    shop_page_changed()
    return collection


@transaction.atomic
def collection_update(
    *,
    collection: Collection,
    title: str | Unset = UNSET,
    slug: str | Unset = UNSET,
    description: str | Unset = UNSET,
    is_published: bool | Unset = UNSET,
    rule_tags: Sequence[str] | Unset = UNSET,
    rule_product_type: str | Unset = UNSET,
    rule_min_price: Decimal | str | Unset | None = UNSET,
    rule_max_price: Decimal | str | Unset | None = UNSET,
    product_ids: Sequence[int] | None = None,
) -> Collection:
    """Change the fields given (those left UNSET keep their value; the kind stays), and
    a manual collection's products when ``product_ids`` is given. Raises ValidationError
    keyed by field."""
    fields = given(
        {
            "title": title,
            "slug": slug,
            "description": description,
            "is_published": is_published,
            "rule_tags": rule_tags,
            "rule_product_type": rule_product_type,
            "rule_min_price": rule_min_price,
            "rule_max_price": rule_max_price,
        }
    )
    if "title" in fields:
        fields["title"] = (fields["title"] or "").strip()
        if not fields["title"]:
            raise ValidationError(
                {"title": ValidationError("Give the collection a title.", code="required")}
            )
    for name, label in (("rule_min_price", "lowest price"), ("rule_max_price", "highest price")):
        if name in fields:
            value = fields[name]
            fields[name] = None if value in (None, "") else parse_amount(value, field=label)
    if "rule_tags" in fields:
        fields["rule_tags"] = [tag.strip() for tag in fields["rule_tags"] if tag.strip()]
    if "rule_product_type" in fields:
        fields["rule_product_type"] = (fields["rule_product_type"] or "").strip()
    if "slug" in fields:
        fields["slug"] = fields["slug"] or slugify(fields.get("title", collection.title))
        if Collection.objects.filter(slug=fields["slug"]).exclude(pk=collection.pk).exists():
            raise ValidationError(
                {
                    "slug": ValidationError(
                        "Another collection uses that handle.", code="duplicate_slug"
                    )
                }
            )
    for name, value in fields.items():
        setattr(collection, name, value)
    validate_rules(
        kind=collection.kind,
        rule_tags=collection.rule_tags,
        rule_product_type=collection.rule_product_type,
        rule_min_price=collection.rule_min_price,
        rule_max_price=collection.rule_max_price,
    )
    if fields:
        collection.save(update_fields=[*fields, "updated"])
        shop_page_changed()
    if product_ids is not None:
        collection_set_products(collection=collection, product_ids=product_ids)
    return collection


def collection_delete(*, collection: Collection) -> None:
    """Delete a collection; its products stay."""
    collection.delete()
    shop_page_changed()


@transaction.atomic
def collection_set_products(*, collection: Collection, product_ids: Sequence[int]) -> None:
    """Replace a manual collection's products with ``product_ids``, in that order."""
    if collection.kind != Collection.Kind.MANUAL:
        raise ValidationError(
            "Only a manual collection has hand-picked products.", code="not_manual"
        )
    ids = list(dict.fromkeys(product_ids))
    known = set(Product.objects.filter(id__in=ids).values_list("id", flat=True))
    missing = [product_id for product_id in ids if product_id not in known]
    if missing:
        raise ValidationError(
            f"No product with id {', '.join(map(str, missing))} in this shop.",
            code="unknown_product",
        )
    shop_page_changed()
    CollectionProduct.objects.filter(collection=collection).delete()
    CollectionProduct.objects.bulk_create(
        CollectionProduct(collection=collection, product_id=product_id, position=position)
        for position, product_id in enumerate(ids)
    )


def collection_products(collection: Collection, *, include_unpublished: bool = False) -> QuerySet:
    """The products a collection shows (active only unless asked), in its order; one query."""
    products = Product.objects.all()
    if not include_unpublished:
        products = products.filter(status=Product.Status.ACTIVE)
    if collection.kind == Collection.Kind.MANUAL:
        return products.filter(collectionproduct__collection=collection).order_by(
            "collectionproduct__position", "id"
        )
    if collection.rule_tags:
        products = products.filter(tags__overlap=collection.rule_tags)
    if collection.rule_product_type:
        products = products.filter(product_type__iexact=collection.rule_product_type)
    if collection.rule_min_price is not None or collection.rule_max_price is not None:
        priced = Variant.objects.filter(product=OuterRef("pk"))
        if collection.rule_min_price is not None:
            priced = priced.filter(price__gte=collection.rule_min_price)
        if collection.rule_max_price is not None:
            priced = priced.filter(price__lte=collection.rule_max_price)
        products = products.filter(Exists(priced))
    return products.order_by("title", "id")
