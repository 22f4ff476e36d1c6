"""The rollups, rebuilt by the worker from the raw events (``rollup_run``).

Incremental with a watermark (``RollupState.rolled_until``): each run rebuilds the hours
from the watermark's hour (less ``LATE_MARGIN``, for events whose transaction committed
late) to now for the hourly totals, and the days those hours touch for the daily rows (by
dimension, with unique visitors): it deletes their rows and inserts them again from the
raw events, the daily ones in one ``GROUP BY … GROUPING SETS`` for every dimension
(and the polls' voters who later bought, ``Kind.VOTER_BOUGHT``, in one more statement).
Rebuilding rather than adding is what makes a run idempotent: running it twice, or two
at once (an advisory lock serialises them per shop), gives the same rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from shops.insights.models import Kind, RollupState

LATE_MARGIN = timedelta(minutes=5)

# dimension name → the events column it groups by (ids as text)
DIMENSION_COLUMNS = {
    "source": "source",
    "channel": "channel",
    "embed_site": "embed_site",
    "page": "page",
    "post": "post_id::text",
    "poll": "poll_id::text",
    "product": "product_id::text",
}
_DIMENSION = (
    "CASE "
    + " ".join(
        f"WHEN GROUPING({column}) = 0 THEN '{name}'" for name, column in DIMENSION_COLUMNS.items()
    )
    + " ELSE '' END"
)
_VALUE = f"COALESCE({', '.join(DIMENSION_COLUMNS.values())}, '')"
_SETS = ", ".join(["()"] + [f"({column})" for column in DIMENSION_COLUMNS.values()])

_HOURLY_SQL = """
    INSERT INTO insights_hourlyrollup (hour, kind, events, value_minor)
    SELECT date_trunc('hour', occurred_at), kind, count(*), sum(value_minor)
      FROM insights_event
     WHERE occurred_at >= %(start)s AND occurred_at < %(end)s
     GROUP BY date_trunc('hour', occurred_at), kind
"""

# rows of a dimension whose value is empty (no post, no embedding site) are left out
_DAILY_SQL = f"""
    INSERT INTO insights_dailyrollup (day, kind, dimension, value, events, value_minor, visitors)
    SELECT day, kind, dimension, value, events, value_minor, visitors FROM (
        SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day, kind,
               {_DIMENSION} AS dimension, {_VALUE} AS value,
               count(*) AS events, sum(value_minor) AS value_minor,
               count(DISTINCT visitor) AS visitors
          FROM insights_event
         WHERE occurred_at >= %(day_start)s AND occurred_at < %(end)s
         GROUP BY (occurred_at AT TIME ZONE 'UTC')::date, kind, GROUPING SETS ({_SETS})
    ) grouped
    WHERE dimension = '' OR value <> ''
"""

# a poll's voters whose paid order (carrying the visitor kept at buy-now) came after the
# vote the same UTC day: the hash changes daily, so no other day can be matched
_VOTER_BOUGHT_SQL = f"""
    INSERT INTO insights_dailyrollup (day, kind, dimension, value, events, value_minor, visitors)
    SELECT (vote.occurred_at AT TIME ZONE 'UTC')::date, {int(Kind.VOTER_BOUGHT)}, 'poll',
           vote.poll_id::text, count(DISTINCT vote.visitor), 0, count(DISTINCT vote.visitor)
      FROM insights_event vote
     WHERE vote.kind = {int(Kind.VOTE)} AND vote.poll_id IS NOT NULL
       AND vote.occurred_at >= %(day_start)s AND vote.occurred_at < %(end)s
       AND EXISTS (
           SELECT 1 FROM insights_event paid
            WHERE paid.kind = {int(Kind.PAID)} AND paid.visitor = vote.visitor
              AND paid.occurred_at > vote.occurred_at AND paid.occurred_at < %(end)s
              AND paid.occurred_at < (((vote.occurred_at AT TIME ZONE 'UTC')::date + 1)::timestamp
                                      AT TIME ZONE 'UTC')
       )
     GROUP BY (vote.occurred_at AT TIME ZONE 'UTC')::date, vote.poll_id
"""


def rollup_run(*, now: datetime | None = None) -> datetime:
    """Bring the current shop's rollups up to ``now`` (see the module's docstring).
    Returns the new watermark."""
    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':insights'))")
        state, _ = RollupState.objects.select_for_update().get_or_create(id=1)
        if state.rolled_until is None:
            cursor.execute("SELECT min(occurred_at) FROM insights_event")
            since = cursor.fetchone()[0] or now
        else:
            since = min(state.rolled_until, now) - LATE_MARGIN
        start = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        day_start = start.replace(hour=0)
        params = {"start": start, "day_start": day_start, "end": now}
        cursor.execute(
            "DELETE FROM insights_hourlyrollup WHERE hour >= %(start)s;"
            "DELETE FROM insights_dailyrollup WHERE day >= %(day_start)s::date;"
            + _HOURLY_SQL
            + ";"
            + _DAILY_SQL
            + ";"
            + _VOTER_BOUGHT_SQL,
            {**params, "day_start": day_start},
        )
        state.rolled_until = now
        state.save(update_fields=["rolled_until", "updated"])
    return now
