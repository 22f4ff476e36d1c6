"""A local stand-in for the Google Merchant API (products_v1 productInputs), following
developers.google.com/merchant/api/reference/rest/products_v1/accounts.productInputs:
insert (upsert by offerId, language and feed label), patch with ``updateMask``, delete;
``GET /accounts/v1/accounts/{id}``; errors ``{"error": {"code", "message", "status"}}``.
An input without title, link, imageLink, availability or price, or a price without
``amountMicros``, is refused with 400 INVALID_ARGUMENT. ``script``: ("429", retry_after),
("500",).

Its login (``grants``: ``tests.channels.fake_oauth``), at the same address (the tests
point CHANNELS_GOOGLE_OAUTH_*_URL here), following developers.google.com/identity/
protocols/oauth2/web-server:

- ``GET /o/oauth2/v2/auth?client_id=&redirect_uri=&response_type=code&scope=&
  access_type=offline&prompt=consent&state=&code_challenge=`` → the consent page (Allow /
  Cancel → back with ``code``, or ``error=access_denied``); an unknown client → 400
  "Error 401: invalid_client" page.
- ``POST /token`` (form): ``grant_type=authorization_code`` → ``{"access_token",
  "expires_in": grants.access_seconds (3599), "refresh_token", "scope", "token_type":
  "Bearer"}``; ``grant_type=refresh_token`` → a new access token (no new refresh token).
  Errors: 401 ``invalid_client``; 400 ``invalid_grant`` ("Bad Request" for a used,
  expired or mismatched code; "Token has been expired or revoked." for a refresh token).
- ``POST /revoke`` (form ``token=``) → 200 empty; unknown token → 400
  ``{"error": "invalid_token"}``.
- ``GET /accounts/v1/accounts`` → ``{"accounts": [{"name", "accountId", "accountName"}]}``;
  ``GET /datasources/v1/accounts/{id}/dataSources`` → ``{"dataSources": [...]}``
  (a primary source's ``countries``, CLDR territory codes, when ``source_countries``
  names them), ``POST`` there creates one.
- Tokens: ``token`` (the pasted one) always works; those the login issued until they
  expire or are revoked (then 401 UNAUTHENTICATED).
"""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, unquote, urlparse

from tests.channels.fake_http import FakeServer
from tests.channels.fake_oauth import ConsentHandler, Grants

SCOPE = "https://www.googleapis.com/auth/content"
REQUIRED = ("title", "link", "imageLink", "availability", "price")


class FakeGoogle(FakeServer):
    def __init__(self, *, token: str = "google-token", account: str = "4242") -> None:  # noqa: S107
        self.token = token
        self.account = account
        self.products: dict[str, dict] = {}  # name → productAttributes
        self.calls: list[tuple[str, str, dict]] = []
        self.grants = Grants(
            client_id="google-client", client_secret="google-secret", access_seconds=3599
        )
        self.data_sources: dict[str, str] = {"77": "Etalage API", "78": "Primary feed file"}
        # a data source's primaryProductDataSource.countries (none by default)
        self.source_countries: dict[str, list[str]] = {}
        self.tokens_used: list[str] = []  # the bearer token of each API call
        self._serve()

    def _handler(self):
        fake = self

        def error(code: int, status: str, message: str) -> dict:
            return {"error": {"code": code, "status": status, "message": message}}

        def oauth_error(status: int, code: str, description: str) -> tuple[int, dict]:
            return status, {"error": code, "error_description": description}

        class Handler(ConsentHandler):
            def _login_get(self) -> bool:
                url = urlparse(self.path)
                query = {name: values[0] for name, values in parse_qs(url.query).items()}
                if url.path == "/o/oauth2/v2/auth":
                    if query.get("client_id") != fake.grants.client_id:
                        self._html(400, "<h1>Error 401: invalid_client</h1>")
                    else:
                        self._consent(
                            platform="Google", decide_path=url.path + "/decide", query=query
                        )
                    return True
                if url.path == "/o/oauth2/v2/auth/decide":
                    self._decide(fake.grants, query, cancel_extra={})
                    return True
                return False

            def _login_post(self) -> bool:
                path = urlparse(self.path).path
                if path not in ("/token", "/revoke"):
                    return False
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if path == "/revoke":
                    if fake.grants.revoke(form.get("token", "")):
                        self.send_response(200)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                    else:
                        self._answer(
                            400,
                            {
                                "error": "invalid_token",
                                "error_description": "Token expired or revoked",
                            },
                        )
                    return True
                self._answer(*self._token(form))
                return True

            def _token(self, form: dict[str, str]) -> tuple[int, dict]:
                grants = fake.grants
                grants.redeemed.append(form)
                time.sleep(grants.token_delay)
                if (form.get("client_id"), form.get("client_secret")) != (
                    grants.client_id,
                    grants.client_secret,
                ):
                    return oauth_error(401, "invalid_client", "The OAuth client was not found.")
                if form.get("grant_type") == "refresh_token":
                    if form.get("refresh_token") not in grants.refresh_tokens:
                        return oauth_error(
                            400, "invalid_grant", "Token has been expired or revoked."
                        )
                    token, seconds = grants.token_issue("google-access")
                    return 200, {
                        "access_token": token,
                        "expires_in": seconds,
                        "scope": SCOPE,
                        "token_type": "Bearer",
                    }
                if form.get("grant_type") != "authorization_code":
                    return oauth_error(400, "unsupported_grant_type", "Invalid grant_type.")
                problem = grants.code_redeem(
                    code=form.get("code", ""),
                    redirect_uri=form.get("redirect_uri", ""),
                    verifier=form.get("code_verifier", ""),
                )
                if problem:
                    return oauth_error(
                        400,
                        "invalid_grant",
                        "Bad Request" if problem != "code_verifier" else "Invalid code verifier.",
                    )
                token, seconds = grants.token_issue("google-access")
                return 200, {
                    "access_token": token,
                    "expires_in": seconds,
                    "refresh_token": grants.refresh_issue(),
                    "scope": SCOPE,
                    "token_type": "Bearer",
                }

            def _accounts(self, path: str, body: dict) -> bool:
                """The Merchant API's accounts list and data sources; False otherwise."""
                if path == "/accounts/v1/accounts" and self.command == "GET":
                    self._answer(
                        200,
                        {
                            "accounts": [
                                {
                                    "name": f"accounts/{fake.account}",
                                    "accountId": fake.account,
                                    "accountName": "Atelier",
                                }
                            ]
                        },
                    )
                    return True
                if path != f"/datasources/v1/accounts/{fake.account}/dataSources":
                    return False
                if self.command == "POST":
                    if not body.get("displayName"):
                        self._answer(400, error(400, "INVALID_ARGUMENT", "[displayName] Required."))
                        return True
                    with fake.lock:
                        new_id = str(1000 + len(fake.data_sources))
                        fake.data_sources[new_id] = body["displayName"]
                    self._answer(200, self._source(new_id))
                    return True
                self._answer(200, {"dataSources": [self._source(key) for key in fake.data_sources]})
                return True

            def _source(self, key: str) -> dict:
                source = {
                    "name": f"accounts/{fake.account}/dataSources/{key}",
                    "dataSourceId": key,
                    "displayName": fake.data_sources[key],
                    "primaryProductDataSource": (
                        {"countries": fake.source_countries[key]}
                        if key in fake.source_countries
                        else {}
                    ),
                    "input": "FILE" if key == "78" else "API",
                }
                return source

            def _start(self) -> tuple[str, dict, dict] | None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                bearer = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                fake.tokens_used.append(bearer)
                if bearer != fake.token and fake.grants.token_state(bearer) != "ok":
                    self._answer(
                        401,
                        error(
                            401,
                            "UNAUTHENTICATED",
                            "Request had invalid authentication credentials.",
                        ),
                    )
                    return None
                with fake.lock:
                    step = fake.script.pop(0) if fake.script else None
                if step and step[0] == "429":
                    self._answer(
                        429,
                        error(429, "RESOURCE_EXHAUSTED", "Quota exceeded."),
                        {"Retry-After": str(step[1])},
                    )
                    return None
                if step and step[0] == "500":
                    self._answer(503, error(503, "UNAVAILABLE", "The service is unavailable."))
                    return None
                fake.calls.append((self.command, unquote(url.path), body))
                if self._accounts(unquote(url.path), body):
                    return None
                return unquote(url.path), parse_qs(url.query), body

            def do_GET(self) -> None:
                if self._login_get():
                    return
                started = self._start()
                if started and started[0] == f"/accounts/v1/accounts/{fake.account}":
                    self._answer(200, {"name": f"accounts/{fake.account}", "accountName": "Shop"})
                elif started:
                    self._answer(404, error(404, "NOT_FOUND", "Not found."))

            def _invalid(self, attributes: dict) -> str:
                missing = [name for name in REQUIRED if not attributes.get(name)]
                if missing:
                    return f"[{missing[0]}] Missing required attribute."
                if "amountMicros" not in attributes["price"]:
                    return "[price] Invalid price."
                return ""

            def do_POST(self) -> None:
                if self._login_post():
                    return
                started = self._start()
                if not started:
                    return
                path, query, body = started
                name = (
                    f"accounts/{fake.account}/productInputs/{body.get('contentLanguage')}"
                    f"~{body.get('feedLabel')}~{body.get('offerId')}"
                )
                if not query.get("dataSource") or not path.endswith("productInputs:insert"):
                    self._answer(400, error(400, "INVALID_ARGUMENT", "dataSource is required."))
                    return
                problem = self._invalid(body.get("productAttributes") or {})
                if problem:
                    self._answer(400, error(400, "INVALID_ARGUMENT", problem))
                    return
                fake.products[name] = body["productAttributes"]
                self._answer(200, {"name": name, **body})

            def do_PATCH(self) -> None:
                started = self._start()
                if not started:
                    return
                path, query, body = started
                name = path.removeprefix("/products/v1/")
                if name not in fake.products:
                    self._answer(404, error(404, "NOT_FOUND", "Product input not found."))
                    return
                for field in query.get("updateMask", [""])[0].split(","):
                    attribute = field.removeprefix("productAttributes.")
                    value = (body.get("productAttributes") or {}).get(attribute)
                    if value is None:
                        fake.products[name].pop(attribute, None)
                    else:
                        fake.products[name][attribute] = value
                self._answer(200, {"name": name, "productAttributes": fake.products[name]})

            def do_DELETE(self) -> None:
                started = self._start()
                if not started:
                    return
                name = started[0].removeprefix("/products/v1/")
                if fake.products.pop(name, None) is None:
                    self._answer(404, error(404, "NOT_FOUND", "Product input not found."))
                    return
                self._answer(200, {})

        return Handler
