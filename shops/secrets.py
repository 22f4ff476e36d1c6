"""The secrets shops store (their own Stripe keys, their channels' access tokens),
encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from the ``cryptography`` package)
under a list of keys, so that the key can be changed without losing a secret.

The keys, newest first: SECRETS_KEYS, then PAYMENT_CREDENTIALS_KEY (the one key of
earlier versions, still read), then one derived from SECRET_KEY (the only key when
neither is set; always read, so that secrets written under it stay readable). A secret
is encrypted with the first key and decrypted with any (``MultiFernet``). To change the
key: put a new one first in SECRETS_KEYS, run ``manage.py rotate_secrets`` (every
shop's secrets are re-encrypted with it), then drop the old one from the list.

The models that hold secrets name their encrypted fields in a ``SECRET_FIELDS`` class
attribute (``secret_fields``); ``secrets_rotate`` re-encrypts those in one shop's
schema, and ``manage.py rotate_secrets`` runs it for every shop.

Reading never answers a wrong secret: ``SecretUnreadable`` when no key opens it (a key
left the list, SECRET_KEY changed), ``SecretsKeyInvalid`` when a key in the settings is
not a Fernet key. Both are ``SecretsError``, which the readers turn into a message for
the merchant (the shop cannot sell, a channel cannot sync) rather than a 500.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.db import models, transaction

SETTING_ADVICE = (
    "SECRETS_KEYS (newest first) must still hold the key it was written with; "
    "`manage.py rotate_secrets` re-encrypts every secret with the first key."
)


class SecretsError(Exception):
    """A stored secret cannot be read (or written) with the configured keys."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SecretUnreadable(SecretsError):
    """No key of the list opens the secret."""

    def __init__(self) -> None:
        super().__init__(
            "A stored secret cannot be decrypted with any of the platform's keys: " + SETTING_ADVICE
        )


class SecretsKeyInvalid(SecretsError):
    """A key in SECRETS_KEYS or PAYMENT_CREDENTIALS_KEY is not a Fernet key."""


def _derived_key(secret_key: str) -> str:
    digest = hashlib.sha256(b"etalage-payment-credentials:" + secret_key.encode())
    return base64.urlsafe_b64encode(digest.digest()).decode()


def _configured_keys() -> list[tuple[str, str]]:
    """(where it is set, key), newest first, each key once."""
    keys = [
        (f"SECRETS_KEYS key {number}", key)
        for number, key in enumerate(settings.SECRETS_KEYS, start=1)
    ]
    keys.append(("PAYMENT_CREDENTIALS_KEY", settings.PAYMENT_CREDENTIALS_KEY))
    keys.append(("The key derived from SECRET_KEY", _derived_key(settings.SECRET_KEY)))
    unique: dict[str, str] = {}
    for label, key in keys:
        if key:
            unique.setdefault(key, label)
    return [(label, key) for key, label in unique.items()]


@lru_cache(maxsize=4)
def _fernets(keys: tuple[tuple[str, str], ...]) -> tuple[Fernet, ...]:
    fernets = []
    for label, key in keys:
        try:
            fernets.append(Fernet(key))
        except (ValueError, binascii.Error):
            raise SecretsKeyInvalid(
                f"{label} is not a Fernet key (32 url-safe base64-encoded bytes; make "
                'one with `python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"`).'
            ) from None
    return tuple(fernets)


def _keyring() -> MultiFernet:
    return MultiFernet(list(_fernets(tuple(_configured_keys()))))


def _newest() -> Fernet:
    return _fernets(tuple(_configured_keys()))[0]


def secret_encrypt(value: str) -> str:
    """``value`` encrypted with the first key ("" stays "")."""
    return _keyring().encrypt(value.encode()).decode() if value else ""


def secret_decrypt(token: str) -> str:
    """The secret ``token`` holds ("" for ""), read with any of the keys."""
    if not token:
        return ""
    try:
        return _keyring().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable from None


def secret_is_current(token: str) -> bool:
    """Whether ``token`` is encrypted with the first key already ("" is)."""
    if not token:
        return True
    try:
        _newest().decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def secret_rotate(token: str) -> str:
    """``token``'s secret encrypted again with the first key."""
    try:
        return _keyring().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable from None


def secret_fields() -> Iterator[tuple[type[models.Model], tuple[str, ...]]]:
    """Each model of the shops' schemas (TENANT_APPS) that stores secrets, with its
    encrypted fields (its ``SECRET_FIELDS``)."""
    for model in apps.get_models():
        fields = getattr(model, "SECRET_FIELDS", ())
        if fields and model._meta.app_config.name in settings.TENANT_APPS:
            yield model, tuple(fields)


@dataclass
class Rotation:
    """What ``secrets_rotate`` did with one shop's stored secrets."""

    rotated: int = 0  # encrypted again with the first key
    current: int = 0  # under the first key already
    unreadable: int = 0  # no key opens them: left as they are


def secrets_rotate() -> Rotation:
    """Encrypt again with the first key every secret of the shop whose schema is active,
    in one transaction (the rows are locked, so a secret saved meanwhile is never
    overwritten with an older one). Secrets under the first key already are left as
    they are, so running it again changes nothing; unreadable ones too (counted)."""
    rotation = Rotation()
    _newest()  # a key that is not a Fernet key: SecretsKeyInvalid before any change
    with transaction.atomic():
        for model, fields in secret_fields():
            for row in model.objects.select_for_update().order_by("pk").only("pk", *fields):
                changes = {}
                for field in fields:
                    token = getattr(row, field)
                    if not token:
                        continue
                    if secret_is_current(token):
                        rotation.current += 1
                        continue
                    try:
                        changes[field] = secret_rotate(token)
                    except SecretUnreadable:
                        rotation.unreadable += 1
                        continue
                    rotation.rotated += 1
                if changes:
                    model.objects.filter(pk=row.pk).update(**changes)
    return rotation
