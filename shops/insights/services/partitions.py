"""The raw events table's daily partitions: made ahead, and dropped after the shop's
retention (``RetentionPolicy.analytics_raw_days``). Rollups are never dropped.

``insights_event`` is ``PARTITION BY RANGE (occurred_at)`` with one partition per UTC
day, ``insights_event_pYYYYMMDD``, and a default partition that catches a row whose day
has none yet (a shop created from an older schema template, a beat that did not run).
Making a day's partition moves that day's rows out of the default first, so making one
never fails and never loses a row.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction
from django.utils import timezone

EVENTS_TABLE = "insights_event"
DEFAULT_PARTITION = "insights_event_default"
PREFIX = "insights_event_p"


def partition_name(day: date) -> str:
    return f"{PREFIX}{day:%Y%m%d}"


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def partitions_existing() -> dict[date, str]:
    """The day partitions of the current shop's events table, by day."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname FROM pg_inherits i
                 JOIN pg_class c ON c.oid = i.inhrelid
                 JOIN pg_class p ON p.oid = i.inhparent
                WHERE p.relname = %s AND p.relnamespace = to_regnamespace(current_schema())
                  AND c.relname LIKE %s""",
            [EVENTS_TABLE, PREFIX + "%"],
        )
        names = [row[0] for row in cursor.fetchall()]
    return {datetime.strptime(name[len(PREFIX) :], "%Y%m%d").date(): name for name in names}  # noqa: DTZ007 (a date)


def partitions_ensure(*, days_ahead: int = 7, today: date | None = None) -> list[str]:
    """Make the partitions of today and the next ``days_ahead`` days, and of any day
    whose rows sit in the default partition. Returns the names made."""
    today = today or timezone.now().astimezone(UTC).date()
    existing = partitions_existing()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT (occurred_at AT TIME ZONE 'UTC')::date FROM {DEFAULT_PARTITION}"
        )
        stray = {row[0] for row in cursor.fetchall()}
    wanted = sorted({today + timedelta(days=n) for n in range(days_ahead + 1)} | stray)
    made = []
    for day in wanted:
        if day in existing:
            continue
        name = partition_name(day)
        start, end = _day_bounds(day)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE {name} (LIKE {EVENTS_TABLE} INCLUDING DEFAULTS);"
                f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE occurred_at >= %s"
                f" AND occurred_at < %s RETURNING *) INSERT INTO {name} SELECT * FROM moved;"
                f"ALTER TABLE {EVENTS_TABLE} ATTACH PARTITION {name}"
                f" FOR VALUES FROM (%s) TO (%s)",
                [start, end, start, end],
            )
        made.append(name)
    return made


def partitions_drop_expired(*, keep_days: int, today: date | None = None) -> list[str]:
    """Detach and drop the partitions of days older than ``keep_days`` days (and delete
    such rows from the default partition), once the rollups hold them. Returns the names
    dropped."""
    from_rollups = _rolled_until()
    today = today or timezone.now().astimezone(UTC).date()
    oldest_kept = today - timedelta(days=keep_days)
    if from_rollups is None:
        return []
    cutoff = min(datetime.combine(oldest_kept, time.min, tzinfo=UTC), from_rollups)
    dropped = []
    for day, name in sorted(partitions_existing().items()):
        if _day_bounds(day)[1] > cutoff:
            continue
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {EVENTS_TABLE} DETACH PARTITION {name}; DROP TABLE {name}")
        dropped.append(name)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {DEFAULT_PARTITION} WHERE occurred_at < %s", [cutoff])
    return dropped


def _rolled_until() -> datetime | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolled_until FROM insights_rollupstate WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None
