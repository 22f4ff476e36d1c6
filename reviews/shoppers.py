"""Who an anonymous shopper is, without cookies, and how often they may act.

- **Shopper token**: a random id signed with ``django.core.signing`` (salted with the
  shop's schema, so shop A's token is refused by shop B). The page keeps it in
  ``localStorage`` and sends it in the ``X-Shopper-Token`` header or a
  ``shopper_token`` form field; no cookie is involved, so it works in an embed with
  third-party cookies blocked. A missing token is answered with a new one; a tampered
  one is refused (400).
- **IP hash backstop**: a keyed hash of the address (and of its network, /24 or /48),
  never the address itself: one vote per review per address, and the rate limits.
- **Rate limits**: fixed windows counted in the per-shop cache (``shops.ratelimits``).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import connection
from django.http import HttpRequest

from shops import ratelimits

TOKEN_HEADER = "HTTP_X_SHOPPER_TOKEN"  # noqa: S105 (a header name)
TOKEN_FIELD = "shopper_token"  # noqa: S105 (a field name)


class BadToken(Exception):
    """A shopper token that was tampered with or belongs to another shop."""


def _salt() -> str:
    return f"reviews.shopper:{connection.schema_name}"


def shopper_token_new() -> str:
    return signing.dumps(secrets.token_hex(12), salt=_salt())


def shopper_token_id(token: str) -> str:
    """The shopper id inside ``token``; ``BadToken`` when it is not this shop's."""
    try:
        value = signing.loads(token, salt=_salt())
    except signing.BadSignature:
        raise BadToken("This shopper token is not valid here.") from None
    if not isinstance(value, str):
        raise BadToken("This shopper token is not valid here.")
    return value


def _keyed_hash(value: str) -> str:
    key = f"{settings.SECRET_KEY}:{connection.schema_name}".encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:40]


def client_ip(request: HttpRequest) -> str:
    return ratelimits.client_ip(request)  # REMOTE_ADDR, or behind trusted proxies


def network_of(ip: str) -> str:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@dataclass(frozen=True)
class Shopper:
    """An anonymous shopper: ``token`` is the signed token to hand back (new or as sent),
    ``voter`` the id votes are keyed by."""

    token: str
    voter: str
    ip_hash: str
    network_hash: str
    is_new: bool


def shopper_from(request: HttpRequest) -> Shopper:
    """The shopper making ``request``; ``BadToken`` when it sent a tampered token."""
    token = request.META.get(TOKEN_HEADER) or request.POST.get(TOKEN_FIELD) or ""
    token = token.strip()
    is_new = not token
    if is_new:
        token = shopper_token_new()
    voter = shopper_token_id(token)
    ip = client_ip(request)
    ip_hash = _keyed_hash(f"ip:{ip}")
    if is_new:
        # a shopper without a token (no JavaScript, storage cleared) is its address
        voter = f"ip:{ip_hash}"
    return Shopper(
        token=token,
        voter=voter,
        ip_hash=ip_hash,
        network_hash=_keyed_hash(f"net:{network_of(ip)}"),
        is_new=is_new,
    )


def rate_limit_hit(*, action: str, shopper: Shopper) -> int | None:
    """Count one ``action`` (``review`` or ``vote``) for the shopper and for its network;
    return the seconds to wait when either is over its limit, else None."""
    limits = settings.REVIEWS_RATE_LIMITS[action]
    for scope, who in (("shopper", shopper.voter), ("network", shopper.network_hash)):
        retry_after = ratelimits.rate_limit_hit(
            scope=f"reviews:{action}:{scope}", who=who, rate=limits[scope]
        )
        if retry_after is not None:
            return retry_after
    return None
