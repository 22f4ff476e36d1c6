"""Channel sync on the Celery worker, always in the schema of the shop that queued it.

The services queue these by name (``services.SYNC_TASK``); this module imports them."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from shops.channels import oauth, services
from shops.channels.clients import CredentialsError, FinalError, RetryableError
from shops.channels.models import Connection
from shops.channels.sync import connection_reconcile
from shops.channels.sync import connection_sync as sync


@shared_task(name=services.SYNC_TASK, bind=True, acks_late=True, max_retries=None)
def connection_sync(self, connection_id: int, full: bool = False) -> str:
    """Drain the outbox into one connection (``full``: reconcile the whole catalog first).

    429/5xx/timeouts retry with backoff, honouring the platform's Retry-After; a final
    error (refused credentials) marks the connection failing and stops. A connection made
    by the platform's login whose token the platform refused (expired early) renews its
    tokens once and syncs again; a refused renewal leaves it needing reconnection.
    """
    try:
        try:
            result = _sync_once(connection_id, full)
        except CredentialsError:
            if (
                not Connection.objects.filter(pk=connection_id)
                .exclude(tokens_encrypted="")
                .exists()
            ):
                raise
            oauth.connection_tokens_refresh(connection_id=connection_id)
            result = _sync_once(connection_id, full)
    except oauth.TokenRefused:
        return "needs reconnecting"
    except Connection.DoesNotExist:
        return "gone"
    except RetryableError as error:
        services.connection_mark_failing(connection_id=connection_id, message=error.message)
        if self.request.retries >= settings.CHANNELS_MAX_RETRIES:
            return "gave up"
        backoff = min(settings.CHANNELS_RETRY_MAX_SECONDS, 2**self.request.retries)
        countdown = error.retry_after if error.retry_after is not None else backoff
        raise self.retry(countdown=countdown) from None
    except FinalError as error:
        services.connection_mark_failing(connection_id=connection_id, message=error.message)
        return "failed"
    return result


def _sync_once(connection_id: int, full: bool) -> str:
    if not services.connection_pushes(Connection.objects.get(pk=connection_id)):
        return "feed only"
    if full:
        connection_reconcile(connection_id=connection_id)
    return f"{sync(connection_id=connection_id).items} items"


@shared_task(name="channels.sweep", acks_late=True)
def sweep() -> int:
    """Queue the syncs whose queueing may have failed (beat, every shop)."""
    return services.syncs_pending_queue()


@shared_task(name="channels.reconcile", acks_late=True)
def reconcile() -> int:
    """Queue a full reconcile of every active push connection (scheduled per shop)."""
    return services.syncs_reconcile_queue()


@shared_task(name="channels.tokens_refresh", acks_late=True)
def tokens_refresh() -> dict[str, int]:
    """Renew the login tokens expiring soon (beat, every shop)."""
    return oauth.tokens_refresh_due()


@shared_task(name=oauth.REVOKE_TASK, bind=True, acks_late=True, max_retries=None)
def tokens_revoke(self, channel: str, tokens_encrypted: str) -> str:
    """Revoke a disconnected channel's login at the platform, retried with backoff while
    the platform is down (CHANNELS_REVOKE_MAX_RETRIES times)."""
    try:
        oauth.tokens_revoke(channel=channel, tokens_encrypted=tokens_encrypted)
    except RetryableError:
        if self.request.retries >= settings.CHANNELS_REVOKE_MAX_RETRIES:
            return "gave up"
        raise self.retry(
            countdown=min(settings.CHANNELS_RETRY_MAX_SECONDS, 2**self.request.retries)
        ) from None
    return "revoked"
