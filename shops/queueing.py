"""The one place that queues work for the Celery worker, and runs work after a commit.

A request that wrote something must answer its committed result whatever happens to the
systems around it. So work is queued only after the commit (``task_queue_on_commit``),
and a queueing that fails (the broker down, hung or refusing) is logged in one line and
dropped: what the task was to do is also written in the database (outbox rows, pending
images, import jobs, webhook deliveries, email rows), and the beat's sweeps queue it
again (``catalog.tasks.sweep``, ``orders.tasks.emails_sweep``, ``webhooks.deliveries_due``).
Every task is therefore safe to run twice: it claims its row or checks its state first.

A service queues its app's tasks by name (``task_queue_on_commit("orders.order_email",
email.pk)``): the tasks module imports the services it runs, never the other way round.

A publish gives up after BROKER_TIMEOUT_SECONDS (settings: no publish retry, short socket
timeouts): a stopped broker costs a request a few milliseconds, a silent one a second.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from celery import Task
from django.db import transaction

from config.celery import app

logger = logging.getLogger(__name__)


def task_named(name: str) -> Task:
    """The task registered as ``name`` (``"orders.order_email"``); KeyError if none is.

    Celery imports the apps' tasks modules lazily (a worker at start-up; a web or beat
    process that never imported one does not know its tasks yet), so they are imported
    here the first time a name is missing."""
    if name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks[name]


def task_queue(task: Task | str, *args: Any, countdown: float | None = None, **kwargs: Any) -> bool:
    """Queue ``task(*args, **kwargs)`` (a task or its name) now, in the current shop's
    schema; False (and one log line) when it could not be queued. Never raises for the
    broker: the caller's work is done. (An unknown task name is a bug: KeyError.)"""
    task = task_named(task) if isinstance(task, str) else task
    try:
        task.apply_async(args, kwargs, countdown=countdown or None)
    except Exception as error:
        logger.warning(
            "%s%r not queued (%s: %s); the beat's sweep queues it again",
            task.name,
            args,
            type(error).__name__,
            error,
        )
        return False
    return True


def task_queue_on_commit(
    task: Task | str, *args: Any, countdown: float | None = None, **kwargs: Any
) -> None:
    """Queue ``task(*args, **kwargs)`` (a task or its name) once the current transaction
    commits (at once outside one); a failure to queue never reaches the request (see
    ``task_queue``). A name is looked up now, so a wrong one fails the caller at once."""
    task = task_named(task) if isinstance(task, str) else task
    transaction.on_commit(
        functools.partial(task_queue, task, *args, countdown=countdown, **kwargs), robust=True
    )


def run_on_commit(function: Callable[[], Any]) -> None:
    """Run ``function()`` once the current transaction commits; an error it raises (a
    cache or a file storage that is down) is logged by Django, never turned into a 500
    of a write that is already committed."""
    transaction.on_commit(function, robust=True)
