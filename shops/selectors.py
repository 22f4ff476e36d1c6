"""Reads for shops: where the platform and a shop can be reached."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest

from shops.models import Shop


def _port_suffix(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    port = request.get_port()
    default = "443" if request.is_secure() else "80"
    return "" if port in ("", default) else f":{port}"


def platform_hosts() -> frozenset[str]:
    return frozenset({settings.PLATFORM_DOMAIN, f"www.{settings.PLATFORM_DOMAIN}"})


def platform_url(request: HttpRequest | None = None) -> str:
    scheme = request.scheme if request is not None else "http"
    return f"{scheme}://{settings.PLATFORM_DOMAIN}{_port_suffix(request)}"


def shop_url(shop: Shop, request: HttpRequest | None = None, *, port: int | None = None) -> str:
    """The shop's address on the platform domain (``http://<slug>.<PLATFORM_DOMAIN>``)."""
    scheme = request.scheme if request is not None else "http"
    suffix = f":{port}" if port else _port_suffix(request)
    return f"{scheme}://{shop.slug}.{settings.PLATFORM_DOMAIN}{suffix}"


def current_shop() -> Shop:
    """The shop whose schema the connection is in. A task run through
    ``schema_context`` may only have a stand-in tenant on the connection; then the shop is
    read by its schema name."""
    tenant = connection.tenant
    if isinstance(tenant, Shop):
        return tenant
    return Shop.objects.get(schema_name=connection.schema_name)
