"""What the benchmarks share: Django set up from the repository, and a scratch database
on the configured server (DATABASE_URL, else the embedded one), dropped afterwards."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


@contextmanager
def scratch_database(name: str) -> Iterator[None]:
    """Set Django up and run the block in a fresh database called ``name``, beside the
    configured one (``etalage_<who>_bench_…`` when DATABASE_URL names ``etalage_<who>``, so
    benchmarks of several people on one server do not drop each other's)."""
    import django

    django.setup()
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
