"""Insights work on the Celery worker, in the schema of the shop that queued it (the
beat reaches every shop through ``shops.for_each_shop``)."""

from __future__ import annotations

from celery import shared_task

from shops.insights.services import (
    checkout_visitors_forget,
    partitions_drop_expired,
    partitions_ensure,
    rollup_run,
)
from shops.retention.selectors import retention_policy


@shared_task(name="insights.rollup", acks_late=True)
def rollup() -> str:
    """Bring the rollups up to now (beat, every minute; or on demand). Idempotent."""
    return rollup_run().isoformat()


@shared_task(name="insights.partitions_maintain", acks_late=True)
def partitions_maintain() -> dict[str, list[str]]:
    """Make the next days' event partitions and drop those past the shop's retention
    (``analytics_raw_days``); the rollup runs first so nothing dropped is missing from
    it (beat, hourly). The buy-now visitors of past days' unpaid orders go too."""
    rollup_run()
    made = partitions_ensure()
    dropped = partitions_drop_expired(keep_days=retention_policy().analytics_raw_days)
    checkout_visitors_forget()
    return {"made": made, "dropped": dropped}
