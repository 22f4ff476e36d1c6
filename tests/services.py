"""A pytest plugin (``-p tests.services`` in pyproject.toml), loaded before Django's
settings.

- Passwords are hashed with MD5 (``PASSWORD_HASHERS``, Django's own hashers after it):
  a PBKDF2 login costs most of a second, and the suite logs in dozens of times. The
  variable is set in the environment, not in the settings, so the servers and workers
  the tests start verify the same hashes.
- Where CELERY_BROKER_URL or REDIS_URL is not set, the test session runs an embedded
  Redis of its own on a free loopback port (``config/embedded_redis.py``), so the cache,
  the rate limits and the real-worker tests have a real Redis everywhere, and a
  ``make run`` on the same machine keeps its own.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import pytest
from django.conf import global_settings

from config import embedded_redis
from config.child_processes import free_port

_stack = contextlib.ExitStack()
# Unsafe for real passwords: for test accounts only.
FAST_PASSWORD_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Before pytest-django reads the settings (in this same hook)."""
    os.environ["PASSWORD_HASHERS"] = ",".join(
        [FAST_PASSWORD_HASHER, *global_settings.PASSWORD_HASHERS]
    )
    if os.environ.get("REDIS_URL") and os.environ.get("CELERY_BROKER_URL"):
        return
    port = free_port()
    workdir = Path(_stack.enter_context(tempfile.TemporaryDirectory(prefix="etalage-redis-")))
    _stack.enter_context(embedded_redis.redis_server(port=port, workdir=workdir))
    os.environ["EMBEDDED_REDIS_PORT"] = str(port)


def pytest_unconfigure(config: pytest.Config) -> None:
    _stack.close()
