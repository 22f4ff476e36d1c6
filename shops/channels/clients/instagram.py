"""Instagram media client: an Instagram professional account's posts, read through the
Graph API (``graph``: its address and version, errors and paging, as the catalog's).

Credentials are passed in (the account id and its access token), every call has a
timeout, answers become frozen dataclasses. Errors are the channels' (``clients``):
``RetryableError`` / ``RateLimited`` (network, 5xx, Meta's temporary and rate-limit
codes: try later), ``CredentialsError`` (bad or expired token: connect the account
again), ``FinalError`` (a refused request: the same call fails again).

Endpoint: ``GET {base}/{version}/{ig-user-id}/media?fields=…&limit=…&after=…`` answers
``{"data": [...], "paging": {"cursors": {"before", "after"}, "next": url}}``; a
carousel's pictures come from the ``children{…}`` field expansion.
Source: developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/
ig-user/media.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.conf import settings

from shops.channels.clients.graph import Graph

MEDIA_FIELDS = (
    "id,caption,media_type,media_url,permalink,timestamp,children{id,media_type,media_url}"
)
PAGE_SIZE = 25


@dataclass(frozen=True)
class Credentials:
    account_id: str  # the Instagram professional account's id (IG User id)
    access_token: str


@dataclass(frozen=True)
class MediaChild:
    id: str
    media_type: str
    media_url: str


@dataclass(frozen=True)
class Media:
    """One post of the account. ``media_type``: IMAGE, VIDEO or CAROUSEL_ALBUM."""

    id: str
    media_type: str
    caption: str
    media_url: str
    permalink: str
    timestamp: datetime | None
    children: tuple[MediaChild, ...] = ()

    @property
    def image_urls(self) -> tuple[str, ...]:
        """The post's pictures (a carousel's images in order; none for a video)."""
        if self.media_type == "CAROUSEL_ALBUM":
            return tuple(c.media_url for c in self.children if c.media_type == "IMAGE")
        return (self.media_url,) if self.media_type == "IMAGE" and self.media_url else ()


@dataclass(frozen=True)
class MediaPage:
    items: tuple[Media, ...]
    after: str | None  # the cursor of the next page, None on the last one


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:  # Graph API form: 2024-05-01T10:00:00+0000
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _media(item: dict) -> Media:
    children = (item.get("children") or {}).get("data") or []
    return Media(
        id=_text(item.get("id")),
        media_type=_text(item.get("media_type")),
        caption=_text(item.get("caption")),
        media_url=_text(item.get("media_url")),
        permalink=_text(item.get("permalink")),
        timestamp=_timestamp(item.get("timestamp")),
        children=tuple(
            MediaChild(
                id=_text(child.get("id")),
                media_type=_text(child.get("media_type")),
                media_url=_text(child.get("media_url")),
            )
            for child in children
            if isinstance(child, dict)
        ),
    )


class InstagramClient:
    """Reads an Instagram professional account's media with its access token (the Graph
    API's address and version, and the timeout, from settings unless given)."""

    def __init__(
        self,
        *,
        credentials: Credentials,
        base_url: str | None = None,
        api_version: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.graph = Graph(
            base_url=base_url or settings.CHANNELS_META_API_BASE,
            api_version=api_version or settings.CHANNELS_META_API_VERSION,
            access_token=credentials.access_token,
            timeout=timeout if timeout is not None else settings.INSTAGRAM_TIMEOUT,
        )
        self.media_path = f"{quote(credentials.account_id, safe='')}/media"

    def media_page(self, *, after: str | None = None, limit: int = PAGE_SIZE) -> MediaPage:
        """One page of the account's media, newest first."""
        page = self.graph.page(self.media_path, {"fields": MEDIA_FIELDS}, limit=limit, after=after)
        return MediaPage(items=tuple(_media(item) for item in page.data), after=page.after)

    def recent_media(self, *, limit: int = PAGE_SIZE) -> list[Media]:
        """The ``limit`` most recent media, following the pages' ``after`` cursors."""
        entries = self.graph.first(
            self.media_path, {"fields": MEDIA_FIELDS}, limit=limit, page_size=PAGE_SIZE
        )
        return [_media(item) for item in entries]
