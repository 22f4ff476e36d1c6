"""The raw events' daily partitions: made ahead (and for rows that landed in the default
partition), dropped by partition after the shop's retention, never before the rollups
hold them; the rollups stay. And the beat's task, on a real worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection
from django_tenants.utils import tenant_context

from shops.insights import tasks
from shops.insights.models import DailyRollup, HourlyRollup, Kind, RollupState
from shops.insights.services import (
    beacon_events_record,
    partitions_drop_expired,
    partitions_ensure,
    rollup_run,
)
from shops.insights.services.partitions import partition_name, partitions_existing
from shops.retention.models import RetentionPolicy
from shops.tasks import for_each_shop
from tests.conftest import wait_until
from tests.insights.conftest import PHONE_UA, raw_events

TODAY = datetime.now(UTC).date()


def send_at(when: datetime) -> None:
    beacon_events_record(
        data={"events": [{"kind": "page_view", "page": "shop"}]},
        address="198.51.100.5",
        user_agent=PHONE_UA,
        own_host="alpha.localhost",
        now=when,
    )


def rows_in(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        return cursor.fetchone()[0]


def test_partitions_are_made_ahead_and_take_rows_out_of_the_default(shop_a):
    old_day = TODAY - timedelta(days=20)
    with tenant_context(shop_a):
        send_at(datetime(old_day.year, old_day.month, old_day.day, 12, tzinfo=UTC))
        assert rows_in("insights_event_default") == 1  # no partition for that day yet

        made = partitions_ensure(days_ahead=7)

        existing = partitions_existing()
        assert partition_name(old_day) in made
        assert all(TODAY + timedelta(days=n) in existing for n in range(8))
        assert rows_in("insights_event_default") == 0
        assert rows_in(partition_name(old_day)) == 1
        assert len(raw_events()) == 1
        assert partitions_ensure(days_ahead=7) == []  # nothing left to make


def test_retention_drops_old_partitions_and_keeps_the_rollups(shop_a):
    old, recent = TODAY - timedelta(days=40), TODAY - timedelta(days=2)
    with tenant_context(shop_a):
        RetentionPolicy.objects.create(analytics_raw_days=30)
        for day in (old, recent):
            send_at(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))
        partitions_ensure()

        result = tasks.partitions_maintain()

        assert partition_name(old) in result["dropped"]
        assert partition_name(recent) not in result["dropped"]
        assert old not in partitions_existing() and recent in partitions_existing()
        assert len(raw_events()) == 1  # the recent day's
        # the rollups of the dropped day stay
        assert HourlyRollup.objects.filter(kind=Kind.PAGE_VIEW, hour__date=old).exists()
        assert DailyRollup.objects.filter(dimension="", kind=Kind.PAGE_VIEW, day=old).exists()


def test_nothing_is_dropped_before_the_rollups_hold_it(shop_a):
    old = TODAY - timedelta(days=100)
    with tenant_context(shop_a):
        send_at(datetime(old.year, old.month, old.day, 12, tzinfo=UTC))
        partitions_ensure()
        assert partitions_drop_expired(keep_days=90) == []  # never rolled up
        assert len(raw_events()) == 1
        rollup_run()
        assert partitions_drop_expired(keep_days=90) == [partition_name(old)]


def test_the_rollup_runs_on_the_worker_for_each_shop(committed_shop, worker, django_db_blocker):
    """The beat queues ``shops.for_each_shop("insights.rollup")``; a real worker runs it
    in each shop's schema."""
    created = committed_shop("insightsworker")
    with django_db_blocker.unblock(), tenant_context(created.shop):
        send_at(datetime.now(UTC))
    with django_db_blocker.unblock():
        for_each_shop.delay("insights.rollup")

    def rolled() -> bool:
        with tenant_context(created.shop):
            state = RollupState.objects.filter(id=1).first()
            return (
                bool(state and state.rolled_until)
                and HourlyRollup.objects.filter(kind=Kind.PAGE_VIEW).exists()
            )

    assert wait_until(rolled, django_db_blocker)
