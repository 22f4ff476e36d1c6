"""seed_demo's posts: generated pictures with tags on the demo products, once."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from catalog.demo import demo_catalog_seed
from shops.posts.demo import demo_posts_seed
from shops.posts.models import Post, PostTag
from shops.storefront.demo import demo_design_seed
from tests.storefront.helpers import headings, shopper


def test_demo_posts_are_seeded_once_with_tags_and_shown_on_the_demo_page(shop_a, media):
    with tenant_context(shop_a):
        demo_catalog_seed(limit=10)
        demo_design_seed()
        first, second = demo_posts_seed(), demo_posts_seed()

        assert (first, second) == (3, 0)
        assert Post.objects.filter(status="published").count() == 3
        assert PostTag.objects.count() == 7
        assert all(0 <= tag.x <= 1 and 0 <= tag.y <= 1 for tag in PostTag.objects.all())
        partner = Post.objects.get(is_paid_partnership=True)
        assert partner.partner_name == "Atelier Nord"

    html = shopper().get("/").content.decode()
    assert "Shop our posts" in headings(html)
    assert html.count('class="posts-grid-item"') == 3
    assert html.count('class="post-tag"') == 7
