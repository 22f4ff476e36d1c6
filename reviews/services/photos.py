"""Review photos through the media pipeline (``shops.media``): type checked from the
content, pixel limit, metadata stripped, WebP renditions. Checked before the review is
written, so a bad photo refuses the whole submission with a message (and the text is
kept)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from reviews.models import Review, ReviewPhoto
from shops.media import (
    CleanImage,
    delete_files_on_commit,
    image_upload_clean,
    media_file_names,
    renditions_save,
)


def photos_clean(files: list) -> list[CleanImage]:
    """Every uploaded photo checked and cleaned; a ValidationError names the bad one."""
    if len(files) > settings.REVIEWS_MAX_PHOTOS:
        raise ValidationError(
            f"Add at most {settings.REVIEWS_MAX_PHOTOS} photos.", code="too_many_photos"
        )
    return [
        image_upload_clean(
            file=file,
            max_bytes=settings.REVIEWS_PHOTO_MAX_BYTES,
            label=getattr(file, "name", "") or f"photo {number}",
        )
        for number, file in enumerate(files, start=1)
    ]


def review_photos_store(*, review: Review, photos: list[CleanImage]) -> list[ReviewPhoto]:
    stored = []
    for position, clean in enumerate(photos):
        stem = f"{review.pk}-{uuid.uuid4().hex[:12]}"
        photo = ReviewPhoto(review=review, position=position)
        photo.image.save(f"{stem}.{clean.extension}", ContentFile(clean.data), save=False)
        photo.renditions = renditions_save(clean, prefix=f"reviews/{stem}")
        photo.width, photo.height = clean.width, clean.height
        photo.save()
        stored.append(photo)
    return stored


def review_photos_delete_files(photos: list[ReviewPhoto]) -> None:
    names: set[str] = set()
    for photo in photos:
        names |= media_file_names(photo.image.name if photo.image else "", photo.renditions)
    delete_files_on_commit(names)


def picture_clean_upload(file) -> ContentFile:
    """An uploaded picture (a poll option's) checked and re-encoded without metadata by
    the media pipeline, ready to save in an ImageField; a ValidationError says why not."""
    clean = image_upload_clean(file=file, max_bytes=settings.REVIEWS_PHOTO_MAX_BYTES)
    stem = (getattr(file, "name", "") or "picture").rsplit(".", 1)[0][:40] or "picture"
    return ContentFile(clean.data, name=f"{stem}-{uuid.uuid4().hex[:8]}.{clean.extension}")
