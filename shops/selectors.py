"""Reads for shops: where the platform and a shop can be reached, and the active shop."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context

from shops.accounts.models import User
from shops.cache_versions import cache_key_part, cache_version
from shops.models import Domain, Shop

# The host → shop lookups are kept in the shared cache under one platform-wide version
# that every write to a shop or a domain bumps once it commits (shops.services): a
# lookup cached from a read made before that commit is under the old number, never
# served again. The timeout is a safety net for a write that went round the services.
HOST_LOOKUP_VERSION_KEY = "shops:hosts:version"
HOST_LOOKUP_TIMEOUT = 60


def _port_suffix(request: HttpRequest | None) -> str:
    """The port of a link: the request's, or outside one PLATFORM_PORT (none when it is
    the scheme's default)."""
    if request is None:
        port = str(settings.PLATFORM_PORT or "")
        default = "443" if settings.PLATFORM_SCHEME == "https" else "80"
    else:
        port = request.get_port()
        default = "443" if request.is_secure() else "80"
    return "" if port in ("", "0", default) else f":{port}"


def _scheme(request: HttpRequest | None) -> str:
    return request.scheme if request is not None else settings.PLATFORM_SCHEME


def platform_hosts() -> frozenset[str]:
    return frozenset({settings.PLATFORM_DOMAIN, f"www.{settings.PLATFORM_DOMAIN}"})


def platform_url(request: HttpRequest | None = None) -> str:
    return f"{_scheme(request)}://{settings.PLATFORM_DOMAIN}{_port_suffix(request)}"


def shop_url(shop: Shop, request: HttpRequest | None = None, *, port: int | None = None) -> str:
    """The shop's address on the platform domain (``http://<slug>.<PLATFORM_DOMAIN>``)."""
    suffix = f":{port}" if port else _port_suffix(request)
    return f"{_scheme(request)}://{shop.slug}.{settings.PLATFORM_DOMAIN}{suffix}"


def current_shop() -> Shop:
    """The shop whose schema the connection is in. A task run through
    ``schema_context`` may only have a stand-in tenant on the connection; then the shop is
    read by its schema name."""
    tenant = connection.tenant
    if isinstance(tenant, Shop):
        return tenant
    return Shop.objects.get(schema_name=connection.schema_name)


def shop_currency() -> str:
    """The currency of the shop whose schema is active (EUR where there is none: the
    public schema, a stand-in tenant)."""
    return getattr(connection.tenant, "currency", None) or "EUR"


@contextmanager
def in_public_schema() -> Iterator[None]:
    """The block in the public schema, where shops and domains (and the cache keys about
    them) live; no switch, and so no SET search_path after it, when already there."""
    if connection.schema_name == get_public_schema_name():
        yield
        return
    with schema_context(get_public_schema_name()):
        yield


def shop_for_host(*, host: str) -> Shop | None:
    """The shop that ``host`` (a lower-case host name, no port) reaches, or None.

    Read from the shared cache when looked up before (no query), else from the domains
    table and kept. Unknown hosts are not kept: anyone can send any host name.
    """
    with in_public_schema():
        # the version first: a lookup read after it is as new as the number it is kept under
        key = f"shops:host:{cache_version(HOST_LOOKUP_VERSION_KEY)}:{cache_key_part(host)}"
        shop = cache.get(key)
        if shop is None:
            domain = Domain.objects.select_related("tenant").filter(domain=host).first()
            if domain is None:
                return None
            shop = domain.tenant
            cache.set(key, shop, timeout=HOST_LOOKUP_TIMEOUT)
    return shop


def shops_with_staff_email(*, email: str) -> list[Shop]:
    """The active shops where ``email`` (any case) is an active staff account.

    Staff live in each shop's schema, so this asks every active shop in turn: one
    indexed lookup (accounts_user.email is unique) per shop, run in that shop's schema.
    """
    found = []
    with in_public_schema():
        shops = list(Shop.objects.filter(status=Shop.Status.ACTIVE).order_by("name", "slug"))
    for shop in shops:
        with tenant_context(shop):
            if User.objects.filter(
                email=email.strip().lower(), is_active=True, is_staff=True
            ).exists():
                found.append(shop)
    return found
