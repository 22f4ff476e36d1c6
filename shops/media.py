"""The media pipeline every app's pictures go through (product images, review photos,
poll and post pictures, the shop page's design), with Pillow:

1. **Read** at most a given number of bytes (``read_limited``), or download them from a
   URL with the one outbound client (``image_download``: one total deadline, a size
   limit, no private address unless CATALOG_IMAGE_FETCH_PRIVATE, redirects checked).
2. **Check** what the bytes really are (Pillow's format detection, never the file name):
   JPEG, PNG, WebP or GIF, at most ``CATALOG_IMAGE_MAX_PIXELS`` pixels (a decompression
   bomb is refused from its header, before any pixel is decoded), and decodable to the
   end (a truncated or corrupt file is refused).
3. **Clean**: turn the pixels upright by their EXIF orientation, then write them anew
   without any metadata (EXIF with GPS, XMP, ICC comments, text chunks are all dropped).
4. **Renditions**: WebP copies at ``RENDITION_WIDTHS`` (never upscaled) for ``srcset``,
   stored beside the original (``renditions_save``: width -> stored name), read back with
   ``rendition_url`` and ``renditions_srcset``.

Files live in the shop's own media folder (``default_storage`` is per shop); those no
longer referred to are deleted once the transaction commits (``delete_files_on_commit``).
The limits' settings are named CATALOG_IMAGE_* (the catalog was their first user).
"""

from __future__ import annotations

import io
import logging
import uuid
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage, storages
from django.utils.encoding import filepath_to_uri
from PIL import Image, ImageOps, UnidentifiedImageError

from shops.http import (
    AddressRefused,
    BodyTooLarge,
    HostUnresolvable,
    OutboundError,
    UrlRefused,
    http_request,
    url_check,
)
from shops.queueing import run_on_commit

log = logging.getLogger(__name__)

ACCEPTED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
RENDITION_WIDTHS = (320, 640, 1080)
ACCEPTED_HELP = "JPEG, PNG, WebP or GIF"


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


# --- Reading, checking, cleaning -------------------------------------------------------------


def read_limited(file, limit: int) -> bytes:
    """The file's bytes from its start; a ValidationError when it is empty or holds more
    than ``limit`` bytes (only ``limit + 1`` are ever read)."""
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


def image_upload_clean(*, file, max_bytes: int, label: str = "") -> CleanImage:
    """Read (at most ``max_bytes``), check (every pixel decoded) and clean an uploaded
    picture. A ValidationError says why not, after ``label: `` when there is a label."""
    try:
        data = read_limited(file, max_bytes)
        return image_clean(data, image_check(data, decode=True))
    except ValidationError as error:
        if not label:
            raise
        raise ValidationError(f"{label}: {' '.join(error.messages)}", code=error.code) from None


# --- Storing and deleting ------------------------------------------------------------------


def renditions_save(clean: CleanImage, *, prefix: str) -> dict[str, str]:
    """Store the WebP renditions as ``<prefix>-<width>.webp``; returns width (as text, as
    JSON keeps it) -> the stored name."""
    return {
        str(width): default_storage.save(f"{prefix}-{width}.webp", ContentFile(data))
        for width, data in clean.renditions.items()
    }


def clean_image_save(clean: CleanImage, *, folder: str) -> dict:
    """Store a cleaned picture and its renditions under ``folder`` of the shop's media
    folder; returns the reference kept (name, width, height, renditions), which
    ``stored_image_url`` and ``stored_image_srcset`` read."""
    stem = uuid.uuid4().hex[:16]
    name = default_storage.save(f"{folder}/{stem}.{clean.extension}", ContentFile(clean.data))
    renditions = renditions_save(clean, prefix=f"{folder}/{stem}")
    return {"name": name, "width": clean.width, "height": clean.height, "renditions": renditions}


def media_file_names(name: str, renditions: dict[str, str] | None) -> set[str]:
    """The stored files of one picture: the original (``name``, if any) and renditions."""
    names = set((renditions or {}).values())
    if name:
        names.add(name)
    return names


def delete_files_on_commit(names: Iterable[str]) -> None:
    """Delete these stored files once the transaction commits (a rolled-back change still
    refers to them); a file that cannot be deleted is logged, never an error."""
    names = set(names)

    def delete() -> None:
        for name in names:
            try:
                default_storage.delete(name)
            except OSError:  # a file already gone is fine; log anything else
                log.warning("could not delete media file %s", name, exc_info=True)

    if names:
        run_on_commit(delete)


# --- Reading back: URLs and srcset -----------------------------------------------------------


def file_url_function() -> Callable[[str], str]:
    """``default_storage.url`` for the current shop; for a filesystem storage (whose
    ``url()`` is its base URL plus the quoted name) the base is read once, not per file
    (a feed or an API page makes thousands of image URLs)."""
    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        base = storage.base_url
        return lambda name: base + filepath_to_uri(name).lstrip("/")
    return storage.url


def rendition_url(renditions: dict[str, str] | None, width: int) -> str:
    """The URL of the smallest of ``renditions`` (width -> stored name) at least ``width``
    wide, else the largest; "" when there are none."""
    ordered = sorted((int(w), name) for w, name in (renditions or {}).items())
    for rendition_width, name in ordered:
        if rendition_width >= width:
            return default_storage.url(name)
    return default_storage.url(ordered[-1][1]) if ordered else ""


def renditions_srcset(renditions: dict[str, str] | None) -> str:
    """``srcset`` of ``renditions`` (width -> stored name), narrowest first."""
    return ", ".join(
        f"{default_storage.url(name)} {width}w"
        for width, name in sorted((int(w), n) for w, n in (renditions or {}).items())
    )


def stored_image_url(image: dict | None, width: int = 640) -> str:
    """For a reference of ``clean_image_save``: the smallest rendition at least ``width``
    wide (else the largest, else the original), or ''."""
    if not image:
        return ""
    return rendition_url(image["renditions"], width) or default_storage.url(image["name"])


def stored_image_srcset(image: dict | None) -> str:
    return renditions_srcset(image["renditions"]) if image else ""


# --- Fetching images named by URL (CSV imports, the API, Instagram posts) ------------------


def image_url_validate(url: str) -> None:
    """A ValidationError unless ``url`` is http(s) with a host."""
    try:
        url_check(url)
    except UrlRefused:
        raise _not_an_image_address(url) from None


def _not_an_image_address(url: str) -> ValidationError:
    return ValidationError(
        f"“{url}” is not an image address; it must start with http:// or https://.",
        code="image_url",
    )


def image_download(url: str, *, max_bytes: int | None = None) -> bytes:
    """GET an image within one total deadline (CATALOG_IMAGE_FETCH_TIMEOUT: a server
    dripping bytes cannot hold it longer) and a size limit (``max_bytes``, by default
    CATALOG_IMAGE_MAX_BYTES), from public addresses only unless
    CATALOG_IMAGE_FETCH_PRIVATE, every redirect checked alike; a ValidationError says
    what failed."""
    image_url_validate(url)
    limit = max_bytes or settings.CATALOG_IMAGE_MAX_BYTES
    try:
        response = http_request(
            "GET",
            url,
            headers={"User-Agent": "Etalage image fetcher"},
            timeout=settings.CATALOG_IMAGE_FETCH_TIMEOUT,
            max_bytes=limit,
            allow_private=settings.CATALOG_IMAGE_FETCH_PRIVATE,
        )
    except UrlRefused as refused:  # where a redirect led
        raise _not_an_image_address(refused.url) from None
    except AddressRefused as refused:
        where = " (redirected there)" if refused.is_redirect else ""
        raise ValidationError(
            f"Images cannot be fetched from {refused.host}{where}.", code="image_url_host"
        ) from None
    except BodyTooLarge:
        raise ValidationError(
            f"The image at {url} is larger than {human_bytes(limit)}.", code="image_too_large"
        ) from None
    except HostUnresolvable as error:
        raise ValidationError(
            f"The image at {url} could not be downloaded: {error}.", code="image_url_unreachable"
        ) from None
    except OutboundError as error:
        raise ValidationError(
            f"The image at {url} could not be downloaded ({error}).", code="image_url_unreachable"
        ) from None
    if not 200 <= response.status < 300:
        raise ValidationError(
            f"The image at {url} could not be downloaded: the server answered {response.status}.",
            code="image_url_status",
        )
    return response.body
