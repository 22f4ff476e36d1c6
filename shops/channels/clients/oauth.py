"""What every platform's OAuth login shares: the tokens it gives, the destinations
(catalog, merchant account, shop) the merchant picks from, what a provider must do
(``OAuthProvider``), PKCE, and the one token-endpoint call with RFC 6749's errors.

A provider is one module per platform next to its push client (``meta_login``,
``google_login``; Pinterest and TikTok add theirs), built from the platform-level
settings by ``shops.channels.oauth.provider_for``. Errors are the channel clients' own
(``shops.channels.clients``): ``RetryableError`` (the platform is down, 5xx, a
timeout), ``CredentialsError`` (the grant or token is refused: ``TokenRefused``),
``FinalError`` (our app's id/secret refused: ``AppRefused``; anything else refused).

Token endpoint errors (RFC 6749 §5.2): HTTP 400/401 with ``{"error": "invalid_grant" |
"invalid_client" | "invalid_request" | ..., "error_description": ...}``. Sources:
datatracker.ietf.org/doc/html/rfc6749#section-5.2, RFC 7636 (PKCE, S256).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlencode

from django.utils import timezone

from shops.channels.clients import ChannelError, CredentialsError, FinalError, RetryableError
from shops.channels.clients.http import request_json


@dataclass(frozen=True)
class TokenSet:
    """What a platform's login gave: the access token, the refresh token (if any),
    their expiries (None: does not expire, or not said), the granted scope, and what
    else the provider keeps (``extra``, JSON-able: Meta's user id, ...)."""

    access_token: str
    refresh_token: str = ""
    expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    scope: str = ""
    extra: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "refresh_expires_at": (
                self.refresh_expires_at.isoformat() if self.refresh_expires_at else None
            ),
            "scope": self.scope,
            "extra": self.extra,
        }

    @classmethod
    def from_json(cls, data: dict) -> TokenSet:
        def when(value) -> datetime | None:
            return datetime.fromisoformat(value) if isinstance(value, str) and value else None

        return cls(
            access_token=str(data.get("access_token") or ""),
            refresh_token=str(data.get("refresh_token") or ""),
            expires_at=when(data.get("expires_at")),
            refresh_expires_at=when(data.get("refresh_expires_at")),
            scope=str(data.get("scope") or ""),
            extra=data.get("extra") if isinstance(data.get("extra"), dict) else {},
        )


@dataclass(frozen=True)
class Destination:
    """A catalog / merchant account / shop the merchant may connect: ``id`` is what the
    connection stores as its ``external_id`` (the push client reads it), ``name`` and
    ``detail`` are shown on the picking page; ``country`` is the ISO 3166 code of the
    country the platform says it sells in ("" when the platform does not say: Meta's
    catalogs), the pick form's first choice of country."""

    id: str
    name: str
    detail: str = ""
    country: str = ""


class OAuthProvider(Protocol):
    """One platform's login. Every method but ``is_configured`` and ``authorize_url``
    calls the platform once or a few times, and raises the clients' errors."""

    channel: str  # "meta" | "google" | "pinterest" | "tiktok"
    # the settings a platform admin sets to switch the login on (shown when not set)
    settings_names: tuple[str, ...]
    # refresh() renews the tokens before they expire; False: they end (Meta's), and the
    # beat warns the owner to log in again before (``oauth.tokens_expiry_warn``)
    renews: bool

    def is_configured(self) -> bool:
        """The platform app's id and secret are set in the settings."""
        ...

    def authorize_url(self, *, state: str, redirect_uri: str, code_challenge: str) -> str:
        """Where the merchant's browser goes to log in and allow (``code_challenge``:
        PKCE S256; a platform without PKCE ignores it)."""
        ...

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        """The tokens for the callback's ``code`` (one call, or two for Meta's
        long-lived exchange)."""
        ...

    def refresh(self, tokens: TokenSet) -> TokenSet:
        """New tokens before (or after) the access token expires; ``TokenRefused``
        when the grant is gone (revoked, invalid_grant): the merchant reconnects."""
        ...

    def revoke(self, tokens: TokenSet) -> None:
        """Tell the platform to forget the grant (best effort; the clients' errors)."""
        ...

    def destinations(self, tokens: TokenSet) -> list[Destination]:
        """The catalogs / accounts / shops the tokens may push to."""
        ...

    def destination_create(self, tokens: TokenSet, name: str) -> Destination | None:
        """Create a new one named ``name``; None when the platform's API cannot."""
        ...


class TokenRefused(CredentialsError):
    """The platform refused the grant or token (invalid_grant: revoked, expired, used):
    only a new login helps."""


class AppRefused(FinalError):
    """The platform refused our app's credentials (invalid_client): the platform's
    settings are wrong, not the merchant's login."""


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier (43-128 unreserved characters) and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def expiry(seconds) -> datetime | None:
    """``expires_in`` seconds from now; None when absent or 0 (does not expire)."""
    try:
        value = int(seconds)
    except (TypeError, ValueError):
        return None
    return timezone.now() + timedelta(seconds=value) if value > 0 else None


def oauth_error(status: int, payload: dict, retry_after: float | None = None) -> ChannelError:
    """The project's error for a token endpoint's error answer (RFC 6749 §5.2)."""
    code = payload.get("error") if isinstance(payload.get("error"), str) else ""
    description = payload.get("error_description")
    message = (
        (f"{code}: {description}" if code and isinstance(description, str) and description else "")
        or code
        or f"HTTP {status}"
    )
    if status == 429 or status >= 500:
        return RetryableError(message, status=status, retry_after=retry_after)
    if code == "invalid_client" or code == "unauthorized_client":
        return AppRefused(message, status=status)
    if code == "invalid_grant" or status in (401, 403):
        return TokenRefused(message, status=status)
    return FinalError(message, status=status)


def form_post(
    url: str,
    fields: dict[str, str],
    *,
    timeout: float,
    headers: dict[str, str] | None = None,
    empty_ok: bool = False,
) -> dict:
    """POST ``fields`` form-encoded to a token (or revoke) endpoint; the JSON answer
    (``empty_ok``: an empty answer is ``{}``)."""
    answer = request_json(
        "POST",
        url,
        raw_body=urlencode(fields).encode(),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
        timeout=timeout,
        translate_error=oauth_error,
        empty_ok=empty_ok,
    )
    if not isinstance(answer, dict):
        raise RetryableError("The platform answered something that is not a JSON object.")
    return answer
