"""Hostile pictures through every upload path: the admin's product form, the partner
API (multipart, and a URL served from loopback), a shopper's review photos, the
designer's media library and a post's pictures (admin form and API). Bombs, animated
bombs, huge dimensions, truncated files and SVG (even named .png) are refused with an
answer a person can act on (a 4xx or a form error; a failed picture naming why for a
URL), never a 500, and nothing is written; polyglots (a GIF that is also JavaScript, a
JPEG carrying HTML in a comment) and pictures with EXIF GPS are stored re-encoded,
every stored file free of metadata and of the smuggled text.

tests/catalog/test_images.py tests the pipeline itself (shops.media) on the catalog's
service; this file proves each door goes through it."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart
from django_tenants.utils import tenant_context
from PIL import Image

from catalog.models import Product, ProductImage
from catalog.services import VariantInput, product_create
from reviews.models import Review, ReviewPhoto
from shops.posts.models import Post, PostImage
from shops.storefront.models import LibraryImage
from tests.api.conftest import api_a, make_key  # noqa: F401 (fixtures)
from tests.catalog.conftest import ImageServer, image_server  # noqa: F401 (fixture)
from tests.catalog.test_admin import management, product_post
from tests.catalog.test_images import GPS_IFD, exif_with_gps
from tests.posts.test_admin import form as post_form
from tests.reviews.helpers import shopper_client
from tests.reviews.test_submission import form as review_form
from tests.storefront.helpers import owner

SMUGGLED = b"<script>alert(1)</script>"


def _saved(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def decompression_bomb() -> bytes:
    """196 megapixels in a few kilobytes, cut off halfway (only the header can refuse it)."""
    data = _saved(Image.new("1", (14_000, 14_000)), "PNG")
    return data[: len(data) // 2]


def animated_bomb() -> bytes:
    """Forty 10 x 10 frames on a logical screen declared 60,000 x 60,000 (3.6 gigapixels
    for any viewer that paints it): the GIF's header sets the image's size."""
    frames = [Image.new("P", (10, 10), i) for i in range(40)]
    data = bytearray(_saved(frames[0], "GIF", save_all=True, append_images=frames[1:]))
    data[6:10] = (60_000).to_bytes(2, "little") * 2
    return bytes(data)


def long_strip() -> bytes:
    """30,000 x 2 pixels: within the pixel limit, a shape no page expects."""
    return _saved(Image.new("L", (30_000, 2), 90), "PNG")


def truncated_jpeg() -> bytes:
    data = _saved(Image.effect_noise((600, 400), 64).convert("RGB"), "JPEG")
    return data[: len(data) // 2]


def svg() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'


def gif_javascript_polyglot() -> bytes:
    """A valid GIF whose bytes also read as JavaScript (GIF89a=…; then code) and carry a
    script tag in a comment extension."""
    data = _saved(Image.new("P", (40, 30), 3), "GIF", comment=SMUGGLED)
    return data[:6] + b"/*" + data[8:] + b"*/=1;alert(1);" + SMUGGLED


def jpeg_html_comment() -> bytes:
    data = _saved(Image.new("RGB", (120, 80), "olive"), "JPEG", comment=b"<html>" + SMUGGLED)
    assert SMUGGLED in data
    return data


def jpeg_with_gps() -> bytes:
    return _saved(Image.new("RGB", (900, 600), "teal"), "JPEG", exif=exif_with_gps())


REFUSED = {
    "bomb.png": decompression_bomb,
    "animated.gif": animated_bomb,
    "cut.jpg": truncated_jpeg,
    "logo.svg": svg,
    "logo.png": svg,  # an SVG disguised by its name
}
CLEANED = {
    "polyglot.gif": gif_javascript_polyglot,
    "comment.jpg": jpeg_html_comment,
    "holiday.jpg": jpeg_with_gps,
    "strip.png": long_strip,
}


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, {**REFUSED, **CLEANED}[name](), content_type="image/png")


# --- The doors: each sends one picture and answers (status, error text) ----------------


def via_admin_product(shop, name: str) -> tuple[int, str]:
    data = {**product_post(), **management("images", 1)}
    data.update({"images-0-upload": upload(name), "images-0-position": "0"})
    response = owner().post("/admin/catalog/product/add/", data)
    return response.status_code, response.content.decode()


def _product(shop) -> Product:
    with tenant_context(shop):
        return Product.objects.first() or product_create(
            title="Poster", variants=[VariantInput(sku="POSTER", price="12")]
        )


def _multipart(api, path: str, name: str):
    """POST the picture ``name`` as the ``file`` of a multipart body to ``path``."""
    return api.client.post(
        path,
        encode_multipart("hostile", {"file": upload(name)}),
        content_type="multipart/form-data; boundary=hostile",
        headers=api.headers,
    )


def via_api_multipart(shop, name: str, api) -> tuple[int, str]:
    response = _multipart(api, f"/api/v1/products/{_product(shop).pk}/images/", name)
    return response.status_code, response.content.decode()


def via_api_url(shop, name: str, api, base: str, capture) -> tuple[int, str]:
    """The URL answers 201 (a pending picture); the download, in a task, marks it failed
    with the reason: what the API then shows."""
    product = _product(shop)
    ImageServer.routes = {f"/{name}": (200, upload(name).read(), 0)}
    with capture(execute=True):
        response = api.post(f"/api/v1/products/{product.pk}/images/", {"url": f"{base}/{name}"})
    assert response.status_code == 201, response.content
    with tenant_context(shop):
        image = ProductImage.objects.get(pk=response.json()["id"])
        if image.status == ProductImage.Status.FAILED:
            return 400, image.error
    return 201, ""


def via_review(shop, name: str) -> tuple[int, str]:
    with tenant_context(shop):
        product = _product(shop)
        Product.objects.filter(pk=product.pk).update(status="active")
    response = shopper_client().post(
        f"/products/{product.slug}/reviews/", {**review_form(), "photos": [upload(name)]}
    )
    return response.status_code, response.content.decode()


def via_library(shop, name: str) -> tuple[int, str]:
    response = owner().post("/admin/storefront/design/media/", {"file": upload(name)})
    return response.status_code, response.content.decode()


def via_admin_post(shop, name: str) -> tuple[int, str]:
    response = owner().post("/admin/posts/post/add/", post_form(new_images=[upload(name)]))
    return response.status_code, response.content.decode()


def via_api_post(shop, name: str, api) -> tuple[int, str]:
    """A post made through the API with a good picture, then the hostile one added."""
    created = api.post("/api/v1/posts/", {"images": [{"url": f"{ImageServer.base}/ok.png"}]})
    assert created.status_code == 201, created.content
    response = _multipart(api, f"/api/v1/posts/{created.json()['id']}/images/", name)
    return response.status_code, response.content.decode()


DOORS = {
    "admin product": via_admin_product,
    "API multipart": via_api_multipart,
    "API url": via_api_url,
    "review photo": via_review,
    "media library": via_library,
    "admin post": via_admin_post,
    "API post picture": via_api_post,
}


def _rows(shop) -> dict[str, int]:
    with tenant_context(shop):
        return {
            "product images": ProductImage.objects.exclude(status="failed").count(),
            "reviews": Review.objects.count(),
            "review photos": ReviewPhoto.objects.count(),
            "library": LibraryImage.objects.count(),
            "posts": Post.objects.count(),
            "post images": PostImage.objects.count(),
        }


@pytest.fixture
def door(shop_a, api_a, media, image_server, django_capture_on_commit_callbacks, settings):  # noqa: F811
    """``door(path, file name)`` → (status, text) of sending that file through it."""
    settings.REVIEWS_RATE_LIMITS = {
        kind: {"shopper": "off", "network": "off"} for kind in settings.REVIEWS_RATE_LIMITS
    }
    ImageServer.base = image_server
    ok = _saved(Image.new("RGB", (60, 40), "navy"), "PNG")

    def send(path: str, name: str) -> tuple[int, str]:
        ImageServer.routes = {"/ok.png": (200, ok, 0)}
        function: Callable = DOORS[path]
        extra = {
            "API multipart": (api_a,),
            "API url": (api_a, image_server, django_capture_on_commit_callbacks),
            "API post picture": (api_a,),
        }.get(path, ())
        return function(shop_a, name, *extra)

    return send


def stored_pictures(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and "imports" not in p.parts]


@pytest.mark.parametrize("path", DOORS)
@pytest.mark.parametrize("name", REFUSED)
def test_a_hostile_picture_is_refused_at_every_door_and_nothing_is_written(
    shop_a, media, door, path, name
):
    before, files_before = _rows(shop_a), set(stored_pictures(media))

    status, text = door(path, name)

    assert status in (200, 400), (status, text[:300])  # a form error (200) or a 400
    assert any(
        words in text
        for words in ("too many pixels", "damaged or incomplete", "not an image we can read")
    ), text[:2000]
    if path.startswith("API post"):
        before = {**before, "posts": before["posts"] + 1, "post images": before["post images"] + 1}
    assert _rows(shop_a) == before
    new_files = set(stored_pictures(media)) - files_before
    if path.startswith("API post"):  # the post made before the hostile picture, its files
        assert all("posts" in p.parts for p in new_files)
    else:
        assert new_files == set()


@pytest.mark.parametrize("path", DOORS)
@pytest.mark.parametrize("name", CLEANED)
def test_a_polyglot_or_located_picture_is_stored_clean_at_every_door(
    shop_a, media, door, path, name
):
    files_before = set(stored_pictures(media))

    status, text = door(path, name)

    assert status in (201, 302, 303), (status, text[:2000])
    new_files = set(stored_pictures(media)) - files_before
    assert new_files, "nothing stored"
    for stored in new_files:
        data = stored.read_bytes()
        assert SMUGGLED not in data and b"alert(" not in data, stored
        with Image.open(stored) as picture:
            assert picture.format in ("PNG", "JPEG", "WEBP"), stored  # re-encoded, no GIF
            exif = picture.getexif()
            assert dict(exif) == {} and dict(exif.get_ifd(GPS_IFD)) == {}, stored
            assert not {"exif", "comment", "xmp", "icc_profile"} & set(picture.info), stored
            assert getattr(picture, "n_frames", 1) == 1


def test_a_large_located_picture_is_never_shown_before_it_is_cleaned(
    shop_a,
    api_a,  # noqa: F811 (the fixture imported above)
    media,
    settings,
    django_capture_on_commit_callbacks,
):
    """A picture over CATALOG_IMAGE_INLINE_BYTES is kept as sent until its task cleans
    it: the product page never links the uncleaned file, and once cleaned, no file of
    the shop holds the location and the file as sent is gone."""
    settings.CATALOG_IMAGE_INLINE_BYTES = 1_000
    product = _product(shop_a)
    with tenant_context(shop_a):
        Product.objects.filter(pk=product.pk).update(status="active")

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = _multipart(api_a, f"/api/v1/products/{product.pk}/images/", "holiday.jpg")
    with tenant_context(shop_a):
        pending = ProductImage.objects.get()
    page = shopper_client().get(f"/products/{product.slug}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the task, then its deletions
        for callback in queued:
            callback()

    assert response.status_code == 201, response.content
    assert pending.status == ProductImage.Status.PENDING
    assert Path(pending.image.name).name not in page
    with tenant_context(shop_a):
        assert ProductImage.objects.get().status == ProductImage.Status.READY
    files = stored_pictures(media)
    assert files and not [f for f in files if "incoming" in f.name]
    for stored in files:
        with Image.open(stored) as picture:
            assert dict(picture.getexif().get_ifd(GPS_IFD)) == {}, stored
