"""Signed links of the consent emails: the double opt-in confirmation and the one-click
unsubscribe of every marketing email.

The address travels encrypted (``shops.secrets``), so it is not readable in a link, a
log or a mail scanner's report; the whole is signed with ``django.core.signing``, salted
with the purpose and the shop's schema (a link is worthless in another shop or for the
other purpose) and stamped, so it expires (CONSENT_CONFIRM_LINK_HOURS,
CONSENT_UNSUBSCRIBE_LINK_DAYS)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import connection
from django.urls import reverse

from shops.secrets import SecretUnreadable, secret_decrypt, secret_encrypt

# the pages are a shop's: their paths come from the shop hosts' URLs even on a worker
SHOP_URLS = settings.ROOT_URLCONF
CONFIRM = "confirm"
UNSUBSCRIBE = "unsubscribe"


class ConsentLinkError(Exception):
    """A consent link that is tampered with, from another shop or expired."""


def _signer(purpose: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"consent.{purpose}:{connection.schema_name}")


def consent_token(*, email: str, purpose: str) -> str:
    """The signed token of ``email`` (lower case) for ``purpose``."""
    return _signer(purpose).sign(secret_encrypt(f"{purpose}:{email.strip().lower()}"))


def consent_token_email(token: str, *, purpose: str) -> str:
    """The address a token was made for; ``ConsentLinkError`` says why not."""
    if purpose == CONFIRM:
        max_age = settings.CONSENT_CONFIRM_LINK_HOURS * 3600
    else:
        max_age = settings.CONSENT_UNSUBSCRIBE_LINK_DAYS * 24 * 3600
    try:
        sealed = _signer(purpose).unsign(token, max_age=max_age)
    except signing.SignatureExpired:
        raise ConsentLinkError("This link has expired.") from None
    except signing.BadSignature:
        raise ConsentLinkError("This link is not valid in this shop.") from None
    try:
        named, _, email = secret_decrypt(sealed).partition(":")
    except SecretUnreadable:
        raise ConsentLinkError("This link is not valid in this shop.") from None
    if named != purpose or "@" not in email:
        raise ConsentLinkError("This link is not valid in this shop.")
    return email


def consent_confirm_path(*, email: str) -> str:
    token = consent_token(email=email, purpose=CONFIRM)
    return reverse("consent-confirm", kwargs={"token": token}, urlconf=SHOP_URLS)


def unsubscribe_path(*, email: str) -> str:
    token = consent_token(email=email, purpose=UNSUBSCRIBE)
    return reverse("unsubscribe", kwargs={"token": token}, urlconf=SHOP_URLS)
