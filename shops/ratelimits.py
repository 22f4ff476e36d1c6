"""Rate limits of anonymous writes (buy-now, the posts' click-through beacon, votes,
sign-up and password emails): a fixed window per client address (or shopper, or
address hash) and shop, counted in the cache. The API answers over a limit through
``shops.api.throttling``, pages through ``too_many_requests_page``.

- **Client address**: ``REMOTE_ADDR``, or, behind ``TRUSTED_PROXY_COUNT`` proxies of
  our own, the address the outermost of them saw (``X-Forwarded-For`` read from the
  right, so a shopper cannot pick an address by sending the header). Off by default:
  the header is ignored unless the operator says proxies add it.
- **Keys** name the shop's schema (besides ``django_tenants.cache.make_key``'s prefix),
  so one shop's traffic never counts against another's.
- **Rates** are ``"<count>/<s, m, h or d>"`` (``"120/minute"`` works too); ``"off"``
  (or ``0``) switches a limit off, as the benchmarks do.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def client_ip(request: HttpRequest) -> str:
    """The shopper's address: see the module's docstring for the trusted proxies."""
    remote = request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 (a value, not a bind)
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if not forwarded:
        return remote
    # each proxy appends the address it was reached from: the last ``proxies`` entries
    # are our own proxies' word; anything left of them the client may have written
    candidate = forwarded[-proxies] if len(forwarded) >= proxies else forwarded[0]
    return candidate if _is_address(candidate) else remote


def rate_parse(rate: str | int | None) -> tuple[int, int] | None:
    """``"5/h"`` → (5, 3600); ``"off"``, ``""`` or a count of 0 → None (no limit).
    Raises ValueError for anything else, so a typo in a setting fails loudly."""
    text = str(rate or "").strip().lower()
    if text in ("", "off", "0", "none"):
        return None
    count, _, unit = text.partition("/")
    seconds = UNIT_SECONDS.get(unit.strip()[:1] or "m")
    if seconds is None or not count.strip().isdigit():
        raise ValueError(f"A rate is <count>/<s, m, h or d>, not {rate!r}.")
    return (int(count), seconds) if int(count) > 0 else None


def rate_limit_hit(*, scope: str, who: str, rate: str) -> int | None:
    """Count one request of ``scope`` from ``who`` in the active shop; the seconds to
    wait when it is over ``rate``, else None."""
    parsed = rate_parse(rate)
    if parsed is None:
        return None
    allowed, window = parsed
    now = int(time.time())
    key = f"ratelimit:{connection.schema_name}:{scope}:{who}:{now // window}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        count = 1
    return window - now % window if count > allowed else None


def email_rate_allowed(*, scope: str, email: str) -> bool:
    """Count one request of ``scope`` about ``email`` (any case) in the active shop; False
    once over ``ACCOUNTS_RATE_EMAIL``. The address is hashed: no inbox in a cache key."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return rate_limit_hit(scope=scope, who=digest, rate=settings.ACCOUNTS_RATE_EMAIL) is None


def address_rate_hit(request: HttpRequest, *, scope: str) -> int | None:
    """Count one request of ``scope`` from the client's address in the active shop; the
    seconds to wait once over ``ACCOUNTS_RATE_ADDRESS``, else None."""
    return rate_limit_hit(scope=scope, who=client_ip(request), rate=settings.ACCOUNTS_RATE_ADDRESS)


def too_many_requests_page(request: HttpRequest, retry_after: int) -> HttpResponse:
    """429 as a page a person reads, with Retry-After."""
    minutes = max(1, round(retry_after / 60))
    response = render(request, "shops/too_many_requests.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(retry_after)
    return response
