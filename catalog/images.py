"""Product images on top of the media pipeline (``shops.media``: checking, cleaning,
renditions, fetching by URL).

Every product picture goes through it, whether it was uploaded in the admin, sent by the
API or named by URL in a CSV import. Small uploads are done in the request; large ones
(over ``CATALOG_IMAGE_INLINE_BYTES``) are stored as they came, marked *pending*, and
finished by a Celery task, so the admin answers at once; so are pictures named by URL.
Pending images are never shown to shoppers. Tasks are queued by name (``catalog.tasks``
calls this module, never the other way).

Files live in the shop's own media folder (MEDIA_ROOT/<schema>/products/...).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils.html import format_html

from catalog.models import CatalogChange, Product, ProductImage
from catalog.services import outbox_record
from shops.media import (
    ACCEPTED_FORMATS,
    CheckedImage,
    CleanImage,
    delete_files_on_commit,
    image_check,
    image_clean,
    image_download,
    image_url_validate,
    media_file_names,
    read_limited,
    rendition_url,
    renditions_save,
    renditions_srcset,
)
from shops.queueing import task_queue, task_queue_on_commit


def _store(image: ProductImage, clean: CleanImage) -> None:
    """Write the clean original and renditions, then point the row at them."""
    old_names = image_file_names(image)
    stem = f"{image.product_id}-{uuid.uuid4().hex[:12]}"
    # the field's upload_to puts the original in products/; renditions go next to it
    image.image.save(f"{stem}.{clean.extension}", ContentFile(clean.data), save=False)
    image.renditions = renditions_save(clean, prefix=f"products/{stem}")
    image.width, image.height = clean.width, clean.height
    image.status, image.error = ProductImage.Status.READY, ""
    image.save()
    delete_files_on_commit(old_names - image_file_names(image))


def image_file_names(image: ProductImage) -> set[str]:
    return media_file_names(image.image.name if image.image else "", image.renditions)


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
        task_queue_on_commit("catalog.image_process", image.pk)
    _record_images_changed(product.pk)
    return image


def product_image_add_from_url(
    *, product: Product, url: str, alt_text: str = "", position: int | None = None
) -> ProductImage:
    """Add a picture named by URL: a pending row now, the download in a task."""
    image_url_validate(url)
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
    task_queue_on_commit("catalog.image_fetch", image_id)


def images_pending_queue() -> int:
    """Queue the work of every pending image again (the beat's ``catalog.sweep``: its
    queueing may have failed); a second run of a task that already ran does nothing."""
    pending = ProductImage.objects.filter(status=ProductImage.Status.PENDING)
    queued = 0
    for image_id, source_url in pending.values_list("pk", "source_url")[:500]:
        task = "catalog.image_fetch" if source_url else "catalog.image_process"
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


def image_original_url(image: ProductImage) -> str:
    """The cleaned full-size file (what the social platforms' feeds want)."""
    if image.status != ProductImage.Status.READY or not image.image:
        return ""
    return image.image.url


def image_srcset(image: ProductImage) -> str:
    if image.status != ProductImage.Status.READY:
        return ""
    return renditions_srcset(image.renditions)


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
