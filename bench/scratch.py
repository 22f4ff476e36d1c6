"""What the benchmarks share: Django set up from the repository, a scratch database on
the configured server (DATABASE_URL, else the embedded one), dropped afterwards, and the
embedded Redis when REDIS_URL or CELERY_BROKER_URL is unset (as ``make run`` starts it)."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


@contextmanager
def embedded_redis_if_unset() -> Iterator[None]:
    """An embedded Redis of the benchmark's own (a free port) for the cache and the broker
    that are not configured, in this process's environment, so the servers it starts
    share it as make run's processes share theirs."""
    unset = [name for name in ("REDIS_URL", "CELERY_BROKER_URL") if not os.environ.get(name)]
    if not unset:
        yield
        return
    from config.child_processes import free_port
    from config.embedded_redis import redis_server

    port = free_port()
    with ExitStack() as stack:
        workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-redis-"))
        stack.enter_context(redis_server(port=port, workdir=Path(workdir)))
        database = {"CELERY_BROKER_URL": 0, "REDIS_URL": 1}
        for name in unset:
            os.environ[name] = f"redis://127.0.0.1:{port}/{database[name]}"
        yield


@contextmanager
def scratch_database(name: str) -> Iterator[None]:
    """Set Django up and run the block in a fresh database called ``name``, beside the
    configured one (``etalage_<who>_bench_…`` when DATABASE_URL names ``etalage_<who>``, so
    benchmarks of several people on one server do not drop each other's)."""
    import django

    with embedded_redis_if_unset():
        django.setup()
        yield from _in_scratch_database(name)


def _in_scratch_database(name: str) -> Iterator[None]:
    from django.conf import settings
    from django.db import connection

    creation = connection.creation
    configured = settings.DATABASES["default"]["NAME"]
    name = f"{configured}_{name.removeprefix('etalage_')}" if configured != "etalage" else name
    settings.DATABASES["default"]["TEST"]["NAME"] = name
    creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        connection.set_schema_to_public()
        creation.destroy_test_db(name, verbosity=0)
