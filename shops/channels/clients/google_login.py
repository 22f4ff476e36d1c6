"""Google's login for the Merchant API: OAuth 2.0 for web server applications, then the
Merchant API calls that list the Merchant Center accounts and their API data sources.

- Authorize: ``GET https://accounts.google.com/o/oauth2/v2/auth?client_id=&
  redirect_uri=&response_type=code&scope=https://www.googleapis.com/auth/content&
  access_type=offline&prompt=consent&include_granted_scopes=true&state=&
  code_challenge=&code_challenge_method=S256``; a refusal comes back as
  ``?error=access_denied``.
- Token: ``POST https://oauth2.googleapis.com/token`` (form) ``code, client_id,
  client_secret, redirect_uri, grant_type=authorization_code, code_verifier`` →
  ``{"access_token", "expires_in": 3599, "refresh_token", "scope", "token_type"}``;
  refresh: ``grant_type=refresh_token&refresh_token=`` (answers no new refresh token:
  the old one stays). Errors: 400 ``invalid_grant`` (code used or expired, refresh token
  revoked), 401 ``invalid_client``.
- Revoke: ``POST https://oauth2.googleapis.com/revoke`` with ``token=`` (the refresh
  token revokes the whole grant).
- Accounts: ``GET /accounts/v1/accounts`` → ``{"accounts": [{"name", "accountId",
  "accountName"}], "nextPageToken"}``; data sources ``GET /datasources/v1/accounts/
  {account}/dataSources`` → ``{"dataSources": [{"name", "dataSourceId", "displayName",
  "primaryProductDataSource", "input"}], "nextPageToken"}``; ``POST`` there with
  ``{"displayName", "primaryProductDataSource": {}}`` creates an API data source. A
  primary data source's ``countries`` (CLDR territory codes, optional) are where its
  items may be shown: the first is the pick form's first choice of country (the Account
  itself carries no country: name, accountId, accountName, adultContent, testAccount,
  timeZone, languageCode).

Sources: developers.google.com/identity/protocols/oauth2/web-server (offline access,
refresh, revoke, errors), developers.google.com/merchant/api/reference/rest/
accounts_v1/accounts/list and datasources_v1/accounts.dataSources (list, create),
reference/rpc/google.shopping.merchant.datasources.v1/Types/PrimaryProductDataSource.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from shops.channels.clients import RetryableError
from shops.channels.clients.http import request_json
from shops.channels.clients.oauth import Destination, TokenSet, expiry, form_post

SCOPE = "https://www.googleapis.com/auth/content"
MAX_PAGES = 20


def _first_country(source: dict) -> str:
    """The first of a primary data source's ``countries`` ("" when it names none)."""
    primary = source.get("primaryProductDataSource")
    countries = primary.get("countries") if isinstance(primary, dict) else None
    if isinstance(countries, list) and countries and isinstance(countries[0], str):
        return countries[0].upper()
    return ""


def _message(payload: dict) -> str:
    error = payload.get("error")
    return str(error.get("message", "")) if isinstance(error, dict) else ""


class GoogleLogin:
    channel = "google"
    renews = True  # refresh() gives new tokens before they expire
    settings_names = ("CHANNELS_GOOGLE_CLIENT_ID", "CHANNELS_GOOGLE_CLIENT_SECRET")

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        authorize_url: str,
        token_url: str,
        revoke_url: str,
        api_base: str,
        timeout: float,
    ) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.authorize, self.token_url, self.revoke_url = authorize_url, token_url, revoke_url
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout

    def is_configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def authorize_url(self, *, state: str, redirect_uri: str, code_challenge: str) -> str:
        query = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": SCOPE,
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "true",
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.authorize}?{urlencode(query)}"

    def _tokens(self, fields: dict[str, str], *, keep_refresh: str = "") -> TokenSet:
        answer = form_post(
            self.token_url,
            {"client_id": self.client_id, "client_secret": self.client_secret, **fields},
            timeout=self.timeout,
        )
        if not isinstance(answer.get("access_token"), str):
            raise RetryableError("Google answered without an access token.")
        return TokenSet(
            access_token=answer["access_token"],
            refresh_token=str(answer.get("refresh_token") or keep_refresh),
            expires_at=expiry(answer.get("expires_in")),
            scope=str(answer.get("scope") or ""),
        )

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        return self._tokens(
            {
                "code": code,
                "redirect_uri": redirect_uri,
                "grant_type": "authorization_code",
                "code_verifier": code_verifier,
            }
        )

    def refresh(self, tokens: TokenSet) -> TokenSet:
        return self._tokens(
            {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
            keep_refresh=tokens.refresh_token,
        )

    def revoke(self, tokens: TokenSet) -> None:
        form_post(
            self.revoke_url,
            {"token": tokens.refresh_token or tokens.access_token},
            timeout=self.timeout,
            empty_ok=True,
        )

    def _call(self, tokens: TokenSet, method: str, path: str, body: dict | None = None) -> dict:
        answer = request_json(
            method,
            self.api_base + path,
            body=body,
            timeout=self.timeout,
            error_message=_message,
            headers={"Authorization": f"Bearer {tokens.access_token}"},
        )
        if not isinstance(answer, dict):
            raise RetryableError("Google answered something that is not a JSON object.")
        return answer

    def _list(self, tokens: TokenSet, path: str, key: str) -> list[dict]:
        entries: list[dict] = []
        page_token = ""
        for _ in range(MAX_PAGES):
            query = {"pageSize": "250", **({"pageToken": page_token} if page_token else {})}
            answer = self._call(tokens, "GET", f"{path}?{urlencode(query)}")
            found = answer.get(key)
            entries.extend(entry for entry in found or [] if isinstance(entry, dict))
            page_token = str(answer.get("nextPageToken") or "")
            if not page_token:
                break
        return entries

    def _accounts(self, tokens: TokenSet) -> list[dict]:
        return self._list(tokens, "/accounts/v1/accounts", "accounts")

    def destinations(self, tokens: TokenSet) -> list[Destination]:
        found = []
        for account in self._accounts(tokens):
            account_id = str(account.get("accountId", ""))
            sources = self._list(
                tokens,
                f"/datasources/v1/accounts/{quote(account_id, safe='')}/dataSources",
                "dataSources",
            )
            for source in sources:
                if "primaryProductDataSource" not in source or source.get("input") not in (
                    None,
                    "API",
                ):
                    continue  # a file or a supplemental source: not what the API pushes to
                found.append(
                    Destination(
                        id=f"{account_id}/{source.get('dataSourceId', '')}",
                        name=str(source.get("displayName") or source.get("dataSourceId", "")),
                        detail=f"{account.get('accountName', '')} ({account_id})",
                        country=_first_country(source),
                    )
                )
        return found

    def destination_create(self, tokens: TokenSet, name: str) -> Destination | None:
        """A new API data source in the first Merchant Center account (None: none)."""
        accounts = self._accounts(tokens)
        if not accounts:
            return None
        account = accounts[0]
        account_id = str(account.get("accountId", ""))
        answer = self._call(
            tokens,
            "POST",
            f"/datasources/v1/accounts/{quote(account_id, safe='')}/dataSources",
            {"displayName": name, "primaryProductDataSource": {}},
        )
        return Destination(
            id=f"{account_id}/{answer.get('dataSourceId', '')}",
            name=name,
            detail=f"{account.get('accountName', '')} ({account_id})",
        )
