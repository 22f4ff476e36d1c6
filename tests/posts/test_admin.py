"""The posts admin: add a post with pictures, place tags through the editor's field,
flags and click-through columns; errors shown, nothing half-saved."""

from __future__ import annotations

import json

from django_tenants.utils import tenant_context

from catalog.models import Product
from catalog.services import products_set_status
from shops.posts import services
from shops.posts.models import Post, PostImage, ShopperPhotoConsent
from tests.posts.conftest import picture, published_post, stored_files
from tests.storefront.helpers import owner, product


def form(**overrides) -> dict:
    data = {
        "caption": "Beach day",
        "status": "draft",
        "published_at_0": "",
        "published_at_1": "",
        "source": "merchant",
        "partner_name": "",
        "consent": "",
        "new_images_alt": "",
    }
    data.update(overrides)
    return data


def test_the_merchant_adds_a_post_with_pictures(shop_a, media):
    response = owner().post(
        "/admin/posts/post/add/",
        form(new_images=[picture("one.png"), picture("two.png")], new_images_alt="Beach"),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    with tenant_context(shop_a):
        post = Post.objects.get()
        assert post.caption == "Beach day"
        assert list(post.images.values_list("alt_text", "position")) == [("Beach", 0), ("Beach", 1)]


def test_disclosure_without_partner_and_a_bad_picture_are_shown_and_nothing_is_saved(shop_a, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = owner().post(
        "/admin/posts/post/add/",
        form(is_paid_partnership="on", new_images=[SimpleUploadedFile("x.png", b"nope")]),
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Name the partner of a paid partnership" in html
    assert "x.png: This file is not an image we can read" in html
    with tenant_context(shop_a):
        assert not Post.objects.exists()
    assert stored_files(media) == []


def test_the_editor_field_saves_tags_and_bad_tags_change_nothing(shop_a, media):
    with tenant_context(shop_a):
        tote = product("Tote", slug="tote")
        post = published_post()
        image = post.images.get()
    client = owner()
    page = client.get(f"/admin/posts/post/{post.id}/change/").content.decode()
    assert "data-tag-editor" in page and 'name="tags_' in page and "Tote" in page
    published = {
        "status": "published",
        "published_at_0": post.published_at.strftime("%Y-%m-%d"),
        "published_at_1": post.published_at.strftime("%H:%M:%S"),
    }

    good = client.post(
        f"/admin/posts/post/{post.id}/change/",
        form(
            **published,
            **{f"tags_{image.id}": json.dumps([{"product_id": tote.id, "x": 0.25, "y": 0.75}])},
        ),
    )
    bad = client.post(
        f"/admin/posts/post/{post.id}/change/",
        form(
            **published,
            caption="Changed",
            **{f"tags_{image.id}": json.dumps([{"product_id": tote.id, "x": 1.5, "y": 0.75}])},
        ),
    )

    assert good.status_code == 302
    assert bad.status_code == 200
    assert "Tags: Tag 1: x = 1.5 is outside the picture (0 to 1)." in bad.content.decode()
    with tenant_context(shop_a):
        post.refresh_from_db()
        assert post.caption == "Beach day"
        assert list(image.tags.values_list("product_id", "x", "y")) == [(tote.id, 0.25, 0.75)]


def test_the_list_shows_click_through_revenue_and_flags_hidden_tags(shop_a, media):
    with tenant_context(shop_a):
        tote, mug = product("Tote", slug="tote"), product("Mug", slug="mug")
        post = published_post(tote, mug, is_paid_partnership=True, partner_name="Acme")
        services.post_events_record(events=[(post.id, "impression"), (post.id, "click")])
        services.post_events_record(events=[(post.id, "impression")])
        services.post_events_record(events=[(post.id, "impression")])
        services.post_events_record(events=[(post.id, "impression")])
        products_set_status(product_ids=[mug.id], status=Product.Status.ARCHIVED)

    html = owner().get("/admin/posts/post/").content.decode()

    assert '<td class="field-impressions">4</td>' in html
    assert '<td class="field-tag_clicks">1</td>' in html
    assert '<td class="field-click_through_rate">25.0%</td>' in html
    assert '<td class="field-attributed_revenue">0.00 EUR</td>' in html
    assert "1 hidden from shoppers" in html
    assert "Paid partnership: Acme" in html
    change = owner().get(f"/admin/posts/post/{post.id}/change/").content.decode()
    assert "All time: 4 impressions, 1 tag clicks, CTR 25.0%, 0 paid orders" in change
    assert "product archived" in change


def test_consent_is_recorded_with_the_staff_member_and_never_edited(shop_a):
    client = owner()
    response = client.post(
        "/admin/posts/shopperphotoconsent/add/",
        {
            "shopper_display_name": "Maya L.",
            "shopper_contact": "maya@example.com",
            "given_at_0": "2026-01-02",
            "given_at_1": "10:00:00",
            "purpose": "Shop page posts",
            "review_photo_id": "17",
        },
    )

    assert response.status_code == 302
    with tenant_context(shop_a):
        consent = ShopperPhotoConsent.objects.get()
        assert (consent.recorded_by.email, consent.review_photo_id) == ("owner@alpha.test", 17)
    change = client.post(
        f"/admin/posts/shopperphotoconsent/{consent.id}/change/",
        {
            "shopper_display_name": "Someone else",
            "given_at_0": "2026-01-02",
            "given_at_1": "10:00:00",
            "purpose": "Anything",
        },
    )
    assert change.status_code == 403
    with tenant_context(shop_a):
        assert ShopperPhotoConsent.objects.get().shopper_display_name == "Maya L."


def test_the_admin_refuses_a_shopper_photo_without_consent(shop_a, media):
    response = owner().post(
        "/admin/posts/post/add/", form(source="shopper_photo", new_images=[picture()])
    )
    assert response.status_code == 200
    assert "only with their recorded consent" in response.content.decode()
    with tenant_context(shop_a):
        assert not PostImage.objects.exists()


def test_another_shops_owner_sees_none_of_these_posts(shop_a, shop_b, media):
    with tenant_context(shop_a):
        post = published_post(caption="Alpha only")
        with tenant_context(shop_b):
            assert not Post.objects.filter(id=post.id).exists()

    listing = owner("beta").get("/admin/posts/post/").content.decode()
    change = owner("beta").get(f"/admin/posts/post/{post.id}/change/")

    assert "Alpha only" not in listing
    assert change.status_code == 302  # Django's "doesn't exist" redirect to the list
