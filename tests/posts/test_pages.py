"""The posts gallery on the shop page and the embed, and the post page."""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from catalog.collections import collection_create
from catalog.models import Product
from catalog.services import products_set_status
from shops.posts import services
from shops.posts.models import Post
from shops.storefront import services as design
from shops.tasks import for_each_shop
from tests.posts.conftest import picture, published_post, tag
from tests.storefront.helpers import product, shopper


def queries(path: str, slug: str = "alpha") -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = shopper(slug).get(path)
    assert response.status_code == 200, response.status_code
    return len(captured), response.content.decode()


def gallery_on_the_page(**settings) -> str:
    section = design.section_add(section_type_key="posts_gallery")
    design.section_update(
        section_id=section["id"], settings={"heading": "Shop the look", **settings}
    )
    design.design_publish()
    return section["id"]


def test_the_gallery_shows_published_posts_with_their_tags_and_disclosure(shop_a, media):
    with tenant_context(shop_a):
        tote = product("Tote", slug="tote", price="24.00")
        gallery_on_the_page()
        post = published_post(
            tote, caption="Beach day", is_paid_partnership=True, partner_name="Acme"
        )
        draft = services.post_create(
            images=[services.ImageInput(file=picture())], caption="Secret draft"
        )

    html = shopper().get("/").content.decode()

    assert "Shop the look" in html
    assert f'href="/posts/{post.id}/" data-post-open=' in html
    assert f"/posts/{draft.id}/" not in html and "Secret draft" not in html
    assert html.count("<strong>Paid partnership</strong> with Acme") == 2  # grid and dialog
    link = f'href="/products/tote/?post={post.id}"'
    assert link in html
    assert 'Tote<span class="post-tag-price"> · €24.00</span>' in html
    assert 'style="left: 10.00%; top: 30.00%"' in html


def test_the_gallery_costs_three_queries_whatever_the_number_of_posts(shop_a, media):
    with tenant_context(shop_a):
        section_id = gallery_on_the_page(limit=24)
        products = [product(f"P{i}", slug=f"p{i}") for i in range(4)]
        published_post(products[0])
    few, few_html = queries("/")
    cache.clear()
    with tenant_context(shop_a):
        for index in range(12):
            published_post(*products, caption=f"post {index}")
    many, many_html = queries("/")
    cache.clear()
    embed, embed_html = queries(f"/embed/?section={section_id}")

    # routing (3), design, product grid (products with ratings; variants; images), posts,
    # their pictures, their tags, the header's collections menu
    assert few == many == 11
    assert embed == 7  # routing (3), design, posts, pictures, tags: no product grid
    assert few_html.count('class="posts-grid-item"') == 1
    assert many_html.count('class="posts-grid-item"') == 13
    assert many_html.count('class="post-tag"') == 12 * 4 + 1
    assert 'href="/embed/?product=p1&amp;post=' in embed_html


def test_a_section_without_posts_renders_nothing(shop_a):
    with tenant_context(shop_a):
        gallery_on_the_page()
    assert "Shop the look" not in shopper().get("/").content.decode()


def test_publishing_a_post_retires_the_cached_page(
    shop_a, media, django_capture_on_commit_callbacks
):
    with tenant_context(shop_a):
        gallery_on_the_page()
        first = published_post(caption="First")
    assert "posts-grid-item" in shopper().get("/").content.decode()

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        services.post_update(post=first, caption="Renamed")
        draft = services.post_create(images=[services.ImageInput(file=picture())], caption="Second")

    html = shopper().get("/").content.decode()
    assert "Renamed" in html and "Second" not in html

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        services.post_update(post=draft, status=Post.Status.PUBLISHED)
    assert "Second" in shopper().get("/").content.decode()


def test_the_post_page_has_open_graph_tags_and_tags_to_the_product(shop_a, media):
    with tenant_context(shop_a):
        tote = product("Tote", slug="tote")
        archived = product("Old mug", slug="old-mug")
        post = published_post(tote, archived, caption="Beach day\nwith the tote")
        products_set_status(product_ids=[archived.id], status=Product.Status.ARCHIVED)

    response = shopper().get(f"/posts/{post.id}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="og:title" content="Beach day with the tote">' in html
    assert f'<meta property="og:url" content="http://alpha.localhost/posts/{post.id}/">' in html
    image = re.search(r'<meta property="og:image" content="([^"]+)">', html).group(1)
    assert image.startswith("http://alpha.localhost/media/shop_alpha/posts/")
    assert '<meta property="og:image:width" content="600">' in html
    assert f'href="/products/tote/?post={post.id}"' in html
    assert "Old mug" not in html
    assert response.cookies == {}


def test_draft_unknown_and_other_shops_posts_are_404(shop_a, shop_b, media):
    with tenant_context(shop_a):
        draft = services.post_create(images=[services.ImageInput(file=picture())])
        post = published_post()
        with tenant_context(shop_b):
            assert not Post.objects.filter(id=post.id).exists()

    assert shopper().get(f"/posts/{draft.id}/").status_code == 404
    assert shopper().get("/posts/999999/").status_code == 404
    assert shopper("beta").get(f"/posts/{post.id}/").status_code == 404


def test_a_tag_with_a_variant_opens_that_variant(shop_a, media):
    with tenant_context(shop_a):
        tote = product("Tote", slug="tote")
        variant = tote.variants.get()
        post = services.post_create(
            images=[services.ImageInput(file=picture())],
            tags=[[tag(tote, variant_id=variant.id)]],
            status=Post.Status.PUBLISHED,
            published_at=timezone.now(),
        )
    html = shopper().get(f"/posts/{post.id}/").content.decode()
    assert f'href="/products/tote/?post={post.id}&amp;variant={variant.id}"' in html


def test_the_post_page_costs_the_same_queries_with_many_tags(shop_a, media):
    with tenant_context(shop_a):
        products = [product(f"P{i}", slug=f"p{i}") for i in range(6)]
        few = published_post(products[0])
        many = published_post(*products)
    shopper().get(f"/posts/{few.id}/")  # the theme is cached from here on

    few_count, _ = queries(f"/posts/{few.id}/")
    many_count, html = queries(f"/posts/{many.id}/")

    assert few_count == many_count == 4  # search_path (the shop is cached), post, pictures, tags
    assert html.count('class="post-tag"') == 6


def test_a_scheduled_post_shows_once_due_through_the_beat(
    shop_a, media, django_capture_on_commit_callbacks
):
    with tenant_context(shop_a):
        gallery_on_the_page()
        published_post(caption="Already out")
        scheduled = published_post(
            caption="Tomorrow's drop", published_at=timezone.now() + timedelta(hours=1)
        )
    assert "Tomorrow" not in shopper().get("/").content.decode()  # cached before it is due

    # when its time comes (the clock moves: no write retires the cached page)
    with tenant_context(shop_a):
        Post.objects.filter(id=scheduled.id).update(
            published_at=timezone.now() - timedelta(seconds=5)
        )
        assert not services.posts_due_announce(window=timedelta(seconds=1))  # out of window
    assert "Tomorrow" not in shopper().get("/").content.decode()  # still the cached page
    with django_capture_on_commit_callbacks(execute=True):
        for_each_shop("posts.due_posts_announce")

    # then the beat's task retired the cached page
    assert "Tomorrow" in shopper().get("/").content.decode()
    entry = settings.CELERY_BEAT_SCHEDULE["posts-announce-due-posts"]
    assert (entry["task"], entry["args"]) == ("shops.for_each_shop", ["posts.due_posts_announce"])


def test_the_shop_page_with_every_product_section_and_a_gallery_costs_eleven_queries(shop_a, media):
    with tenant_context(shop_a):
        collection_create(title="Picks", slug="picks", kind="automatic", rule_tags=["pick"])
        for kind in (
            "hero",
            "featured_collection",
            "rich_text",
            "image_with_text",
            "posts_gallery",
        ):
            section = design.section_add(section_type_key=kind)
            if kind == "featured_collection":
                design.section_update(section_id=section["id"], settings={"collection": "picks"})
        design.design_publish()
        products = [product(f"P{i}", slug=f"p{i}", tags=["pick"]) for i in range(3)]
        for _ in range(9):
            published_post(*products)

    page, html = queries("/")
    cache.clear()
    embed, _ = queries("/embed/")

    # routing 3, the design, its collections, products (with ratings), their variants, their
    # images, the posts, their pictures, their tags; the page also its collections menu
    assert page == 12
    assert embed == 11
    assert html.count('class="post-tag"') == 27
