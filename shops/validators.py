"""Rules for a shop's slug, which becomes its subdomain and (prefixed) its schema name."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

SLUG_MIN_LENGTH = 3
SLUG_MAX_LENGTH = 40

# Names people expect to mean the platform itself, or that mail and DNS treat specially.
RESERVED_SLUGS = frozenset(
    {
        "about",
        "account",
        "accounts",
        "admin",
        "administrator",
        "api",
        "app",
        "apps",
        "assets",
        "auth",
        "billing",
        "blog",
        "cdn",
        "checkout",
        "dashboard",
        "dev",
        "docs",
        "etalage",
        "feeds",
        "ftp",
        "help",
        "hostmaster",
        "imap",
        "login",
        "logout",
        "mail",
        "media",
        "mx",
        "ns",
        "ns1",
        "ns2",
        "platform",
        "pop",
        "postmaster",
        "public",
        "root",
        "security",
        "signup",
        "smtp",
        "staff",
        "staging",
        "static",
        "status",
        "support",
        "system",
        "test",
        "webmail",
        "webhooks",
        "www",
    }
)

_ALLOWED = re.compile(r"^[a-z0-9-]+$")


def normalise_slug(value: str) -> str:
    return value.strip().lower()


def validate_shop_slug(slug: str) -> None:
    """Raise ValidationError with a message a merchant can act on (code names the rule)."""
    if len(slug) < SLUG_MIN_LENGTH:
        raise ValidationError(
            "Use at least %(min)d characters for your shop address.",
            code="too_short",
            params={"min": SLUG_MIN_LENGTH},
        )
    if len(slug) > SLUG_MAX_LENGTH:
        raise ValidationError(
            "Use at most %(max)d characters for your shop address.",
            code="too_long",
            params={"max": SLUG_MAX_LENGTH},
        )
    if not _ALLOWED.match(slug):
        raise ValidationError(
            "Use only lowercase letters a-z, digits and hyphens (no spaces, accents or dots).",
            code="invalid_characters",
        )
    if not slug[0].isalpha():
        raise ValidationError(
            "Start your shop address with a letter.", code="must_start_with_letter"
        )
    if slug.endswith("-"):
        raise ValidationError(
            "Do not end your shop address with a hyphen.", code="ends_with_hyphen"
        )
    if "--" in slug:
        raise ValidationError("Do not use two hyphens in a row.", code="double_hyphen")
    if slug in RESERVED_SLUGS:
        raise ValidationError(
            "“%(slug)s” is reserved for the platform; choose another address.",
            code="reserved",
            params={"slug": slug},
        )


def schema_name_for_slug(slug: str) -> str:
    """Slugs hold no underscores, so this mapping never makes two slugs share a schema."""
    return "shop_" + slug.replace("-", "_")
