"""Posts work on the Celery worker, in the schema of the shop that queued it."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from shops.posts.services import posts_due_announce


@shared_task(name="posts.due_posts_announce", acks_late=True)
def due_posts_announce() -> bool:
    """Show scheduled posts once due (beat, every shop through ``shops.for_each_shop``).
    The window is twice the beat's interval: a late beat misses nothing, and a second
    retirement of the cached page is harmless."""
    interval = settings.POSTS_SCHEDULE_INTERVAL_SECONDS
    return posts_due_announce(window=timedelta(seconds=2 * interval))
