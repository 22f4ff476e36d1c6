"""Connecting a sales channel with the platform's own login (OAuth 2.0), and keeping
its tokens fresh.

The interface a platform implements (``shops.channels.clients.oauth``, re-exported
here)::

    @dataclass(frozen=True)
    class TokenSet:    access_token: str; refresh_token: str = ""
                       expires_at: datetime | None = None
                       refresh_expires_at: datetime | None = None
                       scope: str = ""; extra: dict = {}       # JSON-able, kept encrypted
    @dataclass(frozen=True)
    class Destination: id: str; name: str; detail: str = ""   # id → Connection.external_id
    class OAuthProvider(Protocol):
        channel: str                         # "meta" | "google" | "pinterest" | "tiktok"
        settings_names: tuple[str, ...]      # the settings that switch it on (shown)
        def is_configured(self) -> bool
        def authorize_url(self, *, state, redirect_uri, code_challenge) -> str
        def exchange_code(self, *, code, redirect_uri, code_verifier) -> TokenSet
        def refresh(self, tokens) -> TokenSet          # TokenRefused: log in again
        def revoke(self, tokens) -> None               # best effort
        def destinations(self, tokens) -> list[Destination]
        def destination_create(self, tokens, name) -> Destination | None  # None: unsupported
    def provider_for(channel: str) -> OAuthProvider    # PROVIDERS: channel → factory

Errors are the channel clients' (``RetryableError``: the platform is down, try again;
``TokenRefused`` (a ``CredentialsError``): the grant is gone; ``AppRefused``: our
app's settings are wrong; ``FinalError``: anything else refused). A provider is built
from the platform-level settings by its factory in ``PROVIDERS`` (one line per
platform); its module lives in ``shops/channels/clients/`` next to its push client.

Adding a platform: a class in ``shops/channels/clients/<platform>_login.py`` with the
attributes and methods above (``clients/oauth.py`` has ``form_post`` for RFC 6749 token
endpoints, ``oauth_error``, ``expiry`` and the errors), its settings in
``config/settings.py`` (app id / secret, the login URLs, overridable for the fakes), and
one line in ``PROVIDERS``. ``Destination.id`` is what that platform's push client reads
from ``Connection.external_id``; ``TokenSet.extra`` keeps anything else it needs
(encrypted). The channel page, the pick page, the refresh beat and the revoke on
disconnect then work for it unchanged.

The flow (the admin's views call these services). The platforms redirect to one
address, registered once in each platform's app: the platform host's
``/channels/login/callback/`` (``views.login_callback_relay``), which sends the browser
on to the shop the signed state names, with the same query; the code is exchanged
there, with that same ``redirect_uri``.

1. ``oauth_start(channel, user_id, redirect_uri)``: an ``OAuthAttempt`` row (a nonce,
   the staff user, a PKCE verifier) and the platform's authorize URL with a ``state``
   signed with SECRET_KEY that names the shop's schema and the nonce.
2. ``oauth_callback(state, code, error, user_id, redirect_uri)``: the state is checked
   (signature, this shop, this user, not expired, not used: ``OAuthRefused`` with a
   message otherwise, nothing saved), the attempt is used up, the code exchanged (one
   call within the outbound deadline; the platform down → ``OAuthRefused``, nothing
   saved) and the tokens kept on the attempt, encrypted.
3. ``oauth_destinations(attempt)`` lists what to connect; ``oauth_connect(attempt,
   destination_id | new_name, country, language)`` saves the connection: tokens
   encrypted with ``shops.secrets``, the expiry, audit_record.

Afterwards ``connection_tokens_refresh`` renews them (the beat's
``channels.tokens_refresh`` for those expiring within
CHANNELS_TOKEN_REFRESH_WINDOW_SECONDS, and a sync the platform refused the token of,
once); a refused refresh marks the connection ``RECONNECT``. A platform whose tokens
are not renewed (``provider.renews`` False: Meta, see ``clients/meta_login.py`` for the
documentation it follows) is not asked: the same beat warns the shop's owner
CHANNELS_TOKEN_EXPIRY_WARN_DAYS before the access ends (``tokens_expiry_warn``: one
email per token, and the channel pages say it with the Reconnect button). Disconnecting queues
``channels.tokens_revoke`` (``services.connection_disconnect``) and forgets the tokens
at once.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from shops.audit.services import audit_record
from shops.channels.clients import ChannelError, CredentialsError, FinalError, RetryableError
from shops.channels.clients.google_login import GoogleLogin
from shops.channels.clients.meta_login import MetaLogin
from shops.channels.clients.oauth import (
    AppRefused,
    Destination,
    OAuthProvider,
    TokenRefused,
    TokenSet,
    pkce_pair,
)
from shops.channels.clients.pinterest_login import PinterestLogin
from shops.channels.clients.tiktok_login import TikTokShopLogin
from shops.channels.models import Channel, Connection, OAuthAttempt
from shops.channels.services import (
    REVOKE_TASK,
    connection_create,
    connection_update,
    tiktok_access_token_encrypted,
    tiktok_credentials_or_none,
)
from shops.queueing import task_queue_on_commit
from shops.secrets import SecretsError, secret_decrypt, secret_encrypt

__all__ = [
    "PROVIDERS",
    "REVOKE_TASK",
    "AppRefused",
    "Destination",
    "OAuthProvider",
    "OAuthRefused",
    "TokenRefused",
    "TokenSet",
    "provider_for",
]

logger = logging.getLogger(__name__)

STATE_SALT = "shops.channels.oauth.state"

# channel → the provider built from the platform-level settings
PROVIDERS: dict[str, Callable[[], OAuthProvider]] = {
    Channel.META: lambda: MetaLogin(
        app_id=settings.CHANNELS_META_APP_ID,
        app_secret=settings.CHANNELS_META_APP_SECRET,
        config_id=settings.CHANNELS_META_CONFIG_ID,
        dialog_base=settings.CHANNELS_META_OAUTH_DIALOG_BASE,
        api_base=settings.CHANNELS_META_API_BASE,
        api_version=settings.CHANNELS_META_API_VERSION,
        timeout=settings.CHANNELS_TIMEOUT_SECONDS,
    ),
    Channel.GOOGLE: lambda: GoogleLogin(
        client_id=settings.CHANNELS_GOOGLE_CLIENT_ID,
        client_secret=settings.CHANNELS_GOOGLE_CLIENT_SECRET,
        authorize_url=settings.CHANNELS_GOOGLE_OAUTH_AUTHORIZE_URL,
        token_url=settings.CHANNELS_GOOGLE_OAUTH_TOKEN_URL,
        revoke_url=settings.CHANNELS_GOOGLE_OAUTH_REVOKE_URL,
        api_base=settings.CHANNELS_GOOGLE_API_BASE,
        timeout=settings.CHANNELS_TIMEOUT_SECONDS,
    ),
    Channel.PINTEREST: lambda: PinterestLogin(
        app_id=settings.CHANNELS_PINTEREST_APP_ID,
        app_secret=settings.CHANNELS_PINTEREST_APP_SECRET,
        authorize_url=settings.CHANNELS_PINTEREST_OAUTH_URL,
        api_base=settings.CHANNELS_PINTEREST_API_BASE,
        timeout=settings.CHANNELS_TIMEOUT_SECONDS,
    ),
    Channel.TIKTOK: lambda: TikTokShopLogin(
        app_key=settings.CHANNELS_TIKTOK_APP_KEY,
        app_secret=settings.CHANNELS_TIKTOK_APP_SECRET,
        service_id=settings.CHANNELS_TIKTOK_SERVICE_ID,
        authorize_url=settings.CHANNELS_TIKTOK_AUTHORIZE_URL,
        auth_base=settings.CHANNELS_TIKTOK_AUTH_BASE,
        api_base=settings.CHANNELS_TIKTOK_API_BASE,
        timeout=settings.CHANNELS_TIMEOUT_SECONDS,
    ),
}


class OAuthRefused(Exception):
    """The login cannot go on; ``message`` says why, for the merchant. ``retry``: a new
    "Connect with …" may work (the platform was down, the consent was refused)."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.retry = retry


def provider_for(channel: str) -> OAuthProvider:
    """The channel's login provider; KeyError for a channel without one."""
    return PROVIDERS[channel]()


def login_channels() -> list[str]:
    """The channels that have a login provider (configured or not)."""
    return [channel for channel in Channel.values if channel in PROVIDERS]


def _name(channel: str) -> str:
    return Channel(channel).label


def _why(failure: ChannelError) -> str:
    """The platform's message, to quote in parentheses."""
    return failure.message.strip().rstrip(".")


# --- the state --------------------------------------------------------------------------


def state_sign(*, nonce: str) -> str:
    """The ``state`` sent to the platform: the shop's schema and the attempt's nonce,
    signed and timestamped (checked by ``oauth_callback``)."""
    return signing.dumps({"shop": db_connection.schema_name, "nonce": nonce}, salt=STATE_SALT)


def state_shop(state: str) -> str:
    """The schema of the shop a state was signed for (in time), for the platform host's
    relay (``views.login_callback_relay``); "" when it is not a state we signed."""
    max_age = settings.CHANNELS_OAUTH_ATTEMPT_MINUTES * 60
    try:
        data = signing.loads(state, salt=STATE_SALT, max_age=max_age)
    except signing.BadSignature:
        return ""
    return str(data.get("shop") or "") if isinstance(data, dict) else ""


def state_channel(state: str) -> str:
    """The channel a (genuinely signed) state's attempt was for, expired or not: where
    a refused login's "Try again" goes. "" when unknown."""
    try:
        data = signing.loads(state, salt=STATE_SALT)
    except signing.BadSignature:
        return ""
    if not isinstance(data, dict) or data.get("shop") != db_connection.schema_name:
        return ""
    channel = (
        OAuthAttempt.objects.filter(nonce=str(data.get("nonce", "")))
        .values_list("channel", flat=True)
        .first()
    )
    return channel or ""


def _attempt_for_state(state: str, *, user_id: int) -> OAuthAttempt:
    """The attempt the state names in this shop, for this user, unused and in time;
    ``OAuthRefused`` otherwise (nothing changed)."""
    max_age = settings.CHANNELS_OAUTH_ATTEMPT_MINUTES * 60
    try:
        data = signing.loads(state, salt=STATE_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise OAuthRefused(
            "This login took too long and expired: nothing was connected. Start again."
        ) from None
    except signing.BadSignature:
        raise OAuthRefused(
            "This login answer is not one Etalage started (its state does not match): "
            "nothing was connected. Start again from the channel page."
        ) from None
    if not isinstance(data, dict) or data.get("shop") != db_connection.schema_name:
        raise OAuthRefused(
            "This login was started for another shop: nothing was connected here. "
            "Start again from this shop's channel page."
        )
    attempt = OAuthAttempt.objects.filter(nonce=str(data.get("nonce", ""))).first()
    if attempt is None or attempt.user_id != user_id:
        raise OAuthRefused(
            "This login was not started by you in this shop: nothing was connected. "
            "Start again from the channel page."
        )
    if attempt.used_at is not None:
        raise OAuthRefused(
            "This login answer was already used: nothing more was connected. Start again "
            "if you need to."
        )
    return attempt


# --- the flow -----------------------------------------------------------------------------


def oauth_start(*, channel: str, user_id: int, redirect_uri: str) -> str:
    """Start a login: store the attempt and answer the platform's authorize URL.
    ``OAuthRefused`` when the platform's app is not configured."""
    try:
        provider = provider_for(channel)
    except KeyError:
        raise OAuthRefused(f"{_name(channel)} has no login to connect with.") from None
    if not provider.is_configured():
        raise OAuthRefused(
            f"Connecting with {_name(channel)} needs its app configured by the platform's "
            f"administrator ({', '.join(provider.settings_names)}).",
            retry=False,
        )
    cutoff = timezone.now() - timedelta(minutes=settings.CHANNELS_OAUTH_ATTEMPT_MINUTES * 3)
    OAuthAttempt.objects.filter(created__lt=cutoff).delete()
    verifier, challenge = pkce_pair()
    attempt = OAuthAttempt.objects.create(
        channel=channel,
        nonce=secrets.token_urlsafe(32),
        user_id=user_id,
        code_verifier=verifier,
    )
    return provider.authorize_url(
        state=state_sign(nonce=attempt.nonce),
        redirect_uri=redirect_uri,
        code_challenge=challenge,
    )


def oauth_callback(
    *, state: str, code: str, error: str, user_id: int, redirect_uri: str
) -> OAuthAttempt:
    """The platform sent the merchant back: check the state, use the attempt up,
    exchange the code. Answers the attempt (its tokens kept, encrypted) for picking a
    destination; ``OAuthRefused`` (nothing saved but the attempt used) otherwise."""
    attempt = _attempt_for_state(state, user_id=user_id)
    used = OAuthAttempt.objects.filter(pk=attempt.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not used:  # a second callback racing this one
        raise OAuthRefused("This login answer was already used: nothing more was connected.")
    name = _name(attempt.channel)
    if error:
        raise OAuthRefused(
            f"You didn't allow Etalage to manage your {name} catalog, so nothing was "
            "connected. You can try again whenever you like."
            if error == "access_denied"
            else f"{name} did not complete the login ({error[:100]}): nothing was connected."
        )
    if not code:
        raise OAuthRefused(f"{name} sent no authorization code back: nothing was connected.")
    provider = provider_for(attempt.channel)
    try:
        tokens = provider.exchange_code(
            code=code, redirect_uri=redirect_uri, code_verifier=attempt.code_verifier
        )
    except RetryableError as failure:
        raise OAuthRefused(
            f"{name} did not answer ({_why(failure)}): nothing was connected. "
            "Try again in a moment."
        ) from None
    except AppRefused as failure:
        logger.error("%s refused our app's credentials: %s", name, failure.message)
        raise OAuthRefused(
            f"{name} refused Etalage's app credentials ({_why(failure)}): nothing was "
            "connected. The platform's administrator must check its settings "
            f"({', '.join(provider.settings_names)}).",
            retry=False,
        ) from None
    except ChannelError as failure:
        raise OAuthRefused(
            f"{name} refused the login ({_why(failure)}): nothing was connected. Start again."
        ) from None
    attempt.tokens_encrypted = secret_encrypt(json.dumps(tokens.as_json()))
    attempt.save(update_fields=["tokens_encrypted"])
    return attempt


def attempt_for_picking(*, nonce: str, user_id: int) -> OAuthAttempt:
    """The user's attempt whose login succeeded and is waiting for a destination."""
    cutoff = timezone.now() - timedelta(minutes=settings.CHANNELS_OAUTH_ATTEMPT_MINUTES * 3)
    attempt = (
        OAuthAttempt.objects.filter(nonce=nonce, user_id=user_id, created__gte=cutoff)
        .exclude(tokens_encrypted="")
        .first()
    )
    if attempt is None:
        raise OAuthRefused(
            "This login is over or expired: nothing was connected. Start again from the "
            "channel page."
        )
    return attempt


def attempt_tokens(attempt: OAuthAttempt) -> TokenSet:
    return _tokens_read(attempt.tokens_encrypted)


def _tokens_read(encrypted: str) -> TokenSet:
    try:
        return TokenSet.from_json(json.loads(secret_decrypt(encrypted)))
    except (SecretsError, ValueError) as failure:
        raise FinalError(
            "The stored login tokens cannot be read with the platform's secrets keys: reconnect."
        ) from failure


def oauth_destinations(*, attempt: OAuthAttempt) -> list[Destination]:
    """What the login may connect (asked once, then kept on the attempt)."""
    if not attempt.destinations:
        provider = provider_for(attempt.channel)
        try:
            found = provider.destinations(attempt_tokens(attempt))
        except ChannelError as failure:
            raise OAuthRefused(
                f"{_name(attempt.channel)} did not list your catalogs ({_why(failure)}). "
                "Reload this page to ask again."
            ) from None
        attempt.destinations = [
            {"id": entry.id, "name": entry.name, "detail": entry.detail, "country": entry.country}
            for entry in found
        ]
        attempt.save(update_fields=["destinations"])
    return [Destination(**entry) for entry in attempt.destinations]


def destinations_country(destinations: list[Destination]) -> str:
    """The country the platform says the login's catalogs sell in, when they agree (one
    catalog, or all that name a country name the same one); "" otherwise (Meta's
    catalogs name none), and the shop's own defaults apply."""
    countries = {entry.country for entry in destinations if entry.country}
    return countries.pop() if len(countries) == 1 else ""


def connection_tokens(connection: Connection) -> TokenSet | None:
    """The connection's login tokens (None: connected with a pasted token)."""
    return _tokens_read(connection.tokens_encrypted) if connection.tokens_encrypted else None


def _tokens_store(connection: Connection, tokens: TokenSet) -> None:
    connection.credentials_encrypted = (
        # TikTok's push client reads its credentials as one JSON object
        tiktok_access_token_encrypted(connection, tokens.access_token)
        if connection.channel == Channel.TIKTOK
        else secret_encrypt(tokens.access_token)
    )
    connection.tokens_encrypted = secret_encrypt(json.dumps(tokens.as_json()))
    connection.token_expires_at = tokens.expires_at
    connection.token_refreshed_at = timezone.now()
    connection.expiry_warned_at = None


@transaction.atomic
def oauth_connect(
    *,
    attempt: OAuthAttempt,
    destination_id: str = "",
    new_name: str = "",
    country: str,
    language: str,
    category_id: str = "",
) -> Connection:
    """Save the connection the login made: to the destination picked (one of those
    listed), or to a new one named ``new_name`` created at the platform. An existing
    connection of the channel is reconnected (its settings kept, the tokens and the
    destination replaced) and synced whole; the attempt is deleted. TikTok Shop's
    destination is a shop (its cipher): its default sales warehouse is asked for, and
    ``category_id`` (the leaf category its products go to; empty keeps the stored one)
    completes its credentials."""
    name = _name(attempt.channel)
    tokens = attempt_tokens(attempt)
    if new_name.strip():
        try:
            created = provider_for(attempt.channel).destination_create(tokens, new_name.strip())
        except ChannelError as failure:
            raise OAuthRefused(
                f"{name} did not create the catalog ({_why(failure)}). Try again, or pick "
                "an existing one."
            ) from None
        if created is None:
            raise OAuthRefused(f"{name} cannot create one here: pick an existing one.")
        destination = created
    else:
        listed = {entry.id: entry for entry in oauth_destinations(attempt=attempt)}
        if destination_id not in listed:
            raise OAuthRefused("Choose one of the listed catalogs.")
        destination = listed[destination_id]
    existing = Connection.objects.select_for_update().filter(channel=attempt.channel).first()
    tiktok = (
        _tiktok_settings(tokens, destination.id, category_id, existing)
        if attempt.channel == Channel.TIKTOK
        else None
    )
    if existing is None:
        connection = connection_create(
            channel=attempt.channel,
            access_token=tokens.access_token,
            external_id=destination.id,
            country=country,
            language=language,
            tiktok=tiktok,
        )
    else:
        connection = connection_update(
            connection=existing,
            access_token=tokens.access_token,
            external_id=destination.id,
            country=country,
            language=language,
            is_feed_only=False,
            tiktok=tiktok,
        )
    _tokens_store(connection, tokens)
    connection.external_name = destination.name[:200]
    connection.save()
    audit_record(
        action="channel.connect_login" if existing is None else "channel.reconnect_login",
        target=connection,
        note=f"{name}: {destination.name} ({destination.id})",
    )
    attempt.delete()
    return connection


def _tiktok_settings(
    tokens: TokenSet, shop_cipher: str, category_id: str, existing: Connection | None
) -> dict[str, str]:
    """TikTok's credentials besides the access token, for the shop picked (an empty
    category keeps the stored one)."""
    stored = tiktok_credentials_or_none(existing) if existing is not None else {}
    if not category_id.strip() and not stored.get("category_id"):
        raise OAuthRefused(
            "Enter the category id: the TikTok Shop leaf category your products are listed "
            "in (Seller Center → Products → Add product shows it)."
        )
    try:
        found = provider_for(Channel.TIKTOK).shop_settings(tokens, shop_cipher)
    except ChannelError as failure:
        raise OAuthRefused(
            f"TikTok Shop did not list the shop's warehouses ({failure.message}). Try again."
        ) from None
    if not found["warehouse_id"]:
        raise OAuthRefused(
            "This TikTok shop has no enabled sales warehouse: add one in TikTok Shop Seller "
            "Center, then connect again."
        )
    return {**found, "category_id": category_id.strip()}


# --- refresh, revoke ------------------------------------------------------------------------


def connection_tokens_refresh(*, connection_id: int) -> Connection:
    """Renew the connection's tokens at the platform and store them. A refused grant
    (revoked, invalid_grant) marks it ``RECONNECT`` with why, and raises
    ``TokenRefused``; the platform down raises ``RetryableError`` (the tokens stay)."""
    connection = Connection.objects.get(pk=connection_id)
    tokens = connection_tokens(connection)
    if tokens is None:
        raise FinalError("This connection uses a pasted token: it cannot be renewed.")
    provider = provider_for(connection.channel)
    try:
        fresh = provider.refresh(tokens)
    except CredentialsError as failure:
        connection_mark_reconnect(
            connection_id=connection.pk,
            message=f"{connection.get_channel_display()} no longer accepts Etalage's access "
            f"({_why(failure)}): reconnect to keep syncing.",
        )
        raise TokenRefused(failure.message, status=failure.status) from None
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection_id)
        _tokens_store(connection, fresh)
        fields = ["credentials_encrypted", "tokens_encrypted", "token_expires_at"]
        fields += ["token_refreshed_at", "expiry_warned_at", "updated"]
        if connection.status == Connection.Status.RECONNECT:
            connection.status, connection.last_error = Connection.Status.ACTIVE, ""
            fields += ["status", "last_error"]
        connection.save(update_fields=fields)
    return connection


def connection_mark_reconnect(*, connection_id: int, message: str) -> None:
    """The login's grant is gone: nothing is pushed until the merchant reconnects. The
    shop's owner is told by email (once, as the connection turns to needing it); the
    channel list and page say it too, with the Reconnect button."""
    turned = (
        Connection.objects.filter(pk=connection_id)
        .exclude(status=Connection.Status.RECONNECT)
        .update(status=Connection.Status.RECONNECT, last_error=message[:2000])
    )
    shop = db_connection.tenant
    if turned and getattr(shop, "owner_email", ""):
        task_queue_on_commit(
            "shops.email_send",
            f"{shop.name}: reconnect your sales channel",
            f"{message}\n\nOpen Sales channels → Connections in your shop's admin and "
            "choose “Reconnect”. Until then, nothing is sent to the platform; your shop and "
            "its product feeds keep working.",
            [shop.owner_email],
        )


def renewing_channels() -> list[str]:
    """The channels whose login tokens ``refresh`` renews (not Meta's)."""
    return [channel for channel in login_channels() if provider_for(channel).renews]


def expiry_warning(connection: Connection) -> str:
    """What the channel pages say of a login's access that ends soon and is not renewed
    (within CHANNELS_TOKEN_EXPIRY_WARN_DAYS); "" otherwise."""
    if (
        not connection.tokens_encrypted
        or connection.token_expires_at is None
        or connection.status == Connection.Status.RECONNECT
        or connection.channel in renewing_channels()
    ):
        return ""
    warn = timedelta(days=settings.CHANNELS_TOKEN_EXPIRY_WARN_DAYS)
    if connection.token_expires_at > timezone.now() + warn:
        return ""
    name = connection.get_channel_display()
    return (
        f"{name}'s access to your catalog ends on "
        f"{connection.token_expires_at:%-d %b %Y, %H:%M} UTC ({name} does not let Etalage "
        f"renew it): reconnect with {name} before then to keep syncing."
    )


def tokens_expiry_warn() -> int:
    """Tell the shop's owner, once per token, that a login's access ends within
    CHANNELS_TOKEN_EXPIRY_WARN_DAYS and cannot be renewed (part of the beat's
    ``channels.tokens_refresh``). Returns how many were told."""
    soon = timezone.now() + timedelta(days=settings.CHANNELS_TOKEN_EXPIRY_WARN_DAYS)
    due = (
        Connection.objects.exclude(tokens_encrypted="")
        .exclude(status=Connection.Status.RECONNECT)
        .exclude(channel__in=renewing_channels())
        .filter(token_expires_at__lte=soon, expiry_warned_at__isnull=True)
    )
    shop = db_connection.tenant
    told = 0
    for connection in due:
        turned = Connection.objects.filter(pk=connection.pk, expiry_warned_at__isnull=True).update(
            expiry_warned_at=timezone.now()
        )
        if turned and getattr(shop, "owner_email", ""):
            task_queue_on_commit(
                "shops.email_send",
                f"{shop.name}: reconnect {connection.get_channel_display()} before "
                f"{connection.token_expires_at:%-d %b}",
                f"{expiry_warning(connection)}\n\nOpen Sales channels → Connections in your "
                f"shop's admin, open {connection.get_channel_display()} and choose "
                "“Reconnect”: it takes a minute, and your settings are kept.",
                [shop.owner_email],
            )
            told += 1
    return told


def tokens_refresh_due() -> dict[str, int]:
    """Renew the tokens of this shop's connections expiring within
    CHANNELS_TOKEN_REFRESH_WINDOW_SECONDS (the beat's ``channels.tokens_refresh``, per
    shop, on the worker), for the platforms that renew them; warn the owner of those
    that end (``tokens_expiry_warn``). Returns how many were renewed, refused, left for
    the next run (the platform down), and warned of."""
    soon = timezone.now() + timedelta(seconds=settings.CHANNELS_TOKEN_REFRESH_WINDOW_SECONDS)
    ids = list(
        Connection.objects.exclude(tokens_encrypted="")
        .exclude(status=Connection.Status.RECONNECT)
        .filter(token_expires_at__lte=soon, channel__in=renewing_channels())
        .values_list("pk", flat=True)
    )
    counts = {"renewed": 0, "refused": 0, "later": 0, "warned": tokens_expiry_warn()}
    for connection_id in ids:
        try:
            connection_tokens_refresh(connection_id=connection_id)
        except CredentialsError:
            counts["refused"] += 1
        except ChannelError as failure:
            logger.warning("Tokens of connection %s not renewed: %s", connection_id, failure)
            counts["later"] += 1
        else:
            counts["renewed"] += 1
    return counts


def tokens_revoke(*, channel: str, tokens_encrypted: str) -> None:
    """Revoke a login at the platform (the worker's ``channels.tokens_revoke``); raises
    RetryableError while the platform is down (the task retries)."""
    try:
        tokens = _tokens_read(tokens_encrypted)
    except FinalError:
        logger.warning("Login tokens of a disconnected %s channel unreadable: not revoked", channel)
        return
    try:
        provider_for(channel).revoke(tokens)
    except RetryableError:
        raise
    except ChannelError as failure:  # already revoked, expired: nothing left to revoke
        logger.info("Revoking a %s login: %s", channel, failure.message)
