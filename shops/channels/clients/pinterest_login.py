"""Connect Pinterest with the merchant's own Pinterest login (OAuth 2.0, API v5).

- Authorize: the browser goes to ``https://www.pinterest.com/oauth/`` with
  ``client_id``, ``redirect_uri``, ``response_type=code``, ``scope`` (comma separated) and
  ``state``; Pinterest sends it back to ``redirect_uri`` with ``code`` and ``state``, or
  with ``error=access_denied`` when the person refuses (RFC 6749 §4.1.2.1).
- Token: ``POST https://api.pinterest.com/v5/oauth/token``, form-encoded, the app's id
  and secret as HTTP Basic auth: ``grant_type=authorization_code&code&redirect_uri``, or
  ``grant_type=refresh_token&refresh_token&refresh_on=true`` (continuous refresh: the
  answer carries a new refresh token, ``refresh_token_expires_in`` and
  ``refresh_token_expires_at``). Answers ``{access_token, refresh_token, token_type:
  "bearer", expires_in (seconds, 30 days), refresh_token_expires_in (seconds), scope,
  response_type}``. Errors are v5's ``{"code", "message"}``: a bad app id or secret →
  401 ``{"code": 2, "message": "Authentication failed."}``; a code that is invalid,
  expired or used → 400 ``{"code": 283, "message": "The authorization grant is
  invalid"}`` (as reported in pinterest/pinterest-api-demo#16; the code number is not in
  the v5 reference).
- Destinations: ``GET /v5/ad_accounts`` (``page_size`` ≤ 250, ``bookmark`` to page on)
  → ``{items: [{id, name, owner: {username}, country, currency}], bookmark}``: the ad
  account stored as the connection's ``external_id``. Pinterest creates ad accounts
  only with billing set up in Ads Manager, so none is created from here.
- Revoke: the v5 OpenAPI's OAuth tag has one operation, ``POST /oauth/token``; there is
  no revocation endpoint. The merchant removes Etalage under Pinterest → Settings →
  Security and logins → Apps (``REVOKE_HINT``); the tokens are deleted here.

Scopes: ``catalogs:read`` and ``catalogs:write`` (the item batches), ``user_accounts:read``
(``GET /v5/user_account``, "Test the connection"), ``ads:read`` (the ad accounts).

Sources: developers.pinterest.com/docs/getting-started/set-up-authentication-and-
authorization/; the v5 OpenAPI as generated in pinterest/pinterest-python-generated-api-
client (docs/OauthApi.md) and oapicf/pinterest-sdk (OauthAccessTokenResponse,
OauthAccessTokenRequestRefresh ``refresh_on``, AdAccountsApi ``GET /ad_accounts``).
PKCE is not in Pinterest's documented authorize parameters: no ``code_challenge`` is
sent (the state, signed by the framework, and the secret-authenticated exchange bind
the code).
"""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlencode

from shops.channels.clients import ChannelError, RetryableError
from shops.channels.clients.http import request_json
from shops.channels.clients.oauth import AppRefused, Destination, TokenRefused, TokenSet, expiry

SCOPES = ("ads:read", "catalogs:read", "catalogs:write", "user_accounts:read")
AD_ACCOUNTS_PAGE = 250  # the API's largest page
MAX_PAGES = 20
INVALID_GRANT = 283
REVOKE_HINT = (
    "Pinterest has no way for Etalage to withdraw its access: remove Etalage in your "
    "Pinterest settings (Settings → Security and logins → Apps)."
)


def _message(payload: dict) -> str:
    return str(payload.get("message") or "")


def _token_error(status: int, payload: dict, retry_after: float | None) -> ChannelError:
    """The token endpoint's refusals, worded for the merchant."""
    message = _message(payload) or f"HTTP {status}"
    code = payload.get("code") if isinstance(payload.get("code"), int) else None
    if status == 429 or status >= 500:
        return RetryableError(message, status=status, retry_after=retry_after)
    if status == 401:  # the Basic credentials: our app's id and secret
        return AppRefused(message, status=status, code=code)
    return TokenRefused(
        f"{message}: the authorization expired, was already used or was withdrawn",
        status=status,
        code=code,
    )


class PinterestLogin:
    """Pinterest's OAuth provider (see the module doc)."""

    channel = "pinterest"
    renews = True  # refresh() gives new tokens before they expire
    settings_names = ("CHANNELS_PINTEREST_APP_ID", "CHANNELS_PINTEREST_APP_SECRET")
    revoke_hint = REVOKE_HINT

    def __init__(
        self, *, app_id: str, app_secret: str, authorize_url: str, api_base: str, timeout: float
    ) -> None:
        self.app_id, self.app_secret = app_id, app_secret
        self.authorize_base = authorize_url
        self.api = f"{api_base.rstrip('/')}/v5"
        self.timeout = timeout

    def is_configured(self) -> bool:
        return bool(self.app_id and self.app_secret)

    def authorize_url(self, *, state: str, redirect_uri: str, code_challenge: str = "") -> str:
        query = {
            "client_id": self.app_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": ",".join(SCOPES),
            "state": state,
        }
        return f"{self.authorize_base}?{urlencode(query)}"

    def _token(self, form: dict[str, str]) -> TokenSet:
        basic = base64.b64encode(f"{self.app_id}:{self.app_secret}".encode()).decode()
        answer = request_json(
            "POST",
            f"{self.api}/oauth/token",
            raw_body=urlencode(form).encode(),
            content_type="application/x-www-form-urlencoded",
            headers={"Authorization": f"Basic {basic}"},
            timeout=self.timeout,
            translate_error=_token_error,
        )
        if not isinstance(answer, dict) or not answer.get("access_token"):
            raise RetryableError("Pinterest answered the token request without a token.")
        refresh_expires = answer.get("refresh_token_expires_at")
        return TokenSet(
            access_token=str(answer["access_token"]),
            refresh_token=str(answer.get("refresh_token") or form.get("refresh_token", "")),
            expires_at=expiry(answer.get("expires_in")),
            refresh_expires_at=(
                datetime.fromtimestamp(refresh_expires, tz=UTC)
                if isinstance(refresh_expires, int)
                else expiry(answer.get("refresh_token_expires_in"))
            ),
            scope=str(answer.get("scope") or ""),
        )

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str = "") -> TokenSet:
        return self._token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )

    def refresh(self, tokens: TokenSet) -> TokenSet:
        if not tokens.refresh_token:
            raise TokenRefused("No Pinterest refresh token is stored: connect again.")
        refreshed = self._token(
            {
                "grant_type": "refresh_token",
                "refresh_token": tokens.refresh_token,
                "refresh_on": "true",
            }
        )
        if refreshed.refresh_expires_at is None:  # no new refresh token: the old one stays
            return replace(refreshed, refresh_expires_at=tokens.refresh_expires_at)
        return refreshed

    def revoke(self, tokens: TokenSet) -> None:
        """Nothing to call: Pinterest documents no revocation (``REVOKE_HINT``)."""

    def destinations(self, tokens: TokenSet) -> list[Destination]:
        """The ad accounts the login may use, every page."""
        found: list[Destination] = []
        bookmark = ""
        for _ in range(MAX_PAGES):
            query = {"page_size": str(AD_ACCOUNTS_PAGE)}
            if bookmark:
                query["bookmark"] = bookmark
            answer = request_json(
                "GET",
                f"{self.api}/ad_accounts?{urlencode(query)}",
                headers={"Authorization": f"Bearer {tokens.access_token}"},
                timeout=self.timeout,
                error_message=_message,
            )
            if not isinstance(answer, dict) or not isinstance(answer.get("items"), list):
                raise RetryableError(
                    "Pinterest answered the ad accounts in a shape we do not know."
                )
            for account in answer["items"]:
                if isinstance(account, dict) and account.get("id"):
                    owner = account.get("owner") if isinstance(account.get("owner"), dict) else {}
                    detail = " · ".join(
                        filter(
                            None,
                            (
                                f"@{owner['username']}" if owner.get("username") else "",
                                str(account.get("country") or ""),
                                str(account.get("currency") or ""),
                            ),
                        )
                    )
                    found.append(
                        Destination(
                            id=str(account["id"]),
                            name=str(account.get("name") or account["id"]),
                            detail=detail,
                            country=str(account.get("country") or "").upper(),
                        )
                    )
            bookmark = str(answer.get("bookmark") or "")
            if not bookmark:
                return found
        return found

    def destination_create(self, tokens: TokenSet, name: str) -> Destination | None:
        """None: an ad account needs billing, set up in Pinterest Ads Manager."""
        return None
