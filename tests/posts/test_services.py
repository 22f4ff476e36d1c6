"""Posts, pictures and tags: validated whole, nothing half-saved."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import tenant_context

from catalog.models import Product
from catalog.services import product_delete, products_set_status
from shops.posts import selectors, services
from shops.posts.models import Post, PostImage, PostTag, ShopperPhotoConsent
from tests.posts.conftest import picture, published_post, stored_files, tag
from tests.storefront.helpers import product


def test_a_post_is_created_with_its_pictures_and_tags(shop_a, media):
    with tenant_context(shop_a):
        tote, mug = product("Tote", slug="tote"), product("Mug", slug="mug")

        post = published_post(tote, mug, is_paid_partnership=True, partner_name="Acme Studio")

        image = post.images.get()
        assert (image.width, image.height, image.alt_text) == (600, 400, "A summer look")
        assert sorted(image.renditions) == ["320", "600"]
        assert [(t.product_id, t.x, t.y, t.product_title) for t in image.tags.all()] == [
            (tote.id, 0.1, 0.3, "Tote"),
            (mug.id, pytest.approx(0.25), 0.3, "Mug"),
        ]
        assert (post.status, post.partner_name, post.source) == (
            "published",
            "Acme Studio",
            "merchant",
        )
    assert len(stored_files(media)) == 3  # the cleaned file and two renditions


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        (1.2, 0.5, "Tag 1: x = 1.2 is outside the picture (0 to 1)."),
        (0.5, -0.01, "Tag 1: y = -0.01 is outside the picture (0 to 1)."),
        (math.nan, 0.5, "Tag 1: x = nan is outside the picture (0 to 1)."),
        ("left", 0.5, "Tag 1: x is a number from 0 to 1."),
        (True, 0.5, "Tag 1: x is a number from 0 to 1."),
    ],
)
def test_tags_outside_the_picture_are_refused_and_nothing_is_saved(shop_a, media, x, y, message):
    with tenant_context(shop_a):
        tote = product("Tote", slug="tote")

        with pytest.raises(ValidationError) as error:
            services.post_create(
                images=[services.ImageInput(file=picture())],
                tags=[[services.TagInput(product_id=tote.id, x=x, y=y)]],
            )

        assert error.value.message_dict == {"tags": [f"Picture 1: {message}"]}
        assert not Post.objects.exists() and not PostImage.objects.exists()
    assert stored_files(media) == []


def test_more_than_twenty_tags_on_a_picture_are_refused(shop_a, media):
    with tenant_context(shop_a):
        tote = product("Tote", slug="tote")
        post = published_post(tote)
        image = post.images.get()

        with pytest.raises(ValidationError) as error:
            services.post_update(
                post=post,
                tags_by_image={image.id: [tag(tote, x=i / 21) for i in range(21)]},
                caption="changed",
            )

        assert error.value.messages == [
            "Picture 1: A picture has at most 20 product tags (21 given): Instagram allows no more."
        ]
        post.refresh_from_db()
        assert post.caption == "Summer look"
        assert list(image.tags.values_list("product_id", flat=True)) == [tote.id]
        # twenty is allowed
        services.post_update(
            post=post, tags_by_image={image.id: [tag(tote, x=i / 20) for i in range(20)]}
        )
        assert image.tags.count() == 20


def test_a_tag_to_another_shops_product_is_refused(shop_a, shop_b, media):
    with tenant_context(shop_b):
        theirs = product("Beta mug", slug="beta-mug")
    with tenant_context(shop_a):
        Product.objects.filter(id=theirs.id).delete()  # alpha has no product with that id

        with pytest.raises(ValidationError) as error:
            services.post_create(images=[services.ImageInput(file=picture())], tags=[[tag(theirs)]])

        assert error.value.messages == [
            f"Picture 1: Tag 1: product {theirs.id} is not in this shop."
        ]
        assert not Post.objects.exists()
    with tenant_context(shop_b):
        assert Product.objects.filter(id=theirs.id).exists()


def test_a_variant_of_another_product_is_refused(shop_a, media):
    with tenant_context(shop_a):
        tote, mug = product("Tote", slug="tote"), product("Mug", slug="mug")

        with pytest.raises(ValidationError) as error:
            services.post_create(
                images=[services.ImageInput(file=picture())],
                tags=[[tag(tote, variant_id=mug.variants.get().id)]],
            )

        assert error.value.messages == ["Picture 1: Tag 1: that variant is not one of Tote's."]


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("fake.png", b"not a picture at all"),
            "fake.png: This file is not an image we can read; upload a JPEG, PNG, WebP or GIF file.",
        ),
        (SimpleUploadedFile("empty.png", b""), "empty.png: The file is empty."),
    ],
)
def test_pictures_failing_the_pipeline_are_refused_and_nothing_is_saved(
    shop_a, media, upload, message
):
    with tenant_context(shop_a):
        with pytest.raises(ValidationError) as error:
            services.post_create(
                images=[services.ImageInput(file=picture()), services.ImageInput(file=upload)],
                caption="Two pictures",
            )

        assert error.value.message_dict == {"images": [message]}
        assert not Post.objects.exists() and not PostImage.objects.exists()
    assert stored_files(media) == []


def test_a_picture_over_the_size_limit_is_refused(shop_a, media, settings):
    settings.POSTS_IMAGE_MAX_BYTES = 1000
    with tenant_context(shop_a), pytest.raises(ValidationError) as error:
        services.post_create(images=[services.ImageInput(file=picture(size=(900, 900)))])
    assert error.value.message_dict["images"][0].startswith("look.png: The image is larger than")


def test_disclosure_without_a_partner_name_is_refused(shop_a, media):
    with tenant_context(shop_a):
        with pytest.raises(ValidationError) as error:
            services.post_create(
                images=[services.ImageInput(file=picture())],
                is_paid_partnership=True,
                partner_name="  ",
            )

        assert error.value.message_dict == {
            "partner_name": [
                "Name the partner of a paid partnership: shoppers are shown who paid for the post."
            ]
        }
        assert not Post.objects.exists()
    assert stored_files(media) == []


def test_a_post_needs_a_picture_and_keeps_one(shop_a, media):
    with tenant_context(shop_a):
        with pytest.raises(ValidationError) as error:
            services.post_create(images=[], caption="words only")
        assert error.value.message_dict == {"images": ["A post needs at least one picture."]}

        post = published_post()
        with pytest.raises(ValidationError):
            services.post_update(post=post, remove_image_ids=[post.images.get().id])
        assert post.images.count() == 1


def test_publishing_without_a_time_publishes_now(shop_a, media):
    with tenant_context(shop_a):
        post = services.post_create(images=[services.ImageInput(file=picture())])
        assert (post.status, post.published_at) == ("draft", None)

        services.post_update(post=post, status=Post.Status.PUBLISHED)

        post.refresh_from_db()
        assert post.published_at is not None
        assert post.published_at <= timezone.now()


def test_shopper_photo_needs_a_recorded_consent(shop_a, media):
    with tenant_context(shop_a):
        with pytest.raises(ValidationError) as error:
            services.post_create(
                images=[services.ImageInput(file=picture())], source=Post.Source.SHOPPER_PHOTO
            )
        assert error.value.message_dict == {
            "consent": [
                "A shopper's photo becomes a post only with their recorded consent: "
                "record it first, then pick it here."
            ]
        }
        assert not Post.objects.exists()


def test_a_shopper_photo_with_consent_credits_the_shopper(shop_a, media):
    with tenant_context(shop_a):
        owner = shop_a_owner()
        given = timezone.now() - timedelta(days=1)
        consent = services.consent_record(
            shopper_display_name="Maya L.",
            shopper_contact="maya@example.com",
            given_at=given,
            purpose="Shop page posts and Instagram",
            recorded_by=owner,
            review_photo_id=42,
        )

        post = services.post_from_shopper_photo(
            consent=consent, photo=services.ImageInput(file=picture()), caption="Maya's look"
        )

        assert (post.source, post.consent.shopper_display_name) == ("shopper_photo", "Maya L.")
        assert (consent.given_at, consent.recorded_by, consent.review_photo_id) == (
            given,
            owner,
            42,
        )
        # one consent, one post
        with pytest.raises(ValidationError) as error:
            services.post_from_shopper_photo(
                consent=consent, photo=services.ImageInput(file=picture())
            )
        assert error.value.message_dict == {"consent": ["This consent is already used by a post."]}


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"shopper_display_name": " ", "purpose": "posts"}, {"shopper_display_name"}),
        ({"shopper_display_name": "Maya", "purpose": ""}, {"purpose"}),
        ({"shopper_display_name": "Maya", "purpose": "posts", "given_at": "future"}, {"given_at"}),
    ],
)
def test_a_consent_says_who_what_and_when(shop_a, fields, errors):
    given = timezone.now() + timedelta(days=1) if fields.pop("given_at", None) else timezone.now()
    with tenant_context(shop_a):
        with pytest.raises(ValidationError) as error:
            services.consent_record(given_at=given, recorded_by=None, **fields)
        assert set(error.value.message_dict) == errors
        assert not ShopperPhotoConsent.objects.exists()


def test_tags_of_archived_and_deleted_products_are_hidden_from_shoppers_and_flagged(shop_a, media):
    with tenant_context(shop_a):
        tote, mug, cap = (product(t, slug=t.lower()) for t in ("Tote", "Mug", "Cap"))
        post = published_post(tote, mug, cap)

        products_set_status(product_ids=[mug.id], status=Product.Status.ARCHIVED)
        product_delete(product=Product.objects.get(id=cap.id))

        image = selectors.post_for_page(post_id=post.id).shown_images[0]
        assert [t.product.title for t in image.shown_tags] == ["Tote"]
        assert [(t["title"], t["problem"]) for t in selectors.admin_tags(post.images.get())] == [
            ("Tote", ""),
            ("Mug", "product archived"),
            ("Cap", "product deleted"),
        ]
        assert PostTag.objects.count() == 3


def test_draft_and_future_posts_are_not_shown(shop_a, media):
    with tenant_context(shop_a):
        services.post_create(images=[services.ImageInput(file=picture())], caption="draft")
        published_post(caption="later", published_at=timezone.now() + timedelta(hours=1))
        shown = published_post(caption="now")

        assert [post.id for post in selectors.posts_for_gallery(limit=9)] == [shown.id]


def test_deleting_a_post_deletes_its_files_on_commit(
    shop_a, media, django_capture_on_commit_callbacks
):
    with tenant_context(shop_a):
        post = published_post()
        with django_capture_on_commit_callbacks(execute=True):
            services.post_delete(post=post)
        assert not Post.objects.exists()
    assert stored_files(media) == []


def shop_a_owner():
    from shops.accounts.models import User

    return User.objects.get(email="owner@alpha.test")


def test_replacing_one_pictures_tags_is_all_or_nothing(shop_a, media):
    with tenant_context(shop_a):
        tote, mug = product("Tote", slug="tote"), product("Mug", slug="mug")
        image = published_post(tote).images.get()

        services.post_tags_set(image=image, tags=[tag(mug, 0.9, 0.1), tag(tote, 0, 1)])
        with pytest.raises(ValidationError):
            services.post_tags_set(
                image=image, tags=[tag(mug), services.TagInput(product_id=0, x=0, y=0)]
            )

        assert list(image.tags.values_list("product_id", "x", "y")) == [
            (mug.id, 0.9, 0.1),
            (tote.id, 0, 1),
        ]
