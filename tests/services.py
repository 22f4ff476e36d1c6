"""A pytest plugin (``-p tests.services`` in pyproject.toml), loaded before Django's
settings: where CELERY_BROKER_URL or REDIS_URL is not set, the test session runs an
embedded Redis of its own on a free loopback port (``config/embedded_redis.py``), so the
cache, the rate limits and the real-worker tests have a real Redis everywhere, and a
``make run`` on the same machine keeps its own."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import pytest

from config import embedded_redis

_stack = contextlib.ExitStack()


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Before pytest-django reads the settings (in this same hook)."""
    if os.environ.get("REDIS_URL") and os.environ.get("CELERY_BROKER_URL"):
        return
    port = embedded_redis.free_port()
    workdir = Path(_stack.enter_context(tempfile.TemporaryDirectory(prefix="etalage-redis-")))
    _stack.enter_context(embedded_redis.redis_server(port=port, workdir=workdir))
    os.environ["EMBEDDED_REDIS_PORT"] = str(port)


def pytest_unconfigure(config: pytest.Config) -> None:
    _stack.close()
