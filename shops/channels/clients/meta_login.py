"""Meta's login for the catalog sync: Facebook Login for Business (a configuration,
``config_id``, sets the token type, assets and permissions: catalog_management,
business_management), then the Graph API calls that pick or create the catalog.

- Authorize: ``GET https://www.facebook.com/{version}/dialog/oauth?client_id=&
  redirect_uri=&state=&config_id=&response_type=code&override_default_response_type=
  true``. A refusal comes back as ``?error=access_denied&error_reason=user_denied``.
- No PKCE. Meta documents ``code_challenge`` / ``code_verifier`` only for the OIDC code
  flow of (consumer) Facebook Login (``scope=openid``, "still in testing":
  /docs/facebook-login/guides/advanced/oidc-token); the pages of Facebook Login for
  Business and of the manual flow it uses (/docs/facebook-login/facebook-login-for-
  business/, /docs/facebook-login/guides/advanced/manual-flow) list no such parameter
  for the ``config_id`` dialog nor for ``/oauth/access_token``. So none is sent: the
  login is protected by the ``state`` (signed, naming the shop and a single-use
  attempt of this user, ``shops.channels.oauth``) and by the app secret sent with the
  code from our server.
- Code → token: ``GET /{version}/oauth/access_token?client_id=&redirect_uri=&
  client_secret=&code=`` → ``{"access_token", "token_type", "expires_in"}``; a
  short-lived user token is then exchanged for a long-lived one (about 60 days):
  ``grant_type=fb_exchange_token&fb_exchange_token=``. A business integration system
  user token answers no ``expires_in``: it does not expire.
- No renewal (``renews = False``). Meta has no refresh token, and documents
  ``fb_exchange_token`` as turning a *short-lived* token into a long-lived one, not as
  extending a long-lived one: "If no requests are made, the token will expire after
  about 60 days and the person will have to go through the login flow again"
  (/docs/facebook-login/guides/access-tokens/get-long-lived). So the beat does not
  exchange Meta's token again: it warns the shop's owner
  CHANNELS_TOKEN_EXPIRY_WARN_DAYS before it expires (an email once, and a banner with
  the Reconnect button: ``shops.channels.oauth.tokens_expiry_warn``); ``refresh``
  answers ``TokenRefused`` (log in again).
- Businesses ``GET /me/businesses``; catalogs ``GET /{business}/owned_product_catalogs``
  (``POST`` with ``name`` creates one); revoke ``DELETE /me/permissions``.
- Errors: the Graph API's (``graph``); code 190 (token invalid or expired) and
  OAuthException → ``TokenRefused``, as is 100 on the token endpoint (a used, expired or
  mismatched code: subcodes 36009, 36007, 36008); 101 (unknown app) and 1 with "Error
  validating client secret" → ``AppRefused``.

Sources: developers.facebook.com/docs/facebook-login/facebook-login-for-business/,
/docs/facebook-login/guides/advanced/manual-flow, /docs/facebook-login/guides/advanced/
oidc-token (PKCE), /docs/facebook-login/guides/access-tokens/get-long-lived,
/docs/graph-api/reference/user/permissions (revoking),
/docs/marketing-api/reference/business/owned_product_catalogs/.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from shops.channels.clients import ChannelError, CredentialsError
from shops.channels.clients.graph import Graph, graph_error
from shops.channels.clients.http import request_json
from shops.channels.clients.oauth import AppRefused, Destination, TokenRefused, TokenSet, expiry

MAX_BUSINESSES = 50
MAX_CATALOGS = 200
# Graph error code for an app id / secret Meta does not accept
APP_CODES = {101}


def _token_error(status: int, payload: dict, retry_after: float | None = None) -> ChannelError:
    """Graph errors, with the app's credentials refused as ``AppRefused`` and a refused
    code or token as ``TokenRefused``."""
    error = graph_error(status, payload, retry_after)
    # a wrong app secret answers code 1 (otherwise "temporary") with this message
    if error.code in APP_CODES or (error.code == 1 and "client secret" in error.message.lower()):
        return AppRefused(error.message, status=status, code=error.code)
    if isinstance(error, CredentialsError) or error.code == 100:
        return TokenRefused(error.message, status=status, code=error.code)
    return error


class MetaLogin:
    channel = "meta"
    renews = False  # its tokens end; the owner is warned before (see above)
    settings_names = (
        "CHANNELS_META_APP_ID",
        "CHANNELS_META_APP_SECRET",
        "CHANNELS_META_CONFIG_ID",
    )

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        config_id: str,
        dialog_base: str,
        api_base: str,
        api_version: str,
        timeout: float,
    ) -> None:
        self.app_id, self.app_secret, self.config_id = app_id, app_secret, config_id
        self.dialog = f"{dialog_base.rstrip('/')}/{api_version.strip('/')}/dialog/oauth"
        self.api_base, self.api_version = api_base, api_version
        self.root = f"{api_base.rstrip('/')}/{api_version.strip('/')}"
        self.timeout = timeout

    def is_configured(self) -> bool:
        return bool(self.app_id and self.app_secret and self.config_id)

    def authorize_url(self, *, state: str, redirect_uri: str, code_challenge: str) -> str:
        query = {
            "client_id": self.app_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "config_id": self.config_id,
            "response_type": "code",
            "override_default_response_type": "true",
        }  # no PKCE: not documented for this flow (see above); code_challenge is unused
        return f"{self.dialog}?{urlencode(query)}"

    def _token(self, params: dict[str, str]) -> TokenSet:
        answer = request_json(
            "GET",
            f"{self.root}/oauth/access_token?{urlencode(params)}",
            timeout=self.timeout,
            translate_error=_token_error,
        )
        if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str):
            raise TokenRefused("Meta answered without an access token.")
        return TokenSet(
            access_token=answer["access_token"], expires_at=expiry(answer.get("expires_in"))
        )

    def _long_lived(self, token: str) -> TokenSet:
        return self._token(
            {
                "grant_type": "fb_exchange_token",
                "client_id": self.app_id,
                "client_secret": self.app_secret,
                "fb_exchange_token": token,
            }
        )

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        short = self._token(
            {
                "client_id": self.app_id,
                "client_secret": self.app_secret,
                "redirect_uri": redirect_uri,
                "code": code,
            }
        )
        if short.expires_at is None:
            return short  # a system user token: it does not expire
        return self._long_lived(short.access_token)

    def refresh(self, tokens: TokenSet) -> TokenSet:
        """A token without expiry (a system user's) stays; a user token cannot be
        renewed (see above): log in again."""
        if tokens.expires_at is None:
            return tokens
        raise TokenRefused("Meta's access cannot be renewed without logging in again.")

    def _graph(self, tokens: TokenSet) -> Graph:
        return Graph(
            base_url=self.api_base,
            api_version=self.api_version,
            access_token=tokens.access_token,
            timeout=self.timeout,
        )

    def revoke(self, tokens: TokenSet) -> None:
        self._graph(tokens).request("DELETE", "me/permissions")

    def _businesses(self, graph: Graph) -> list[dict]:
        return graph.first(
            "me/businesses", {"fields": "id,name"}, limit=MAX_BUSINESSES, page_size=MAX_BUSINESSES
        )

    def destinations(self, tokens: TokenSet) -> list[Destination]:
        graph = self._graph(tokens)
        found = []
        for business in self._businesses(graph):
            catalogs = graph.first(
                f"{quote(str(business.get('id', '')), safe='')}/owned_product_catalogs",
                {"fields": "id,name,product_count"},
                limit=MAX_CATALOGS,
                page_size=100,
            )
            for catalog in catalogs:
                count = catalog.get("product_count")
                found.append(
                    Destination(
                        id=str(catalog.get("id", "")),
                        name=str(catalog.get("name") or catalog.get("id", "")),
                        detail=f"{business.get('name', '')}"
                        + (f" · {count:,} products" if isinstance(count, int) else ""),
                    )
                )
        return [entry for entry in found if entry.id]

    def destination_create(self, tokens: TokenSet, name: str) -> Destination | None:
        """A new catalog in the first business the login may manage (None: none)."""
        graph = self._graph(tokens)
        businesses = self._businesses(graph)
        if not businesses:
            return None
        business = businesses[0]
        answer = graph.request(
            "POST",
            f"{quote(str(business.get('id', '')), safe='')}/owned_product_catalogs",
            body={"name": name},
        )
        return Destination(
            id=str(answer.get("id", "")), name=name, detail=str(business.get("name", ""))
        )
