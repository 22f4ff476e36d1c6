"""The shop page cache: rendered pages kept per shop under a version number that every
change shown on the page bumps, once its transaction commits.

Keys are per shop already (``django_tenants.cache.make_key`` prefixes the schema); the
version is a number in the cache itself, so every web process sees a bump at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import connection
from django_tenants.utils import schema_context

from shops.queueing import run_on_commit

T = TypeVar("T")
VERSION_KEY = "storefront:version"
PAGE_TIMEOUT = 60 * 60  # a safety net: a bump is what normally retires a page


def shop_page_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh number after an eviction, so pages cached under an older one are not reused
        version = time.time_ns()
        cache.add(VERSION_KEY, version, timeout=None)
        version = cache.get(VERSION_KEY, version)
    return version


def _bump(schema_name: str) -> None:
    if connection.schema_name != schema_name:  # the commit came after a switch of shop
        with schema_context(schema_name):
            _bump(schema_name)
        return
    # (no schema_context when already there: leaving it re-issues SET search_path)
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not in the cache (evicted): any new number will do
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def shop_page_changed() -> None:
    """Retire this shop's cached pages when the current transaction commits (at once
    outside one). Call it from every write that changes what the shop page shows."""
    schema_name = connection.schema_name
    run_on_commit(lambda: _bump(schema_name))


def cached_page(name: str, render: Callable[[], T]) -> T:
    """This shop's value ``name`` (a page: its body and headers; the theme) from the
    cache, else ``render()``'s, kept until the next bump."""
    key = f"storefront:page:{shop_page_version()}:{name}"
    cached = cache.get(key)
    if cached is None:
        cached = render()
        cache.set(key, cached, timeout=PAGE_TIMEOUT)
    return cached
