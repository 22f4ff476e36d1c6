"""Fixtures and helpers of the shoppable posts tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shops.posts import services
from shops.posts.models import Post
from tests.factories import PostFactory
from tests.factories import picture as picture
from tests.orders.conftest import selling_a  # noqa: F401 (fixtures)


def tag(product, x: float = 0.5, y: float = 0.5, variant_id=None) -> services.TagInput:
    return services.TagInput(product_id=product.id, x=x, y=y, variant_id=variant_id)


def published_post(*products, caption: str = "Summer look", **fields) -> Post:
    """A published post (publish time a minute ago) with one picture tagging ``products``."""
    return PostFactory(products=products, caption=caption, published=True, **fields)


def stored_files(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


@contextmanager
def page_serving_media(browser, media_root: Path, **context_options) -> Iterator[object]:
    """A page of a new browser context whose ``/media/`` requests are answered from
    ``media_root`` (the live server runs without DEBUG, so without a media route)."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.route(
        "**/media/**",
        lambda route: route.fulfill(
            path=Path(media_root, route.request.url.split("/media/", 1)[1])
        ),
    )
    try:
        yield page
    finally:
        context.close()
