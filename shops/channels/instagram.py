"""The only module that speaks the Instagram Graph API (media endpoints).

Small and reusable by the channels work: credentials are passed in (an Instagram
professional account id and its access token), every call has a timeout, answers become
frozen dataclasses, and Graph API errors become ``InstagramRetryableError`` (network,
5xx, Meta's temporary and rate-limit codes: try later) or ``InstagramFinalError`` (bad
token, missing permission, bad request: the same call will fail again).

Endpoint: ``GET {INSTAGRAM_GRAPH_API_URL}/{ig-user-id}/media?fields=…&limit=…&after=…``
answers ``{"data": [...], "paging": {"cursors": {"before", "after"}, "next": url}}``; a
carousel's pictures come from the ``children{…}`` field expansion. Errors answer
``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from shops.http import BodyTooLarge, OutboundError, http_request

MEDIA_FIELDS = (
    "id,caption,media_type,media_url,permalink,timestamp,children{id,media_type,media_url}"
)
PAGE_SIZE = 25
MAX_ANSWER_BYTES = 2 * 1024 * 1024
# Meta's codes for "try again later": unknown/service errors and the rate limits
# (application, user, page, custom: 4, 17, 32, 613; 80001-80014 for business use cases)
RETRYABLE_CODES = {1, 2, 4, 17, 32, 341, 613}
RATE_LIMIT_CODES = {4, 17, 32, 613}
AUTH_CODES = {102, 190}


class InstagramError(Exception):
    """The Graph API could not do what was asked."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        http_status: int | None = None,
        trace_id: str = "",
    ):
        super().__init__(message)
        self.code = code
        self.subcode = subcode
        self.http_status = http_status
        self.trace_id = trace_id


class InstagramRetryableError(InstagramError):
    """A network error, a timeout, a 5xx or a temporary Graph error: try again later."""


class InstagramRateLimited(InstagramRetryableError):
    """The app, user or page is over its call budget: wait before calling again."""


class InstagramFinalError(InstagramError):
    """The request is refused and would be again (4xx: bad parameter, permission)."""


class InstagramAuthError(InstagramFinalError):
    """The access token expired or was revoked: the account must be connected again."""


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


def _error_from(status: int, body: bytes) -> InstagramError:
    try:
        error = json.loads(body).get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    error = error if isinstance(error, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    fields = {
        "code": code,
        "subcode": error.get("error_subcode")
        if isinstance(error.get("error_subcode"), int)
        else None,
        "http_status": status,
        "trace_id": _text(error.get("fbtrace_id")),
    }
    message = _text(error.get("message")) or f"Instagram answered {status}."
    if code in RATE_LIMIT_CODES or status == 429:
        return InstagramRateLimited(message, **fields)
    if code in RETRYABLE_CODES or status >= 500:
        return InstagramRetryableError(message, **fields)
    if code in AUTH_CODES or (error.get("type") == "OAuthException" and code is None):
        return InstagramAuthError(message, **fields)
    return InstagramFinalError(message, **fields)


class InstagramClient:
    """Reads an Instagram professional account's media with its access token."""

    def __init__(
        self, *, credentials: Credentials, base_url: str | None = None, timeout: float | None = None
    ):
        self.credentials = credentials
        self.base_url = (base_url or settings.INSTAGRAM_GRAPH_API_URL).rstrip("/")
        self.timeout = timeout if timeout is not None else settings.INSTAGRAM_TIMEOUT

    def _get(self, path: str, params: dict[str, str]) -> dict:
        query = urllib.parse.urlencode({**params, "access_token": self.credentials.access_token})
        url = f"{self.base_url}/{urllib.parse.quote(path)}?{query}"
        if not url.startswith(("http://", "https://")):
            raise InstagramFinalError("The Instagram API address must be http(s).")
        try:
            # the Graph API's address comes from the settings: no address guard
            response = http_request(
                "GET", url, headers={"Accept": "application/json"}, timeout=self.timeout,
                max_bytes=MAX_ANSWER_BYTES, allow_private=True,
            )  # fmt: skip
        except BodyTooLarge as error:
            if 200 <= error.status < 300:
                raise InstagramFinalError("Instagram's answer is too large.") from None
            raise _error_from(error.status, b"") from None
        except OutboundError as error:
            raise InstagramRetryableError(f"Instagram could not be reached ({error}).") from None
        body = response.body
        if not 200 <= response.status < 300:
            raise _error_from(response.status, body)
        try:
            data = json.loads(body)
        except ValueError:
            raise InstagramRetryableError("Instagram's answer is not JSON.") from None
        if not isinstance(data, dict):
            raise InstagramRetryableError("Instagram's answer is not an object.")
        if "error" in data:
            raise _error_from(200, body)
        return data

    def media_page(self, *, after: str | None = None, limit: int = PAGE_SIZE) -> MediaPage:
        """One page of the account's media, newest first."""
        params = {"fields": MEDIA_FIELDS, "limit": str(limit)}
        if after:
            params["after"] = after
        data = self._get(f"{self.credentials.account_id}/media", params)
        items = data.get("data") if isinstance(data.get("data"), list) else []
        paging = data.get("paging") if isinstance(data.get("paging"), dict) else {}
        cursors = paging.get("cursors") if isinstance(paging.get("cursors"), dict) else {}
        next_after = _text(cursors.get("after")) if paging.get("next") else ""
        return MediaPage(
            items=tuple(_media(item) for item in items if isinstance(item, dict)),
            after=next_after or None,
        )

    def recent_media(self, *, limit: int = PAGE_SIZE) -> list[Media]:
        """The ``limit`` most recent media, following the pages' ``after`` cursors."""
        media: list[Media] = []
        after = None
        while len(media) < limit:
            page = self.media_page(after=after, limit=min(PAGE_SIZE, limit - len(media)))
            media.extend(page.items)
            if page.after is None or not page.items:
                break
            after = page.after
        return media[:limit]
