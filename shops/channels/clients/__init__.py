"""What every platform client shares: its results, its errors, and what the sync
engine asks of it (``PlatformClient``).

Each platform has one module here (``meta`` and ``instagram`` on Meta's Graph API,
``graph``; ``pinterest``, ``google``, ``tiktok``); nothing else in the project speaks a
platform's HTTP. Vendor errors are translated at the boundary: ``RetryableError``
(network, timeout, 429, 5xx, an unreadable answer; ``RateLimited`` when the platform
said so) may succeed later and carries the wait the platform asked for; ``FinalError``
(bad credentials, a refused request) will not, and carries a message for the merchant.
Per-item refusals are not errors: they come back as ``ItemResult`` with ``rejected``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from shops.channels.items import FeedItem


class ChannelError(Exception):
    """``status``: the HTTP status of the answer; ``code``: the platform's error code."""

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class RetryableError(ChannelError):
    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class RateLimited(RetryableError):
    """The platform said the app or account is over its call budget: wait."""


class FinalError(ChannelError):
    pass


class CredentialsError(FinalError):
    """The platform refused the credentials (shown on "Test connection")."""


@dataclass(frozen=True)
class ItemRequest:
    """One item to send: ``method`` "upsert" (``fields`` may be partial) or "delete".

    ``external`` is what the platform told us about the item last time (stored on the
    ``ChannelItem``): the ids and uploaded images of a platform that assigns its own.
    """

    retailer_id: str
    method: Literal["upsert", "delete"]
    fields: dict = field(default_factory=dict)
    external: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ItemResult:
    """``external``: what to store for the item's next request (None keeps what was sent)."""

    retailer_id: str
    outcome: Literal["accepted", "warning", "rejected"]
    message: str = ""
    external: dict | None = None


@dataclass(frozen=True)
class CatalogInfo:
    """What "Test the connection" found: the catalog's (account's, shop's) id and name."""

    id: str
    name: str


class PlatformClient:
    """What the sync engine asks of a platform's client, besides ``catalog_check()`` and
    ``items_send(items)``: how many items a call takes, and the platform's fields.

    ``item_fields`` turns an item (its row in the channel's feed, whose columns are the
    platform's own catalog field names) into what the API takes; a stock-only or
    price-only change sends ``stock_fields`` or ``price_fields`` of it alone. A platform
    that holds one product with SKUs (``sends_whole_products``) gets a product's
    requests together, every SKU whole unless only stock or price changed.
    """

    batch_size: int
    sends_whole_products = False
    stock_fields: tuple[str, ...] = ("availability",)
    price_fields: tuple[str, ...] = ("price", "sale_price")

    def item_fields(self, row: dict[str, str], item: FeedItem) -> dict:
        """The feed row without its empty values, the additional images as a list."""
        fields: dict = {name: value for name, value in row.items() if value != ""}
        if "additional_image_link" in fields:
            fields["additional_image_link"] = list(item.additional_image_links)
        return fields

    def catalog_check(self) -> CatalogInfo:
        raise NotImplementedError

    def items_send(self, items: list[ItemRequest]) -> list[ItemResult]:
        raise NotImplementedError


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds (the header's delta-seconds form; a date is not trusted)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
