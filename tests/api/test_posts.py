"""Shoppable posts in the partner API: create with pictures (base64) and product tags,
the services' rules (tags to this shop's products, disclosure, consent), update, delete,
the product filter, constant queries per page, idempotency, and shops kept apart."""

from __future__ import annotations

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart
from django.utils import timezone
from django_tenants.utils import tenant_context
from PIL import Image

from shops.posts.models import Post, PostImage, PostTag
from shops.posts.services import consent_record
from tests.api.conftest import (
    ApiClient,
    a_post,
    error_of,
    png_base64,
    png_bytes,
    post_twice_with_one_key,
    product_only_b_has,
)
from tests.catalog.conftest import BAD_PICTURES, ImageServer
from tests.reviews.helpers import make_product


@pytest.fixture
def posts_api(shop_a, make_key) -> ApiClient:
    return ApiClient("alpha", make_key(shop_a, ["posts:read", "posts:write"]))


def picture(*tags: tuple[int, float, float], colour: str = "teal") -> dict:
    return {
        "content_base64": png_base64(colour),
        "alt_text": "A look",
        "tags": [{"product_id": product_id, "x": x, "y": y} for product_id, x, y in tags],
    }


def test_create_a_published_post_with_tagged_pictures(shop_a, media, posts_api):
    with tenant_context(shop_a):
        shirt = make_product()
        scarf = make_product("Wool Scarf", slug="wool-scarf")

    response = posts_api.post(
        "/api/v1/posts/",
        {
            "caption": "Autumn layers",
            "status": "published",
            "images": [picture((shirt.pk, 0.2, 0.4), (scarf.pk, 0.7, 0.1)), picture(colour="red")],
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["caption"], body["status"], body["source"]) == (
        "Autumn layers",
        "published",
        "merchant",
    )
    assert body["published_at"].endswith("Z")
    assert [len(image["tags"]) for image in body["images"]] == [2, 0]
    assert [
        (t["product_id"], t["product_title"], t["x"], t["y"]) for t in body["images"][0]["tags"]
    ] == [
        (shirt.pk, "Linen Shirt", 0.2, 0.4),
        (scarf.pk, "Wool Scarf", 0.7, 0.1),
    ]
    assert body["images"][0]["url"].startswith("http://alpha.localhost/")
    assert body["images"][0]["url"].endswith(".webp")


def test_the_services_rules_refuse_bad_posts_and_write_nothing(shop_a, shop_b, media, posts_api):
    beta_product = product_only_b_has(shop_b)
    with tenant_context(shop_a):
        shirt = make_product()
        consent = consent_record(
            shopper_display_name="Mia",
            given_at=timezone.now(),
            purpose="Shop page",
            recorded_by=None,
        )

    foreign_tag = posts_api.post(
        "/api/v1/posts/", {"images": [picture((beta_product.pk, 0.5, 0.5))]}
    )
    outside = posts_api.post("/api/v1/posts/", {"images": [picture((shirt.pk, 1.5, 0.5))]})
    undisclosed = posts_api.post(
        "/api/v1/posts/", {"is_paid_partnership": True, "images": [picture()]}
    )
    no_consent = posts_api.post(
        "/api/v1/posts/", {"source": "shopper_photo", "images": [picture()]}
    )
    unknown_consent = posts_api.post(
        "/api/v1/posts/",
        {
            "source": "shopper_photo",
            "consent_id": consent.pk + 100,
            "images": [picture()],
        },
    )
    not_a_picture = posts_api.post(
        "/api/v1/posts/", {"images": [{"content_base64": "bm90IGFuIGltYWdl"}]}
    )
    consented = posts_api.post(
        "/api/v1/posts/",
        {
            "source": "shopper_photo",
            "consent_id": consent.pk,
            "images": [picture()],
        },
    )

    assert (foreign_tag.status_code, error_of(foreign_tag)["field"]) == (400, "tags")
    assert f"product {beta_product.pk} is not in this shop" in error_of(foreign_tag)["message"]
    assert (outside.status_code, error_of(outside)["field"]) == (400, "images[0].tags[0].x")
    assert (undisclosed.status_code, error_of(undisclosed)["field"]) == (400, "partner_name")
    assert (no_consent.status_code, error_of(no_consent)["field"]) == (400, "consent")
    assert "consent" in error_of(no_consent)["message"]
    assert (unknown_consent.status_code, error_of(unknown_consent)["field"]) == (400, "consent_id")
    assert (not_a_picture.status_code, error_of(not_a_picture)["field"]) == (400, "images")
    assert consented.status_code == 201 and consented.json()["consent_id"] == consent.pk
    with tenant_context(shop_a):
        assert Post.objects.count() == 1


def test_update_changes_fields_pictures_and_tags_all_or_nothing(shop_a, media, posts_api):
    with tenant_context(shop_a):
        shirt = make_product()
        scarf = make_product("Wool Scarf", slug="wool-scarf")
        post = a_post(shirt)
        first_image = post.images.get()
    path = f"/api/v1/posts/{post.pk}/"

    changed = posts_api.patch(
        path,
        {
            "caption": "New caption",
            "image_tags": [
                {
                    "image_id": first_image.pk,
                    "tags": [
                        {"product_id": scarf.pk, "x": 0.1, "y": 0.9},
                    ],
                }
            ],
            "add_images": [picture((shirt.pk, 0.5, 0.5), colour="red")],
        },
    )
    refused = posts_api.patch(
        path,
        {
            "caption": "Lost?",
            "remove_image_ids": [first_image.pk],
            "image_tags": [{"image_id": 999999, "tags": []}],
        },
    )
    removed = posts_api.patch(path, {"remove_image_ids": [first_image.pk]})

    assert changed.status_code == 200
    images = changed.json()["images"]
    assert changed.json()["caption"] == "New caption"
    assert [[t["product_id"] for t in image["tags"]] for image in images] == [
        [scarf.pk],
        [shirt.pk],
    ]
    assert (refused.status_code, error_of(refused)["field"]) == (400, "tags")
    assert removed.json()["caption"] == "New caption"  # the refused change left nothing
    assert [image["id"] for image in removed.json()["images"]] == [images[1]["id"]]


def test_delete_removes_the_post_its_pictures_and_tags(shop_a, media, posts_api):
    with tenant_context(shop_a):
        post = a_post(make_product())

    deleted = posts_api.delete(f"/api/v1/posts/{post.pk}/")
    gone = posts_api.get(f"/api/v1/posts/{post.pk}/")

    assert deleted.status_code == 204 and gone.status_code == 404
    with tenant_context(shop_a):
        assert not PostImage.objects.exists() and not PostTag.objects.exists()


def test_list_filters_by_tagged_product_and_status(shop_a, media, posts_api):
    with tenant_context(shop_a):
        shirt = make_product()
        scarf = make_product("Wool Scarf", slug="wool-scarf")
        with_shirt = a_post(shirt, scarf, status="published")
        with_scarf = a_post(scarf, caption="Scarf only")

    tagged_shirt = posts_api.get("/api/v1/posts/", {"product": shirt.pk})
    tagged_scarf = posts_api.get("/api/v1/posts/", {"product": scarf.pk})
    drafts = posts_api.get("/api/v1/posts/", {"status": "draft"})

    assert [p["id"] for p in tagged_shirt.json()["results"]] == [with_shirt.pk]
    assert [p["id"] for p in tagged_scarf.json()["results"]] == [with_scarf.pk, with_shirt.pk]
    assert [p["id"] for p in drafts.json()["results"]] == [with_scarf.pk]


def test_create_replays_with_the_same_idempotency_key(shop_a, media, posts_api):
    body = {"caption": "Once", "images": [picture()]}

    first, _again = post_twice_with_one_key(posts_api, "/api/v1/posts/", body, "post-1")

    assert first.status_code == 201
    with tenant_context(shop_a):
        assert Post.objects.count() == 1


@pytest.mark.parametrize("count", [2, 8])
def test_list_query_count_is_constant(shop_a, media, posts_api, count, django_assert_num_queries):
    with tenant_context(shop_a):
        products = [make_product(f"P{n}", slug=f"p{n}") for n in range(3)]
        for _number in range(count):
            a_post(*products)
    posts_api.get("/api/v1/posts/")  # the key's last use is recorded once a minute

    # SET search_path, the key, the posts, pictures, tags (the shop by host is cached)
    with django_assert_num_queries(5):
        response = posts_api.get("/api/v1/posts/", {"limit": 100})

    assert len(response.json()["results"]) == count
    assert all(len(post["images"][0]["tags"]) == 3 for post in response.json()["results"])


def test_a_key_of_shop_a_never_sees_nor_changes_shop_bs_posts(shop_a, shop_b, media, make_key):
    with tenant_context(shop_b):
        product = make_product("Beta secret", slug="beta-secret")
        for _number in range(3):
            a_post(product)
        theirs = a_post(product, caption="Beta only")
    with tenant_context(shop_a):
        ours = a_post(make_product(), caption="Alpha")
        assert not Post.objects.filter(pk=theirs.pk).exists()
    api = ApiClient("alpha", make_key(shop_a, ["posts:read", "posts:write"]))

    listed = api.get("/api/v1/posts/")
    detail = api.get(f"/api/v1/posts/{theirs.pk}/")
    patched = api.patch(f"/api/v1/posts/{theirs.pk}/", {"caption": "Taken over"})
    deleted = api.delete(f"/api/v1/posts/{theirs.pk}/")
    uploaded = upload(api, f"/api/v1/posts/{theirs.pk}/images/", {"file": png_upload()})
    by_url = api.post(f"/api/v1/posts/{theirs.pk}/images/", {"url": "http://127.0.0.1:9/x.png"})

    assert [p["id"] for p in listed.json()["results"]] == [ours.pk]
    assert "Beta" not in listed.content.decode()
    assert detail.status_code == patched.status_code == deleted.status_code == 404
    assert uploaded.status_code == by_url.status_code == 404
    with tenant_context(shop_b):
        theirs.refresh_from_db()
        assert PostImage.objects.filter(post=theirs).count() == 1
    assert theirs.caption == "Beta only"


def test_a_body_over_the_limit_is_413_not_a_server_error(shop_a, media, posts_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200  # read whole only to check the key
    body = {"caption": "Big", "images": [picture()]}

    response = posts_api.post("/api/v1/posts/", body, headers={"Idempotency-Key": "big-1"})

    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"
    assert "at most 200 bytes" in error_of(response)["message"]
    with tenant_context(shop_a):
        assert not Post.objects.exists()


# --- Pictures by multipart upload and by URL (shops.api.images) ---------------------------


def upload(api: ApiClient, path: str, fields: dict, key: str = "", boundary: str = "b0undary"):
    """A multipart POST of ``fields`` (files as SimpleUploadedFile)."""
    headers = {**api.headers, **({"Idempotency-Key": key} if key else {})}
    return api.client.post(
        path,
        encode_multipart(boundary, fields),
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=headers,
    )


def png_upload(name: str = "look.png", colour: str = "teal") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(colour), content_type="image/png")


def noise_png() -> bytes:
    """A PNG that does not compress (about 30 KB)."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (100, 100), os.urandom(30_000)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_picture_is_uploaded_by_multipart_at_the_end_of_the_post(shop_a, media, posts_api):
    with tenant_context(shop_a):
        post = a_post(make_product())
    path = f"/api/v1/posts/{post.pk}/images/"

    added = upload(posts_api, path, {"file": png_upload(), "alt_text": "Back"}, key="up-1")
    replayed = upload(
        posts_api,
        path,
        {"file": png_upload(), "alt_text": "Back"},
        key="up-1",
        boundary="another-boundary",
    )
    other = upload(posts_api, path, {"file": png_upload(colour="red")}, key="up-1")

    assert added.status_code == 201, added.content
    body = added.json()
    assert (body["alt_text"], body["width"], body["height"], body["tags"]) == ("Back", 300, 200, [])
    assert body["url"].startswith("http://alpha.localhost/media/") and body["url"].endswith(".webp")
    assert replayed["Idempotent-Replayed"] == "true" and replayed.content == added.content
    assert other.status_code == 409
    detail = posts_api.get(f"/api/v1/posts/{post.pk}/").json()
    assert [image["id"] for image in detail["images"]][-1] == body["id"]
    assert len(detail["images"]) == 2
    assert (media / "shop_alpha").is_dir()


def test_pictures_named_by_url_are_downloaded_from_the_address(
    shop_a, media, posts_api, image_server
):
    with tenant_context(shop_a):
        shirt = make_product()
    ImageServer.routes = {"/look.png": (200, png_bytes("navy"), 0)}
    url = f"{image_server}/look.png"

    created = posts_api.post(
        "/api/v1/posts/",
        {
            "caption": "From the web",
            "images": [
                {
                    "url": url,
                    "alt_text": "Navy",
                    "tags": [{"product_id": shirt.pk, "x": 0.5, "y": 0.5}],
                },
                picture(),  # base64 still works beside it
            ],
        },
    )
    post_id = created.json()["id"]
    added = posts_api.post(f"/api/v1/posts/{post_id}/images/", {"url": url})
    patched = posts_api.patch(f"/api/v1/posts/{post_id}/", {"add_images": [{"url": url}]})

    assert created.status_code == 201, created.content
    images = created.json()["images"]
    assert [(i["alt_text"], i["width"], len(i["tags"])) for i in images] == [
        ("Navy", 300, 1),
        ("A look", 300, 0),
    ]
    assert added.status_code == 201 and added.json()["width"] == 300
    assert patched.status_code == 200 and len(patched.json()["images"]) == 4


@pytest.mark.parametrize(("route", "code", "message"), BAD_PICTURES)
def test_a_url_that_fails_is_a_400_that_says_why_and_writes_nothing(
    shop_a, media, posts_api, image_server, settings, route, code, message
):
    settings.POSTS_IMAGE_MAX_BYTES = 2048
    with tenant_context(shop_a):
        post = a_post(make_product())
    ImageServer.routes = {"/picture": route}
    url = f"{image_server}/picture"

    created = posts_api.post("/api/v1/posts/", {"images": [picture(), {"url": url}]})
    added = posts_api.post(f"/api/v1/posts/{post.pk}/images/", {"url": url})

    assert created.status_code == added.status_code == 400
    assert message in error_of(created)["message"] and message in error_of(added)["message"]
    assert error_of(created)["field"] in ("images[1].url", "images")
    assert error_of(added)["field"] == "url"
    assert error_of(added)["code"] == code
    with tenant_context(shop_a):
        assert list(Post.objects.values_list("pk", flat=True)) == [post.pk]
        assert PostImage.objects.filter(post=post).count() == 1


def test_a_private_address_is_refused_when_the_guard_is_on(shop_a, media, posts_api, settings):
    settings.CATALOG_IMAGE_FETCH_PRIVATE = False
    with tenant_context(shop_a):
        post = a_post(make_product())

    added = posts_api.post(
        f"/api/v1/posts/{post.pk}/images/", {"url": "http://169.254.169.254/latest/x.png"}
    )

    assert added.status_code == 400
    assert error_of(added) | {"errors": None} == {
        "code": "image_url_host",
        "field": "url",
        "errors": None,
        "message": "Images cannot be fetched from 169.254.169.254.",
    }


def test_an_upload_too_large_or_not_a_picture_is_a_400_naming_the_file(
    shop_a, media, posts_api, settings
):
    settings.POSTS_IMAGE_MAX_BYTES = 1024
    with tenant_context(shop_a):
        post = a_post(make_product())
    path = f"/api/v1/posts/{post.pk}/images/"

    large = upload(posts_api, path, {"file": SimpleUploadedFile("large.png", noise_png())})
    not_picture = upload(posts_api, path, {"file": SimpleUploadedFile("notes.txt", b"hello")})
    neither = posts_api.post(path, {"alt_text": "Nothing"})

    assert large.status_code == 400
    assert (error_of(large)["field"], error_of(large)["code"]) == ("file", "image_too_large")
    assert error_of(large)["message"] == (
        "large.png: The image is larger than 1 KB; export it smaller and try again."
    )
    assert (not_picture.status_code, error_of(not_picture)["field"]) == (400, "file")
    assert "notes.txt: This file is not an image we can read" in error_of(not_picture)["message"]
    assert (neither.status_code, error_of(neither)["code"]) == (400, "url_or_file")
    with tenant_context(shop_a):
        assert PostImage.objects.filter(post=post).count() == 1
