"""Reads of the design and of what its sections show, in a constant number of queries:
the design with the collections named by sections (one), every section's products (two:
``catalog.selectors.product_lists``), the feature sections' data (poll, reviews wall,
posts: one in all)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models.expressions import RawSQL

from catalog.json_rows import json_loads, json_values, model_from_json
from catalog.models import Collection
from catalog.selectors import ProductCard, product_cards, product_lists
from reviews.selectors import Rating, product_ratings_from_json, product_ratings_query
from shops.page_cache import cached_page
from shops.storefront.branding import theme_context
from shops.storefront.documents import default_document
from shops.storefront.models import Design
from shops.storefront.sections import REGISTRY, SectionType, section_type


def design_get() -> Design | None:
    return Design.objects.filter(key=1).first()


def _page_collections_sql() -> tuple[str, list]:
    """The collections named by the published sections' collection settings, as JSON."""
    names = sorted({kind.collection_setting for kind in REGISTRY.values()} - {None})
    sql = (
        f"(SELECT json_agg(row_to_json(c))::text FROM {Collection._meta.db_table} c "  # noqa: S608 (a model's table)
        "WHERE c.slug IN (SELECT section->'settings'->>name FROM jsonb_array_elements("
        f"{Design._meta.db_table}.published->'sections') section, unnest(%s::text[]) name))"
    )
    return sql, [names]


def design_for_page() -> Design | None:
    """The design, with the collections its *published* sections name as
    ``page_collections`` (slug → Collection, for ``sections_for_page``), in one query."""
    design = (
        Design.objects.filter(key=1)
        .annotate(page_collections_json=RawSQL(*_page_collections_sql()))  # noqa: S611
        .first()
    )
    if design is not None:
        rows = json_loads(design.page_collections_json) or []
        design.page_collections = {
            collection.slug: collection
            for collection in (model_from_json(Collection, row) for row in rows)
        }
    return design


def published_document(design: Design | None) -> dict:
    """What shoppers see: the published design, else the default one. Never the draft."""
    return design.published if design is not None and design.published else default_document()


def draft_document(design: Design | None) -> dict:
    return design.draft if design is not None and design.draft else default_document()


def shop_theme() -> dict:
    """The published branding's template context, cached with the shop's pages (no
    query when cached): for the shop's other pages, such as the product page."""
    return cached_page("theme", lambda: theme_context(published_document(design_get())["branding"]))


def embed_origins(design: Design | None) -> list[str]:
    return list(design.embed_origins) if design is not None else []


@dataclass
class SectionView:
    """A section ready for its template."""

    id: str
    kind: SectionType
    settings: dict
    collection: Collection | None = None
    cards: list[ProductCard] = field(default_factory=list)
    ratings: dict[int, Rating] = field(default_factory=dict)
    page_number: int = 1
    page_count: int = 1
    feature_context: dict | None = None
    is_empty: bool = False

    @property
    def template(self) -> str:
        return self.kind.template

    @property
    def has_previous(self) -> bool:
        return self.page_number > 1

    @property
    def has_next(self) -> bool:
        return self.page_number < self.page_count


def _page_count(total: int | None, per_page: int) -> int:
    return max(1, -(-(total or 0) // per_page))


def sections_for_page(
    *,
    document: dict,
    page_number: int = 1,
    section_id: str | None = None,
    collections: dict[str, Collection] | None = None,
) -> list[SectionView]:
    """The document's sections (or only ``section_id``) with what they show.

    ``page_number`` pages the first product grid; past its last page, the last page is
    shown (one extra count query, only then). ``collections`` (slug → Collection) are
    the ones the sections name, when already read (``design_for_page``)."""
    views = []
    for section in document["sections"]:
        if section_id is not None and section["id"] != section_id:
            continue
        kind = section_type(section["type"])
        if kind is None:  # a type removed from the code since: skip it, never fail
            continue
        views.append(SectionView(id=section["id"], kind=kind, settings=section["settings"]))

    slugs = {
        view.settings.get(view.kind.collection_setting)
        for view in views
        if view.kind.collection_setting
    }
    if collections is None:
        collections = (
            {c.slug: c for c in Collection.objects.filter(slug__in=slugs)} if slugs else {}
        )
    paged_id = next((v.id for v in views if v.kind.key == "product_grid"), None)
    _load_products(views, collections, page_number=page_number, paged_id=paged_id)
    _load_features(views)
    return views


def _load_features(views: list[SectionView]) -> None:
    """Every feature section's context, and the ratings of the products on cards: those
    with a ``feature_query`` and the ratings all in one query."""
    queries = []
    for view in views:
        if view.kind.feature_query is not None:
            queries.append((view, view.kind.feature_query(view.settings)))
        elif view.kind.feature_context is not None:
            view.feature_context = view.kind.feature_context(view.settings)
            view.is_empty = view.feature_context is None
    parts = [(query.sql, query.params) for _view, query in queries]
    product_ids = sorted({card.product.pk for view in views for card in view.cards})
    if product_ids:
        parts.append(product_ratings_query(product_ids=product_ids))
    values = json_values(parts)
    for (view, query), value in zip(queries, values, strict=False):
        view.feature_context = query.build(value)
        view.is_empty = view.feature_context is None
    if product_ids:
        ratings = product_ratings_from_json(values[-1], product_ids=product_ids)
        for view in views:
            view.ratings = {card.product.pk: ratings[card.product.pk] for card in view.cards}


def _load_products(
    views: list[SectionView], collections: dict, *, page_number: int, paged_id: str | None
) -> None:
    sources = []
    loaded = []
    for view in views:
        if view.kind.products is None:
            continue
        if view.kind.collection_setting:
            view.collection = collections.get(view.settings.get(view.kind.collection_setting))
        view.page_number = page_number if view.id == paged_id else 1
        source = view.kind.products(view.settings, view.collection, view.page_number)
        if source is None:
            view.is_empty = True
            continue
        sources.append(source)
        loaded.append(view)
    lists = product_lists(sources)
    for view, product_list, (queryset, start, stop) in zip(loaded, lists, sources, strict=True):
        if view.id == paged_id and not product_list.products and view.page_number > 1:
            # past the last page: show the last one (an extra count, for this odd URL only)
            per_page = stop - start
            last = _page_count(queryset.count(), per_page)
            view.page_number = last
            product_list = product_lists([(queryset, (last - 1) * per_page, last * per_page)])[0]
        view.cards = product_cards(product_list.products)
        view.page_count = _page_count(product_list.total, stop - start)
        if view.kind.collection_setting and not view.cards:
            view.is_empty = True
