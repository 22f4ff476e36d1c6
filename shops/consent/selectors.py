"""Reading consent: what the merchant is told about marketing emails held back."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Sum
from django.utils import timezone

from shops.consent.models import MarketingHeld


def marketing_held_summary(*, days: int = 30) -> list[str]:
    """Sentences for the merchant, one per kind and reason, over the last ``days``:
    "12 review requests not sent: no consent". One query."""
    since = timezone.localdate() - timedelta(days=days)
    rows = (
        MarketingHeld.objects.filter(day__gte=since)
        .values("kind", "reason")
        .annotate(total=Sum("count"))
        .order_by("kind", "reason")
    )
    kinds = dict(MarketingHeld.Kind.choices)
    reasons = dict(MarketingHeld.Reason.choices)
    return [
        f"{row['total']} {kinds.get(row['kind'], row['kind'])} not sent: "
        f"{reasons.get(row['reason'], row['reason'])}"
        for row in rows
        if row["total"]
    ]
