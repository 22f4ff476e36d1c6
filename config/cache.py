"""Django's Redis cache, made to degrade instead of fail when Redis cannot be reached.

The cache holds nothing that is not also in the database (pages, the host → shop lookup,
rate-limit counters), so a Redis that is down or slow must not turn a request into a
500. Every operation gives up after the connection's short timeouts
(``REDIS_TIMEOUT_SECONDS``), logs once a minute at most, and answers as an empty cache
would: a miss, a write not kept, a counter at 0 (so a rate limit lets the request
through rather than refuse a shopper because of our own outage).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
LOG_EVERY_SECONDS = 60
F = TypeVar("F", bound=Callable[..., Any])
_last_logged = 0.0


def _log(operation: str, exc: BaseException) -> None:
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= LOG_EVERY_SECONDS:
        _last_logged = now
        logger.warning("cache unavailable (%s: %s); serving without it", operation, exc)


def _degrades_to(fallback: Callable[..., Any]) -> Callable[[F], F]:
    def decorate(method: F) -> F:
        @functools.wraps(method)
        def resilient(self: ResilientRedisCache, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                _log(method.__name__, exc)
                return fallback(*args, **kwargs)

        return resilient  # type: ignore[return-value]

    return decorate


def _default(key: str, default: Any = None, *args: Any, **kwargs: Any) -> Any:
    return default


class ResilientRedisCache(RedisCache):
    get = _degrades_to(_default)(RedisCache.get)
    set = _degrades_to(lambda *a, **k: None)(RedisCache.set)
    add = _degrades_to(lambda *a, **k: False)(RedisCache.add)
    touch = _degrades_to(lambda *a, **k: False)(RedisCache.touch)
    delete = _degrades_to(lambda *a, **k: False)(RedisCache.delete)
    has_key = _degrades_to(lambda *a, **k: False)(RedisCache.has_key)
    incr = _degrades_to(lambda *a, **k: 0)(RedisCache.incr)
    get_many = _degrades_to(lambda *a, **k: {})(RedisCache.get_many)
    set_many = _degrades_to(lambda keys, *a, **k: list(keys))(RedisCache.set_many)
    delete_many = _degrades_to(lambda *a, **k: None)(RedisCache.delete_many)
    clear = _degrades_to(lambda *a, **k: False)(RedisCache.clear)
