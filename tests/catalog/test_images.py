"""The image pipeline on real files: formats by content, bombs, corrupt files, metadata
stripping, renditions, the task for large uploads, URL fetching, files per shop."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context
from PIL import Image, PngImagePlugin

from catalog.images import (
    image_admin_thumbnail,
    image_srcset,
    image_url,
    product_image_add,
    product_image_add_from_url,
    product_image_remove,
)
from catalog.models import CatalogChange, Product, ProductImage
from catalog.services import VariantInput, product_create
from shops.media import image_download
from tests.catalog.conftest import ImageServer

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def encoded(image: Image.Image, fmt: str, name: str = "upload", **save) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return SimpleUploadedFile(name, buffer.getvalue())


def exif_with_gps(**extra: object) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)})
    for key, value in extra.items():
        exif[int(key)] = value
    return exif


@pytest.fixture
def product(shop_a, media) -> Iterator[Product]:
    with tenant_context(shop_a):
        yield product_create(title="Poster", variants=[VariantInput(sku="POSTER", price="12")])


def stored_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_jpeg_is_turned_upright_stripped_and_rendered(product, media):
    # 800 x 600 pixels, to be shown rotated 90° (EXIF orientation 6), with GPS and camera
    upload = encoded(
        Image.new("RGB", (800, 600), "teal"),
        "JPEG",
        "holiday.jpg",
        exif=exif_with_gps(**{str(ORIENTATION): 6}),
    )

    image = product_image_add(product=product, file=upload, alt_text="Poster on a wall")

    assert image.status == ProductImage.Status.READY
    assert (image.width, image.height) == (600, 800)  # upright
    with Image.open(image.image.path) as stored:
        assert stored.format == "JPEG"
        assert dict(stored.getexif()) == {}
        assert "exif" not in stored.info and "icc_profile" not in stored.info
    assert sorted(image.renditions, key=int) == ["320", "600"]  # never upscaled to 640/1080
    with Image.open(Path(media, "shop_alpha", image.renditions["320"])) as small:
        assert small.format == "WEBP" and small.size == (320, 427)
        assert dict(small.getexif()) == {}
    assert image.image.name.startswith("products/") and image.image.name.count("/") == 1
    assert all(name.startswith("products/") for name in image.renditions.values())
    assert Path(image.image.path).is_relative_to(media / "shop_alpha")


def test_png_with_gps_exif_and_text_chunks_comes_out_clean(product):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at home")
    upload = encoded(
        Image.new("RGBA", (1600, 900), (200, 40, 40, 128)),
        "PNG",
        "art.png",
        exif=exif_with_gps(),
        pnginfo=info,
    )
    with Image.open(io.BytesIO(upload.read())) as original:
        assert original.getexif().get_ifd(GPS_IFD)  # the GPS really was in the upload
    upload.seek(0)

    image = product_image_add(product=product, file=upload)

    with Image.open(image.image.path) as stored:
        assert stored.format == "PNG" and stored.mode == "RGBA"
        assert dict(stored.getexif()) == {}
        assert not stored.getexif().get_ifd(GPS_IFD)
        assert "Comment" not in stored.info
    assert sorted(image.renditions, key=int) == ["320", "640", "1080"]
    srcset = image_srcset(image)
    assert srcset.count("w, ") == 2 and srcset.endswith(" 1080w")
    assert "/media/shop_alpha/products/" in srcset
    assert image_url(image, 500).endswith("-640.webp")
    assert image_url(image, 4000).endswith("-1080.webp")


def test_the_content_decides_the_format_not_the_name(product):
    lying = encoded(Image.new("RGB", (50, 50), "white"), "PNG", "photo.jpg")
    image = product_image_add(product=product, file=lying)
    assert image.image.name.endswith(".png")

    gif = encoded(Image.new("P", (40, 30)), "GIF", "anim.gif")
    assert product_image_add(product=product, file=gif).image.name.endswith(".png")
    webp = encoded(Image.new("RGB", (40, 30), "blue"), "WEBP", "x.webp")
    assert product_image_add(product=product, file=webp).image.name.endswith(".webp")


@pytest.mark.parametrize(
    ("upload", "code", "message"),
    [
        (
            SimpleUploadedFile("cat.jpg", b"this is not a picture at all"),
            "not_an_image",
            "This file is not an image we can read; upload a JPEG, PNG, WebP or GIF file.",
        ),
        (
            SimpleUploadedFile("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
            "not_an_image",
            "This file is not an image we can read",
        ),
        (
            encoded(Image.new("RGB", (20, 20)), "BMP", "old.jpg"),
            "image_format",
            "BMP images are not accepted; upload a JPEG, PNG, WebP or GIF file.",
        ),
        (SimpleUploadedFile("empty.png", b""), "image_empty", "The file is empty."),
    ],
)
def test_what_is_not_an_accepted_image_is_refused_clearly(product, upload, code, message):
    with pytest.raises(ValidationError) as refused:
        product_image_add(product=product, file=upload)
    assert refused.value.code == code
    assert message in refused.value.messages[0]
    assert not ProductImage.objects.exists()
    assert not CatalogChange.objects.filter(aspects__contains=["images"]).exists()


def test_a_truncated_jpeg_is_called_damaged_and_nothing_is_stored(product, media):
    buffer = io.BytesIO()
    Image.effect_noise((600, 400), 64).convert("RGB").save(buffer, "JPEG")
    truncated = SimpleUploadedFile("cut.jpg", buffer.getvalue()[: buffer.tell() // 2])

    with pytest.raises(ValidationError) as refused:
        product_image_add(product=product, file=truncated)

    assert refused.value.code == "image_corrupt"
    assert "damaged or incomplete" in refused.value.messages[0]
    assert not ProductImage.objects.exists()
    assert stored_files(media) == set()


def test_a_decompression_bomb_is_refused_before_decoding(product):
    # 14,000 x 14,000 one-bit pixels: 196 megapixels in a few kilobytes of PNG
    buffer = io.BytesIO()
    Image.new("1", (14_000, 14_000)).save(buffer, "PNG")
    assert buffer.tell() < 200_000
    # cut off halfway through its pixel data: any decoding or verifying would find it
    # damaged, so only a refusal read from the header can name the pixels (a timing
    # bound proved nothing: decoding it whole takes well under a second, and a loaded
    # machine can take longer than that for anything)
    bomb = SimpleUploadedFile("bomb.png", buffer.getvalue()[: buffer.tell() // 2])

    with pytest.raises(ValidationError) as refused:
        product_image_add(product=product, file=bomb)

    assert refused.value.code == "image_too_many_pixels"
    assert "too many pixels" in refused.value.messages[0]
    assert not ProductImage.objects.exists()


def test_our_own_pixel_and_byte_limits(product, settings):
    settings.CATALOG_IMAGE_MAX_PIXELS = 100 * 100
    with pytest.raises(ValidationError) as refused:
        product_image_add(product=product, file=encoded(Image.new("L", (101, 100)), "PNG"))
    assert refused.value.messages == [
        "The image has too many pixels (101 by 100); the limit is 10,000 pixels. "
        "Resize it and upload it again."
    ]
    settings.CATALOG_IMAGE_MAX_BYTES = 2 * 1024 * 1024
    big = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (2 * 1024 * 1024))
    with pytest.raises(ValidationError) as refused:
        product_image_add(product=product, file=big)
    assert refused.value.code == "image_too_large"
    assert "larger than 2 MB" in refused.value.messages[0]


def test_a_large_upload_is_finished_by_the_task(
    product, settings, django_capture_on_commit_callbacks
):
    settings.CATALOG_IMAGE_INLINE_BYTES = 1_000
    upload = encoded(
        Image.effect_noise((1200, 800), 40).convert("RGB"), "JPEG", exif=exif_with_gps()
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        image = product_image_add(product=product, file=upload)
        assert image.status == ProductImage.Status.PENDING
        assert image_url(image) == "" and image_srcset(image) == ""  # never shown pending
        assert image_admin_thumbnail(image) == "Processing…"
        incoming = image.image.path

    assert callbacks  # the task was queued on commit
    image.refresh_from_db()
    assert image.status == ProductImage.Status.READY
    assert sorted(image.renditions, key=int) == ["320", "640", "1080"]
    with Image.open(image.image.path) as stored:
        assert dict(stored.getexif()) == {}
    assert not Path(incoming).exists()  # the raw upload is gone


def test_removing_an_image_deletes_its_files_after_commit(
    product, media, django_capture_on_commit_callbacks
):
    image = product_image_add(product=product, file=encoded(Image.new("RGB", (700, 700)), "PNG"))
    files = stored_files(media)
    assert len(files) == 4  # original + 320 + 640 + 700

    with django_capture_on_commit_callbacks(execute=True):
        product_image_remove(image=image)

    assert stored_files(media) == set()
    assert list(
        CatalogChange.objects.filter(product_id=product.id).values_list("aspects", flat=True)
    )[-1] == ["images"]


def test_every_image_change_writes_an_images_outbox_row(product):
    CatalogChange.objects.all().delete()
    product_image_add(product=product, file=encoded(Image.new("RGB", (10, 10)), "PNG"))
    assert list(CatalogChange.objects.values_list("product_id", "kind", "aspects")) == [
        (product.id, "upsert", ["images"])
    ]


def test_images_and_files_of_one_shop_are_invisible_to_another(shop_a, shop_b, media):
    with tenant_context(shop_a):
        product = product_create(title="A only", variants=[VariantInput(sku="A1", price="1")])
        image = product_image_add(product=product, file=encoded(Image.new("RGB", (9, 9)), "PNG"))
        path = Path(image.image.path)
    with tenant_context(shop_b):
        assert not ProductImage.objects.exists()
        assert not default_storage.exists(image.image.name)
    assert path.is_relative_to(media / "shop_alpha")
    assert {p.parts[0] for p in map(Path, stored_files(media))} == {"shop_alpha"}


# --- images named by URL ---------------------------------------------------------------


def fetched(product: Product, url: str, capture) -> ProductImage:
    with capture(execute=True):
        image = product_image_add_from_url(product=product, url=url, alt_text="From the web")
        assert image.status == ProductImage.Status.PENDING
    image.refresh_from_db()
    return image


def test_an_image_url_is_fetched_cleaned_and_rendered(
    product, image_server, django_capture_on_commit_callbacks
):
    body = encoded(Image.new("RGB", (500, 500), "gold"), "JPEG", exif=exif_with_gps()).read()
    ImageServer.routes = {"/gold.jpg": (200, body, 0)}

    image = fetched(product, f"{image_server}/gold.jpg", django_capture_on_commit_callbacks)

    assert image.status == ProductImage.Status.READY, image.error
    assert image.source_url.endswith("/gold.jpg")
    with Image.open(image.image.path) as stored:
        assert dict(stored.getexif()) == {}


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ((404, b"", 0), "could not be downloaded: the server answered 404"),
        ((200, b"<html>sold out</html>", 0), "not an image we can read"),
        ((200, b"", 4), "could not be downloaded (timed out"),  # twice the timeout
        ((200, b"x" * 3000, 0), "larger than 2 KB"),
    ],
)
def test_a_bad_image_url_marks_the_image_failed_with_the_reason(
    product, image_server, settings, django_capture_on_commit_callbacks, route, message
):
    settings.CATALOG_IMAGE_MAX_BYTES = 2048
    ImageServer.routes = {"/img": route}

    image = fetched(product, f"{image_server}/img", django_capture_on_commit_callbacks)

    assert image.status == ProductImage.Status.FAILED
    assert message in image.error
    assert "Failed:" in image_admin_thumbnail(image)


def test_private_addresses_and_other_schemes_are_refused(product, settings):
    settings.CATALOG_IMAGE_FETCH_PRIVATE = False
    with pytest.raises(ValidationError, match="must start with http"):
        product_image_add_from_url(product=product, url="file:///etc/passwd")
    with pytest.raises(ValidationError, match=r"cannot be fetched from 169\.254\.169\.254"):
        image_download("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(ValidationError, match=r"cannot be fetched from 127\.0\.0\.1"):
        image_download("http://127.0.0.1:9/x.png")


@pytest.mark.parametrize(
    ("location", "host"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),  # cloud metadata
        ("http://10.0.0.1/admin", "10.0.0.1"),
        ("http://127.0.0.2/", "127.0.0.2"),  # loopback, beside the allowed server
    ],
)
def test_a_redirect_to_a_private_address_is_refused(
    product, image_server, settings, django_capture_on_commit_callbacks, location, host
):
    # the guard on; the local server alone stands in for a public host
    settings.CATALOG_IMAGE_FETCH_PRIVATE = False
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1"]
    ImageServer.routes = {"/a.jpg": (302, location.encode(), 0)}

    image = fetched(product, f"{image_server}/a.jpg", django_capture_on_commit_callbacks)

    assert image.status == ProductImage.Status.FAILED
    assert image.error == f"Images cannot be fetched from {host} (redirected there)."


def test_a_redirect_between_allowed_addresses_is_followed(
    product, image_server, django_capture_on_commit_callbacks
):
    body = encoded(Image.new("RGB", (300, 300), "navy"), "PNG").read()
    ImageServer.routes = {"/old.png": (302, b"/new.png", 0), "/new.png": (200, body, 0)}

    image = fetched(product, f"{image_server}/old.png", django_capture_on_commit_callbacks)

    assert image.status == ProductImage.Status.READY, image.error


@pytest.mark.worker
def test_a_real_worker_finishes_a_large_upload_in_the_right_shop(
    worker, committed_shop, django_db_blocker, settings
):
    settings.CATALOG_IMAGE_INLINE_BYTES = 1_000
    shop = committed_shop("img-worker").shop
    upload = encoded(Image.effect_noise((1500, 1000), 40).convert("RGB"), "JPEG")
    with django_db_blocker.unblock(), tenant_context(shop):
        product = product_create(title="Big", variants=[VariantInput(sku="BIG", price="1")])
        image = product_image_add(product=product, file=upload)  # commits, then queues
        assert image.status == ProductImage.Status.PENDING

        deadline = time.monotonic() + 60
        while image.status == ProductImage.Status.PENDING and time.monotonic() < deadline:
            time.sleep(0.2)
            image.refresh_from_db()

        assert image.status == ProductImage.Status.READY, image.error
        assert sorted(image.renditions, key=int) == ["320", "640", "1080"]
        assert Path(image.image.path).is_relative_to(Path(settings.MEDIA_ROOT, shop.schema_name))
        assert Path(image.image.path).exists()
