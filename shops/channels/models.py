"""A shop's sales channels: one connection per platform, and what each item became there.

``Connection.outbox_last_id`` is this connection's reading position in the catalog
outbox (``catalog.CatalogChange``); it moves only after the platform confirmed the
batch (see ``shops.channels.sync``).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from catalog.models import Collection
from catalog.readiness import CHANNEL_NAMES


class Channel(models.TextChoices):
    META = "meta", CHANNEL_NAMES["meta"]
    PINTEREST = "pinterest", CHANNEL_NAMES["pinterest"]
    TIKTOK = "tiktok", CHANNEL_NAMES["tiktok"]
    GOOGLE = "google", CHANNEL_NAMES["google"]


class Connection(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        FAILING = "failing", "Failing (see the last error)"
        # connected by the platform's login, whose grant is gone (revoked, refresh
        # refused): nothing is pushed until the merchant logs in again ("Reconnect")
        RECONNECT = "reconnect", "Needs reconnecting"

    class Selection(models.TextChoices):
        ALL = "all", "All active products"
        COLLECTION = "collection", "One collection"
        TAG = "tag", "Products with a tag"

    # encrypted with shops.secrets; `manage.py rotate_secrets` re-encrypts them
    SECRET_FIELDS = ("credentials_encrypted", "tokens_encrypted")

    channel = models.CharField(max_length=20, choices=Channel.choices, unique=True)
    is_enabled = models.BooleanField(default=True)
    # the platform reads the feed only: nothing is pushed through its API, whatever
    # credentials are stored (a connection without them is fed by its feed only too)
    is_feed_only = models.BooleanField(
        "feed only",
        default=False,
        help_text="The platform fetches the product feed on its schedule; nothing is sent "
        "through its API.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # the access token / API key encrypted with shops.secrets; for TikTok, a JSON object of
    # its credentials (shops.channels.services)
    credentials_encrypted = models.TextField(blank=True)
    # connected by the platform's login (shops.channels.oauth): its TokenSet as JSON,
    # encrypted (the refresh token with it); empty for a pasted token. The access token
    # is in credentials_encrypted too, where the push clients read it
    tokens_encrypted = models.TextField(blank=True)
    # when the access token expires (None: it does not, or a pasted token); the beat
    # refreshes the tokens expiring within CHANNELS_TOKEN_REFRESH_WINDOW_SECONDS
    token_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    token_refreshed_at = models.DateTimeField(null=True, blank=True)
    # when the owner was told the login's access ends soon (a platform whose tokens are
    # not renewed: Meta); cleared when new tokens are stored
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    # the name of the catalog / data source the login picked (shown next to its id)
    external_name = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(
        "catalog / merchant / shop id",
        max_length=120,
        blank=True,
        help_text="Meta catalog id, Pinterest ad account, Google "
        "<merchant account id>/<data source id>; unused for TikTok (its settings are "
        "stored with its credentials).",
    )
    country = models.CharField(max_length=2, default="US")
    language = models.CharField(max_length=5, default="en")
    selection = models.CharField(max_length=12, choices=Selection.choices, default=Selection.ALL)
    collection = models.ForeignKey(Collection, null=True, blank=True, on_delete=models.SET_NULL)
    tag = models.CharField(max_length=64, blank=True)
    feed_token = models.CharField(max_length=64, unique=True)
    outbox_last_id = models.BigIntegerField(default=0)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_reconcile_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sync_total = models.PositiveIntegerField(default=0)  # items in the running "sync now"
    sync_done = models.PositiveIntegerField(default=0)
    # when the running "sync now" last advanced (set at its start, per batch and per
    # chunk of products read): a sync that did not finish and has not advanced for
    # CHANNELS_SYNC_STALL_MINUTES stopped (its worker died) and may be started again
    sync_progress_at = models.DateTimeField(default=timezone.now)
    # bumped by each reconcile that starts, and by a "sync now" that restarts a stalled
    # one: an older reconcile still running sees it and stops
    sync_run = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["channel"]

    def __str__(self) -> str:
        return self.get_channel_display()

    @property
    def is_syncing(self) -> bool:
        return self.is_enabled and self.status not in (self.Status.PAUSED, self.Status.RECONNECT)

    @property
    def is_connected_by_login(self) -> bool:
        return bool(self.tokens_encrypted)


class OAuthAttempt(models.Model):
    """One "Connect with <platform>" under way, in the shop's schema: the nonce its
    signed ``state`` names, the staff user who started it, the PKCE verifier, then the
    tokens the callback got (encrypted) and the destinations offered, until the
    merchant picks one. Used once (``used_at``), valid OAUTH_ATTEMPT_MINUTES
    (shops.channels.oauth); old rows are deleted as new ones start."""

    SECRET_FIELDS = ("tokens_encrypted",)

    channel = models.CharField(max_length=20, choices=Channel.choices)
    nonce = models.CharField(max_length=64, unique=True)
    user_id = models.BigIntegerField()
    code_verifier = models.CharField(max_length=128)
    tokens_encrypted = models.TextField(blank=True)
    destinations = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} login ({self.created:%Y-%m-%d %H:%M})"


class ChannelItem(models.Model):
    """One variant as the platform knows it (``retailer_id``), and its last verdict."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        LIVE = "live", "Live"
        WARNING = "warning", "Live with warnings"
        REJECTED = "rejected", "Rejected"
        REMOVED = "removed", "Removed"

    connection = models.ForeignKey(Connection, related_name="items", on_delete=models.CASCADE)
    retailer_id = models.CharField(max_length=50)
    product_id = models.BigIntegerField(db_index=True)
    variant_id = models.BigIntegerField(null=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    message = models.TextField(blank=True)
    # what was last sent: price, stock, availability (for the reconcile's drift check)
    sent = models.JSONField(default=dict, blank=True)
    # SHA-256 of every other field the platform last confirmed (title, description,
    # links, images, ...; shops.channels.sync.fingerprint): the reconcile resends the
    # item whole when the catalog's differs. Empty: not known (an item stored before it)
    fingerprint = models.CharField(max_length=64, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    # what the platform assigned: TikTok's product and SKU ids and uploaded image URIs
    external = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["connection_id", "retailer_id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "retailer_id"], name="channels_item_once")
        ]
        indexes = [models.Index(fields=["connection", "state"], name="channels_item_state")]

    def __str__(self) -> str:
        return f"{self.retailer_id} on {self.connection}: {self.state}"


class Attribute(models.TextChoices):
    """The variant attributes the platforms take (Google's names; Meta, Pinterest and
    TikTok use the same or map them)."""

    COLOR = "color", "Color"
    SIZE = "size", "Size"
    GENDER = "gender", "Gender"
    AGE_GROUP = "age_group", "Age group"
    MATERIAL = "material", "Material"
    PATTERN = "pattern", "Pattern"
    SIZE_SYSTEM = "size_system", "Size system"
    NONE = "", "Not sent"


class OptionAttribute(models.Model):
    """The shop's mapping from a product option's name ("Colour", "Taille") to the
    attribute the channels send its values as. Names are matched without regard to case;
    ``shops.channels.attributes.DEFAULT_OPTION_ATTRIBUTES`` applies where the shop has no
    row, and a row with ``Attribute.NONE`` switches a default off."""

    option_name = models.CharField(
        max_length=64, unique=True, help_text="The option's name as products use it, e.g. Taille."
    )
    attribute = models.CharField(max_length=12, choices=Attribute.choices, blank=True)

    class Meta:
        ordering = ["option_name"]
        verbose_name = "option mapped to an attribute"
        verbose_name_plural = "options mapped to attributes"

    def __str__(self) -> str:
        return f"{self.option_name} → {self.get_attribute_display()}"
