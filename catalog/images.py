"""Product images: validation, cleaning and responsive renditions, with Pillow.

Every picture goes through one pipeline, whether it was uploaded in the admin, sent by
the API or named by URL in a CSV import:

1. **Check** what the bytes really are (Pillow's format detection, never the file name):
   JPEG, PNG, WebP or GIF, at most ``CATALOG_IMAGE_MAX_BYTES`` bytes and
   ``CATALOG_IMAGE_MAX_PIXELS`` pixels (a decompression bomb is refused from its header,
   before any pixel is decoded), and decodable to the end (a truncated or corrupt file
   is refused).
2. **Clean**: turn the pixels upright by their EXIF orientation, then write them anew
   without any metadata (EXIF with GPS, XMP, ICC comments, text chunks are all dropped).
3. **Renditions**: WebP copies at ``RENDITION_WIDTHS`` (never upscaled) for ``srcset``.

Small uploads are done in the request; large ones (over ``CATALOG_IMAGE_INLINE_BYTES``)
are stored as they came, marked *pending*, and finished by a Celery task, so the admin
answers at once. Pending images are never shown to shoppers.

Files live in the shop's own media folder (MEDIA_ROOT/<schema>/products/...).
"""

from __future__ import annotations

import io
import ipaddress
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage, storages
from django.db import transaction
from django.db.models import Max
from django.utils.encoding import filepath_to_uri
from django.utils.html import format_html
from PIL import Image, ImageOps, UnidentifiedImageError

from catalog import tasks
from catalog.models import CatalogChange, Product, ProductImage
from catalog.services import outbox_record
from shops.queueing import run_on_commit, task_queue, task_queue_on_commit

log = logging.getLogger(__name__)

ACCEPTED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
RENDITION_WIDTHS = (320, 640, 1080)
ACCEPTED_HELP = "JPEG, PNG, WebP or GIF"


def file_url_function() -> Callable[[str], str]:
    """``default_storage.url`` for the current shop; for a filesystem storage (whose
    ``url()`` is its base URL plus the quoted name) the base is read once, not per file
    (a feed or an API page makes thousands of image URLs)."""
    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        base = storage.base_url
        return lambda name: base + filepath_to_uri(name).lstrip("/")
    return storage.url


def human_bytes(n: int) -> str:
    return f"{n / 1024 / 1024:.3g} MB" if n >= 1024 * 1024 else f"{n / 1024:.3g} KB"


def human_pixels(n: int) -> str:
    return f"{n / 1_000_000:.3g} megapixels" if n >= 1_000_000 else f"{n:,} pixels"


@dataclass(frozen=True)
class CheckedImage:
    format: str  # Pillow's name: JPEG, PNG, WEBP, GIF
    width: int
    height: int


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    extension: str
    width: int
    height: int
    renditions: dict[int, bytes]  # width -> WebP bytes


def read_limited(file, limit: int) -> bytes:
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            f"The image is larger than {human_bytes(limit)}; export it smaller and try again.",
            code="image_too_large",
        )
    if not data:
        raise ValidationError("The file is empty.", code="image_empty")
    return data


def _open(data: bytes) -> Image.Image:
    """Open the bytes as an image, refusing what is not one or is too big to decode."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            f"This file is not an image we can read; upload a {ACCEPTED_HELP} file.",
            code="not_an_image",
        ) from None
    return image


def _too_many_pixels(width: int | None = None, height: int | None = None) -> ValidationError:
    size = f" ({width} by {height})" if width else ""
    limit = human_pixels(settings.CATALOG_IMAGE_MAX_PIXELS)
    return ValidationError(
        f"The image has too many pixels{size}; the limit is {limit}. "
        "Resize it and upload it again.",
        code="image_too_many_pixels",
    )


def image_check(data: bytes, *, decode: bool = False) -> CheckedImage:
    """Check bytes are a readable, acceptable image; a ValidationError says why not.

    With ``decode`` every pixel is decoded too (for files small enough to do it in a
    request); otherwise only the header and the file's structure are read.
    """
    image = _open(data)
    if image.format not in ACCEPTED_FORMATS:
        raise ValidationError(
            f"{image.format or 'This'} images are not accepted; upload a {ACCEPTED_HELP} file.",
            code="image_format",
        )
    width, height = image.size
    if width * height > settings.CATALOG_IMAGE_MAX_PIXELS:
        raise _too_many_pixels(width, height)
    try:
        image.verify()  # structure and checksums, without decoding every pixel
        if decode:  # every pixel: finds a truncated JPEG, which verify() cannot
            _open(data).load()
    except ValidationError:
        raise
    except Exception:  # Pillow raises many kinds for a damaged file
        raise _corrupt() from None
    return CheckedImage(format=image.format, width=width, height=height)


def _corrupt() -> ValidationError:
    return ValidationError(
        "The image file is damaged or incomplete; export it again and upload the new file.",
        code="image_corrupt",
    )


def image_clean(data: bytes, checked: CheckedImage | None = None) -> CleanImage:
    """Decode, turn upright, drop all metadata, re-encode; renditions for srcset."""
    checked = checked or image_check(data)
    image = _open(data)
    try:
        image.load()
        image = ImageOps.exif_transpose(image)  # a new, upright image without orientation
    except Exception:  # as above
        raise _corrupt() from None
    if checked.format == "JPEG":
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    # A fresh image carries pixels only: no EXIF, XMP, ICC profile, comments or PNG text.
    pixels = Image.new(image.mode, image.size)
    pixels.paste(image)
    fmt = "PNG" if checked.format == "GIF" else checked.format  # first frame of a GIF
    out = io.BytesIO()
    if fmt == "JPEG":
        pixels.save(out, "JPEG", quality=88, optimize=True, progressive=True)
    elif fmt == "WEBP":
        pixels.save(out, "WEBP", quality=85, method=4)
    else:
        pixels.save(out, "PNG", optimize=False)
    renditions = {}
    for width in rendition_widths(pixels.width):
        copy = pixels.copy()
        if width < pixels.width:
            copy = copy.resize(
                (width, max(1, round(pixels.height * width / pixels.width))),
                Image.Resampling.LANCZOS,
            )
        buffer = io.BytesIO()
        copy.save(buffer, "WEBP", quality=82, method=4)
        renditions[width] = buffer.getvalue()
    return CleanImage(
        data=out.getvalue(),
        extension=ACCEPTED_FORMATS[fmt],
        width=pixels.width,
        height=pixels.height,
        renditions=renditions,
    )


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def rendition_widths(original_width: int) -> list[int]:
    """The widths to store: each standard width below the original, plus the original
    width itself when it is smaller than the largest standard one (no upscaling)."""
    widths = [w for w in RENDITION_WIDTHS if w < original_width]
    if original_width <= RENDITION_WIDTHS[-1]:
        widths.append(original_width)
    return widths or [RENDITION_WIDTHS[-1]]


def _store(image: ProductImage, clean: CleanImage) -> None:
    """Write the clean original and renditions, then point the row at them."""
    old_names = image_file_names(image)
    stem = f"{image.product_id}-{uuid.uuid4().hex[:12]}"
    # the field's upload_to puts the original in products/; renditions go next to it
    image.image.save(f"{stem}.{clean.extension}", ContentFile(clean.data), save=False)
    image.renditions = {
        str(width): default_storage.save(f"products/{stem}-{width}.webp", ContentFile(data))
        for width, data in clean.renditions.items()
    }
    image.width, image.height = clean.width, clean.height
    image.status, image.error = ProductImage.Status.READY, ""
    image.save()
    delete_files_on_commit(old_names - image_file_names(image))


def image_file_names(image: ProductImage) -> set[str]:
    names = set(image.renditions.values()) if image.renditions else set()
    if image.image:
        names.add(image.image.name)
    return names


def delete_files_on_commit(names: set[str]) -> None:
    def delete() -> None:
        for name in names:
            try:
                default_storage.delete(name)
            except OSError:  # a file already gone is fine; log anything else
                log.warning("could not delete media file %s", name, exc_info=True)

    if names:
        run_on_commit(delete)


def _next_position(product: Product) -> int:
    last = product.images.aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def _record_images_changed(product_id: int) -> None:
    outbox_record(product_ids=[product_id], aspects=[CatalogChange.Aspect.IMAGES])


def upload_check(file) -> CheckedImage:
    """Check an upload where the form is validated (decoding it whole when it is small
    enough to be cleaned in the request), so a bad file is a field error."""
    data = read_limited(file, settings.CATALOG_IMAGE_MAX_BYTES)
    checked = image_check(data, decode=len(data) <= settings.CATALOG_IMAGE_INLINE_BYTES)
    file.seek(0)
    return checked


@transaction.atomic
def product_image_add(
    *, product: Product, file, alt_text: str = "", position: int | None = None
) -> ProductImage:
    """Add an uploaded picture to a product; a ValidationError says what is wrong with it.

    Small files are cleaned here; large ones are stored as sent, marked pending, and
    cleaned by ``catalog.tasks.image_process`` once the transaction commits.
    """
    data = read_limited(file, settings.CATALOG_IMAGE_MAX_BYTES)
    checked = image_check(data)
    image = ProductImage(
        product=product,
        alt_text=(alt_text or "").strip()[:255],
        position=_next_position(product) if position is None else position,
    )
    if len(data) <= settings.CATALOG_IMAGE_INLINE_BYTES:
        image.product_id = product.pk
        _store(image, image_clean(data, checked))
    else:
        extension = ACCEPTED_FORMATS[checked.format]
        image.status = ProductImage.Status.PENDING
        image.image.save(
            f"incoming-{product.pk}-{uuid.uuid4().hex[:12]}.{extension}",
            ContentFile(data),
            save=False,
        )
        image.save()
        _queue(image.pk, "catalog.image_process")
    _record_images_changed(product.pk)
    return image


def product_image_add_from_url(
    *, product: Product, url: str, alt_text: str = "", position: int | None = None
) -> ProductImage:
    """Add a picture named by URL: a pending row now, the download in a task."""
    url_validate(url)
    image = ProductImage.objects.create(
        product=product,
        source_url=url,
        alt_text=(alt_text or "").strip()[:255],
        position=_next_position(product) if position is None else position,
        status=ProductImage.Status.PENDING,
    )
    queue_image_fetch(image.pk)
    return image


def queue_image_fetch(image_id: int) -> None:
    """Download a pending image's ``source_url`` in a task once the transaction commits."""
    _queue(image_id, "catalog.image_fetch")


def _queue(image_id: int, task_name: str) -> None:
    task = {"catalog.image_process": tasks.image_process, "catalog.image_fetch": tasks.image_fetch}
    task_queue_on_commit(task[task_name], image_id)


def images_pending_queue() -> int:
    """Queue the work of every pending image again (the beat's ``catalog.sweep``: its
    queueing may have failed); a second run of a task that already ran does nothing."""
    pending = ProductImage.objects.filter(status=ProductImage.Status.PENDING)
    queued = 0
    for image_id, source_url in pending.values_list("pk", "source_url")[:500]:
        task = tasks.image_fetch if source_url else tasks.image_process
        queued += task_queue(task, image_id)
    return queued


@transaction.atomic
def product_image_remove(*, image: ProductImage) -> None:
    """Delete the row now and its files once the transaction commits."""
    names = image_file_names(image)
    product_id = image.product_id
    image.delete()
    delete_files_on_commit(names)
    _record_images_changed(product_id)


def image_process(image_id: int) -> ProductImage | None:
    """Finish a pending upload: clean it and write renditions (run by the Celery task)."""
    with transaction.atomic():
        image = ProductImage.objects.select_for_update().filter(pk=image_id).first()
        if image is None or image.status != ProductImage.Status.PENDING or not image.image:
            return image
        try:
            with image.image.open("rb") as stored:
                data = stored.read()
            clean = image_clean(data)
        except (ValidationError, OSError) as error:
            return _fail(image, error)
        _store(image, clean)
        _record_images_changed(image.product_id)
        return image


def _fail(image: ProductImage, error: Exception) -> ProductImage:
    message = error.messages[0] if isinstance(error, ValidationError) else str(error)
    image.status, image.error = ProductImage.Status.FAILED, message[:255]
    image.save(update_fields=["status", "error"])
    return image


# --- Fetching images named by URL (CSV imports, the API) ----------------------------------


def fetch_timeout() -> float:
    return settings.CATALOG_IMAGE_FETCH_TIMEOUT


def url_validate(url: str) -> None:
    parts = urllib.parse.urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            f"“{url}” is not an image address; it must start with http:// or https://.",
            code="image_url",
        )


def _host_allowed(host: str) -> bool:
    """Refuse loopback, private and link-local addresses (no fetching the cloud's metadata
    service or the shop's own network), unless CATALOG_IMAGE_FETCH_PRIVATE is on."""
    if settings.CATALOG_IMAGE_FETCH_PRIVATE:
        return True
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror:
        return True  # let the request fail with the usual "could not be reached"
    return all(ipaddress.ip_address(a.split("%")[0]).is_global for a in addresses)


class CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to an address the first request could have named: without
    it, a public URL answering 302 to the metadata service would pass the host check."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        url_validate(newurl)
        host = urllib.parse.urlsplit(newurl).hostname or ""
        if not _host_allowed(host):
            raise ValidationError(
                f"Images cannot be fetched from {host} (redirected there).", code="image_url_host"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def image_download(url: str, *, max_bytes: int | None = None) -> bytes:
    """GET an image with a timeout and a size limit (``max_bytes``, by default
    CATALOG_IMAGE_MAX_BYTES); a ValidationError says what failed."""
    url_validate(url)
    host = urllib.parse.urlsplit(url).hostname or ""
    if not _host_allowed(host):
        raise ValidationError(f"Images cannot be fetched from {host}.", code="image_url_host")
    request = urllib.request.Request(url, headers={"User-Agent": "Etalage image fetcher"})  # noqa: S310 (http(s) checked above)
    limit = max_bytes or settings.CATALOG_IMAGE_MAX_BYTES
    try:
        opener = urllib.request.build_opener(CheckedRedirects)
        with opener.open(request, timeout=fetch_timeout()) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > limit:
                raise ValidationError(
                    f"The image at {url} is larger than {human_bytes(limit)}.",
                    code="image_too_large",
                )
            data = response.read(limit + 1)
    except urllib.error.HTTPError as error:
        raise ValidationError(
            f"The image at {url} could not be downloaded: the server answered {error.code}.",
            code="image_url_status",
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ValidationError(
            f"The image at {url} could not be downloaded ({reason}).", code="image_url_unreachable"
        ) from None
    if len(data) > limit:
        raise ValidationError(
            f"The image at {url} is larger than {human_bytes(limit)}.",
            code="image_too_large",
        )
    return data


def image_fetch(image_id: int) -> ProductImage | None:
    """Download, clean and store a pending image's source_url (run by the Celery task)."""
    image = ProductImage.objects.filter(pk=image_id).first()
    if image is None or image.status != ProductImage.Status.PENDING or not image.source_url:
        return image
    try:
        clean = image_clean(image_download(image.source_url))
    except ValidationError as error:
        return _fail(image, error)
    with transaction.atomic():
        locked = ProductImage.objects.select_for_update().filter(pk=image_id).first()
        if locked is None or locked.status != ProductImage.Status.PENDING:
            return locked  # deleted or done meanwhile
        _store(locked, clean)
        _record_images_changed(locked.product_id)
        return locked


# --- Reading: URLs and srcset for pages, feeds and the admin ------------------------------


def image_url(image: ProductImage, width: int = 640) -> str:
    """The URL of the smallest rendition at least ``width`` wide (or the largest one)."""
    if image.status != ProductImage.Status.READY:
        return ""
    return rendition_url(image.renditions, width) or (image.image.url if image.image else "")


def rendition_url(renditions: dict[str, str] | None, width: int) -> str:
    """The URL of the smallest of ``renditions`` (width -> stored name) at least ``width``
    wide, else the largest; "" when there are none."""
    ordered = sorted((int(w), name) for w, name in (renditions or {}).items())
    for rendition_width, name in ordered:
        if rendition_width >= width:
            return default_storage.url(name)
    return default_storage.url(ordered[-1][1]) if ordered else ""


def image_original_url(image: ProductImage) -> str:
    """The cleaned full-size file (what the social platforms' feeds want)."""
    if image.status != ProductImage.Status.READY or not image.image:
        return ""
    return image.image.url


def image_srcset(image: ProductImage) -> str:
    if image.status != ProductImage.Status.READY:
        return ""
    return ", ".join(
        f"{default_storage.url(name)} {int(width)}w"
        for width, name in sorted((int(w), n) for w, n in (image.renditions or {}).items())
    )


def image_admin_thumbnail(image: ProductImage) -> str:
    if image.status == ProductImage.Status.PENDING:
        return "Processing…"
    if image.status == ProductImage.Status.FAILED:
        return format_html('<span style="color:#a4161a">Failed: {}</span>', image.error)
    return format_html(
        '<img src="{}" alt="{}" width="80" style="height:auto;border-radius:4px">',
        image_url(image, 320),
        image.alt_text,
    )
