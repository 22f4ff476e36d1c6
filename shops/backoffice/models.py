"""What the back office records of its own: milestones the shop's state does not show."""

from __future__ import annotations

from django.db import models


class Milestone(models.Model):
    """A step the merchant took that leaves no other trace, recorded once (the first time):
    e.g. opening the Share and embed page. One row per key in the shop's schema."""

    class Key(models.TextChoices):
        SHARE_OPENED = "share_opened", "Opened Share and embed"

    key = models.CharField(max_length=40, choices=Key.choices, unique=True)
    reached_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.get_key_display()
