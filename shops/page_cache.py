"""The shop page cache: rendered pages kept per shop under a version number that every
change shown on the page bumps, once its transaction commits.

Keys are per shop already (``django_tenants.cache.make_key`` prefixes the schema); the
version is a number in the cache itself, so every web process sees a bump at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import connection
from django_tenants.utils import schema_context

from shops.cache_versions import cache_key_part, cache_version, cache_version_bump
from shops.queueing import run_on_commit

T = TypeVar("T")
VERSION_KEY = "storefront:version"
PAGE_TIMEOUT = 60 * 60  # a safety net: a bump is what normally retires a page


def shop_page_version() -> int:
    return cache_version(VERSION_KEY)


def _bump(schema_name: str) -> None:
    if connection.schema_name != schema_name:  # the commit came after a switch of shop
        with schema_context(schema_name):
            _bump(schema_name)
        return
    # (no schema_context when already there: leaving it re-issues SET search_path)
    cache_version_bump(VERSION_KEY)


def shop_page_changed() -> None:
    """Retire this shop's cached pages when the current transaction commits (at once
    outside one). Call it from every write that changes what the shop page shows."""
    schema_name = connection.schema_name
    run_on_commit(lambda: _bump(schema_name))


def _shop_fields() -> str:
    """The shop's own fields that pages show, as part of their keys: the shop row lives in
    the public schema, and a change to it (``shops.services.shop_update``) reaches this
    schema's pages through the request's shop, read afresh once the host lookup is retired."""
    shop = connection.tenant
    fields = f"{getattr(shop, 'name', '')}\x00{getattr(shop, 'currency', '')}"
    return hashlib.blake2b(fields.encode(), digest_size=8).hexdigest()


def cached_page(name: str, render: Callable[[], T]) -> T:
    """This shop's value ``name`` (a page: its body and headers; the theme) from the
    cache, else ``render()``'s, kept until the next bump."""
    key = f"storefront:page:{shop_page_version()}:{_shop_fields()}:{cache_key_part(name)}"
    cached = cache.get(key)
    if cached is None:
        cached = render()
        cache.set(key, cached, timeout=PAGE_TIMEOUT)
    return cached
