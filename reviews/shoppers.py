"""Who an anonymous shopper is, without cookies, and how often they may act.

- **Shopper token**: a random id signed with ``django.core.signing`` (salted with the
  shop's schema, so shop A's token is refused by shop B). The page keeps it in
  ``localStorage`` and sends it in the ``X-Shopper-Token`` header or a
  ``shopper_token`` form field; no cookie is involved, so it works in an embed with
  third-party cookies blocked. The page asks ``POST /api/v1/shopper-token/`` for one
  before a shopper's first vote; a tampered token is refused (400). Votes are one per
  token, so shoppers behind one address (a household, an office, a carrier's NAT) each
  vote.
- **IP hash**: a keyed hash of the address (and of its network, /24 or /48), never the
  address itself: the identity of a shopper without a token (no JavaScript), the rate
  limits, and the record kept with each vote to spot abuse.
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
ADDRESS_PREFIX = "ip:"  # the voter id of a shopper known by their address alone


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


def email_hash(email: str) -> str:
    """A keyed hash of the lower-cased ``email`` (in this shop): enough to keep one
    confirmed poll vote per address without keeping the address."""
    return _keyed_hash(f"email:{email.strip().lower()}")


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

    @property
    def is_address(self) -> bool:
        """Whether this shopper is known by their address alone (no token of their own)."""
        return self.voter.startswith(ADDRESS_PREFIX)


def _address_hashes(request: HttpRequest) -> tuple[str, str]:
    """The keyed hashes of the client's address and of its network."""
    ip = client_ip(request)
    return _keyed_hash(f"ip:{ip}"), _keyed_hash(f"net:{network_of(ip)}")


def shopper_at_address(request: HttpRequest) -> Shopper:
    """The shopper as its address, whatever token it sent: for a request without a token
    (no JavaScript, storage blocked). The token handed back names the address too, so a
    page that keeps it goes on voting as the same shopper."""
    ip_hash, network_hash = _address_hashes(request)
    voter = f"{ADDRESS_PREFIX}{ip_hash}"
    return Shopper(
        token=signing.dumps(voter, salt=_salt()),
        voter=voter,
        ip_hash=ip_hash,
        network_hash=network_hash,
        is_new=True,
    )


def shopper_from(request: HttpRequest) -> Shopper:
    """The shopper making ``request`` (a token in the header or a form field); ``BadToken``
    when it sent a tampered token."""
    token = request.META.get(TOKEN_HEADER) or request.POST.get(TOKEN_FIELD) or ""
    return shopper_with_token(request, token=token)


def shopper_with_token(request: HttpRequest, *, token: str) -> Shopper:
    """The shopper sending ``token``, or without one their address; ``BadToken`` when the
    token was tampered with."""
    token = token.strip()
    if not token:
        return shopper_at_address(request)
    voter = shopper_token_id(token)
    ip_hash, network_hash = _address_hashes(request)
    return Shopper(
        token=token, voter=voter, ip_hash=ip_hash, network_hash=network_hash, is_new=False
    )


def rate_limit_hit(*, action: str, shopper: Shopper) -> int | None:
    """Count one ``action`` (``review``, ``vote`` or ``token``: a new shopper token) for
    the shopper (for ``token``, its address) and for its network;
    return the seconds to wait when either is over its limit, else None."""
    limits = settings.REVIEWS_RATE_LIMITS[action]
    for scope, who in (("shopper", shopper.voter), ("network", shopper.network_hash)):
        retry_after = ratelimits.rate_limit_hit(
            scope=f"reviews:{action}:{scope}", who=who, rate=limits[scope]
        )
        if retry_after is not None:
            return retry_after
    return None
