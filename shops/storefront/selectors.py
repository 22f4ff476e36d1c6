"""Reads of the design and of what its sections show, in a constant number of queries:
the design (one), the collections named by sections (one, when any), every section's
products with their ratings (three: ``catalog.selectors.product_lists``), and each
feature section's own (poll and reviews wall one each, posts gallery three)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator

from catalog.models import Collection
from catalog.selectors import ProductCard, product_cards, product_lists
from reviews.selectors import Rating, products_with_ratings, rating_of
from shops.page_cache import cached_page
from shops.storefront.branding import theme_context
from shops.storefront.documents import default_document
from shops.storefront.models import Design, LibraryImage
from shops.storefront.sections import SectionType, section_type


def design_get() -> Design | None:
    return Design.objects.filter(key=1).first()


def published_document(design: Design | None) -> dict:
    """What shoppers see: the published design, else the default one. Never the draft."""
    return design.published if design is not None and design.published else default_document()


def draft_document(design: Design | None) -> dict:
    return design.draft if design is not None and design.draft else default_document()


MENU_COLLECTIONS = 20


def menu_collections() -> list[dict]:
    """The header menu: the shop's published collections by title (at most
    MENU_COLLECTIONS), cached with the shop's pages (every collection write retires it);
    one query when not cached, whatever the number of collections."""
    return cached_page(
        "menu",
        lambda: list(
            Collection.objects.filter(is_published=True)
            .order_by("title", "id")
            .values("title", "slug")[:MENU_COLLECTIONS]
        ),
    )


def shop_theme() -> dict:
    """The published branding's template context and the header menu, cached with the
    shop's pages (no query when cached): for the shop's other pages, such as the
    product page."""
    theme = cached_page(
        "theme", lambda: theme_context(published_document(design_get())["branding"])
    )
    return {**theme, "menu_collections": menu_collections()}


LIBRARY_PAGE_SIZE = 24


def library_images_page(*, page_number: int = 1) -> Page:
    """A page of the shop's media library, newest first (two queries: count and page);
    past the last page, the last page."""
    return Paginator(LibraryImage.objects.all(), LIBRARY_PAGE_SIZE).get_page(page_number)


def embed_origins(design: Design | None) -> list[str]:
    return list(design.embed_origins) if design is not None else []


# the names a button may link to on the shop page besides section ids (``#products``):
# each names the first section of its type
TYPE_ANCHORS = {
    "product_grid": "products",
    "reviews_wall": "reviews",
    "posts_gallery": "posts",
    "poll": "poll",
    "featured_collection": "collection",
}


@dataclass
class SectionView:
    """A section ready for its template; ``anchors`` are the ids a link reaches it by."""

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
    anchors: list[str] = field(default_factory=list)

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
    *, document: dict, page_number: int = 1, section_id: str | None = None
) -> list[SectionView]:
    """The document's sections (or only ``section_id``) with what they show.

    ``page_number`` pages the first product grid; past its last page, the last page is
    shown (one extra count query, only then)."""
    views = []
    for section in document["sections"]:
        if section_id is not None and section["id"] != section_id:
            continue
        kind = section_type(section["type"])
        if kind is None:  # a type removed from the code since: skip it, never fail
            continue
        views.append(SectionView(id=section["id"], kind=kind, settings=section["settings"]))

    _anchors_set(views)
    slugs = {
        view.settings.get(view.kind.collection_setting)
        for view in views
        if view.kind.collection_setting
    }
    collections = {c.slug: c for c in Collection.objects.filter(slug__in=slugs)} if slugs else {}
    paged_id = next((v.id for v in views if v.kind.key == "product_grid"), None)
    _load_products(views, collections, page_number=page_number, paged_id=paged_id)
    _load_features(views)
    return views


def _anchors_set(views: list[SectionView]) -> None:
    """Each section is reached by its id; the first of a type also by the type's name
    (``#products``, ``#reviews``) unless a section already has that id."""
    taken = {view.id for view in views}
    for view in views:
        view.anchors = [view.id]
        name = TYPE_ANCHORS.get(view.kind.key)
        if name and name not in taken:
            view.anchors.append(name)
            taken.add(name)


def _load_features(views: list[SectionView]) -> None:
    for view in views:
        if view.kind.feature_context is not None:
            view.feature_context = view.kind.feature_context(view.settings)
            view.is_empty = view.feature_context is None


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
        products, start, stop = source
        sources.append((products_with_ratings(products), start, stop))  # ratings on cards
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
        view.ratings = {product.pk: rating_of(product) for product in product_list.products}
        view.page_count = _page_count(product_list.total, stop - start)
        if view.kind.collection_setting and not view.cards:
            view.is_empty = True
