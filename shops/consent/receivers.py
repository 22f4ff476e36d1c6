"""The privacy page says how long data is kept: a change to the retention policy retires
the cached shopper pages once it commits."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from shops.page_cache import shop_page_changed
from shops.retention.models import RetentionPolicy


@receiver(post_save, sender=RetentionPolicy, dispatch_uid="consent.retention_changed")
def retention_changed(sender: type, **kwargs: Any) -> None:
    shop_page_changed()
