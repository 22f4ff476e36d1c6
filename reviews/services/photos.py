"""Review photos through the catalog's Pillow pipeline: type checked from the content,
pixel limit, metadata stripped, WebP renditions. Checked before the review is written,
so a bad photo refuses the whole submission with a message (and the text is kept)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from catalog.images import (
    CleanImage,
    delete_files_on_commit,
    image_check,
    image_clean,
    read_limited,
)
from reviews.models import Review, ReviewPhoto


def photos_clean(files: list) -> list[CleanImage]:
    """Every uploaded photo checked and cleaned; a ValidationError names the bad one."""
    if len(files) > settings.REVIEWS_MAX_PHOTOS:
        raise ValidationError(
            f"Add at most {settings.REVIEWS_MAX_PHOTOS} photos.", code="too_many_photos"
        )
    cleaned = []
    for number, file in enumerate(files, start=1):
        try:
            data = read_limited(file, settings.REVIEWS_PHOTO_MAX_BYTES)
            cleaned.append(image_clean(data, image_check(data, decode=True)))
        except ValidationError as error:
            name = getattr(file, "name", "") or f"photo {number}"
            raise ValidationError(
                f"{name}: {' '.join(error.messages)}", code=error.code or "bad_photo"
            ) from None
    return cleaned


def review_photos_store(*, review: Review, photos: list[CleanImage]) -> list[ReviewPhoto]:
    stored = []
    for position, clean in enumerate(photos):
        stem = f"{review.pk}-{uuid.uuid4().hex[:12]}"
        photo = ReviewPhoto(review=review, position=position)
        photo.image.save(f"{stem}.{clean.extension}", ContentFile(clean.data), save=False)
        photo.renditions = {
            str(width): default_storage.save(f"reviews/{stem}-{width}.webp", ContentFile(data))
            for width, data in clean.renditions.items()
        }
        photo.width, photo.height = clean.width, clean.height
        photo.save()
        stored.append(photo)
    return stored


def review_photos_delete_files(photos: list[ReviewPhoto]) -> None:
    names: set[str] = set()
    for photo in photos:
        names.update((photo.renditions or {}).values())
        if photo.image:
            names.add(photo.image.name)
    delete_files_on_commit(names)


def picture_clean_upload(file) -> ContentFile:
    """An uploaded picture (a poll option's) checked and re-encoded without metadata by
    the catalog pipeline, ready to save in an ImageField; a ValidationError says why not."""
    data = read_limited(file, settings.REVIEWS_PHOTO_MAX_BYTES)
    clean = image_clean(data, image_check(data, decode=True))
    stem = (getattr(file, "name", "") or "picture").rsplit(".", 1)[0][:40] or "picture"
    return ContentFile(clean.data, name=f"{stem}-{uuid.uuid4().hex[:8]}.{clean.extension}")
