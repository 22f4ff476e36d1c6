"""Pictures of the design (logo, favicon, section pictures) through the media pipeline
(``shops.media``): checked from their content, cleaned of metadata, with WebP renditions.
``shops.media.stored_image_url`` and ``stored_image_srcset`` read them back."""

from __future__ import annotations

from django.conf import settings

from shops.media import clean_image_save, image_upload_clean


def storefront_image_store(*, file, label: str) -> dict:
    """Store an uploaded picture (at most STOREFRONT_IMAGE_MAX_BYTES) and its renditions
    in the shop's media folder; returns the reference the design document keeps. Raises a
    ValidationError naming ``label`` for a file that is too large, not an image, or
    damaged."""
    clean = image_upload_clean(
        file=file, max_bytes=settings.STOREFRONT_IMAGE_MAX_BYTES, label=label
    )
    return clean_image_save(clean, folder="storefront")
