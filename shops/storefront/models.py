"""The shop page's design: one row per shop (its schema), a draft and a published version."""

from __future__ import annotations

from django.db import models


class Design(models.Model):
    """The shop page's design as two JSON documents, both validated by
    ``shops.storefront.documents.document_clean``: ``draft`` is what the merchant edits
    and previews, ``published`` what shoppers see (empty until the first publish).
    ``embed_origins`` are the sites allowed to frame the embedded shop page; they take
    effect at once (they are not part of the draft)."""

    # one design per shop: the unique key makes a second row impossible
    key = models.PositiveSmallIntegerField(default=1, unique=True, editable=False)
    draft = models.JSONField(default=dict)
    published = models.JSONField(null=True, blank=True)
    embed_origins = models.JSONField(default=list, blank=True)
    draft_updated = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "shop page designer"

    def __str__(self) -> str:
        return "Shop design"

    @property
    def has_unpublished_changes(self) -> bool:
        return self.draft != self.published
