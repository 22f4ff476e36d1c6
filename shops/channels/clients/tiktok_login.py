"""Connect TikTok Shop with the seller's own TikTok Shop login (the Partner API's seller
authorization).

- Authorize: the browser goes to ``https://services.tiktokshop.com/open/authorize`` with
  ``service_id`` (the app's service id, Partner Center → App & Service) and ``state``.
  The redirect URL is the one registered with the app in Partner Center (no
  ``redirect_uri`` parameter); TikTok sends the seller back there with ``code`` and
  ``state`` (and ``app_key``, ``locale``, ``shop_region``). PKCE is not part of it: no
  ``code_challenge`` is sent.
- Token: ``GET https://auth.tiktok-shops.com/api/v2/token/get`` with the query
  ``app_key``, ``app_secret``, ``auth_code``, ``grant_type=authorized_code``; refresh:
  ``GET /api/v2/token/refresh`` with ``app_key``, ``app_secret``, ``refresh_token``,
  ``grant_type=refresh_token``. Both answer ``{"code": 0, "message": "success",
  "request_id", "data": {access_token, access_token_expire_in, refresh_token,
  refresh_token_expire_in, open_id, seller_name, seller_base_region, user_type,
  granted_scopes}}``, the two ``*_expire_in`` being Unix timestamps (seconds) of the
  expiries, not durations. A refusal is a non-zero ``code`` with a ``message``, e.g.
  36004005 "can not find related auth record" (an auth code or refresh token TikTok does
  not know) and 36004001 "rt has expired" (as reported in EcomPHP/tiktokshop-php#15);
  the codes for a wrong app key or secret are not documented where we could read, so
  any code of that 36004xxx family is a refused grant (``TokenRefused``: reconnect), any
  other non-zero code a ``FinalError`` (it does not ask the merchant to log in again).
- Destinations: the shops the token may act for, ``GET /authorization/202309/shops``
  (signed: ``shops.channels.clients.tiktok``) → ``[{id, name, region, seller_type,
  cipher, code}]``; the connection stores the chosen shop's ``cipher``, and the shop's
  ``region`` (its market, e.g. "US", "GB") is the pick form's first choice of country.
- Revoke: there is no API; the seller deauthorizes the app in TikTok Shop Seller Center
  (``REVOKE_HINT``). The tokens are deleted here.

Sources: partner.tiktokshop.com/docv2 (the authorization guide, and "Get Authorized
Shops", page 650b1f2ff1fd3102b93c6d3d), read through public integrations, as the docs
pages themselves are not stored here: the token
endpoints, query parameters and answer fields as used by
ReynanddXD/Order-Integration-Bookkeeping-System (tiktok-integration/get_token.php), the
TikTokTokenResponse / TikTokShopInfo interfaces of several TypeScript integrations, and
hsib19/tiktok-shop-sdk (``seller.getAuthorizedShops``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from shops.channels.clients import FinalError, RetryableError
from shops.channels.clients.http import request_json
from shops.channels.clients.oauth import Destination, TokenRefused, TokenSet
from shops.channels.clients.tiktok import TikTokClient

REVOKE_HINT = (
    "TikTok Shop has no way for Etalage to withdraw its access: deauthorize Etalage in "
    "TikTok Shop Seller Center (the apps and services you authorized)."
)
EXTRA_FIELDS = ("open_id", "seller_name", "seller_base_region")
# the token endpoints' authorization errors (36004001 "rt has expired", 36004005 "can not
# find related auth record" are the reported ones; the family is 36004xxx)
AUTH_CODES = range(36004000, 36005000)


def _when(value) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if isinstance(value, int) and value > 0 else None


def _no_images(url: str) -> bytes:  # the authorization calls upload nothing
    raise RetryableError("No image is uploaded while connecting.")


class TikTokShopLogin:
    """TikTok Shop's OAuth provider (see the module doc)."""

    channel = "tiktok"
    renews = True  # refresh() gives new tokens before they expire
    settings_names = (
        "CHANNELS_TIKTOK_APP_KEY",
        "CHANNELS_TIKTOK_APP_SECRET",
        "CHANNELS_TIKTOK_SERVICE_ID",
    )
    revoke_hint = REVOKE_HINT

    def __init__(
        self,
        *,
        app_key: str,
        app_secret: str,
        service_id: str,
        authorize_url: str,
        auth_base: str,
        api_base: str,
        timeout: float,
    ) -> None:
        self.app_key, self.app_secret, self.service_id = app_key, app_secret, service_id
        self.authorize_base = authorize_url
        self.auth_base = auth_base.rstrip("/")
        self.api_base = api_base
        self.timeout = timeout

    def is_configured(self) -> bool:
        return bool(self.app_key and self.app_secret and self.service_id)

    def authorize_url(self, *, state: str, redirect_uri: str = "", code_challenge: str = "") -> str:
        """The seller authorization page (the redirect URL is the app's, set in Partner
        Center)."""
        return f"{self.authorize_base}?{urlencode({'service_id': self.service_id, 'state': state})}"

    def _token(self, path: str, query: dict[str, str]) -> TokenSet:
        params = {"app_key": self.app_key, "app_secret": self.app_secret, **query}
        answer = request_json(
            "GET",
            f"{self.auth_base}{path}?{urlencode(params)}",
            timeout=self.timeout,
            error_message=lambda payload: str(payload.get("message") or ""),
        )
        if not isinstance(answer, dict) or not isinstance(answer.get("code"), int):
            raise RetryableError(
                "TikTok Shop answered the token request in a shape we do not know."
            )
        code = answer["code"]
        if code != 0:
            message = f"{answer.get('message') or 'refused'} (code {code})"
            if code in AUTH_CODES:  # the grant or the app: only a new login helps
                raise TokenRefused(message, code=code)
            raise FinalError(message, code=code)  # anything else: not the grant's fault
        data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
        if not data.get("access_token"):
            raise RetryableError("TikTok Shop answered the token request without a token.")
        scopes = data.get("granted_scopes")
        return TokenSet(
            access_token=str(data["access_token"]),
            refresh_token=str(data.get("refresh_token") or ""),
            expires_at=_when(data.get("access_token_expire_in")),
            refresh_expires_at=_when(data.get("refresh_token_expire_in")),
            scope=",".join(map(str, scopes)) if isinstance(scopes, list) else "",
            extra={name: str(data.get(name) or "") for name in EXTRA_FIELDS},
        )

    def exchange_code(
        self, *, code: str, redirect_uri: str = "", code_verifier: str = ""
    ) -> TokenSet:
        return self._token(
            "/api/v2/token/get", {"auth_code": code, "grant_type": "authorized_code"}
        )

    def refresh(self, tokens: TokenSet) -> TokenSet:
        if not tokens.refresh_token:
            raise TokenRefused("No TikTok Shop refresh token is stored: connect again.")
        refreshed = self._token(
            "/api/v2/token/refresh",
            {"refresh_token": tokens.refresh_token, "grant_type": "refresh_token"},
        )
        extra = {**tokens.extra, **{k: v for k, v in refreshed.extra.items() if v}}
        return TokenSet(
            access_token=refreshed.access_token,
            refresh_token=refreshed.refresh_token or tokens.refresh_token,
            expires_at=refreshed.expires_at,
            refresh_expires_at=refreshed.refresh_expires_at or tokens.refresh_expires_at,
            scope=refreshed.scope or tokens.scope,
            extra=extra,
        )

    def revoke(self, tokens: TokenSet) -> None:
        """Nothing to call: the seller deauthorizes in Seller Center (``REVOKE_HINT``)."""

    def client(self, tokens: TokenSet, *, shop_cipher: str = "") -> TikTokClient:
        """The signed Partner API client acting with these tokens."""
        return TikTokClient(
            base_url=self.api_base,
            app_key=self.app_key,
            app_secret=self.app_secret,
            access_token=tokens.access_token,
            shop_cipher=shop_cipher,
            warehouse_id="",
            category_id="",
            timeout=self.timeout,
            image_fetch=_no_images,
        )

    def destinations(self, tokens: TokenSet) -> list[Destination]:
        """The authorized shops, by cipher."""
        return [
            Destination(
                id=str(shop["cipher"]),
                name=str(shop.get("name") or shop.get("code") or shop["cipher"]),
                detail=" · ".join(
                    filter(None, (str(shop.get("region") or ""), str(shop.get("code") or "")))
                ),
                # the shop's market; TikTok writes the United Kingdom "GB" (some
                # integrations show "UK": read as GB)
                country={"UK": "GB"}.get(
                    str(shop.get("region") or "").upper(), str(shop.get("region") or "").upper()
                ),
            )
            for shop in self.client(tokens).authorized_shops()
            if shop.get("cipher")
        ]

    def shop_settings(self, tokens: TokenSet, shop_cipher: str) -> dict[str, str]:
        """What the push client needs besides the access token and the category: the
        app's key and secret, the shop's cipher and its default sales warehouse (""
        when the shop has none enabled)."""
        sales = [
            warehouse
            for warehouse in self.client(tokens, shop_cipher=shop_cipher).warehouses()
            if warehouse.get("type", "SALES_WAREHOUSE") == "SALES_WAREHOUSE"
            and warehouse.get("effect_status", "ENABLED") == "ENABLED"
            and warehouse.get("id")
        ]
        sales.sort(key=lambda warehouse: not warehouse.get("is_default"))
        return {
            "app_key": self.app_key,
            "app_secret": self.app_secret,
            "shop_cipher": shop_cipher,
            "warehouse_id": str(sales[0]["id"]) if sales else "",
        }

    def destination_create(self, tokens: TokenSet, name: str) -> Destination | None:
        """None: a TikTok shop is opened in Seller Center."""
        return None
