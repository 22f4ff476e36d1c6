"""``/collections/<slug>/``: a published collection's active products, a page at a time
(the header menu links here). Constant queries whatever the collection's size: the
collection, its products' page with ratings (``catalog.selectors.product_lists``: three),
and a count only past the last page."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from catalog.collections import collection_products
from catalog.models import Collection
from catalog.selectors import product_cards, product_lists
from reviews.selectors import products_with_ratings, rating_of
from shops.storefront.selectors import shop_theme
from shops.storefront.views import page_number_from

PRODUCTS_PER_PAGE = 24


@require_GET
def collection_page(request: HttpRequest, slug: str) -> HttpResponse:
    collection = Collection.objects.filter(slug=slug, is_published=True).first()
    if collection is None:
        raise Http404("No such collection in this shop")
    number = page_number_from(request.GET.get("page"))
    products = products_with_ratings(collection_products(collection))

    def page_of(number: int):
        start = (number - 1) * PRODUCTS_PER_PAGE
        return product_lists([(products, start, start + PRODUCTS_PER_PAGE)])[0]

    listed = page_of(number)
    if not listed.products and number > 1:  # past the last page: the last one
        number = max(1, -(-products.count() // PRODUCTS_PER_PAGE))
        listed = page_of(number)
    page_count = max(1, -(-(listed.total or 0) // PRODUCTS_PER_PAGE))
    context = {
        **shop_theme(),
        "collection": collection,
        "section": {
            "cards": product_cards(listed.products),
            "ratings": {product.pk: rating_of(product) for product in listed.products},
        },
        "total": listed.total or 0,
        "page_number": number,
        "page_count": page_count,
        "currency": request.shop.currency,
    }
    return render(request, "storefront/collection_page.html", context)
