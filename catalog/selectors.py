"""Reads of the catalog for shoppers: product lists and the product page.

Every read here costs a fixed number of queries, whatever the number of products,
variants and images: the variants and the *ready* images come with ``Prefetch`` objects,
and the helpers below only look at what was prefetched (``product.variants.all()`` and
``product.ready_images``), never at the database.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    F,
    Func,
    Prefetch,
    QuerySet,
    TextField,
    Value,
    Window,
    prefetch_related_objects,
)
from django.db.models.expressions import OrderBy
from django.db.models.functions import RowNumber

from catalog.collections import collection_products
from catalog.models import Collection, Product, ProductImage, Variant
from shops.currencies import money_format

PRODUCTS_PER_PAGE = 24


def _listing_prefetches() -> tuple[Prefetch, Prefetch]:
    """The variants (in their order) and the ready images as ``ready_images``."""
    return (
        Prefetch("variants", queryset=Variant.objects.order_by("position", "id")),
        Prefetch(
            "images",
            queryset=ProductImage.objects.filter(status=ProductImage.Status.READY).order_by(
                "position", "id"
            ),
            to_attr="ready_images",
        ),
    )


def _with_variants_and_images(products: QuerySet[Product]) -> QuerySet[Product]:
    return products.prefetch_related(*_listing_prefetches())


def products_for_listing(*, collection: Collection | None = None) -> QuerySet[Product]:
    """Active products (of a collection, in its order, or all of them by title), with
    their variants and ready images prefetched. Slice or paginate it."""
    if collection is not None:
        products = collection_products(collection)
    else:
        products = Product.objects.filter(status=Product.Status.ACTIVE).order_by("title", "id")
    return _with_variants_and_images(products)


def products_page(
    *,
    page_number: int | str | None,
    per_page: int = PRODUCTS_PER_PAGE,
    collection: Collection | None = None,
) -> Page:
    """One page of ``products_for_listing``; a bad or out-of-range number gives the first
    or last page. Four queries: count, products, variants, images."""
    # cards show no description: leave the longest column in the database
    products = products_for_listing(collection=collection).defer("description")
    paginator = Paginator(products, per_page)
    return paginator.get_page(page_number)


SEARCH_MAX_TERMS = 8
_SEARCH_TERM = re.compile(r"[^\W_]+")


def search_terms(text: str) -> list[str]:
    """The words of a shopper's search (letters and digits, any script), at most eight."""
    return _SEARCH_TERM.findall((text or "").lower())[:SEARCH_MAX_TERMS]


def products_search(*, text: str) -> QuerySet[Product]:
    """Active products matching every word of ``text`` (PostgreSQL full-text, no
    stemming so any language works; a word also matches as a prefix, "mug" finds
    "mugs"), the best matches first: title, then brand, type and tags, then description.
    No words: no products."""
    terms = search_terms(text)
    if not terms:
        return Product.objects.none()
    # the terms are letters and digits only, so the raw tsquery cannot be malformed
    query = SearchQuery(
        " & ".join(f"{term}:*" for term in terms), config="simple", search_type="raw"
    )
    vector = (
        SearchVector("title", config="simple", weight="A")
        + SearchVector("brand", "product_type", config="simple", weight="B")
        + SearchVector(
            Func(F("tags"), Value(" "), function="array_to_string", output_field=TextField()),
            config="simple",
            weight="B",
        )
        + SearchVector("description", config="simple", weight="C")
    )
    return (
        Product.objects.filter(status=Product.Status.ACTIVE)
        .annotate(search=vector)
        .filter(search=query)
        .annotate(rank=SearchRank(vector, query))
        .order_by("-rank", "title", "id")
    )


def products_search_page(
    *, text: str, page_number: int | str | None, per_page: int = PRODUCTS_PER_PAGE
) -> Page:
    """One page of ``products_search`` with variants and images (a bad or out-of-range
    number gives the first or last page)."""
    products = _with_variants_and_images(products_search(text=text).defer("description"))
    return Paginator(products, per_page).get_page(page_number)


@dataclass(frozen=True)
class ProductList:
    """One of the lists read by ``product_lists``: its products and how many products
    its queryset matches before slicing (None when the slice was past the end)."""

    products: list[Product]
    total: int | None


def _order_expressions(products: QuerySet[Product]) -> list[OrderBy]:
    return [
        OrderBy(F(name.lstrip("-")), descending=name.startswith("-"))
        for name in products.query.order_by
    ]


def product_lists(sources: list[tuple[QuerySet[Product], int, int]]) -> list[ProductList]:
    """Several product lists in three queries whatever their number and size: all
    products in one ``UNION ALL`` query, then their variants and their ready images
    (``ready_images``), prefetched as ``products_for_listing`` does.

    Each source is ``(ordered queryset, start, stop)``: the products it shows are
    ``queryset[start:stop]``. Descriptions are left in the database (lists show none).
    """
    if not sources:
        return []
    parts = []
    for index, (products, start, stop) in enumerate(sources):
        parts.append(
            products.defer("description").annotate(
                listing=Value(index),
                listing_total=Window(Count("id")),
                listing_row=Window(RowNumber(), order_by=_order_expressions(products)),
            )[start:stop]
        )
    combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    rows = list(combined)
    prefetch_related_objects(rows, *_listing_prefetches())
    grouped: list[list[Product]] = [[] for _ in sources]
    for product in sorted(rows, key=lambda row: (row.listing, row.listing_row)):
        grouped[product.listing].append(product)
    return [
        ProductList(products=products, total=products[0].listing_total if products else None)
        for products in grouped
    ]


def product_for_page(*, slug: str) -> Product:
    """The active product with this slug, variants and ready images prefetched (three
    queries). Raises ``Product.DoesNotExist`` for a draft, archived or unknown slug."""
    products = Product.objects.filter(status=Product.Status.ACTIVE, slug=slug)
    return _with_variants_and_images(products).get()


def product_images(product: Product) -> list[ProductImage]:
    """The images a shopper may see, in order: ready ones only."""
    prefetched = getattr(product, "ready_images", None)
    if prefetched is not None:
        return prefetched
    return [image for image in product.images.all() if image.status == ProductImage.Status.READY]


def product_is_available(product: Product) -> bool:
    """Whether any variant has stock available (on hand, not held by unpaid orders)."""
    return any(variant.available > 0 for variant in product.variants.all())


def product_price_range(product: Product) -> tuple[Decimal, Decimal] | None:
    """(lowest, highest) variant price, or None for a product without variants."""
    prices = [variant.price for variant in product.variants.all()]
    return (min(prices), max(prices)) if prices else None


def variant_selected(*, product: Product, variant_id: str | int | None) -> Variant | None:
    """The variant a shopper picked (``?variant=<id>``), or the default one.

    An id that is not one of this product's variants (or not a number) is ignored: the
    page shows the default variant, the first one in stock, else the first one.
    """
    variants = list(product.variants.all())
    if variant_id not in (None, ""):
        for variant in variants:
            if str(variant.id) == str(variant_id).strip():
                return variant
    in_stock = [variant for variant in variants if variant.available > 0]
    return (in_stock or variants or [None])[0]


def variant_availability(variant: Variant) -> str:
    """What the product page says about a variant's available stock."""
    available = variant.available
    if available <= 0:
        options = " / ".join(variant.options)
        return "Out of stock in this option" + (f" ({options})" if options else "")
    return "In stock" + (f": only {available} left" if available <= 5 else "")


@dataclass(frozen=True)
class PickerChoice:
    """One value of one option menu ("XL · €26.00 (out of stock)")."""

    value: str
    label: str
    is_selected: bool


@dataclass(frozen=True)
class PickerMenu:
    """One option's menu: its label ("Size"), the form field (``option1``) and values."""

    name: str
    field: str
    choices: list[PickerChoice]


@dataclass(frozen=True)
class VariantPicker:
    """What the product page's picker shows and the page's script needs.

    ``variant`` is the chosen variant, or None when no variant has the chosen option
    combination. ``menus`` has one menu per option; it is empty when the variants do not
    all name a value for every option, and the page then lists the variants by id.
    ``variants`` describes every variant for the script (JSON-ready)."""

    variant: Variant | None
    menus: list[PickerMenu]
    variants: list[dict]


def _option_values(variant: Variant, count: int) -> list[str]:
    return [variant.option1, variant.option2, variant.option3][:count]


def _choice_label(value: str, variant: Variant | None, currency: str) -> str:
    if variant is None:
        return f"{value} (not available)"
    sold_out = " (out of stock)" if variant.available <= 0 else ""
    return f"{value} · {money_format(variant.price, currency)}{sold_out}"


def variant_picker(
    *,
    product: Product,
    variant_id: str | int | None,
    options: Sequence[str],
    currency: str,
) -> VariantPicker:
    """The variant chosen on a product page and the menus to change it.

    ``options`` are the submitted values of the option menus (``?option1=XL&…``, the
    form without JavaScript); when any is given they choose the variant (None if no
    variant has that combination). Otherwise ``variant_id`` (``?variant=<id>``) does, as
    ``variant_selected`` says. A variant's picture counts only when it is ready.
    """
    variants = list(product.variants.all())
    pictures = {image.id: image for image in product_images(product)}
    count = len(product.option_names)
    by_options = (
        len(variants) > 1
        and count > 0
        and all(all(_option_values(variant, count)) for variant in variants)
    )
    wanted = [str(value).strip() for value in options][:count]
    if by_options and any(wanted):
        wanted += [""] * (count - len(wanted))
        variant = next((v for v in variants if _option_values(v, count) == wanted), None)
    else:
        variant = variant_selected(product=product, variant_id=variant_id)
        wanted = _option_values(variant, count) if variant is not None else []
    menus = []
    if by_options:
        combinations = {tuple(_option_values(v, count)): v for v in variants}
        for axis, name in enumerate(product.option_names):
            values = list(dict.fromkeys(_option_values(v, count)[axis] for v in variants))
            choices = []
            for value in values:
                combination = list(wanted)
                combination[axis] = value
                match = combinations.get(tuple(combination))
                choices.append(
                    PickerChoice(
                        value=value,
                        label=_choice_label(value, match, currency),
                        is_selected=value == wanted[axis],
                    )
                )
            menus.append(PickerMenu(name=name, field=f"option{axis + 1}", choices=choices))
    return VariantPicker(
        variant=variant,
        menus=menus,
        variants=[
            {
                "id": v.id,
                "options": _option_values(v, count),
                "price": money_format(v.price, currency),
                "compare_at_price": (
                    money_format(v.compare_at_price, currency) if variant_is_discounted(v) else None
                ),
                "stock": v.available,
                "availability": variant_availability(v),
                "image": v.image_id if v.image_id in pictures else None,
            }
            for v in variants
        ],
    )


def variant_is_discounted(variant: Variant) -> bool:
    """Whether the variant has a compare-at price above its price (shown struck through)."""
    return variant.compare_at_price is not None and variant.compare_at_price > variant.price


@dataclass(frozen=True)
class ProductCard:
    """What a product list shows for one product."""

    product: Product
    image: ProductImage | None
    price_low: Decimal | None
    price_high: Decimal | None
    is_available: bool

    @property
    def has_price_range(self) -> bool:
        return self.price_low != self.price_high


def product_cards(products: list[Product] | QuerySet[Product]) -> list[ProductCard]:
    """Cards for products read with ``products_for_listing`` (no further queries)."""
    cards = []
    for product in products:
        images = product_images(product)
        low, high = product_price_range(product) or (None, None)
        cards.append(
            ProductCard(
                product=product,
                image=images[0] if images else None,
                price_low=low,
                price_high=high,
                is_available=product_is_available(product),
            )
        )
    return cards
