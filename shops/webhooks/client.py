"""The HTTP side of webhook deliveries: refuse private addresses, sign (Standard Webhooks,
and the legacy ``Etalage-Signature`` during its deprecation window), POST once.

Stays apart from the database. A delivery goes through the one outbound client
(``shops.http``): one total deadline, the address checked once and connected to (no
second DNS lookup an attacker could answer differently), and no redirect followed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings

from shops.http import (
    AddressRefused,
    DeadlineExceeded,
    HostUnresolvable,
    OutboundError,
    host_resolve,
    http_request,
)

# Standard Webhooks (www.standardwebhooks.com): webhook-id, webhook-timestamp and
# webhook-signature, "v1,<base64 HMAC-SHA256 of '<id>.<timestamp>.<body>'>" keyed with
# the base64-decoded part of the secret after "whsec_".
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"
# The first scheme, kept beside the standard one until LEGACY_SIGNATURE_UNTIL (docs/api.md)
SIGNATURE_HEADER = "Etalage-Signature"
LEGACY_SIGNATURE_UNTIL = date(2027, 6, 30)
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
USER_AGENT = "Etalage-Webhooks/1.0"
EXCERPT_BYTES = 500


def signature(*, secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """``t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">``, as Stripe signs;
    one ``v1`` per secret (two while a rotated secret's grace period lasts). Deprecated:
    sent until ``LEGACY_SIGNATURE_UNTIL``."""
    signed = f"{timestamp}.".encode() + body
    values = [hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest() for secret in secrets]
    return ",".join([f"t={timestamp}", *(f"v1={value}" for value in values)])


def signing_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret for the standard signature: the base64 after
    the prefix, decoded. Secrets made before the standard scheme are URL-safe base64
    without padding (``-`` and ``_``); they decode with that alphabet."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    padded = encoded + "=" * (-len(encoded) % 4)
    decode = base64.urlsafe_b64decode if "-" in encoded or "_" in encoded else base64.b64decode
    try:
        return decode(padded)
    except binascii.Error:  # not base64 (never made here): its own bytes, as the legacy key
        return encoded.encode()


def standard_signature(
    *, secrets: Sequence[str], message_id: str, timestamp: int, body: bytes
) -> str:
    """``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``, one per secret, separated
    by spaces (two while a rotated secret's grace period lasts)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1,"
        + base64.b64encode(hmac.new(signing_key(secret), signed, hashlib.sha256).digest()).decode()
        for secret in secrets
    )


def signed_headers(
    *, secrets: Sequence[str], message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The signature headers of one delivery: the standard three and the legacy one."""
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(timestamp),
        STANDARD_SIGNATURE_HEADER: standard_signature(
            secrets=secrets, message_id=message_id, timestamp=timestamp, body=body
        ),
        SIGNATURE_HEADER: signature(secrets=secrets, timestamp=timestamp, body=body),
    }


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot receive webhooks, or None."""
    parts = urllib.parse.urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "A webhook URL starts with http:// or https:// and names a host."
    return None


def resolve_public(host: str, port: int) -> str:
    """An address of ``host`` to connect to; AddressRefused if any is not public (unless
    WEBHOOK_DELIVERY_PRIVATE allows private networks). OSError if it does not resolve."""
    return host_resolve(host, port, allow_private=settings.WEBHOOK_DELIVERY_PRIVATE)[0]


@dataclass(frozen=True)
class DeliveryResult:
    status_code: int | None
    response_excerpt: str
    error: str
    duration_ms: int

    @property
    def is_success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post_signed(
    *, url: str, body: bytes, secrets: Sequence[str], message_id: str, timeout: float
) -> DeliveryResult:
    """POST ``body`` to ``url`` signed (``message_id``: the event's id, the same on every
    attempt, so a receiver can drop a repeat); never raises for network trouble."""
    started = time.monotonic()

    def result(status_code: int | None = None, excerpt: str = "", error: str = ""):
        elapsed = int((time.monotonic() - started) * 1000)
        return DeliveryResult(status_code, excerpt[:500], error[:255], elapsed)

    problem = url_problem(url)
    if problem:
        return result(error=problem)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **signed_headers(
            secrets=secrets, message_id=message_id, timestamp=int(time.time()), body=body
        ),
    }
    try:
        response = http_request(
            "POST",
            url,
            body=body,
            headers=headers,
            timeout=timeout,
            max_bytes=EXCERPT_BYTES,
            truncate=True,  # only an excerpt is kept: the rest of the answer is not read
            allow_private=settings.WEBHOOK_DELIVERY_PRIVATE,
            max_redirects=0,
        )
    except (AddressRefused, DeadlineExceeded) as error:
        return result(error=str(error))
    except HostUnresolvable as error:
        return result(error=f"{error}.")
    except OutboundError as error:
        cause = error.__cause__ or error
        return result(
            error=f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__
        )
    return result(response.status, response.body.decode("utf-8", "replace"))
