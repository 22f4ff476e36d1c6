"""``Idempotency-Key`` for every POST of the API: the partner API (``shops.api.base``)
and the shopper's buy-now (``shops.api.orders.shopper``) share this one mechanism.

1. ``idempotency_claim`` records the key before the request runs (committed at once, so
   a concurrent request with the key sees it "in progress"). Concurrent requests race
   on a unique constraint: exactly one gets a new claim.
2. ``idempotent_response`` runs the request's handler in one database transaction and
   stores its answer (status and body, the bytes sent) in that same transaction before
   it commits. So a committed effect always has its committed answer, and a replay
   returns it byte for byte; the first answer is kept (Stripe's rule).
3. If the handler raised (its transaction rolled back) the claim is released, unless the
   answer is a refusal (4xx), which is kept and replayed. An exception raised *after*
   the commit (an ``on_commit`` callback, say) finds the answer stored and keeps it: the
   client gets the error, its retry gets the committed answer, never a second effect.

A claim left in progress by a process that died half-way is taken over after
``IDEMPOTENCY_STALE_AFTER``; the answer is stored only while the claim is still the
caller's, so a slow first request that lost its claim rolls its effect back.

A request that must talk to another system between its effect and its answer (buy-now:
the order is committed, then Stripe is asked for the PaymentIntent) does not hold its
transaction open during that call: it records what it made with the key in the effect's
own transaction (``idempotency_resource_set``), answers after, and a retry of a request
that failed in between resumes what was made (``idempotency_interrupted``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpResponse, HttpResponseBase
from django.utils import timezone

from shops.api.models import IdempotencyRecord

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
IDEMPOTENCY_KEY_MAX_LENGTH = 255
IDEMPOTENCY_TTL = timedelta(hours=24)
IDEMPOTENCY_STALE_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class IdempotencyClaim:
    """The outcome of presenting an Idempotency-Key.

    ``record`` is ours to answer when ``is_new``; otherwise it is a previous request's:
    answered (replay it), still running, or sent with another body (``is_mismatch``).
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
    """Claim ``key`` of ``owner`` for this request, or find the request that claimed it.

    A record older than 24 hours is forgotten and the key claimed anew; a claim still in
    progress after ``IDEMPOTENCY_STALE_AFTER`` (its process died) is taken over.
    """
    now = timezone.now()
    IdempotencyRecord.objects.filter(
        owner=owner, key=key, created__lt=now - IDEMPOTENCY_TTL
    ).delete()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                owner=owner,
                key=key,
                method=method,
                path=path,
                body_hash=body_hash,
                created=now,
                claimed_at=now,
            )
        return IdempotencyClaim(record=record, is_new=True)
    except IntegrityError:
        record = IdempotencyRecord.objects.get(owner=owner, key=key)
    if (record.method, record.path, record.body_hash) != (method, path, body_hash):
        return IdempotencyClaim(record=record, is_new=False, is_mismatch=True)
    if record.status_code is None and record.claimed_at < now - IDEMPOTENCY_STALE_AFTER:
        taken = IdempotencyRecord.objects.filter(
            pk=record.pk, status_code=None, claimed_at=record.claimed_at
        ).update(claimed_at=now)
        if taken:
            record.claimed_at = now
            return IdempotencyClaim(record=record, is_new=True)
        record.refresh_from_db()
    return IdempotencyClaim(record=record, is_new=False)


def _still_ours(record: IdempotencyRecord):
    return IdempotencyRecord.objects.filter(
        pk=record.pk, claimed_at=record.claimed_at, status_code=None
    )


def _answer_store(*, record: IdempotencyRecord, response: HttpResponseBase) -> bool:
    """Store ``response`` as the answer of our claim; False if the claim is no longer ours."""
    return bool(
        _still_ours(record).update(
            status_code=response.status_code, response_body=response.content.decode()
        )
    )


def idempotency_answer(*, record: IdempotencyRecord, response: HttpResponseBase) -> bool:
    """Keep ``response`` as the answer of our claim (for a caller that answers outside
    ``idempotent_response``); False if the claim is no longer ours."""
    return _answer_store(record=record, response=response)


def idempotency_resource_set(*, record: IdempotencyRecord, resource: str) -> None:
    """Record, in the caller's transaction, what the request made before it could answer
    (buy-now: its order), so that a retry after a crash resumes it instead of making it
    again. Raises ClaimLost (rolling that transaction back) if the claim was taken over."""
    if not _still_ours(record).update(resource=resource):
        raise ClaimLost("This Idempotency-Key was taken over by a later request.")
    record.resource = resource


def idempotency_interrupted(*, record: IdempotencyRecord) -> None:
    """The request holding our claim failed unexpectedly. If it made nothing, the key is
    released; if it made something (``resource`` committed), the claim is left for the
    retry to take over at once and resume."""
    made = _still_ours(record).exclude(resource="")
    if not made.update(claimed_at=record.created - IDEMPOTENCY_STALE_AFTER):
        idempotency_release(record=record)


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """Forget our claim of a request that had no effect, so a retry runs it again."""
    _still_ours(record).delete()


def _is_answered_by_us(record: IdempotencyRecord) -> bool | None:
    """Whether our transaction committed its answer; None when the database cannot say."""
    try:
        return IdempotencyRecord.objects.filter(
            pk=record.pk, claimed_at=record.claimed_at, status_code__isnull=False
        ).exists()
    except DatabaseError:
        return None


class _Discarded(Exception):
    """A server error answered by the handler: its transaction is rolled back."""

    def __init__(self, response: HttpResponseBase) -> None:
        self.response = response


class ClaimLost(Exception):
    """Another request took the key over while this one ran; this one's effect was rolled back."""


def idempotent_response(
    *,
    claim: IdempotencyClaim,
    run: Callable[[], HttpResponseBase],
    error_response: Callable[[Exception], HttpResponseBase],
) -> HttpResponseBase:
    """The answer of a request holding the new ``claim``, run exactly once.

    ``run`` does the work and returns the response with its content rendered; it runs in
    a transaction that also stores that response and commits both, or neither. A 5xx
    response, or an exception, rolls the transaction back; ``error_response`` turns the
    exception into the answer (or raises it again). A refusal (4xx) is stored and
    replayed; after a server error the key is released for a retry.
    """
    record = claim.record
    try:
        with transaction.atomic():
            response = run()
            if response.status_code >= 500:
                raise _Discarded(response)
            if not _answer_store(record=record, response=response):
                raise ClaimLost("This Idempotency-Key was taken over by a later request.")
    except _Discarded as discarded:
        idempotency_release(record=record)
        return discarded.response
    except Exception as exc:
        answered = _is_answered_by_us(record)
        if answered is not False:
            # committed (a step after the commit failed), or unknown: keep the claim, so
            # a retry replays the committed answer (or waits for the takeover)
            raise
        try:
            response = error_response(exc)
        except Exception:
            idempotency_release(record=record)
            raise
        if response.status_code >= 500 or not _answer_store(record=record, response=response):
            idempotency_release(record=record)
    return response


def idempotency_replay(*, record: IdempotencyRecord) -> HttpResponse:
    """The stored answer again, byte for byte, marked as a replay."""
    response = HttpResponse(
        record.response_body,
        status=record.status_code,
        content_type="application/json" if record.response_body else None,
    )
    response[REPLAYED_HEADER] = "true"
    return response


def idempotency_records_expire(*, now: datetime | None = None) -> int:
    """Delete records older than 24 hours (a daily task); returns how many."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_TTL
    deleted, _ = IdempotencyRecord.objects.filter(created__lt=cutoff).delete()
    return deleted
