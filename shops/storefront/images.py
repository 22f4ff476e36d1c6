"""Pictures of the design (logo, favicon, section pictures) through the catalog's Pillow
pipeline: checked from their content, cleaned of metadata, with WebP renditions."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from catalog.images import CleanImage, image_check, image_clean, read_limited


def storefront_image_clean(*, file, label: str, max_bytes: int | None = None) -> CleanImage:
    """Read (at most ``max_bytes``, STOREFRONT_IMAGE_MAX_BYTES by default), check and clean
    an uploaded picture. Raises a ValidationError naming ``label`` for a file that is too
    large, not an image, or damaged."""
    try:
        data = read_limited(file, max_bytes or settings.STOREFRONT_IMAGE_MAX_BYTES)
        checked = image_check(data, decode=True)
        return image_clean(data, checked)
    except ValidationError as error:
        raise ValidationError(f"{label}: {error.messages[0]}", code=error.code) from None


def clean_image_save(clean: CleanImage, *, folder: str) -> dict:
    """Store a cleaned picture and its renditions under ``folder`` of the shop's media
    folder; returns the reference kept (name, width, height, renditions)."""
    stem = uuid.uuid4().hex[:16]
    name = default_storage.save(f"{folder}/{stem}.{clean.extension}", ContentFile(clean.data))
    renditions = {
        str(width): default_storage.save(f"{folder}/{stem}-{width}.webp", ContentFile(data))
        for width, data in clean.renditions.items()
    }
    return {"name": name, "width": clean.width, "height": clean.height, "renditions": renditions}


def storefront_image_store(*, file, label: str) -> dict:
    """Store an uploaded picture and its renditions in the shop's media folder; returns
    the reference the design document keeps. Raises a ValidationError naming ``label``
    for a file that is too large, not an image, or damaged."""
    return clean_image_save(storefront_image_clean(file=file, label=label), folder="storefront")


def stored_image_url(image: dict | None, width: int = 640) -> str:
    """The smallest rendition at least ``width`` wide (else the largest), or ''."""
    if not image:
        return ""
    widths = sorted(int(w) for w in image["renditions"])
    if not widths:
        return default_storage.url(image["name"])
    chosen = next((w for w in widths if w >= width), widths[-1])
    return default_storage.url(image["renditions"][str(chosen)])


def stored_image_srcset(image: dict | None) -> str:
    if not image:
        return ""
    return ", ".join(
        f"{default_storage.url(name)} {width}w"
        for width, name in sorted(image["renditions"].items(), key=lambda item: int(item[0]))
    )
