"""Cache keys: version numbers kept in the shared cache, and short parts of keys.

A value cached under a version is retired, in every process at once, by bumping the
number (never by finding and deleting keys).

Keys go through the cache's key function, so a version is per shop schema when read in
a shop's schema (the shop page's) and platform-wide when read in the public schema (the
host → shop lookups').
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache


def cache_version(key: str) -> int:
    """The current number under ``key``; a fresh one after an eviction, so values cached
    under an older number are never reused."""
    version = cache.get(key)
    if version is None:
        version = time.time_ns()
        cache.add(key, version, timeout=None)
        version = cache.get(key, version)
    return version


def cache_version_bump(key: str) -> None:
    """Retire every value cached under the current number of ``key``."""
    try:
        cache.incr(key)
    except ValueError:  # not in the cache (evicted): any new number will do
        cache.set(key, time.time_ns(), timeout=None)


def cache_key_part(text: str) -> str:
    """``text`` (a host name, a page's name) as part of a key: as it is when short and
    plain (printable ASCII, no space), else hashed, so keys stay within the 250 characters
    and the characters any cache backend takes (a ``\\x00`` from a query string included)."""
    if len(text) <= 100 and text.isascii() and text.isprintable() and " " not in text:
        return text
    return "#" + hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
