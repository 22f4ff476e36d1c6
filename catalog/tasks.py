"""Catalog work that runs on the Celery worker, always in the schema of the shop that
queued it (tenant-schemas-celery carries the schema in the task's headers)."""

from __future__ import annotations

from celery import shared_task

from catalog import images
from catalog.import_jobs import import_job_run, import_jobs_queued_queue


@shared_task(name="catalog.image_process", acks_late=True)
def image_process(image_id: int) -> str:
    """Clean a large upload and write its renditions."""
    image = images.image_process(image_id)
    return image.status if image else "gone"


@shared_task(
    name="catalog.image_fetch",
    acks_late=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=3,
)
def image_fetch(image_id: int) -> str:
    """Download an image named by URL (CSV import, API), clean it, write renditions."""
    image = images.image_fetch(image_id)
    return image.status if image else "gone"


@shared_task(name="catalog.sweep", acks_late=True)
def sweep() -> int:
    """Queue again the image and import work whose queueing may have failed (beat, every
    shop through ``shops.for_each_shop``)."""
    return images.images_pending_queue() + import_jobs_queued_queue()


@shared_task(name="catalog.import_products", acks_late=True, soft_time_limit=14 * 60)
def import_products(import_job_id: int) -> str:
    """Import a product CSV (an ImportJob), in the schema of the shop that queued it."""
    return import_job_run(job_id=import_job_id).status
