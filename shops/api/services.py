"""API keys: created with their secret shown once, revoked, looked up by hash; and the
idempotency records that let a partner retry a POST safely."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from shops.api.models import ApiKey, IdempotencyRecord, Scope

KEY_PREFIX = "etl_"
VISIBLE_PREFIX_LENGTH = 12
LAST_USED_PRECISION = timedelta(minutes=1)
IDEMPOTENCY_TTL = timedelta(hours=24)


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
    return ApiKeyCreated(api_key=api_key, secret=secret)


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key at once; requests with it get 401 from then on."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
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


# --- Idempotency ------------------------------------------------------------------------


@dataclass(frozen=True)
class IdempotencyClaim:
    """The outcome of presenting an Idempotency-Key.

    ``record`` is ours to complete when ``is_new``; otherwise it is a previous request's:
    completed (replay it), still running, or sent with another body (``is_mismatch``).
    """

    record: IdempotencyRecord
    is_new: bool
    is_mismatch: bool = False

    @property
    def is_in_progress(self) -> bool:
        return self.record.status_code is None


def idempotency_claim(
    *, owner: str, key: str, method: str, path: str, body_hash: str
) -> IdempotencyClaim:
    """Claim ``key`` for this request, or find the request that claimed it before.

    A record older than 24 hours is forgotten and the key claimed anew. Concurrent
    requests race on the unique constraint: exactly one of them gets ``is_new``.
    """
    expired_before = timezone.now() - IDEMPOTENCY_TTL
    IdempotencyRecord.objects.filter(owner=owner, key=key, created__lt=expired_before).delete()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                owner=owner, key=key, method=method, path=path, body_hash=body_hash
            )
        return IdempotencyClaim(record=record, is_new=True)
    except IntegrityError:
        record = IdempotencyRecord.objects.get(owner=owner, key=key)
    mismatch = (record.method, record.path, record.body_hash) != (method, path, body_hash)
    return IdempotencyClaim(record=record, is_new=False, is_mismatch=mismatch)


def idempotency_complete(*, record: IdempotencyRecord, status_code: int, body: str) -> None:
    """Keep the answer (``body``: the JSON as sent) to replay it."""
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=status_code, response_body=body
    )


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """Forget a claim whose request failed on the server, so a retry runs it again."""
    IdempotencyRecord.objects.filter(pk=record.pk).delete()


def idempotency_records_expire() -> int:
    """Delete records older than 24 hours (a daily task); returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(
        created__lt=timezone.now() - IDEMPOTENCY_TTL
    ).delete()
    return deleted
