"""Webhook subscriptions, events and deliveries.

An event is emitted with one call, in the transaction of the change (by the receivers
of the domain's signals, ``shops.webhooks.receivers``, and by ``catalog_events``)::

    from shops.webhooks.services import webhook_event_emit
    webhook_event_emit(event_type=EventType.ORDER_PAID, data={"order": {...}})

Each active subscription to that type gets a delivery, attempted by a Celery task once
the transaction commits, then retried with exponential backoff for up to three days.
"""

from __future__ import annotations

import base64
import json
import secrets
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from shops.queueing import task_queue_on_commit
from shops.webhooks import client
from shops.webhooks.models import (
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

RETRY_FOR = timedelta(days=3)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=12)
ATTEMPT_LEASE = timedelta(minutes=2)  # an attempt's claim, longer than its timeout


def retry_delay(attempt_count: int) -> timedelta:
    """Wait after the ``attempt_count``-th failed attempt: 1, 2, 4 … minutes, at most 12 h."""
    return min(FIRST_RETRY * 2 ** (attempt_count - 1), LONGEST_WAIT)


# --- Subscriptions -----------------------------------------------------------------------


def secret_new() -> str:
    """A signing secret as Standard Webhooks writes it: ``whsec_`` and 32 random bytes in
    base64 (the ``standardwebhooks`` libraries take it as it is)."""
    return client.SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass(frozen=True)
class SubscriptionCreated:
    subscription: WebhookSubscription
    secret: str  # shown once


def _clean(url: str | None, events: Sequence[str] | None) -> dict:
    errors = {}
    if url is not None:
        problem = client.url_problem(url)
        if problem is None and not settings.WEBHOOK_DELIVERY_PRIVATE:
            try:
                client.resolve_public(urllib.parse.urlsplit(url).hostname or "", 443)
            except client.AddressRefused as refused:
                problem = f"Webhooks are not sent to private networks: {refused}"
            except OSError:
                problem = None  # may resolve later; each attempt checks again
        if problem:
            errors["url"] = [ValidationError(problem, code="invalid_url")]
    if events is not None:
        unknown = sorted(set(events) - set(EventType.values))
        if unknown:
            errors["events"] = [
                ValidationError(f"Unknown event: {', '.join(unknown)}.", code="unknown_event")
            ]
        elif not events:
            errors["events"] = [
                ValidationError("Subscribe to at least one event.", code="required")
            ]
    if errors:
        raise ValidationError(errors)
    return {"url": url, "events": sorted(set(events)) if events is not None else None}


def subscription_create(
    *, url: str, events: Sequence[str], description: str = ""
) -> SubscriptionCreated:
    """Subscribe ``url`` to ``events``; the signing secret is returned here only."""
    cleaned = _clean(url, events)
    secret = secret_new()
    subscription = WebhookSubscription.objects.create(
        url=cleaned["url"], events=cleaned["events"], description=description, secret=secret
    )
    return SubscriptionCreated(subscription=subscription, secret=secret)


def subscription_update(
    *,
    subscription: WebhookSubscription,
    url: str | None = None,
    events: Sequence[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    cleaned = _clean(url, events)
    changes = {
        "url": cleaned["url"],
        "events": cleaned["events"],
        "description": description,
        "is_active": is_active,
    }
    changed = [name for name, value in changes.items() if value is not None]
    for name in changed:
        setattr(subscription, name, changes[name])
    if changed:
        subscription.save(update_fields=changed)
    return subscription


@transaction.atomic
def subscription_secret_rotate(
    *, subscription: WebhookSubscription, grace: timedelta | None = None
) -> SubscriptionCreated:
    """A new signing secret for ``subscription``, returned here only. For ``grace``
    (``WEBHOOK_SECRET_GRACE_HOURS`` by default; zero ends the old one at once) deliveries
    carry a second ``v1`` made with the old secret, so receivers can switch without
    missing events. Rotating again within the grace period drops the oldest secret."""
    if grace is None:
        grace = timedelta(hours=settings.WEBHOOK_SECRET_GRACE_HOURS)
    locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    secret = secret_new()
    locked.previous_secret = locked.secret if grace > timedelta(0) else ""
    locked.previous_secret_expires_at = timezone.now() + grace if grace > timedelta(0) else None
    locked.secret = secret
    locked.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    subscription.__dict__.update(locked.__dict__)
    return SubscriptionCreated(subscription=locked, secret=secret)


def subscription_delete(*, subscription: WebhookSubscription) -> None:
    """Delete a subscription with its deliveries and their attempts."""
    subscription.delete()


# --- Events --------------------------------------------------------------------------------


# An event to emit: its type and data, and optionally when it happened (a catalog change
# read later from the outbox); a subscription receives only what happened after it began.
EventToEmit = tuple[str, dict] | tuple[str, dict, datetime]


def webhook_event_emit(*, event_type: str, data: dict) -> WebhookEvent | None:
    """Record an event and deliver it to every active subscription to its type.

    Call it inside the transaction of the change: nothing is sent unless it commits.
    Returns None (and stores nothing) when nobody subscribes to ``event_type``.
    """
    events = webhook_events_emit(events=[(event_type, data)])
    return events[0] if events else None


def _wants(subscription: WebhookSubscription, event: EventToEmit) -> bool:
    """Whether ``subscription`` receives ``event``: its type, and nothing from before the
    subscription was made (a new subscriber starts from now, not from the history)."""
    happened = event[2] if len(event) > 2 else None
    is_after = happened is None or happened >= subscription.created
    return event[0] in subscription.events and is_after


@transaction.atomic(savepoint=False)  # in the caller's transaction: no savepoint queries
def webhook_events_emit(*, events: Sequence[EventToEmit]) -> list[WebhookEvent]:
    """``webhook_event_emit`` for many events at once: a fixed number of queries. An event
    given with the time it happened goes only to subscriptions made before then."""
    unknown = {event[0] for event in events} - set(EventType.values)
    if unknown:
        raise ValueError(f"unknown webhook event types: {', '.join(sorted(unknown))}")
    subscriptions = list(
        WebhookSubscription.objects.filter(
            is_active=True, events__overlap=[event[0] for event in events]
        )
    )
    wanted = [(event, [s for s in subscriptions if _wants(s, event)]) for event in events]
    wanted = [(event, receivers) for event, receivers in wanted if receivers]
    if not wanted:
        return []
    # JSON as it will be sent (dates as ISO 8601, decimals as strings)
    created = WebhookEvent.objects.bulk_create(
        WebhookEvent(type=event[0], data=json.loads(json.dumps(event[1], cls=DjangoJSONEncoder)))
        for event, _receivers in wanted
    )
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(event=event, subscription=subscription, next_attempt_at=now)
        for event, (_emitted, receivers) in zip(created, wanted, strict=True)
        for subscription in receivers
    )
    _queue([delivery.pk for delivery in deliveries])
    return created


def events_prune(*, now: datetime | None = None) -> int:
    """Delete events older than ``WEBHOOK_EVENT_RETENTION_DAYS`` with their deliveries and
    attempts (a delivery is retried for 3 days at most, so none is pending); returns how
    many events went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_EVENT_RETENTION_DAYS)
    _total, by_model = WebhookEvent.objects.filter(created__lt=cutoff).delete()
    return by_model.get(WebhookEvent._meta.label, 0)


def _queue(delivery_ids: Sequence[int], countdown: float = 0) -> None:
    for delivery_id in delivery_ids:
        task_queue_on_commit("webhooks.delivery_attempt", delivery_id, countdown=countdown)


# --- Deliveries ----------------------------------------------------------------------------


def event_body(event: WebhookEvent) -> bytes:
    """What a subscriber receives: the event's id, type, time and data, as JSON."""
    return json.dumps(
        {
            "id": str(event.public_id),
            "type": event.type,
            "created": event.created.isoformat().replace("+00:00", "Z"),
            "data": event.data,
        },
        separators=(",", ":"),
    ).encode()


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Take the due delivery for one attempt (a lease), or None if not due or taken."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("event", "subscription")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return None
        delivery.next_attempt_at = now + ATTEMPT_LEASE
        delivery.attempt_count = F("attempt_count") + 1
        delivery.save(update_fields=["next_attempt_at", "attempt_count"])
    delivery.refresh_from_db(fields=["attempt_count"])
    return delivery


def delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Attempt a due delivery once, log the attempt, and schedule the next one if it
    failed (or give up three days after the event). Not due, done or taken: None."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    subscription = delivery.subscription
    if not subscription.is_active:
        result = client.DeliveryResult(None, "", "The subscription is paused.", 0)
    else:
        result = client.post_signed(
            url=subscription.url,
            body=event_body(delivery.event),
            secrets=subscription.signing_secrets(),
            message_id=str(delivery.event.public_id),
            timeout=settings.WEBHOOK_TIMEOUT,
        )
    now = timezone.now()
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempt_count,
            status_code=result.status_code,
            error=result.error,
            response_excerpt=result.response_excerpt,
            duration_ms=result.duration_ms,
        )
        delivery.last_status_code = result.status_code
        if result.is_success:
            delivery.status, delivery.completed_at = WebhookDelivery.Status.SUCCEEDED, now
        else:
            wait = retry_delay(delivery.attempt_count)
            if now + wait > delivery.created + RETRY_FOR:
                delivery.status, delivery.completed_at = WebhookDelivery.Status.FAILED, now
            else:
                delivery.next_attempt_at = now + wait
                if wait <= timedelta(hours=1):  # longer waits: picked up by deliveries_due
                    _queue([delivery.pk], countdown=wait.total_seconds())
        delivery.save(
            update_fields=["status", "completed_at", "next_attempt_at", "last_status_code"]
        )
    return delivery


def deliveries_due_queue(*, limit: int = 500) -> int:
    """Queue attempts of pending deliveries that are due (retries after long waits, and
    any whose task was lost); returns how many."""
    due = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    _queue(due)
    return len(due)


def delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery's event again to its subscription, as a new delivery."""
    replay = WebhookDelivery.objects.create(
        event=delivery.event, subscription=delivery.subscription, next_attempt_at=timezone.now()
    )
    _queue([replay.pk])
    return replay
