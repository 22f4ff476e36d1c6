"""Writes for the sales channels: connect, test, pause, resume, disconnect, and the
client a connection syncs through.

Credentials (the platform's access token) are stored encrypted with the platform's
secrets keys (``shops.secrets``), like the shops' payment secrets. TikTok needs more than a
token: its app key and secret, the access token, the shop cipher, and the warehouse and
(leaf) category its products go to are stored together, as one encrypted JSON object."""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from catalog.models import CatalogChange, Collection, Product
from catalog.services import outbox_record
from shops.channels.clients import ChannelError, CredentialsError, FinalError, PlatformClient
from shops.channels.clients.google import GoogleClient
from shops.channels.clients.meta import MetaClient
from shops.channels.clients.pinterest import PinterestClient
from shops.channels.clients.tiktok import TikTokClient
from shops.channels.media import image_bytes
from shops.channels.models import Attribute, Channel, ChannelItem, Connection, OptionAttribute
from shops.channels.selectors import connection_variants, sync_state
from shops.queueing import task_queue, task_queue_on_commit
from shops.secrets import SecretsError, secret_decrypt, secret_encrypt

# channels with a push client; the others are fed by their product feed
PUSH_CHANNELS = {Channel.META, Channel.PINTEREST, Channel.GOOGLE, Channel.TIKTOK}
# the Celery task that syncs one connection (shops.channels.tasks), queued by name
SYNC_TASK = "channels.connection_sync"
# the Celery task that revokes a disconnected channel's login at the platform
REVOKE_TASK = "channels.tokens_revoke"
# TikTok's credentials and settings, with their labels; the secret ones are never shown
TIKTOK_FIELDS = {
    "app_key": "app key",
    "app_secret": "app secret",
    "access_token": "access token",
    "shop_cipher": "shop cipher",
    "warehouse_id": "warehouse id",
    "category_id": "category id",
}
TIKTOK_SECRETS = {"app_secret", "access_token"}

logger = logging.getLogger(__name__)


class CredentialsUnreadable(FinalError):
    """The stored credentials cannot be decrypted with the platform's secrets keys."""


def feed_token_new() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def connection_create(
    *,
    channel: str,
    access_token: str = "",
    external_id: str = "",
    country: str = "US",
    language: str = "en",
    selection: str = Connection.Selection.ALL,
    collection: Collection | None = None,
    tag: str = "",
    tiktok: dict[str, str] | None = None,
    is_feed_only: bool = False,
) -> Connection:
    """Connect a channel. Its outbox position starts at the latest row: the first sync,
    queued here for a pushing connection (``first_sync_queue``), is a full reconcile;
    later ones read the changes from there on.

    ``tiktok``: TikTok's fields other than the access token (``TIKTOK_FIELDS``).
    ``is_feed_only``: the platform reads the feed, nothing is pushed (so is a connection
    stored without an access token)."""
    if channel not in Channel.values:
        raise ValidationError(f"Unknown channel “{channel}”.", code="unknown_channel")
    if Connection.objects.filter(channel=channel).exists():
        raise ValidationError("This channel is already connected.", code="already_connected")
    connection = Connection(
        channel=channel,
        credentials_encrypted=_credentials(channel, {}, access_token, tiktok),
        external_id=external_id.strip(),
        country=country.upper(),
        language=language.lower(),
        is_feed_only=is_feed_only,
        feed_token=feed_token_new(),
        outbox_last_id=_latest_outbox_id(),
    )
    _selection_set(connection, selection=selection, collection=collection, tag=tag)
    connection.full_clean()
    connection.save()
    first_sync_queue(connection)
    return connection


def first_sync_queue(connection: Connection) -> bool:
    """Queue the full reconcile of a connection just connected or reconnected (whatever
    the path: the login, a pasted token), its progress shown at once as "sync now"'s is
    (0 of the selected variants). Nothing for a connection that does not push or is
    paused; True when queued. Sets the figures on ``connection`` too, so a caller saving
    it afterwards keeps them."""
    if not connection.is_syncing or not connection_pushes(connection):
        return False
    connection.sync_total = connection_variants(connection=connection).count()
    connection.sync_done = 0
    connection.sync_progress_at = timezone.now()
    connection.save(update_fields=["sync_total", "sync_done", "sync_progress_at"])
    task_queue_on_commit(SYNC_TASK, connection.pk, True)
    return True


def _selection_set(connection: Connection, *, selection: str, collection, tag: str) -> None:
    if selection == Connection.Selection.COLLECTION and collection is None:
        raise ValidationError("Choose the collection to list.", code="no_collection")
    if selection == Connection.Selection.TAG and not tag.strip():
        raise ValidationError("Enter the tag of the products to list.", code="no_tag")
    connection.selection = selection
    connection.collection = collection if selection == Connection.Selection.COLLECTION else None
    connection.tag = tag.strip() if selection == Connection.Selection.TAG else ""


@transaction.atomic
def connection_update(
    *,
    connection: Connection,
    access_token: str | None = None,
    external_id: str | None = None,
    country: str | None = None,
    language: str | None = None,
    selection: str | None = None,
    collection: Collection | None = None,
    tag: str = "",
    tiktok: dict[str, str] | None = None,
    is_feed_only: bool | None = None,
) -> Connection:
    """Change a connection; an empty ``access_token`` (or TikTok field) keeps the stored
    one. A connection that starts pushing (feed only switched off, or its first access
    token) is reconciled whole, from the latest outbox row on; so is one given a new
    access token (reconnected: what the old one failed to send goes now). A new token
    also clears a "reconnect" or "failing" status (the reconcile marks it again if the
    platform still refuses)."""
    pushed_before = connection_pushes(Connection.objects.get(pk=connection.pk))
    if connection.channel == Channel.TIKTOK:
        try:
            stored = tiktok_credentials(connection)
        except CredentialsUnreadable:
            stored = {}  # entered again whole
        connection.credentials_encrypted = _credentials(
            connection.channel, stored, access_token or "", tiktok
        )
    elif access_token:
        connection.credentials_encrypted = secret_encrypt(access_token)
    reconnected = bool(access_token) and connection.status in (
        Connection.Status.RECONNECT,
        Connection.Status.FAILING,
    )
    if reconnected:
        connection.status, connection.last_error = Connection.Status.ACTIVE, ""
    if external_id is not None:
        connection.external_id = external_id.strip()
    if country is not None:
        connection.country = country.upper()
    if language is not None:
        connection.language = language.lower()
    if selection is not None:
        _selection_set(connection, selection=selection, collection=collection, tag=tag)
    if is_feed_only is not None:
        connection.is_feed_only = is_feed_only
    starts_pushing = not pushed_before and connection_pushes(connection)
    if starts_pushing:
        # what the feed carried meanwhile is sent by a full reconcile, not by draining
        # every outbox row written while nothing was pushed
        connection.outbox_last_id = _latest_outbox_id()
    connection.full_clean()
    connection.save()
    if starts_pushing or access_token:
        first_sync_queue(connection)
    return connection


def _latest_outbox_id() -> int:
    return CatalogChange.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _credentials(
    channel: str, stored: dict[str, str], access_token: str, tiktok: dict[str, str] | None
) -> str:
    """The encrypted credentials: the access token, or TikTok's fields as JSON (empty new
    values keep the stored ones; none (feed only) or all of them)."""
    if channel != Channel.TIKTOK:
        return secret_encrypt(access_token) if access_token else ""  # none: feed only
    new = {**(tiktok or {}), "access_token": access_token}
    values = {
        name: str(new.get(name) or "").strip() or stored.get(name, "") for name in TIKTOK_FIELDS
    }
    if not any(values.values()):
        return ""  # fed by its feed only, until the merchant enters the API credentials
    missing = [label for name, label in TIKTOK_FIELDS.items() if not values[name]]
    if missing:
        raise ValidationError(
            f"Enter the TikTok Shop {', '.join(missing)} (TikTok Shop Partner Center → "
            "your app, and Seller Center → warehouses and categories).",
            code="tiktok_missing",
        )
    return secret_encrypt(json.dumps(values))


def _decrypted(connection: Connection) -> str:
    try:
        return secret_decrypt(connection.credentials_encrypted)
    except SecretsError as error:
        logger.warning("The credentials of %s cannot be read: %s", connection, error.message)
        raise CredentialsUnreadable(
            "The stored credentials cannot be decrypted with the platform's secrets keys "
            "(SECRETS_KEYS): enter them again and save."
        ) from None


def tiktok_credentials(connection: Connection) -> dict[str, str]:
    """TikTok's stored fields ({} when none, or not TikTok's); CredentialsUnreadable when
    they cannot be decrypted."""
    if not connection.credentials_encrypted:
        return {}
    try:
        values = json.loads(_decrypted(connection))
    except ValueError:
        return {}
    return (
        {name: str(values.get(name, "")) for name in TIKTOK_FIELDS}
        if isinstance(values, dict)
        else {}
    )


def tiktok_credentials_or_none(connection: Connection) -> dict[str, str]:
    """TikTok's stored fields, {} when none or unreadable (entered again)."""
    try:
        return tiktok_credentials(connection)
    except CredentialsUnreadable:
        return {}


def tiktok_access_token_encrypted(connection: Connection, access_token: str) -> str:
    """TikTok's stored credentials with a new access token (a renewed login), encrypted;
    the other fields as they were."""
    values = tiktok_credentials_or_none(connection)
    values = {name: values.get(name, "") for name in TIKTOK_FIELDS}
    return secret_encrypt(json.dumps({**values, "access_token": access_token}))


def connection_access_token(connection: Connection) -> str:
    if connection.channel == Channel.TIKTOK:
        return tiktok_credentials(connection).get("access_token", "")
    return _decrypted(connection)


def connection_pushes(connection: Connection) -> bool:
    """Whether the connection is synced through the platform's API. It is not (the
    platform reads the feed only) when the merchant chose "feed only", or when no
    credentials are stored: no access token, or for TikTok not all of its API fields."""
    if connection.is_feed_only or not connection.credentials_encrypted:
        return False
    if connection.channel == Channel.TIKTOK:
        try:
            values = tiktok_credentials(connection)
        except CredentialsUnreadable:
            return True  # stored to push: the sync and "Test the connection" say what is wrong
        return bool(values) and all(values.values())
    if connection.channel not in PUSH_CHANNELS:
        return False
    try:
        return bool(connection_access_token(connection))  # stored before: an empty one
    except CredentialsUnreadable:
        return True  # stored to push: the sync and "Test the connection" say what is wrong


def pushing_connections() -> QuerySet[Connection]:
    """The enabled connections that may push (``connection_pushes`` says for sure: it
    reads the credentials)."""
    return Connection.objects.filter(
        is_enabled=True, is_feed_only=False, channel__in=PUSH_CHANNELS
    ).exclude(credentials_encrypted="")


def connection_client(connection: Connection) -> PlatformClient:
    """The push client of the connection's platform (base URLs from settings)."""
    if connection.channel not in PUSH_CHANNELS:
        raise ChannelError(
            f"{connection.get_channel_display()} is fed by the product feed; "
            "pushing through its API is not available yet."
        )
    if connection.channel == Channel.TIKTOK:
        values = tiktok_credentials(connection)
        return TikTokClient(
            base_url=settings.CHANNELS_TIKTOK_API_BASE,
            **{name: values.get(name, "") for name in TIKTOK_FIELDS},
            timeout=settings.CHANNELS_TIMEOUT_SECONDS,
            image_fetch=partial(image_bytes, timeout=settings.CHANNELS_TIMEOUT_SECONDS),
        )
    if connection.channel == Channel.GOOGLE:
        account_id, _, data_source_id = connection.external_id.partition("/")
        return GoogleClient(
            base_url=settings.CHANNELS_GOOGLE_API_BASE,
            access_token=connection_access_token(connection),
            account_id=account_id,
            data_source_id=data_source_id,
            language=connection.language,
            feed_label=connection.country,
            timeout=settings.CHANNELS_TIMEOUT_SECONDS,
        )
    if connection.channel == Channel.PINTEREST:
        return PinterestClient(
            base_url=settings.CHANNELS_PINTEREST_API_BASE,
            access_token=connection_access_token(connection),
            country=connection.country,
            language=connection.language,
            timeout=settings.CHANNELS_TIMEOUT_SECONDS,
            poll_interval=settings.CHANNELS_BATCH_POLL_SECONDS,
            ad_account_id=connection.external_id,  # the ad account picked after the login
        )
    return MetaClient(
        base_url=settings.CHANNELS_META_API_BASE,
        api_version=settings.CHANNELS_META_API_VERSION,
        access_token=connection_access_token(connection),
        catalog_id=connection.external_id,
        timeout=settings.CHANNELS_TIMEOUT_SECONDS,
        poll_interval=settings.CHANNELS_BATCH_POLL_SECONDS,
    )


@dataclass(frozen=True)
class ConnectionTest:
    is_ok: bool
    message: str


def connection_test(*, connection: Connection) -> ConnectionTest:
    """Ask the platform whether the credentials and the catalog id work."""
    if connection.is_feed_only:
        return ConnectionTest(
            True,
            f"Feed only: {connection.get_channel_display()} fetches the product feed; "
            "nothing is sent through its API.",
        )
    if connection.channel == Channel.TIKTOK and not connection_pushes(connection):
        return ConnectionTest(
            False,
            f"No TikTok Shop API credentials are stored: enter the "
            f"{', '.join(TIKTOK_FIELDS.values())} and save (the feed works meanwhile).",
        )
    try:
        if not connection.credentials_encrypted or not connection_access_token(connection):
            return ConnectionTest(False, "No access token is stored: enter it and save.")
        info = connection_client(connection).catalog_check()
    except CredentialsUnreadable as error:
        return ConnectionTest(False, error.message)
    except CredentialsError as error:
        what = "credentials" if connection.channel == Channel.TIKTOK else "access token"
        return ConnectionTest(
            False, f"{connection.get_channel_display()} refused the {what}: {error.message}"
        )
    except ChannelError as error:
        return ConnectionTest(False, f"Could not check the connection: {error.message}")
    return ConnectionTest(True, f"Connected to “{info.name or info.id}”.")


def connection_pause(*, connection: Connection) -> Connection:
    """Stop syncing; the outbox position stays, so nothing is lost when resumed."""
    Connection.objects.filter(pk=connection.pk).update(status=Connection.Status.PAUSED)
    connection.refresh_from_db()
    return connection


def connection_resume(*, connection: Connection) -> Connection:
    Connection.objects.filter(pk=connection.pk).update(
        status=Connection.Status.ACTIVE, last_error=""
    )
    connection.refresh_from_db()
    task_queue_on_commit(SYNC_TASK, connection.pk, False)
    return connection


@transaction.atomic
def connection_disconnect(*, connection: Connection) -> None:
    """Forget the connection, its credentials and its items (the feed URL stops working).
    A connection made by the platform's login is revoked there by the worker
    (``REVOKE_TASK``, queued after the commit with the encrypted tokens): a platform that
    is down never holds the click, and the tokens are gone from the shop at once."""
    if connection.tokens_encrypted:
        task_queue_on_commit(REVOKE_TASK, connection.channel, connection.tokens_encrypted)
    ChannelItem.objects.filter(connection=connection).delete()
    connection.delete()


def sync_queue(*, connection_id: int, full: bool = False) -> None:
    """Queue a sync of one connection now (``full``: a reconcile of the whole catalog);
    a broker that is down leaves it to the sweep (``channels.sweep``)."""
    task_queue(SYNC_TASK, connection_id, full)


def syncs_queue_on_commit() -> None:
    """Outbox listener: queue a sync of every active push connection of the shop."""
    ids = (
        pushing_connections()
        .filter(status__in=[Connection.Status.ACTIVE, Connection.Status.FAILING])
        .values_list("pk", flat=True)
    )
    for connection_id in ids:
        sync_queue(connection_id=connection_id)


# The channels whose pushed items carry the shop's shipping prices (Google's
# ``shipping``, one price per country): a change of the shipping rates changes them.
SHIPPING_CHANNELS = (Channel.GOOGLE,)


def shipping_reconciles_queue_on_commit(**_signal: object) -> None:
    """``orders.signals.shipping_changed`` receiver: once the change commits, queue a
    reconcile of every active push connection whose items carry shipping prices. The
    reconcile sends the items whose fields (their shipping among them) differ from what
    the platform confirmed, and only those; a broker that is down leaves it to the
    beat's ``channels.reconcile``."""
    ids = (
        pushing_connections()
        .filter(
            channel__in=SHIPPING_CHANNELS,
            status__in=[Connection.Status.ACTIVE, Connection.Status.FAILING],
        )
        .values_list("pk", flat=True)
    )
    for connection_id in ids:
        task_queue_on_commit(SYNC_TASK, connection_id, True)


def syncs_pending_queue() -> int:
    """Queue a sync of every active push connection with outbox rows past its position
    written over QUEUE_SWEEP_AFTER_SECONDS ago (the beat's ``channels.sweep``: the sync
    queued at the commit may never have reached the broker). A failing connection is in
    its own retries (and the reconcile's); a sync queued twice drains the outbox once
    (it holds the connection's row)."""
    cutoff = timezone.now() - timedelta(seconds=settings.QUEUE_SWEEP_AFTER_SECONDS)
    behind = CatalogChange.objects.filter(id__gt=OuterRef("outbox_last_id"), created__lte=cutoff)
    ids = (
        pushing_connections()
        .filter(Exists(behind), status=Connection.Status.ACTIVE)
        .values_list("pk", flat=True)
    )
    return sum(task_queue(SYNC_TASK, connection_id, False) for connection_id in ids)


def syncs_reconcile_queue() -> int:
    """Queue a full reconcile of every enabled push connection that is not paused (the
    beat's ``channels.reconcile``, per shop); returns how many."""
    ids = list(
        pushing_connections()
        .exclude(status__in=[Connection.Status.PAUSED, Connection.Status.RECONNECT])
        .values_list("pk", flat=True)
    )
    for connection_id in ids:
        sync_queue(connection_id=connection_id, full=True)
    return len(ids)


def connection_mark_failing(*, connection_id: int, message: str) -> None:
    """Record that the connection's last sync failed, and why (shown to the merchant)."""
    Connection.objects.filter(pk=connection_id).update(
        status=Connection.Status.FAILING, last_error=message[:2000]
    )


def connection_sync_now(*, connection: Connection) -> int:
    """The merchant's "sync now": a full reconcile, queued. Its progress starts at 0 of
    the selected variants at once (the page shows it queued); the reconcile then sets
    and advances it. Refused while another one runs, unless it stalled (its worker died:
    ``selectors.sync_state``). Returns the number of variants to check."""
    if not connection_pushes(connection):
        raise ValidationError(
            f"{connection.get_channel_display()} reads the product feed: nothing to push.",
            code="feed_only",
        )
    if connection.status == Connection.Status.RECONNECT:
        raise ValidationError(
            f"{connection.get_channel_display()} no longer accepts Etalage's access: "
            "reconnect to sync.",
            code="reconnect",
        )
    if not connection.is_syncing:
        raise ValidationError("This channel is paused: resume it to sync.", code="paused")
    connection.refresh_from_db(fields=["status", "sync_total", "sync_done", "sync_progress_at"])
    if sync_state(connection) == "running":
        raise ValidationError(
            f"A sync is already running ({connection.sync_done} of {connection.sync_total} "
            "items checked): wait for it to finish.",
            code="running",
        )
    total = connection_variants(connection=connection).count()
    with transaction.atomic():
        # a sync holding the row (a batch waiting for the platform) keeps its figures
        locked = Connection.objects.select_for_update(skip_locked=True).filter(pk=connection.pk)
        if locked.exists():
            # the merchant's retry: a failing connection is tried again (and marked
            # failing again with the error if it still fails); a reconcile that looked
            # stalled but still runs stops at its next chunk or batch (a new run)
            locked.update(
                sync_total=total,
                sync_done=0,
                sync_progress_at=timezone.now(),
                status=Connection.Status.ACTIVE,
                last_error="",
                sync_run=F("sync_run") + 1,
            )
        task_queue_on_commit(SYNC_TASK, connection.pk, True)
    return total


@transaction.atomic
def items_resend(*, connection: Connection, item_ids: list[int]) -> int:
    """The merchant's "resend" of some items: they are marked pending with what was sent
    forgotten, so the reconcile queued here sends each again whole (a rejected one
    too, though its product did not change). Returns how many; a feed-only or paused
    connection is refused (nothing would send them)."""
    if not connection_pushes(connection):
        raise ValidationError(
            f"{connection.get_channel_display()} reads the product feed: nothing to resend; "
            "the platform fetches the feed on its schedule.",
            code="feed_only",
        )
    if not connection.is_syncing:
        raise ValidationError("This channel is paused: resume it to resend.", code="paused")
    count = (
        ChannelItem.objects.filter(connection=connection, pk__in=item_ids)
        .exclude(state=ChannelItem.State.REMOVED)
        .update(state=ChannelItem.State.PENDING, message="", sent={}, fingerprint="", sent_at=None)
    )
    if count:
        task_queue_on_commit(SYNC_TASK, connection.pk, True)
    return count


def _products_with_option(name: str) -> QuerySet[Product]:
    return Product.objects.filter(
        Q(option1_name__iexact=name) | Q(option2_name__iexact=name) | Q(option3_name__iexact=name)
    )


@transaction.atomic
def option_attribute_set(*, option_name: str, attribute: str) -> OptionAttribute:
    """Map the option ``option_name`` (any case) to ``attribute`` (``Attribute``; "" for
    none). The products with that option are recorded in the catalog outbox, so the
    channels send their variants' attributes again and the feeds change."""
    name = " ".join(option_name.split())
    if not name:
        raise ValidationError({"option_name": "Enter the option's name, e.g. Colour."})
    if len(name) > 64:
        raise ValidationError({"option_name": "An option's name is at most 64 characters."})
    if attribute not in Attribute.values:
        raise ValidationError({"attribute": f"Unknown attribute “{attribute}”."})
    mapping = OptionAttribute.objects.filter(option_name__iexact=name).first()
    if mapping is None:
        mapping = OptionAttribute(option_name=name)
    elif mapping.attribute == attribute and mapping.option_name == name:
        return mapping
    mapping.option_name, mapping.attribute = name, attribute
    mapping.save()
    _option_products_changed(name)
    return mapping


@transaction.atomic
def option_attribute_delete(*, mapping: OptionAttribute) -> None:
    """Forget a mapping (the default, if any, applies again); its products are recorded
    in the outbox like ``option_attribute_set``'s."""
    name = mapping.option_name
    mapping.delete()
    _option_products_changed(name)


def _option_products_changed(name: str) -> None:
    ids = list(_products_with_option(name).values_list("pk", flat=True))
    for start in range(0, len(ids), 5_000):
        outbox_record(
            product_ids=ids[start : start + 5_000],
            aspects=[CatalogChange.Aspect.DETAILS],
            shop_page=False,
        )
