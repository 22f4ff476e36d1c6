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
    # earlier drafts (undo, newest last) and undone ones (redo, newest last), capped
    undo_stack = models.JSONField(default=list, blank=True)
    redo_stack = models.JSONField(default=list, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "shop page designer"

    def __str__(self) -> str:
        return "Shop design"

    @property
    def has_unpublished_changes(self) -> bool:
        return self.draft != self.published


class LibraryImage(models.Model):
    """A picture in the shop's media library: every picture the designer stored (on
    selection, before any save), offered again by the picture picker. ``image`` is the
    stored reference the design document keeps; its files are kept while the row is."""

    name = models.CharField(max_length=255, unique=True)
    image = models.JSONField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.name
