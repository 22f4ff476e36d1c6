"""Product import from Shopify's product CSV (see catalog.shopify_csv for the format).

Rows are grouped by Handle: the first row of a group carries the product's fields and its
first variant, the following rows more variants and/or images (a row with only Image
Src / Position / Alt Text is an image row). A product whose handle exists is updated,
its variants matched by SKU (then by options), so importing the same file twice changes
nothing the second time.

Every product group is validated completely before anything is written; a group with
an error is skipped whole and each bad row is reported (row, handle, column, message),
while the other products import. Groups are written in chunks with a few bulk queries
per chunk, one outbox row per product; a chunk that hits a conflict at write time is
written again product by product, each in its own savepoint, so no product is ever
left half saved.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.text import slugify

from catalog import shopify_csv as col
from catalog.images import product_image_add_from_url
from catalog.models import CatalogChange, Product, ProductImage, Variant
from catalog.services import (
    VariantInput,
    aspects_for_product_fields,
    aspects_for_variant_fields,
    clean_product_fields,
    clean_variant,
    integrity_error,
    outbox_record,
    shop_currency,
    shop_page_shows,
)
from catalog.shopify_csv import CsvRow, csv_inspect, csv_rows
from shops.media import image_url_validate

Aspect = CatalogChange.Aspect
CHUNK_PRODUCTS = 500
MAX_STOCK = 2**31 - 1
MAX_PRICE = Decimal(10) ** 10  # Variant.price has 12 digits, 2 of them decimals

# Product field <- the column it is read from (first row of a group).
PRODUCT_COLUMNS = {
    "title": col.TITLE,
    "description": col.BODY,
    "brand": col.VENDOR,
    "product_type": col.TYPE,
    "tags": col.TAGS,
    "seo_title": col.SEO_TITLE,
    "seo_description": col.SEO_DESCRIPTION,
    "google_product_category": col.GOOGLE_CATEGORY,
    "mpn": col.MPN,
    "condition": col.CONDITION,
    "option1_name": col.OPTION_NAMES[0],
    "option2_name": col.OPTION_NAMES[1],
    "option3_name": col.OPTION_NAMES[2],
}
# Where a service's error about a field came from, for the error report.
FIELD_COLUMNS = {
    **PRODUCT_COLUMNS,
    "status": col.STATUS,
    "gtin": col.BARCODE,
    "sku": col.SKU,
    "price": col.PRICE,
    "compare_at_price": col.COMPARE_AT_PRICE,
    "stock": col.STOCK,
    "options": col.OPTION_VALUES[0],
    "option1": col.OPTION_VALUES[0],
    "option2": col.OPTION_VALUES[1],
    "option3": col.OPTION_VALUES[2],
    "weight_grams": col.GRAMS,
}
# A row with any of these describes a variant (else it may be an image row).
VARIANT_ROW_COLUMNS = (
    col.SKU,
    col.PRICE,
    col.COMPARE_AT_PRICE,
    col.STOCK,
    col.GRAMS,
    col.WEIGHT,
    *col.OPTION_VALUES,
)
WEIGHT_UNITS = {
    "g": Decimal(1),
    "kg": Decimal(1000),
    "lb": Decimal("453.59237"),
    "oz": Decimal("28.349523125"),
}


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet shows it: the header is row 1
    handle: str
    column: str
    message: str


@dataclass
class ImportResult:
    total_rows: int = 0
    processed_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # products not imported because of an error
    errors: list[RowError] = field(default_factory=list)

    @property
    def error_rows(self) -> int:
        return len({error.row for error in self.errors})


@dataclass
class ImagePlan:
    row: int
    src: str
    position: int | None
    alt_text: str


@dataclass
class VariantPlan:
    row: int
    values: dict  # cleaned, only the fields whose columns are in the file


@dataclass
class ProductPlan:
    handle: str
    rows: list[CsvRow]
    fields: dict = field(default_factory=dict)
    variants: list[VariantPlan] = field(default_factory=list)
    images: list[ImagePlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row=row, handle=self.handle, column=column, message=message))


@dataclass
class _FileState:
    """What the import remembers across chunks: columns, currency, handles and SKUs seen."""

    columns: frozenset[str]
    currency: str
    handles: dict[str, int] = field(default_factory=dict)  # handle -> first row
    skus: dict[str, tuple[int, str]] = field(default_factory=dict)  # sku -> (row, handle)


Progress = Callable[[ImportResult], None]


def products_import(
    *, file: IO[bytes], progress: Progress | None = None, chunk_products: int = CHUNK_PRODUCTS
) -> ImportResult:
    """Import a Shopify product CSV into the active shop's schema.

    Raises ``shopify_csv.CsvRefused`` (nothing written) when the file as a whole cannot be
    imported; row errors are returned in the result. Each chunk commits on its own when
    called outside a transaction, so ``progress`` (called after every chunk) can report
    what is already saved.
    """
    info = csv_inspect(file)
    state = _FileState(columns=frozenset(info.columns), currency=shop_currency())
    result = ImportResult(total_rows=info.total_rows)
    groups = _group_rows(csv_rows(file))
    for chunk in iter(lambda: list(itertools.islice(groups, chunk_products)), []):
        plans = [_plan_product(rows, state) for rows in chunk]
        _import_chunk(plans, result)
        result.processed_rows += sum(len(rows) for rows in chunk)
        if progress:
            progress(result)
    result.errors.sort(key=lambda error: error.row)
    return result


def _group_rows(rows: Iterable[CsvRow]) -> Iterator[list[CsvRow]]:
    """Consecutive rows with the same Handle."""
    for _handle, group in itertools.groupby(rows, key=lambda row: row.get(col.HANDLE)):
        yield list(group)


# --- Reading one product group (no database) --------------------------------------------


def _plan_product(rows: list[CsvRow], state: _FileState) -> ProductPlan:
    first = rows[0]
    plan = ProductPlan(handle=slugify(first.get(col.HANDLE))[:255], rows=rows)
    if not _check_handle(plan, first, state) or not _check_nul(plan):
        return plan
    _read_product_fields(plan, first, state)
    for row in rows:
        if any(row.get(name) for name in VARIANT_ROW_COLUMNS):
            _read_variant(plan, row, state)
        if row.get(col.IMAGE_SRC):
            _read_image(plan, row)
    _drop_default_option(plan)
    _check_variants(plan, state)
    if not plan.errors:
        _clean_fields(plan)
    return plan


def _check_handle(plan: ProductPlan, first: CsvRow, state: _FileState) -> bool:
    raw = first.get(col.HANDLE)
    if not plan.handle:
        message = (
            f"The handle “{raw}” has no letters or digits a-z, 0-9; use a handle like my-product."
            if raw
            else "The Handle is empty; every row needs the handle of its product."
        )
        plan.error(first.number, col.HANDLE, message)
        return False
    if plan.handle in state.handles:
        plan.error(
            first.number,
            col.HANDLE,
            f"The rows of “{plan.handle}” must be next to each other; this product "
            f"already started at row {state.handles[plan.handle]}.",
        )
        return False
    state.handles[plan.handle] = first.number
    if not first.get(col.TITLE):
        plan.error(first.number, col.TITLE, "The first row of a product needs its Title.")
    return True


def _check_nul(plan: ProductPlan) -> bool:
    """False (each cell reported) when a cell holds a NUL character: PostgreSQL cannot
    store it, and it usually means a file saved from a binary format. The product is
    refused, not cleaned: a SKU or handle changed behind the merchant's back would not
    match the one they use elsewhere."""
    cells = [
        (row.number, column)
        for row in plan.rows
        for column, value in row.values.items()
        if "\x00" in (value or "")
    ]
    for number, column in cells:
        plan.error(
            number,
            column,
            f"The {column} cell holds an invisible NUL character; remove it "
            "(or save the file again as CSV UTF-8) and import again.",
        )
    return not cells


def _read_product_fields(plan: ProductPlan, row: CsvRow, state: _FileState) -> None:
    fields = {
        name: row.get(column) for name, column in PRODUCT_COLUMNS.items() if column in state.columns
    }
    if "description" in fields:
        fields["description"] = row.values.get(col.BODY, "")  # keep its inner spacing
    if "condition" in fields:
        fields["condition"] = fields["condition"].lower() or Product.Condition.NEW
    status = _read_status(plan, row, state)
    if status:
        fields["status"] = status
    plan.fields = fields


def _read_status(plan: ProductPlan, row: CsvRow, state: _FileState) -> str | None:
    """Status (active, draft, archived) wins over Published (TRUE/FALSE)."""
    if row.get(col.STATUS):
        return row.get(col.STATUS).lower()
    if not row.get(col.PUBLISHED):
        return None
    published = col.parse_bool(row.get(col.PUBLISHED))
    if published is None:
        plan.error(
            row.number,
            col.PUBLISHED,
            f"Published is TRUE or FALSE, not “{row.get(col.PUBLISHED)}”.",
        )
        return None
    return Product.Status.ACTIVE if published else Product.Status.DRAFT


def _read_variant(plan: ProductPlan, row: CsvRow, state: _FileState) -> None:
    data = VariantInput(
        sku=row.get(col.SKU),
        price=row.get(col.PRICE),
        compare_at_price=row.get(col.COMPARE_AT_PRICE) or None,
        stock=row.get(col.STOCK) or 0,
        options=[row.get(name) for name in col.OPTION_VALUES],
        # each variant's own barcode (Shopify's is per variant) and MPN (the first row's
        # is the product's too: variants without one use it)
        gtin=row.get(col.BARCODE),
        mpn=row.get(col.MPN),
    )
    try:
        values = clean_variant(data, state.currency)
        values["weight_grams"] = _read_weight(row)
    except ValidationError as exc:
        for name, errors in exc.error_dict.items():
            message = _variant_message(name, row, errors[0].messages[0])
            plan.error(row.number, FIELD_COLUMNS.get(name, name), message)
        return
    _check_variant_ranges(plan, row, values)
    plan.variants.append(VariantPlan(row=row.number, values=_present(values, state.columns)))


def _variant_message(name: str, row: CsvRow, message: str) -> str:
    if name == "price" and not row.get(col.PRICE):
        return "The Variant Price is empty; every variant needs a price, like 19.99."
    if name == "stock":
        return f"{message} Found “{row.get(col.STOCK)}”."
    if name == "gtin":
        return f"{message} Found “{row.get(col.BARCODE)}”."
    return message


def _read_weight(row: CsvRow) -> int | None:
    """Variant Grams, else Variant Weight in Variant Weight Unit (kg when not given)."""
    raw, unit = row.get(col.GRAMS), "g"
    if not raw:
        raw, unit = row.get(col.WEIGHT), (row.get(col.WEIGHT_UNIT).lower() or "kg")
    if not raw:
        return None
    column = col.GRAMS if unit == "g" and row.get(col.GRAMS) else col.WEIGHT
    try:
        grams = Decimal(raw) * WEIGHT_UNITS[unit]
        if not grams.is_finite() or grams < 0 or grams > MAX_STOCK:
            raise ValueError
    except (InvalidOperation, ValueError, KeyError):
        raise ValidationError(
            {
                "weight_grams": ValidationError(
                    f"{column} “{raw} {unit}” is not a weight; write a number of 0 or more, "
                    "with Variant Weight Unit g, kg, lb or oz."
                )
            }
        ) from None
    return int(grams.to_integral_value())


def _check_variant_ranges(plan: ProductPlan, row: CsvRow, values: dict) -> None:
    if values["stock"] > MAX_STOCK:
        plan.error(row.number, col.STOCK, f"The stock {values['stock']:,} is too large.")
    for name in ("price", "compare_at_price"):
        if values[name] is not None and values[name] >= MAX_PRICE:
            plan.error(
                row.number,
                FIELD_COLUMNS[name],
                f"The {name.replace('_', ' ')} {values[name]} is too large.",
            )
    for name, limit in (("sku", 64), ("option1", 120), ("option2", 120), ("option3", 120)):
        if len(values[name]) > limit:
            plan.error(
                row.number,
                FIELD_COLUMNS[name],
                f"{FIELD_COLUMNS[name]} is longer than {limit} characters.",
            )


def _present(values: dict, columns: frozenset[str]) -> dict:
    """Only the variant fields whose column is in the file: the others are left as they are."""
    kept = {}
    for name, value in values.items():
        if name == "weight_grams":
            if col.GRAMS in columns or col.WEIGHT in columns:
                kept[name] = value
        elif FIELD_COLUMNS[name] in columns:
            kept[name] = value
    return kept


def _read_image(plan: ProductPlan, row: CsvRow) -> None:
    src = row.get(col.IMAGE_SRC)
    try:
        image_url_validate(src)
        if len(src) > 2000:
            raise ValidationError("The Image Src is longer than 2,000 characters.")
    except ValidationError as exc:
        plan.error(row.number, col.IMAGE_SRC, exc.messages[0])
        return
    try:
        position = _read_image_position(row.get(col.IMAGE_POSITION))
    except ValidationError as exc:
        plan.error(row.number, col.IMAGE_POSITION, exc.messages[0])
        return
    plan.images.append(
        ImagePlan(row=row.number, src=src, position=position, alt_text=row.get(col.IMAGE_ALT))
    )


def _read_image_position(raw: str) -> int | None:
    """Shopify counts image positions from 1; Etalage from 0."""
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1 or int(raw) > 10_000:
        raise ValidationError(f"Image Position is a whole number from 1, not “{raw}”.")
    return int(raw) - 1


def _drop_default_option(plan: ProductPlan) -> None:
    """Shopify names the only option of a product without options Title: Default Title."""
    if plan.fields.get("option1_name") != col.DEFAULT_OPTION_NAME:
        return
    if all(v.values.get("option1", "") in ("", col.DEFAULT_OPTION_VALUE) for v in plan.variants):
        plan.fields["option1_name"] = ""
        for variant in plan.variants:
            if "option1" in variant.values:
                variant.values["option1"] = ""


def _check_variants(plan: ProductPlan, state: _FileState) -> None:
    """Options differ between a product's variants; a SKU appears once in the file."""
    seen_options: dict[tuple[str, str, str], int] = {}
    for variant in plan.variants:
        options = tuple(variant.values.get(f"option{n}", "") for n in (1, 2, 3))
        if options in seen_options:
            plan.error(
                variant.row,
                col.OPTION_VALUES[0],
                f"Row {seen_options[options]} has the same option values "
                f"({' / '.join(o for o in options if o) or 'none'}); give each "
                "variant of a product different Option values.",
            )
        seen_options.setdefault(options, variant.row)
        sku = variant.values.get("sku", "")
        if sku in state.skus:
            row, handle = state.skus[sku]
            plan.error(
                variant.row,
                col.SKU,
                f"The SKU {sku} is already used in row {row} (product {handle}); "
                "SKUs are unique in a shop.",
            )
        else:
            state.skus[sku] = (variant.row, plan.handle)


def _clean_fields(plan: ProductPlan) -> None:
    """The product fields through the same validation as catalog.services, then lengths."""
    try:
        plan.fields = clean_product_fields(plan.fields)
    except ValidationError as exc:
        row = plan.rows[0].number
        for name, errors in exc.error_dict.items():
            plan.error(
                row,
                FIELD_COLUMNS.get(name, name),
                _field_message(name, plan.fields.get(name), errors[0].messages[0]),
            )
        return
    for name, value in plan.fields.items():
        limit = Product._meta.get_field(name).max_length
        if isinstance(value, str) and limit and len(value) > limit:
            plan.error(
                plan.rows[0].number,
                FIELD_COLUMNS.get(name, name),
                f"{FIELD_COLUMNS.get(name, name)} is longer than {limit} characters.",
            )
    for tag in plan.fields.get("tags", []):
        if len(tag) > 64:
            plan.error(
                plan.rows[0].number,
                col.TAGS,
                f"The tag “{tag[:20]}…” is longer than 64 characters.",
            )


def _field_message(name: str, value: object, message: str) -> str:
    if name in ("gtin", "status", "condition") and value:
        return f"{message} Found “{value}”."
    return message


# --- Writing a chunk of product groups -----------------------------------------------------


def _import_chunk(plans: list[ProductPlan], result: ImportResult) -> None:
    """Write the chunk's valid products in one transaction; on a conflict, one by one."""
    valid = [plan for plan in plans if not plan.errors]
    for plan in plans:
        if plan.errors:
            result.errors.extend(plan.errors)
            result.skipped += 1
    try:
        with transaction.atomic():
            counts = _save(valid)
    except DatabaseError:
        counts = _ChunkCounts()
        for plan in valid:
            counts.add(_save_alone(plan))
    result.created += counts.created
    result.updated += counts.updated
    result.unchanged += counts.unchanged
    result.skipped += len({error.handle for error in counts.errors})
    result.errors.extend(counts.errors)


@dataclass
class _ChunkCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    def add(self, other: _ChunkCounts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.errors.extend(other.errors)


def _save_alone(plan: ProductPlan) -> _ChunkCounts:
    try:
        with transaction.atomic():
            return _save([plan])
    except DatabaseError as exc:
        message = integrity_error(exc).messages[0]
        return _ChunkCounts(
            errors=[
                RowError(row=plan.rows[0].number, handle=plan.handle, column="", message=message)
            ]
        )


@dataclass
class _Existing:
    """What the database holds for a chunk: products by handle, their variants and images,
    and the owners of the chunk's SKUs."""

    products: dict[str, Product]
    variants: dict[int, list[Variant]]
    image_urls: dict[int, set[str]]
    image_next: dict[int, int]
    sku_owner: dict[str, int]


def _load_existing(plans: list[ProductPlan]) -> _Existing:
    products = {p.slug: p for p in Product.objects.filter(slug__in=[p.handle for p in plans])}
    ids = [product.id for product in products.values()]
    variants: dict[int, list[Variant]] = {}
    for variant in Variant.objects.filter(product_id__in=ids).order_by("position", "id"):
        variants.setdefault(variant.product_id, []).append(variant)
    image_urls: dict[int, set[str]] = {}
    image_next: dict[int, int] = {}
    for product_id, url, position in ProductImage.objects.filter(product_id__in=ids).values_list(
        "product_id", "source_url", "position"
    ):
        image_urls.setdefault(product_id, set()).add(url)
        image_next[product_id] = max(image_next.get(product_id, 0), position + 1)
    skus = [v.values["sku"] for plan in plans for v in plan.variants if "sku" in v.values]
    sku_owner = dict(Variant.objects.filter(sku__in=skus).values_list("sku", "product_id"))
    return _Existing(products, variants, image_urls, image_next, sku_owner)


def _save(plans: list[ProductPlan]) -> _ChunkCounts:
    """Write valid product groups with a fixed number of queries (images aside)."""
    existing = _load_existing(plans)
    counts = _ChunkCounts()
    writable = []
    for plan in plans:
        errors = _sku_conflicts(plan, existing)
        counts.errors.extend(errors)
        if not errors:
            writable.append(plan)
    new_plans = [plan for plan in writable if plan.handle not in existing.products]
    products = _create_products(new_plans)
    aspects: dict[int, set[str]] = {p.id: set(Aspect.values) - {Aspect.IMAGES} for p in products}
    _update_products(writable, existing, aspects)
    products += [existing.products[p.handle] for p in writable if p.handle in existing.products]
    by_handle = {product.slug: product for product in products}
    stock_moves = _write_variants(writable, by_handle, existing, aspects)
    _add_images(writable, by_handle, existing, aspects)
    _record_outbox(aspects, stock_moves)
    counts.created = len(new_plans)
    counts.updated = sum(1 for moved in aspects.values() if moved) - len(new_plans)
    counts.unchanged = len(writable) - counts.created - counts.updated
    return counts


def _sku_conflicts(plan: ProductPlan, existing: _Existing) -> list[RowError]:
    product = existing.products.get(plan.handle)
    errors = []
    for variant in plan.variants:
        owner = existing.sku_owner.get(variant.values.get("sku", ""))
        if owner is not None and (product is None or owner != product.id):
            errors.append(
                RowError(
                    row=variant.row,
                    handle=plan.handle,
                    column=col.SKU,
                    message=f"The SKU {variant.values['sku']} is already used "
                    "by another product of the shop; SKUs are unique in a shop.",
                )
            )
    return errors


def _create_products(plans: list[ProductPlan]) -> list[Product]:
    products = [Product(slug=plan.handle, **plan.fields) for plan in plans]
    return Product.objects.bulk_create(products)


def _update_products(
    plans: list[ProductPlan], existing: _Existing, aspects: dict[int, set[str]]
) -> None:
    changed, names = [], set()
    now = timezone.now()
    for plan in plans:
        product = existing.products.get(plan.handle)
        if product is None:
            continue
        moved = [name for name, value in plan.fields.items() if getattr(product, name) != value]
        aspects[product.id] = aspects_for_product_fields(moved)
        if moved:
            for name in moved:
                setattr(product, name, plan.fields[name])
            product.updated = now
            changed.append(product)
            names.update(moved)
    if changed:
        Product.objects.bulk_update(changed, fields=[*sorted(names), "updated"])


def _write_variants(
    plans: list[ProductPlan],
    products: dict[str, Product],
    existing: _Existing,
    aspects: dict[int, set[str]],
) -> dict[int, list[tuple[int, int]]]:
    """Create and update the plans' variants; returns each product's moves of available
    stock (old, new) of its updated variants, for the shop page's cache. A file's stock
    is stock on hand: the units held by unpaid orders stay held."""
    new, changed, names = [], [], set()
    stock_moves: dict[int, list[tuple[int, int]]] = {}
    for plan in plans:
        product = products[plan.handle]
        matcher = _VariantMatcher(existing.variants.get(product.id, []))
        for position, variant_plan in enumerate(plan.variants):
            values = {**variant_plan.values, "position": position}
            variant = matcher.match(values)
            if variant is None:
                new.append(Variant(product=product, **values))
                aspects[product.id] |= {
                    Aspect.DETAILS,
                    Aspect.PRICE,
                    Aspect.STOCK,
                    Aspect.AVAILABILITY,
                }
                continue
            moved = [name for name, value in values.items() if getattr(variant, name) != value]
            if "stock" in moved:
                stock_moves.setdefault(product.id, []).append(
                    (variant.stock - variant.held, values["stock"] - variant.held)
                )
            if moved:
                for name in moved:
                    setattr(variant, name, values[name])
                changed.append(variant)
                names.update(moved)
                aspects[product.id] |= aspects_for_variant_fields(moved)
    Variant.objects.bulk_create(new)
    if changed:
        Variant.objects.bulk_update(changed, fields=sorted(names))
    return stock_moves


class _VariantMatcher:
    """Finds the stored variant a row describes: same SKU, else same options."""

    def __init__(self, variants: list[Variant]) -> None:
        self.by_sku = {variant.sku: variant for variant in variants}
        self.by_options = {(v.option1, v.option2, v.option3): v for v in variants}
        self.taken: set[int] = set()

    def match(self, values: dict) -> Variant | None:
        variant = self.by_sku.get(values.get("sku", ""))
        if variant is None:
            options = tuple(values.get(f"option{n}") for n in (1, 2, 3))
            variant = self.by_options.get(options)  # type: ignore[arg-type]
        if variant is None or variant.id in self.taken:
            return None
        self.taken.add(variant.id)
        return variant


def _add_images(
    plans: list[ProductPlan],
    products: dict[str, Product],
    existing: _Existing,
    aspects: dict[int, set[str]],
) -> None:
    """A pending image row per new Image Src; a task downloads it after commit."""
    for plan in plans:
        product = products[plan.handle]
        known = existing.image_urls.get(product.id, set())
        next_position = existing.image_next.get(product.id, 0)
        for image in plan.images:
            if image.src in known:
                continue
            position = image.position if image.position is not None else next_position
            product_image_add_from_url(
                product=product, url=image.src, alt_text=image.alt_text, position=position
            )
            known.add(image.src)
            next_position = max(next_position, position + 1)
            aspects[product.id].add(Aspect.IMAGES)


def _record_outbox(
    aspects: dict[int, set[str]], stock_moves: dict[int, list[tuple[int, int]]]
) -> None:
    """One outbox row per changed product, one INSERT per distinct set of aspects; the
    cached shop page is retired only if one of them changes what it shows (stock counts
    that stay on the same side of zero do not)."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for product_id, moved in aspects.items():
        if moved:
            groups.setdefault(tuple(sorted(moved)), []).append(product_id)
    for names, product_ids in groups.items():
        shop_page = any(
            shop_page_shows(aspects=names, stock_moves=stock_moves.get(product_id, ()))
            for product_id in product_ids
        )
        outbox_record(product_ids=product_ids, aspects=names, shop_page=shop_page)
