"""Reading the catalog outbox (``CatalogChange``): shared by every reader.

Readers (the webhook catalog events, each sales-channel connection) keep their own
position (the last row id they passed) and read forward from it. Ids are taken before
commit, so a row may appear after rows with higher ids: ``outbox_settled`` stops at a
gap until it fills or is old enough to be a rollback (``GAP_GRACE``). Rows must stay
until every reader passed them: nothing deletes them.

Readers that want to hear of new rows at once register a callable with
``outbox_listener_add``; it is called after the writing transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from django.utils import timezone

from catalog.models import CatalogChange
from shops.queueing import run_on_commit

# A row after a gap in ids waits this long for the gap to fill: the missing id may belong
# to a transaction that has not committed yet (or one that rolled back).
GAP_GRACE = timedelta(minutes=2)

_listeners: list[Callable[[], None]] = []


def outbox_settled(rows: Iterable[CatalogChange], last_id: int) -> list[CatalogChange]:
    """The rows that can be read now: consecutive ids after ``last_id``, and past a gap
    only once the row after it is older than GAP_GRACE."""
    settled: list[CatalogChange] = []
    expected = last_id + 1
    cutoff = timezone.now() - GAP_GRACE
    for row in rows:
        is_start = not last_id and not settled  # a new reader starts at the first row
        if row.id != expected and row.created > cutoff and not is_start:
            break
        settled.append(row)
        expected = row.id + 1
    return settled


def outbox_listener_add(listener: Callable[[], None]) -> None:
    """Call ``listener()`` (in the writer's schema) after each commit that wrote rows."""
    if listener not in _listeners:
        _listeners.append(listener)


def outbox_written() -> None:
    """Tell the listeners, once the current transaction commits, that rows were written."""
    for listener in _listeners:
        run_on_commit(listener)
