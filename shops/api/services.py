"""API keys: created with their secret shown once, revoked, looked up by hash. (The
Idempotency-Key records are in ``shops.api.idempotency``.)"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from shops.api.models import ApiKey, Scope
from shops.audit.services import audit_record

KEY_PREFIX = "etl_"
VISIBLE_PREFIX_LENGTH = 12
LAST_USED_PRECISION = timedelta(minutes=1)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class ApiKeyCreated:
    api_key: ApiKey
    secret: str  # shown once, never stored


def api_key_create(
    *, name: str, scopes: Sequence[str], expires_at: datetime | None = None
) -> ApiKeyCreated:
    """Create a key with ``scopes``; the secret is returned here and nowhere else."""
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [ValidationError("Name the key after who uses it.", code="required")]
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown:
        errors["scopes"] = [
            ValidationError(f"Unknown scope: {', '.join(unknown)}.", code="unknown_scope")
        ]
    elif not scopes:
        errors["scopes"] = [ValidationError("Give the key at least one scope.", code="required")]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [ValidationError("The expiry is in the past.", code="past")]
    if errors:
        raise ValidationError(errors)
    secret = KEY_PREFIX + secrets.token_urlsafe(30)
    api_key = ApiKey.objects.create(
        name=name,
        prefix=secret[:VISIBLE_PREFIX_LENGTH],
        secret_hash=secret_hash(secret),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    audit_record(action="api_key.create", target=api_key, changes={"scopes": (None, scopes)})
    return ApiKeyCreated(api_key=api_key, secret=secret)


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key at once; requests with it get 401 from then on."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(action="api_key.revoke", target=api_key)
    return api_key


def api_key_for_secret(*, secret: str) -> ApiKey | None:
    """The key of the current shop (schema) with this secret, revoked or not; else None."""
    if not secret.startswith(KEY_PREFIX):
        return None
    return ApiKey.objects.filter(secret_hash=secret_hash(secret)).first()


def api_key_mark_used(*, api_key: ApiKey) -> None:
    """Record use at most once a minute per key (no write on every request)."""
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
