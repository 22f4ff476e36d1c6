"""Writes for shops: creating one (schema, domain, owner) in a single transaction, changing
or deleting one, its domains.

Every write to a shop or a domain retires the cached host → shop lookups once it
commits (``_host_lookups_retire``): a request right after it sees the change.
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import DomainNameValidator, validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django_tenants.utils import tenant_context

from shops import schema_template
from shops.accounts.models import User
from shops.audit.services import audit_record
from shops.cache_versions import cache_version_bump
from shops.currencies import validate_currency
from shops.models import Domain, Shop
from shops.queueing import task_queue_on_commit
from shops.selectors import (
    HOST_LOOKUP_VERSION_KEY,
    in_public_schema,
    platform_url,
    shop_url,
    shops_with_staff_email,
)
from shops.signals import shop_domain_added
from shops.tasks import email_send
from shops.validators import normalise_slug, schema_name_for_slug, validate_shop_slug

NAME_MAX_LENGTH = Shop._meta.get_field("name").max_length


@dataclass(frozen=True)
class ShopCreated:
    shop: Shop
    domain: Domain
    owner: User
    generated_password: str | None  # set when the caller gave no password


def _host_lookups_retire() -> None:
    """Once the current transaction commits (at once outside one), retire every cached
    host → shop lookup. Shops and domains change rarely; one number for all keeps a
    lookup read before the commit from ever being served after it."""

    def bump() -> None:
        with in_public_schema():
            cache_version_bump(HOST_LOOKUP_VERSION_KEY)

    transaction.on_commit(bump)


def _check_name(name: str, errors: dict[str, list[ValidationError]]) -> None:
    if not name:
        errors["name"] = [ValidationError("Give your shop a name.", code="required")]
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = [
            ValidationError(f"Use at most {NAME_MAX_LENGTH} characters.", code="too_long")
        ]


def _check_currency(currency: str, errors: dict[str, list[ValidationError]]) -> None:
    try:
        validate_currency(currency)
    except ValidationError as exc:
        errors["currency"] = exc.error_list


def _taken() -> ValidationError:
    return ValidationError(
        {"slug": ValidationError("That shop address is taken; choose another.", code="taken")}
    )


def shop_create(
    *,
    slug: str,
    name: str,
    owner_email: str,
    owner_password: str | None = None,
    owner_password_hash: str | None = None,
    currency: str = "EUR",
) -> ShopCreated:
    """Create a shop: its row, its schema (from the template), its domain and its owner.

    The owner's password is hashed before the transaction (PBKDF2 is slow on purpose);
    a caller that hashed it already passes ``owner_password_hash`` instead.

    Everything happens in one transaction, so a failure at any step leaves no shop row,
    schema, domain or account behind. Raises ValidationError (keyed by field) for input
    a person can correct.
    """
    slug = normalise_slug(slug)
    name = name.strip()
    owner_email = owner_email.strip().lower()
    errors: dict[str, list[ValidationError]] = {}
    try:
        validate_shop_slug(slug)
    except ValidationError as exc:
        errors["slug"] = exc.error_list
    _check_name(name, errors)
    try:
        validate_email(owner_email)
    except ValidationError:
        errors["owner_email"] = [ValidationError("Enter a valid email address.", code="invalid")]
    currency = currency.strip().upper()
    _check_currency(currency, errors)
    if errors:
        raise ValidationError(errors)

    generated = None
    if owner_password_hash is None and not owner_password:
        generated = owner_password = secrets.token_urlsafe(12)
    host = f"{slug}.{settings.PLATFORM_DOMAIN}"
    schema_template.template_ddl()  # (re)build a stale template before the transaction

    # PBKDF2 is slow on purpose (~0.25 s) and releases the GIL: hash on another thread
    # while PostgreSQL builds the schema, so creation takes the longer of the two, not both.
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashing = (
            pool.submit(make_password, owner_password) if owner_password_hash is None else None
        )
        try:
            with transaction.atomic():
                if (
                    Shop.objects.filter(slug=slug).exists()
                    or Domain.objects.filter(domain=host).exists()
                ):
                    raise _taken()
                shop = Shop(
                    schema_name=schema_name_for_slug(slug),
                    slug=slug,
                    name=name,
                    owner_email=owner_email,
                    currency=currency,
                )
                shop.save()
                schema_template.schema_create_from_template(shop.schema_name)
                domain = Domain.objects.create(domain=host, tenant=shop, is_primary=True)
                _host_lookups_retire()
                with tenant_context(shop):
                    owner = User.objects.create_superuser(
                        email=owner_email,
                        password=None,
                        password_hash=hashing.result() if hashing else owner_password_hash,
                    )
        except IntegrityError:
            raise _taken() from None
    return ShopCreated(shop=shop, domain=domain, owner=owner, generated_password=generated)


def _domain_error(message: str, code: str) -> ValidationError:
    return ValidationError({"domain": ValidationError(message, code=code)})


def domain_host_clean(domain: str) -> str:
    """A custom domain as a host name (``shop.example.com``, lower case, no dot at the
    end), or a ValidationError saying what to write: no scheme, path or port, and never
    a name under the platform's own domain (those are the shops' addresses)."""
    host = (domain or "").strip().lower().rstrip(".")
    if "://" in host or "/" in host or ":" in host:
        raise _domain_error(
            "Write the domain alone, like shop.example.com (no https://, path or port).",
            "invalid",
        )
    try:
        DomainNameValidator(accept_idna=False)(host)
    except ValidationError:
        raise _domain_error(
            "That is not a domain name; write it like shop.example.com.", "invalid"
        ) from None
    platform = settings.PLATFORM_DOMAIN.lower()
    if host == platform or host.endswith(f".{platform}"):
        raise _domain_error(f"Addresses under {platform} are the platform's.", "platform")
    return host


def domain_add(*, shop: Shop, domain: str, is_primary: bool = False) -> Domain:
    """Attach a custom domain (``shop.example.com``) to a shop."""
    host = domain_host_clean(domain)
    if Domain.objects.filter(domain=host).exists():
        raise _domain_error("That domain is in use.", "taken")
    with transaction.atomic():
        created = Domain.objects.create(domain=host, tenant=shop, is_primary=is_primary)
        audit_record(action="domain.add", target=created)
        shop_domain_added.send(sender=Shop, shop=shop, domain=created)
        _host_lookups_retire()
    return created


def domain_remove(*, domain: Domain) -> None:
    """Detach a domain from its shop: the host stops reaching it at once. The shop's
    address on the platform stays (it is how the shop is always reached)."""
    if domain.domain == f"{domain.tenant.slug}.{settings.PLATFORM_DOMAIN}":
        raise _domain_error("The shop's address on the platform cannot be removed.", "platform")
    with transaction.atomic():
        audit_record(action="domain.remove", target=domain)
        domain.delete()
        _host_lookups_retire()


def shop_update(*, shop: Shop, name: str | None = None, currency: str | None = None) -> Shop:
    """Rename a shop or change the currency it sells in; raises ValidationError (keyed by
    field) for input a person can correct."""
    errors: dict[str, list[ValidationError]] = {}
    if name is not None:
        name = name.strip()
        _check_name(name, errors)
    if currency is not None:
        currency = currency.strip().upper()
        _check_currency(currency, errors)
    if errors:
        raise ValidationError(errors)
    changes = {
        field: (getattr(shop, field), value)
        for field, value in (("name", name), ("currency", currency))
        if value is not None and getattr(shop, field) != value
    }
    with transaction.atomic():
        if changes:
            audit_record(action="shop.update", target=shop, changes=changes)
        return _shop_save(shop=shop, name=name, currency=currency)


def shop_status_set(*, shop: Shop, status: Shop.Status) -> Shop:
    """Suspend a shop (its hosts answer 503 at once) or make it active again."""
    return _shop_save(shop=shop, status=Shop.Status(status))


def _shop_save(
    *,
    shop: Shop,
    name: str | None = None,
    currency: str | None = None,
    status: Shop.Status | None = None,
) -> Shop:
    """Write the fields given (None: keep) and retire the cached host lookups."""
    values = {"name": name, "currency": currency, "status": status}
    names = [field for field, value in values.items() if value is not None]
    for field in names:
        setattr(shop, field, values[field])
    with transaction.atomic():
        shop.save(update_fields=names)
        _host_lookups_retire()
    return shop


def shop_delete(*, shop: Shop) -> None:
    """Delete a shop, its schema (every row of its data) and its domains."""
    with transaction.atomic():
        shop.delete(force_drop=True)
        _host_lookups_retire()


def shop_links_email_send(*, email: str, request: HttpRequest | None = None) -> int:
    """ "Find my shop": email ``email`` the admin address of every shop where it is staff;
    nothing when it is staff nowhere (the caller answers the same either way). Returns
    how many shops the email named. Sent by the worker (``shops.email_send``), so the
    request never waits on the mail server."""
    shops = shops_with_staff_email(email=email)
    if not shops:
        return 0
    context = {
        "shops": [(shop.name, f"{shop_url(shop, request)}/admin/") for shop in shops],
        "platform_url": platform_url(request),
    }
    task_queue_on_commit(
        email_send,
        "Your Etalage shops",
        render_to_string("shops/email/shop_links.txt", context),
        [email],
    )
    return len(shops)
