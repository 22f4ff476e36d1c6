"""The HTTP side of webhook deliveries: refuse private addresses, sign, POST once.

Stays apart from the database. A delivery connects to the address it checked (no second
DNS lookup an attacker could answer differently) and never follows redirects.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import socket
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings

from shops.http import Deadline

SIGNATURE_HEADER = "Etalage-Signature"
USER_AGENT = "Etalage-Webhooks/1.0"


class AddressRefused(Exception):
    """The URL's host is on a private, loopback or link-local network (guard on)."""


def signature(*, secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """``t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">``, as Stripe signs;
    one ``v1`` per secret (two while a rotated secret's grace period lasts)."""
    signed = f"{timestamp}.".encode() + body
    values = [hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest() for secret in secrets]
    return ",".join([f"t={timestamp}", *(f"v1={value}" for value in values)])


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot receive webhooks, or None."""
    parts = urllib.parse.urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "A webhook URL starts with http:// or https:// and names a host."
    return None


def resolve_public(host: str, port: int) -> str:
    """An address of ``host`` to connect to; AddressRefused if any is not public (unless
    WEBHOOK_DELIVERY_PRIVATE allows private networks). OSError if it does not resolve."""
    addresses = [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    if not settings.WEBHOOK_DELIVERY_PRIVATE:
        for address in addresses:
            if not ipaddress.ip_address(address.split("%")[0]).is_global:
                raise AddressRefused(f"{host} resolves to {address}, a private address.")
    return addresses[0]


@dataclass(frozen=True)
class DeliveryResult:
    status_code: int | None
    response_excerpt: str
    error: str
    duration_ms: int

    @property
    def is_success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post_signed(*, url: str, body: bytes, secrets: Sequence[str], timeout: float) -> DeliveryResult:
    """POST ``body`` to ``url`` with its signature; never raises for network trouble."""
    started = time.monotonic()

    def result(status_code: int | None = None, excerpt: str = "", error: str = ""):
        elapsed = int((time.monotonic() - started) * 1000)
        return DeliveryResult(status_code, excerpt[:500], error[:255], elapsed)

    problem = url_problem(url)
    if problem:
        return result(error=problem)
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        address = resolve_public(parts.hostname, port)
    except AddressRefused as refused:
        return result(error=str(refused))
    except OSError as exc:
        return result(error=f"{parts.hostname} could not be resolved ({exc}).")
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    timestamp = int(time.time())
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature(secrets=secrets, timestamp=timestamp, body=body),
    }
    with Deadline(timeout) as deadline:  # one total deadline: a dripping answer cannot hold us
        connection = connection_class(parts.hostname, port, timeout=timeout)
        connection._create_connection = lambda _address, *args, **kwargs: deadline.watch(
            socket.create_connection((address, port), *args, **kwargs)
        )
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            excerpt = response.read(500).decode("utf-8", "replace")
            if deadline.is_expired:
                return result(error=str(deadline.timeout_error()))
            return result(response.status, excerpt)
        except (OSError, http.client.HTTPException) as exc:
            if deadline.is_expired:
                return result(error=str(deadline.timeout_error()))
            return result(error=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        finally:
            connection.close()
