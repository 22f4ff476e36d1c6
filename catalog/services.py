"""Writes to the catalog. Every change a sales channel cares about records one outbox row
(``CatalogChange``) per product in the same transaction."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import nh3
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.html import strip_tags
from django.utils.text import slugify

from catalog.models import CatalogChange, Product, ProductImage, Variant
from catalog.outbox import outbox_written
from shops import selectors as shops_selectors
from shops.audit.services import audit_record
from shops.currencies import validate_amount
from shops.media import delete_files_on_commit, media_file_names
from shops.page_cache import shop_page_changed
from shops.unset import UNSET, Unset, given

Aspect = CatalogChange.Aspect

# Limited rich text for descriptions: what the social platforms and a shop page can show.
DESCRIPTION_TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "a",
    "span",
}
DESCRIPTION_ATTRIBUTES = {"a": {"href", "title"}}

# Which outbox aspect a change to a product field is.
PRODUCT_FIELD_ASPECTS = {
    "title": Aspect.TITLE,
    "slug": Aspect.DETAILS,  # the page address every channel links to
    "description": Aspect.DESCRIPTION,
    "status": Aspect.STATUS,
    "brand": Aspect.DETAILS,
    "product_type": Aspect.DETAILS,
    "tags": Aspect.DETAILS,
    "condition": Aspect.DETAILS,
    "requires_shipping": Aspect.DETAILS,
    "gtin": Aspect.DETAILS,
    "mpn": Aspect.DETAILS,
    "is_custom_goods": Aspect.DETAILS,
    "google_product_category": Aspect.DETAILS,
    "option1_name": Aspect.DETAILS,
    "option2_name": Aspect.DETAILS,
    "option3_name": Aspect.DETAILS,
}
VARIANT_FIELD_ASPECTS = {
    "price": Aspect.PRICE,
    "compare_at_price": Aspect.PRICE,
    "stock": Aspect.STOCK,
    "sku": Aspect.DETAILS,
    "option1": Aspect.DETAILS,
    "option2": Aspect.DETAILS,
    "option3": Aspect.DETAILS,
    "weight_grams": Aspect.DETAILS,
    "gtin": Aspect.DETAILS,
    "mpn": Aspect.DETAILS,
    "image": Aspect.IMAGES,
}


def shop_currency() -> str:
    """The currency of the shop whose schema is active (``shops.selectors.shop_currency``)."""
    return shops_selectors.shop_currency()


def sanitize_description(html: str) -> str:
    return nh3.clean(html or "", tags=DESCRIPTION_TAGS, attributes=DESCRIPTION_ATTRIBUTES).strip()


_BLOCK_END = re.compile(r"</(?:p|li|ul|ol|h[1-6]|blockquote)\s*>|<br\s*/?>", re.IGNORECASE)


# Markup plain enough that dropping its tags with one regex gives what Django's
# strip_tags (an HTMLParser, ~100 µs a description) gives: well-formed tags whose
# quoted values hold no angle bracket, and only complete entities (``&amp;``, ``&#38;``).
# Anything else (comments, script, a stray "<" or "&") goes through strip_tags.
_SIMPLE_TAG = re.compile(
    r"<[a-zA-Z][a-zA-Z0-9]*(?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*"
    r"(?:\s*=\s*(?:\"[^\"<>]*\"|'[^'<>]*'|[^\s\"'<>=`]+))?)*\s*/?>|</[a-zA-Z][a-zA-Z0-9]*\s*>"
)
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);")
_RAW_TEXT = re.compile(r"<(?:script|style)", re.IGNORECASE)


def _strip_tags(text: str) -> str:
    if "<" not in text or ">" not in text:
        return text  # as strip_tags: nothing it would take for a tag
    if not _RAW_TEXT.search(text):
        stripped = _SIMPLE_TAG.sub("", text)
        if "<" not in stripped and "&" not in _ENTITY.sub("", stripped):
            return stripped
    return strip_tags(text)


def plain_text(html_text: str) -> str:
    """Description HTML as one line of text: tags dropped (a block's end or a line break
    becomes a space, so paragraphs don't run together), entities decoded."""
    spaced = _BLOCK_END.sub(" ", html_text or "")
    return " ".join(html.unescape(_strip_tags(spaced)).split())


def validate_gtin(value: str) -> None:
    """GTIN-8/12/13/14 digits with a valid check digit (empty is allowed)."""
    if not value:
        return
    if not value.isdigit() or len(value) not in (8, 12, 13, 14):
        raise ValidationError("A GTIN has 8, 12, 13 or 14 digits.", code="invalid_gtin")
    digits = [int(d) for d in value]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    if (10 - total % 10) % 10 != digits[-1]:
        raise ValidationError(
            "The GTIN's check digit is wrong; check for a typo.", code="gtin_check"
        )


def parse_amount(value: object, *, field: str = "price", currency: str | None = None) -> Decimal:
    """A Decimal from user input, or a ValidationError saying what is wrong with it."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(
            f"The {field} “{value}” is not a number; write it like 19.99.", code="not_a_number"
        ) from None
    validate_amount(amount, currency or shop_currency(), field=field)
    return amount


_batch: ContextVar[dict[int, tuple[str, set[str]]] | None] = ContextVar(
    "catalog_outbox_batch", default=None
)


@contextmanager
def outbox_batch() -> Iterator[None]:
    """Merge the outbox rows written inside into one row per product, written on exit.

    For a change made of several writes (an admin save of a product with its variants
    and images): the channels see one change with every aspect that moved. Use it
    inside the transaction of the change; nested batches join the outermost one.
    """
    if _batch.get() is not None:
        yield
        return
    pending: dict[int, tuple[str, set[str]]] = {}
    token = _batch.set(pending)
    try:
        yield
    finally:
        _batch.reset(token)
    for kind in (CatalogChange.Kind.UPSERT, CatalogChange.Kind.DELETE):
        groups: dict[tuple[str, ...], list[int]] = {}
        for product_id, (row_kind, aspects) in pending.items():
            if row_kind == kind:
                groups.setdefault(tuple(sorted(aspects)), []).append(product_id)
        for aspects, product_ids in groups.items():
            # (each write inside said itself whether the shop page shows it)
            outbox_record(product_ids=product_ids, aspects=aspects, kind=kind, shop_page=False)


def outbox_record(
    *,
    product_ids: Iterable[int],
    aspects: Iterable[str],
    kind: str = CatalogChange.Kind.UPSERT,
    shop_page: bool = True,
) -> list[CatalogChange]:
    """One outbox row per product (never per field), in the caller's transaction.

    Inside ``outbox_batch()`` the rows are merged and written when the batch ends.
    ``shop_page`` False says the change is one the cached shop pages do not show (a
    stock count that stays on the same side of zero): their cache is kept. Whatever
    else a channel must hear of, the shop page shows too, so it is retired on commit.
    """
    aspects = sorted(set(aspects))
    if not aspects and kind == CatalogChange.Kind.UPSERT:
        return []
    if shop_page:
        shop_page_changed()
    pending = _batch.get()
    if pending is not None:
        for product_id in product_ids:
            previous_kind, previous = pending.get(product_id, (kind, set()))
            if CatalogChange.Kind.DELETE in (kind, previous_kind):
                pending[product_id] = (CatalogChange.Kind.DELETE, set())
            else:
                pending[product_id] = (kind, previous | set(aspects))
        return []
    outbox_written()
    return CatalogChange.objects.bulk_create(
        CatalogChange(product_id=product_id, kind=kind, aspects=aspects)
        for product_id in dict.fromkeys(product_ids)
    )


def unique_slug(title: str, *, exclude_id: int | None = None) -> str:
    base = slugify(title)[:240] or "product"
    taken = set(
        Product.objects.filter(slug__startswith=base)
        .exclude(id=exclude_id)
        .values_list("slug", flat=True)
    )
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


@dataclass
class VariantInput:
    sku: str
    price: Decimal | str
    compare_at_price: Decimal | str | None = None
    stock: int = 0
    options: Sequence[str] = field(default_factory=tuple)
    weight_grams: int | None = None
    gtin: str = ""  # the variant's barcode
    mpn: str = ""
    # its place among the product's variants (None: after the others)
    position: int | None = None


def check_lengths(model: type, cleaned: dict, errors: dict[str, list[ValidationError]]) -> None:
    """Add an error for each text longer than its column (instead of a database error)."""
    for name, value in cleaned.items():
        if name in errors or not isinstance(value, str):
            continue
        limit = getattr(model._meta.get_field(name), "max_length", None)
        if limit and len(value) > limit:
            label = model._meta.get_field(name).verbose_name
            errors[name] = [
                ValidationError(
                    f"{label[:1].upper()}{label[1:]} is {len(value):,} characters long; "
                    f"the limit is {limit:,}.",
                    code="too_long",
                )
            ]


def clean_variant(data: VariantInput, currency: str) -> dict:
    """Validated column values of a variant, or a ValidationError keyed by field."""
    errors: dict[str, list[ValidationError]] = {}
    cleaned: dict = {"sku": (data.sku or "").strip()}
    if not cleaned["sku"]:
        errors["sku"] = [ValidationError("Every variant needs a SKU.", code="required")]
    for name in ("price", "compare_at_price"):
        value = getattr(data, name)
        if value in (None, "") and name == "compare_at_price":
            cleaned[name] = None
            continue
        try:
            cleaned[name] = parse_amount(value, field=name.replace("_", " "), currency=currency)
        except ValidationError as exc:
            errors[name] = exc.error_list
    try:
        cleaned["stock"] = int(data.stock)
        if cleaned["stock"] < 0:
            raise ValueError
    except (TypeError, ValueError):
        errors["stock"] = [
            ValidationError("Stock must be a whole number, 0 or more.", code="invalid_stock")
        ]
    options = list(data.options or ())[:3]
    if len(data.options or ()) > 3:
        errors["options"] = [
            ValidationError("A variant has at most three options.", code="options")
        ]
    options += [""] * (3 - len(options))
    cleaned.update(
        option1=options[0].strip(), option2=options[1].strip(), option3=options[2].strip()
    )
    cleaned["weight_grams"] = data.weight_grams
    cleaned["gtin"] = str(data.gtin or "").strip()
    cleaned["mpn"] = str(data.mpn or "").strip()
    if cleaned["gtin"]:
        try:
            validate_gtin(cleaned["gtin"])
        except ValidationError as exc:
            errors["gtin"] = exc.error_list
    check_lengths(Variant, cleaned, errors)
    if errors:
        raise ValidationError(errors)
    return cleaned


PRODUCT_FIELDS = {
    "title",
    "slug",
    "description",
    "brand",
    "product_type",
    "tags",
    "status",
    "condition",
    "gtin",
    "mpn",
    "is_custom_goods",
    "google_product_category",
    "seo_title",
    "seo_description",
    "option1_name",
    "option2_name",
    "option3_name",
    "requires_shipping",
}


def clean_product_fields(fields: dict) -> dict:
    """Validated, normalised product fields, or a ValidationError keyed by field."""
    unknown = set(fields) - PRODUCT_FIELDS
    if unknown:
        raise TypeError(f"unknown product fields: {', '.join(sorted(unknown))}")
    cleaned = dict(fields)
    errors: dict[str, list[ValidationError]] = {}
    if "title" in cleaned:
        cleaned["title"] = (cleaned["title"] or "").strip()
        if not cleaned["title"]:
            errors["title"] = [ValidationError("Give the product a title.", code="required")]
    if "description" in cleaned:
        cleaned["description"] = sanitize_description(cleaned["description"])
    if "tags" in cleaned:
        tags = cleaned["tags"]
        if isinstance(tags, str):
            tags = tags.split(",")
        cleaned["tags"] = list(dict.fromkeys(t.strip() for t in tags if t and t.strip()))
    if "status" in cleaned and cleaned["status"] not in Product.Status.values:
        errors["status"] = [ValidationError("Status is draft, active or archived.", code="status")]
    if "condition" in cleaned and cleaned["condition"] not in Product.Condition.values:
        errors["condition"] = [
            ValidationError("Condition is new, refurbished or used.", code="condition")
        ]
    if cleaned.get("gtin"):
        cleaned["gtin"] = str(cleaned["gtin"]).strip()
        try:
            validate_gtin(cleaned["gtin"])
        except ValidationError as exc:
            errors["gtin"] = exc.error_list
    check_lengths(Product, cleaned, errors)
    too_long_tags = [tag for tag in cleaned.get("tags", ()) if len(tag) > 64]
    if too_long_tags:
        errors["tags"] = [
            ValidationError(
                f"The tag “{too_long_tags[0][:20]}…” is over 64 characters.", code="too_long"
            )
        ]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def product_create(
    *,
    title: str,
    slug: str = "",
    description: str = "",
    status: str = Product.Status.DRAFT,
    brand: str = "",
    product_type: str = "",
    tags: Iterable[str] | str = (),
    condition: str = Product.Condition.NEW,
    requires_shipping: bool = True,
    gtin: str = "",
    mpn: str = "",
    is_custom_goods: bool = False,
    google_product_category: str = "",
    seo_title: str = "",
    seo_description: str = "",
    option1_name: str = "",
    option2_name: str = "",
    option3_name: str = "",
    variants: Sequence[VariantInput] = (),
) -> Product:
    """Create a product with its variants (an empty ``slug``: one made from the title;
    ``tags`` may be one comma-separated string).

    A product may be saved without variants while it is drafted (the admin asks for at
    least one; channel readiness says "Has no variant" until it has one).

    Raises ValidationError keyed by field (variant errors as ``variants[<n>].<field>``).
    """
    currency = shop_currency()
    product = Product(
        title=title,
        slug=slug,
        description=description,
        status=status,
        brand=brand,
        product_type=product_type,
        tags=tags,
        condition=condition,
        requires_shipping=requires_shipping,
        gtin=gtin,
        mpn=mpn,
        is_custom_goods=is_custom_goods,
        google_product_category=google_product_category,
        seo_title=seo_title,
        seo_description=seo_description,
        option1_name=option1_name,
        option2_name=option2_name,
        option3_name=option3_name,
    )
    cleaned = clean_product_fields({name: getattr(product, name) for name in PRODUCT_FIELDS})
    for name, value in cleaned.items():
        setattr(product, name, value)
    variant_rows, errors = [], {}
    for index, variant in enumerate(variants):
        try:
            variant_rows.append(clean_variant(variant, currency))
        except ValidationError as exc:
            for name, messages in exc.error_dict.items():
                errors[f"variants[{index}].{name}"] = messages
    skus = [row["sku"] for row in variant_rows]
    duplicates = {sku for sku in skus if skus.count(sku) > 1}
    existing = set(Variant.objects.filter(sku__in=skus).values_list("sku", flat=True))
    for sku in sorted(duplicates | existing):
        errors.setdefault("sku", []).append(
            ValidationError(
                f"The SKU {sku} is already used; SKUs are unique in a shop.", code="duplicate_sku"
            )
        )
    if errors:
        raise ValidationError(errors)

    product.slug = product.slug or unique_slug(product.title)
    try:
        with transaction.atomic():
            product.save()
            Variant.objects.bulk_create(
                Variant(
                    product=product,
                    position=index if variant.position is None else variant.position,
                    **row,
                )
                for index, (variant, row) in enumerate(zip(variants, variant_rows, strict=True))
            )
    except IntegrityError as exc:
        raise integrity_error(exc) from None
    outbox_record(product_ids=[product.id], aspects=_all_aspects())
    return product


def _all_aspects() -> list[str]:
    return [aspect for aspect in Aspect.values if aspect != Aspect.IMAGES]


def integrity_error(exc: IntegrityError) -> ValidationError:
    """A unique-constraint failure met while writing, said as a person would."""
    text = str(exc)
    if "slug" in text:
        return ValidationError(
            {"slug": ValidationError("Another product uses that handle.", code="duplicate_slug")}
        )
    if "sku" in text:
        return ValidationError(
            {"sku": ValidationError("That SKU is already used.", code="duplicate_sku")}
        )
    if "unique_options" in text:
        return ValidationError(
            {
                "options": ValidationError(
                    "Two variants have the same options.", code="duplicate_options"
                )
            }
        )
    return ValidationError(f"The change conflicts with existing data ({text.splitlines()[0]}).")


@transaction.atomic
def product_update(
    *,
    product: Product,
    title: str | Unset = UNSET,
    slug: str | Unset = UNSET,
    description: str | Unset = UNSET,
    status: str | Unset = UNSET,
    brand: str | Unset = UNSET,
    product_type: str | Unset = UNSET,
    tags: Iterable[str] | str | Unset = UNSET,
    condition: str | Unset = UNSET,
    requires_shipping: bool | Unset = UNSET,
    gtin: str | Unset = UNSET,
    mpn: str | Unset = UNSET,
    is_custom_goods: bool | Unset = UNSET,
    google_product_category: str | Unset = UNSET,
    seo_title: str | Unset = UNSET,
    seo_description: str | Unset = UNSET,
    option1_name: str | Unset = UNSET,
    option2_name: str | Unset = UNSET,
    option3_name: str | Unset = UNSET,
) -> Product:
    """Change the fields given (those left UNSET keep their value); records an outbox
    row naming the aspects that changed. ``product`` must be as stored: a field is
    written when its new value differs from the instance's."""
    cleaned = clean_product_fields(
        given(
            {
                "title": title,
                "slug": slug,
                "description": description,
                "status": status,
                "brand": brand,
                "product_type": product_type,
                "tags": tags,
                "condition": condition,
                "requires_shipping": requires_shipping,
                "gtin": gtin,
                "mpn": mpn,
                "is_custom_goods": is_custom_goods,
                "google_product_category": google_product_category,
                "seo_title": seo_title,
                "seo_description": seo_description,
                "option1_name": option1_name,
                "option2_name": option2_name,
                "option3_name": option3_name,
            }
        )
    )
    changed = [name for name, value in cleaned.items() if getattr(product, name) != value]
    if not changed:
        return product
    for name in changed:
        setattr(product, name, cleaned[name])
    try:
        with transaction.atomic():
            product.save(update_fields=[*changed, "updated"])
    except IntegrityError as exc:
        raise integrity_error(exc) from None
    outbox_record(product_ids=[product.id], aspects=aspects_for_product_fields(changed))
    return product


def aspects_for_product_fields(names: Iterable[str]) -> set[str]:
    aspects = {PRODUCT_FIELD_ASPECTS[name] for name in names if name in PRODUCT_FIELD_ASPECTS}
    if Aspect.STATUS in aspects:
        aspects.add(Aspect.AVAILABILITY)
    return aspects


def aspects_for_variant_fields(names: Iterable[str]) -> set[str]:
    aspects = {VARIANT_FIELD_ASPECTS[name] for name in names if name in VARIANT_FIELD_ASPECTS}
    if Aspect.STOCK in aspects:
        aspects.add(Aspect.AVAILABILITY)
    return aspects


@transaction.atomic
def products_set_status(*, product_ids: Sequence[int], status: str) -> int:
    """Bulk publish / archive / unpublish: one UPDATE, one outbox row per changed product."""
    if status not in Product.Status.values:
        raise ValidationError("Status is draft, active or archived.", code="status")
    ids = list(
        Product.objects.filter(id__in=product_ids)
        .exclude(status=status)
        .select_for_update()
        .values_list("id", flat=True)
    )
    Product.objects.filter(id__in=ids).update(status=status)
    if ids:
        audit_record(
            action="products.status",
            object_type="product",
            object_id=",".join(map(str, ids[:5])),
            changes={"status": (None, status)},
            note=f"{len(ids)} product(s)",
        )
    outbox_record(product_ids=ids, aspects=[Aspect.STATUS, Aspect.AVAILABILITY])
    return len(ids)


@transaction.atomic
def products_delete(*, product_ids: Sequence[int]) -> int:
    """Delete products (variants and image rows go with them; image files once the delete
    commits); one outbox row each, saying "deleted"."""
    ids = list(Product.objects.filter(id__in=product_ids).values_list("id", flat=True))
    images = ProductImage.objects.filter(product_id__in=ids).values_list("image", "renditions")
    files = [media_file_names(name, renditions) for name, renditions in images]
    Product.objects.filter(id__in=ids).delete()
    if ids:
        audit_record(
            action="products.delete",
            object_type="product",
            object_id=",".join(map(str, ids[:5])),
            note=f"{len(ids)} product(s) deleted",
        )
    delete_files_on_commit(set().union(*files))
    outbox_record(product_ids=ids, aspects=[], kind=CatalogChange.Kind.DELETE)
    return len(ids)


def product_delete(*, product: Product) -> None:
    products_delete(product_ids=[product.id])


def availability_flipped(old_stock: int, new_stock: int) -> bool:
    """Whether a change of available stock (on hand - held; pass those) moves a variant
    in or out of stock: the only stock news
    the cached shop pages show (cards say "Out of stock"; the counts, such as "only 3
    left", are on the product page, which is rendered per request)."""
    return (old_stock > 0) != (new_stock > 0)


STOCK_ASPECTS = frozenset({Aspect.STOCK, Aspect.AVAILABILITY})


def shop_page_shows(*, aspects: Iterable[str], stock_moves: Iterable[tuple[int, int]] = ()) -> bool:
    """Whether a change is one the cached shop pages show, for ``outbox_record``'s
    ``shop_page``: any aspect but stock, or a stock move (old, new) that takes a variant
    in or out of stock. A stock count that stays on the same side of zero keeps them."""
    return bool(set(aspects) - STOCK_ASPECTS) or any(
        availability_flipped(old, new) for old, new in stock_moves
    )


@transaction.atomic
def stock_set(*, variant: Variant, stock: int) -> Variant:
    """Set stock on hand (the units physically there, held ones included) to an absolute
    number; the units held by unpaid orders stay held, so available = stock - held."""
    if not isinstance(stock, int) or stock < 0:
        raise ValidationError("Stock must be a whole number, 0 or more.", code="invalid_stock")
    row = (
        Variant.objects.select_for_update().filter(id=variant.id).values_list("stock", "held")
    ).first()
    if row is None:
        return variant
    old_stock, held = row
    variant.held = held
    if old_stock == stock:
        return variant
    Variant.objects.filter(id=variant.id).update(stock=stock)
    variant.stock = stock
    audit_record(action="variant.stock", target=variant, changes={"stock": (old_stock, stock)})
    outbox_record(
        product_ids=[variant.product_id],
        aspects=[Aspect.STOCK, Aspect.AVAILABILITY],
        shop_page=availability_flipped(old_stock - held, stock - held),
    )
    return variant


_STOCK_ADJUST_SQL = (
    f"UPDATE {Variant._meta.db_table} SET stock = stock + %s "  # noqa: S608 (a model's table)
    "WHERE id = %s AND stock >= %s AND stock <= %s RETURNING stock, held"
)
MAX_STOCK = 2**31 - 1  # the stock column is a PostgreSQL integer


def stock_adjust(*, variant: Variant, delta: int) -> Variant:
    """Add (or, negative, remove) stock on hand in one conditional UPDATE: never below
    zero. Held units stay held (a merchant's adjustment counts the shelf).

    Two statements in all (the UPDATE, which returns the new stock, and the outbox
    row), and no savepoint: a refused change writes nothing, so there is nothing to
    roll back. Raises ValidationError: ``insufficient_stock`` when there is not enough,
    ``stock_too_large`` when the stock would pass MAX_STOCK (the column's limit: the
    overflow was a database error, a 500).
    """
    if not isinstance(delta, int) or isinstance(delta, bool) or delta == 0:
        raise ValidationError("Adjust stock by a whole number other than 0.", code="invalid_delta")
    # a transaction only when the caller has none: the UPDATE and its outbox row together
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(
                _STOCK_ADJUST_SQL,
                [delta, variant.id, max(0, -delta), MAX_STOCK - max(0, delta)],
            )
            row = cursor.fetchone()
        if row is not None:
            variant.stock, variant.held = row
            audit_record(
                action="variant.stock", target=variant, changes={"stock": (row[0] - delta, row[0])}
            )
            outbox_record(
                product_ids=[variant.product_id],
                aspects=[Aspect.STOCK, Aspect.AVAILABILITY],
                shop_page=availability_flipped(row[0] - delta - row[1], row[0] - row[1]),
            )
    if row is None and delta > 0:
        raise ValidationError(
            f"Stock cannot go above {MAX_STOCK:,}; adding {delta:,} would pass it.",
            code="stock_too_large",
        )
    if row is None:
        raise ValidationError(
            "Not enough stock to remove that many; stock cannot go below 0.",
            code="insufficient_stock",
        )
    return variant


# Reservations. Each is one conditional UPDATE (race-safe: two buyers for the last
# unit cannot both pass ``stock - held >= n``) returning the row, then the outbox row.
# Per move: the SET (its %s are the quantity), the WHERE condition on the quantity (or
# None) and how the move changes what is available (as a multiple of the quantity).
_STOCK_MOVES = {
    # buy-now: hold n of the available units for an unpaid order
    "hold": ("held = held + %s", "stock - held >= %s", -1),
    # an unpaid order ended (expired, cancelled): its units are available again
    "release": ("held = GREATEST(held - %s, 0)", None, 1),
    # the order is paid: its held units leave the shop (on hand and held both drop)
    "commit": ("stock = GREATEST(stock - %s, 0), held = GREATEST(held - %s, 0)", None, 0),
    # a payment that came after its hold ended: sell n available units at once
    "sell": ("stock = stock - %s", "stock - held >= %s", -1),
}


def _stock_move(*, variant: Variant, quantity: int, move: str) -> bool:
    """Apply one reservation move to a variant; False (nothing written) when its
    condition fails (not enough available)."""
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise ValidationError("Move a whole number of units, 1 or more.", code="invalid_delta")
    assignment, condition, available_sign = _STOCK_MOVES[move]
    params = [quantity] * assignment.count("%s") + [variant.id]
    sql = f"UPDATE {Variant._meta.db_table} SET {assignment} WHERE id = %s"  # noqa: S608
    if condition is not None:
        sql += f" AND {condition}"
        params.append(quantity)
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(sql + " RETURNING stock, held", params)
            row = cursor.fetchone()
        if row is None:
            return False
        variant.stock, variant.held = row
        available = row[0] - row[1]
        outbox_record(
            product_ids=[variant.product_id],
            aspects=[Aspect.STOCK, Aspect.AVAILABILITY],
            shop_page=availability_flipped(available - available_sign * quantity, available),
        )
    return True


def stock_hold(*, variant: Variant, quantity: int) -> Variant:
    """Hold ``quantity`` available units for an unpaid order (available drops, on hand
    stays). Raises ValidationError ``insufficient_stock`` when fewer are available."""
    if not _stock_move(variant=variant, quantity=quantity, move="hold"):
        raise ValidationError("Not enough stock available.", code="insufficient_stock")
    return variant


class StockShortage(ValidationError):
    """Some of the units asked for are not available; ``available`` gives, for each
    variant id short, how many are (nothing was held)."""

    def __init__(self, available: dict[int, int]) -> None:
        super().__init__("Not enough stock available.", code="insufficient_stock")
        self.available = available


def stock_hold_lines(*, quantities: Sequence[tuple[Variant, int]]) -> list[Variant]:
    """Hold the units of every line of an unpaid order, all or nothing, in one
    statement whatever the number of lines: the rows are locked in variant id order (two
    orders never wait for each other in a cycle), and held only if every line has the
    units available. Raises ``StockShortage`` (nothing written) naming each variant
    short and what it has left. The variants are updated in place."""
    for _variant, quantity in quantities:
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise ValidationError("Move a whole number of units, 1 or more.", code="invalid_delta")
    wanted = {variant.id: quantity for variant, quantity in quantities}
    table = Variant._meta.db_table
    sql = f"""
        WITH wanted (id, quantity) AS (
            SELECT * FROM unnest(%s::bigint[], %s::integer[])
        ), locked AS MATERIALIZED (
            SELECT v.id, v.stock, v.held FROM {table} v
            WHERE v.id IN (SELECT id FROM wanted) ORDER BY v.id FOR UPDATE
        ), fits AS (
            SELECT (SELECT count(*) FROM locked) = (SELECT count(*) FROM wanted)
            AND NOT EXISTS (
                SELECT 1 FROM locked JOIN wanted USING (id)
                WHERE locked.stock - locked.held < wanted.quantity
            ) AS ok
        ), moved AS (
            UPDATE {table} v SET held = v.held + wanted.quantity
            FROM wanted, fits WHERE v.id = wanted.id AND fits.ok
            RETURNING v.id, v.stock, v.held
        )
        SELECT locked.id, locked.stock, locked.held, moved.stock, moved.held
        FROM locked LEFT JOIN moved USING (id)
    """  # noqa: S608 (the table name is the model's; values are parameters)
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(wanted), list(wanted.values())])
            rows = cursor.fetchall()
        if len(rows) < len(wanted) or any(row[3] is None for row in rows):
            left = {variant_id: 0 for variant_id in wanted}  # a variant gone has none
            left.update({row[0]: max(row[1] - row[2], 0) for row in rows})
            raise StockShortage(
                {
                    variant_id: count
                    for variant_id, count in left.items()
                    if count < wanted[variant_id]
                }
            )
        by_id = {variant.id: variant for variant, _quantity in quantities}
        flipped = []
        for variant_id, old_stock, old_held, stock, held in rows:
            variant = by_id[variant_id]
            variant.stock, variant.held = stock, held
            flipped.append(availability_flipped(old_stock - old_held, stock - held))
        outbox_record(
            product_ids=sorted({variant.product_id for variant in by_id.values()}),
            aspects=[Aspect.STOCK, Aspect.AVAILABILITY],
            shop_page=any(flipped),
        )
    return list(by_id.values())


def stock_release(*, variant: Variant, quantity: int) -> Variant:
    """Give back an ended unpaid order's held units: held drops, on hand stays."""
    _stock_move(variant=variant, quantity=quantity, move="release")
    return variant


def stock_commit(*, variant: Variant, quantity: int) -> Variant:
    """A paid order's held units are sold: on hand and held both drop by ``quantity``."""
    _stock_move(variant=variant, quantity=quantity, move="commit")
    return variant


def stock_sell(*, variant: Variant, quantity: int) -> Variant:
    """Sell ``quantity`` available units with no hold (a payment that came after its
    hold ended): on hand drops. Raises ``insufficient_stock`` when fewer are available."""
    if not _stock_move(variant=variant, quantity=quantity, move="sell"):
        raise ValidationError("Not enough stock available.", code="insufficient_stock")
    return variant


@transaction.atomic
def variant_update(
    *,
    variant: Variant,
    sku: str | Unset = UNSET,
    option1: str | Unset = UNSET,
    option2: str | Unset = UNSET,
    option3: str | Unset = UNSET,
    price: Decimal | str | Unset = UNSET,
    compare_at_price: Decimal | str | Unset | None = UNSET,
    stock: int | Unset = UNSET,
    weight_grams: int | Unset | None = UNSET,
    gtin: str | Unset = UNSET,
    mpn: str | Unset = UNSET,
    position: int | Unset = UNSET,
    image: ProductImage | Unset | None = UNSET,
) -> Variant:
    """Change the fields given (those left UNSET keep their value): SKU, options, price,
    stock on hand, weight, barcode (GTIN) and MPN, place among the product's variants, or
    picture (one of its product's images, or None). One outbox row for its product;
    ``variant`` must be as stored (its stock is read again, locked, when it changes)."""
    currency = shop_currency()
    fields = given(
        {
            "sku": sku,
            "option1": option1,
            "option2": option2,
            "option3": option3,
            "price": price,
            "compare_at_price": compare_at_price,
            "stock": stock,
            "weight_grams": weight_grams,
            "gtin": gtin,
            "mpn": mpn,
            "position": position,
            "image": image,
        }
    )
    changes = {}
    for name, value in fields.items():
        if name in ("price", "compare_at_price"):
            value = (
                None
                if value in (None, "") and name == "compare_at_price"
                else parse_amount(value, field=name.replace("_", " "), currency=currency)
            )
        elif name == "stock" and (not isinstance(value, int) or value < 0):
            raise ValidationError(
                {"stock": ValidationError("Stock must be 0 or more.", code="invalid_stock")}
            )
        elif name in ("gtin", "mpn"):
            value = str(value or "").strip()
            if name == "gtin" and value:
                try:
                    validate_gtin(value)
                except ValidationError as exc:
                    raise ValidationError({"gtin": exc.error_list}) from None
            if len(value) > Variant._meta.get_field(name).max_length:
                raise ValidationError(
                    {name: ValidationError("The MPN is over 70 characters.", code="too_long")}
                )
        elif name == "position" and (not isinstance(value, int) or value < 0):
            raise ValidationError(
                {"position": ValidationError("Position must be 0 or more.", code="invalid")}
            )
        elif name == "image" and value is not None and value.product_id != variant.product_id:
            raise ValidationError(
                {
                    "image": ValidationError(
                        "Choose one of this product's own pictures.", code="foreign_image"
                    )
                }
            )
        if getattr(variant, name) != value:
            changes[name] = value
    if not changes:
        return variant
    stored = (variant.stock, variant.held)
    if "stock" in changes:  # the stock as stored, not as this (maybe stale) instance says
        stored = (
            Variant.objects.select_for_update()
            .filter(id=variant.id)
            .values_list("stock", "held")
            .first()
        )
    before = {name: getattr(variant, name) for name in changes}
    if "stock" in changes and stored is not None:
        before["stock"] = stored[0]
    for name, value in changes.items():
        setattr(variant, name, value)
    try:
        with transaction.atomic():
            variant.save(update_fields=list(changes))
    except IntegrityError as exc:
        raise integrity_error(exc) from None
    _variant_audit(variant, before, changes)
    aspects = aspects_for_variant_fields(changes)
    outbox_record(
        product_ids=[variant.product_id],
        aspects=aspects,
        shop_page=stored is None
        or shop_page_shows(
            aspects=aspects, stock_moves=[(stored[0] - stored[1], variant.stock - stored[1])]
        ),
    )
    return variant


AUDITED_VARIANT_FIELDS = ("price", "compare_at_price", "stock", "sku")


def _variant_audit(variant: Variant, before: dict, changes: dict) -> None:
    """One audit entry for a variant's change of price, stock or SKU (before → after)."""
    audited = {
        name: (before[name], changes[name]) for name in AUDITED_VARIANT_FIELDS if name in changes
    }
    if audited:
        action = (
            "variant.price" if set(audited) & {"price", "compare_at_price"} else "variant.stock"
        )
        audit_record(action=action, target=variant, changes=audited)


@transaction.atomic
def variant_create(*, product: Product, variant: VariantInput) -> Variant:
    """Add a variant to a product (after its others unless ``variant.position`` says where);
    one outbox row for the product."""
    cleaned = clean_variant(variant, shop_currency())
    if Variant.objects.filter(sku=cleaned["sku"]).exists():
        raise ValidationError(
            {
                "sku": ValidationError(
                    f"The SKU {cleaned['sku']} is already used; SKUs are unique in a shop.",
                    code="duplicate_sku",
                )
            }
        )
    if variant.position is None:
        last = product.variants.order_by("-position").values_list("position", flat=True).first()
        position = 0 if last is None else last + 1
    else:
        position = variant.position
    try:
        with transaction.atomic():
            created = Variant.objects.create(product=product, position=position, **cleaned)
    except IntegrityError as exc:
        raise integrity_error(exc) from None
    outbox_record(
        product_ids=[product.id],
        aspects=[Aspect.DETAILS, Aspect.PRICE, Aspect.STOCK, Aspect.AVAILABILITY],
    )
    return created


@transaction.atomic
def variant_delete(*, variant: Variant) -> None:
    """Remove a variant; one outbox row for its product."""
    product_id = variant.product_id
    variant.delete()
    outbox_record(
        product_ids=[product_id],
        aspects=[Aspect.DETAILS, Aspect.PRICE, Aspect.STOCK, Aspect.AVAILABILITY],
    )


@transaction.atomic
def product_image_update(
    *, image: ProductImage, alt_text: str | Unset = UNSET, position: int | Unset = UNSET
) -> ProductImage:
    """Change a picture's alt text or its place among its product's pictures (those left
    UNSET keep their value); one outbox row (images) for its product when either moved."""
    changes = {
        name: value
        for name, value in given({"alt_text": alt_text, "position": position}).items()
        if getattr(image, name) != value
    }
    if not changes:
        return image
    for name, value in changes.items():
        setattr(image, name, value)
    image.save(update_fields=list(changes))
    outbox_record(product_ids=[image.product_id], aspects=[Aspect.IMAGES])
    return image
