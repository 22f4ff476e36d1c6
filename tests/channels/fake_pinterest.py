"""A local stand-in for Pinterest API v5 catalog item batches, following the documented
shapes (developers.pinterest.com/docs/api-features/modify-items-in-batch/; v5 OpenAPI
``/catalogs/items/batch``, ``CatalogsItemsBatch``, ``ItemProcessingRecord``):

- ``GET /v5/user_account`` → ``{"username", ...}``; a bad token → 401 ``{"code": 2,
  "message": "Authentication failed."}``.
- ``POST /v5/catalogs/items/batch`` ``{country, language, operation, items ≤ 1,000}`` →
  ``{"batch_id", "status": "PROCESSING"}``; UPSERT replaces, UPDATE changes the
  ``update_mask`` attributes, DELETE removes.
- ``GET /v5/catalogs/items/batch/{batch_id}`` → ``{"batch_id", "status": "COMPLETED",
  "items": [{"item_id", "status": "SUCCESS"|"FAILURE", "errors": [{"attribute",
  "code", "message"}], "warnings": []}]}``.
A new item without title, link, image_link, price or availability, a price not like
"24.99 USD", a link over 511 characters or an image in ``broken_images`` fails. ``script``: ("429", retry_after),
("500",), ("garbage",).

The OAuth side (``shops/channels/providers/pinterest.py`` cites the sources):

- ``GET /oauth/?client_id&redirect_uri&response_type=code&scope&state``: the consent
  page (an unknown ``client_id`` or a ``response_type`` other than ``code`` → 400).
  "Allow" redirects to ``redirect_uri`` with ``code`` and ``state``; "Cancel" with
  ``error=access_denied`` and ``state``.
- ``POST /v5/oauth/token`` (form, HTTP Basic app id:secret): ``authorization_code``
  (``code``, ``redirect_uri``) or ``refresh_token`` (``refresh_token``, ``refresh_on``) →
  ``{access_token, refresh_token, token_type, expires_in, refresh_token_expires_in,
  scope, response_type}`` (a refresh with ``refresh_on=true`` adds a new refresh token and
  ``refresh_token_expires_at``). Bad Basic credentials → 401 ``{"code": 2, "message":
  "Authentication failed."}``; an unknown, used, expired or mismatched code, or an
  unknown or expired refresh token → 400 ``{"code": 283, "message": "The authorization
  grant is invalid"}``.
- ``POST /v5/catalogs/items/batch`` and ``GET /v5/catalogs/items/batch/{id}`` take
  ``?ad_account_id=`` (business access: recorded in ``batch_ad_accounts``; one the
  token's user has no role on → 403).
- ``GET /v5/ad_accounts?page_size&bookmark`` → ``{items, bookmark}`` (``ad_accounts``).
Access tokens it issued are accepted like ``token``; ``oauth.expire(token)`` makes one
answer 401 ``{"code": 2, "message": "Authentication failed."}``.
"""

from __future__ import annotations

import base64
import json
import re
import time
from urllib.parse import parse_qsl, urlparse

from tests.channels.fake_consent import Tokens, back_to, consent_page
from tests.channels.fake_http import FakeServer
from tests.channels.fake_oauth import ConsentHandler

REQUIRED = ("title", "description", "link", "image_link", "price", "availability")
PRICE = re.compile(r"^\d+(\.\d{1,2})? [A-Z]{3}$")


class FakePinterest(FakeServer):
    def __init__(
        self,
        *,
        token: str = "pin-token",  # noqa: S107
        app_id: str = "1499999",
        app_secret: str = "pin-app-secret",  # noqa: S107
    ) -> None:
        self.token = token
        self.app_id, self.app_secret = app_id, app_secret
        self.oauth = Tokens("pin")
        self.ad_accounts: list[dict] = [
            {
                "id": "549755885175",
                "name": "Etalage Ads",
                "owner": {"username": "etalage-shop"},
                "country": "DE",
                "currency": "EUR",
            }
        ]
        self.token_requests: list[dict] = []  # every token request's form
        self.items: dict[str, dict] = {}
        self.batches: list[dict] = []
        # the ad_account_id of each batch request, POST and GET ("" when none was given)
        self.batch_ad_accounts: list[tuple[str, str]] = []
        self.results: dict[str, list[dict]] = {}
        self.broken_images: set[str] = set()
        self._serve()

    def _apply(self, payload: dict) -> list[dict]:
        records = []
        for entry in payload.get("items", []):
            item_id = str(entry.get("item_id", ""))
            operation = payload["operation"]
            if operation == "DELETE":
                self.items.pop(item_id, None)
                records.append({"item_id": item_id, "status": "SUCCESS", "errors": []})
                continue
            attributes = entry.get("attributes") or {}
            if operation == "UPDATE":
                mask = entry.get("update_mask") or []
                attributes = {
                    **self.items.get(item_id, {}),
                    **{k: v for k, v in attributes.items() if k in mask},
                }
            errors = self._errors(attributes)
            if errors:
                records.append({"item_id": item_id, "status": "FAILURE", "errors": errors})
                continue
            self.items[item_id] = attributes
            records.append({"item_id": item_id, "status": "SUCCESS", "errors": []})
        return records

    def _errors(self, attributes: dict) -> list[dict]:
        errors = [
            {"attribute": name, "code": 102, "message": f"Missing required attribute {name}."}
            for name in REQUIRED
            if not attributes.get(name)
        ]
        if attributes.get("price") and not PRICE.match(str(attributes["price"])):
            errors.append({"attribute": "price", "code": 109, "message": "Invalid price."})
        for url in attributes.get("image_link") or []:
            if url in self.broken_images:
                errors.append(
                    {
                        "attribute": "image_link",
                        "code": 118,
                        "message": f"Image {url} could not be downloaded (HTTP 404).",
                    }
                )
        if len(attributes.get("link") or "") > 511:
            errors.append({"attribute": "link", "code": 103, "message": "Link is too long."})
        return errors

    def _handler(self):
        fake = self

        class Handler(ConsentHandler):
            def _authorized(self) -> bool:
                given = self.headers.get("Authorization", "").removeprefix("Bearer ")
                with fake.lock:
                    valid = given == fake.token or (
                        given in fake.oauth.access and given not in fake.oauth.expired
                    )
                if valid:
                    return True
                self._answer(401, {"code": 2, "message": "Authentication failed."})
                return False

            def _consent(self, query: dict) -> None:
                if query.get("client_id") != fake.app_id or query.get("response_type") != "code":
                    self._html(400, "<!doctype html><title>Error</title><p>Invalid app.</p>")
                    return
                back = {"state": query.get("state", "")}
                url = query.get("redirect_uri", "")
                if query.get("decision") == "allow":
                    with fake.lock:
                        back["code"] = fake.oauth.code_issue(url)
                    self._redirect(back_to(url, back))
                elif query.get("decision") == "cancel":
                    self._redirect(back_to(url, {"error": "access_denied", **back}))
                else:
                    here = "/oauth/?" + urlparse(self.path).query
                    self._html(
                        200,
                        consent_page(
                            "Pinterest",
                            "Etalage",
                            query.get("scope", "").replace(",", ", "),
                            here + "&decision=allow",
                            here + "&decision=cancel",
                        ),
                    )

            def _token(self, body: bytes) -> None:
                basic = base64.b64encode(f"{fake.app_id}:{fake.app_secret}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {basic}":
                    self._answer(401, {"code": 2, "message": "Authentication failed."})
                    return
                form = dict(parse_qsl(body.decode()))
                invalid = {"code": 283, "message": "The authorization grant is invalid"}
                with fake.lock:
                    fake.token_requests.append(form)
                    grant = form.get("grant_type")
                    if grant == "authorization_code":
                        if not fake.oauth.code_take(form.get("code", ""), form.get("redirect_uri")):
                            self._answer(400, invalid)
                            return
                        fake.oauth.exchanges += 1
                    elif grant == "refresh_token":
                        old = form.get("refresh_token", "")
                        if old not in fake.oauth.refresh or old in fake.oauth.refresh_expired:
                            self._answer(400, invalid)
                            return
                        fake.oauth.refreshes += 1
                    else:
                        self._answer(400, {"code": 1, "message": "grant_type: invalid value."})
                        return
                    access, refresh = fake.oauth.pair_issue()
                answer = {
                    "access_token": access,
                    "token_type": "bearer",
                    "expires_in": 2592000,
                    "scope": "ads:read,catalogs:read,catalogs:write,user_accounts:read",
                    "response_type": grant,
                }
                if grant == "authorization_code" or form.get("refresh_on") == "true":
                    answer.update(refresh_token=refresh, refresh_token_expires_in=31536000)
                if grant == "refresh_token" and form.get("refresh_on") == "true":
                    answer.update(
                        refresh_token_expires_at=int(time.time()) + 31536000,
                        response_type="everlasting_refresh",
                    )
                self._answer(200, answer)

            def _ad_account_known(self, query: dict, method: str) -> bool:
                """A batch's ``ad_account_id`` (business access) must be an ad account the
                token's user has a role on: Pinterest answers 403 otherwise."""
                given = query.get("ad_account_id", "")
                fake.batch_ad_accounts.append((method, given))
                if given and given not in {account["id"] for account in fake.ad_accounts}:
                    self._answer(
                        403,
                        {"code": 29, "message": "You are not permitted to access that resource."},
                    )
                    return False
                return True

            def _ad_accounts(self, query: dict) -> None:
                size = int(query.get("page_size") or 25)
                if not 1 <= size <= 250:
                    self._answer(400, {"code": 1, "message": "page_size: 1 to 250."})
                    return
                start = int(query.get("bookmark") or 0)
                page = fake.ad_accounts[start : start + size]
                more = start + size < len(fake.ad_accounts)
                self._answer(200, {"items": page, "bookmark": str(start + size) if more else None})

            def do_GET(self) -> None:
                url = urlparse(self.path)
                path, query = url.path, dict(parse_qsl(url.query))
                if path == "/oauth/":
                    self._consent(query)
                    return
                if not self._authorized():
                    return
                if path == "/v5/ad_accounts":
                    self._ad_accounts(query)
                    return
                if path == "/v5/user_account":
                    self._answer(200, {"username": "etalage-shop", "account_type": "BUSINESS"})
                    return
                if not self._ad_account_known(query, "GET"):
                    return
                batch_id = path.removeprefix("/v5/catalogs/items/batch/")
                if batch_id in fake.results:
                    self._answer(
                        200,
                        {
                            "batch_id": batch_id,
                            "status": "COMPLETED",
                            "items": fake.results[batch_id],
                        },
                    )
                    return
                self._answer(404, {"code": 4, "message": "Not found."})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if urlparse(self.path).path == "/v5/oauth/token":
                    self._token(body)
                    return
                if not self._authorized():
                    return
                with fake.lock:
                    step = fake.script.pop(0) if fake.script else None
                if step and step[0] == "429":
                    self._answer(
                        429,
                        {"code": 8, "message": "Rate limit exceeded."},
                        {"Retry-After": str(step[1])},
                    )
                    return
                if step and step[0] == "500":
                    self._answer(500, {"code": 1, "message": "Internal error."})
                    return
                if step and step[0] == "garbage":
                    self._answer(200, b"<!doctype html>")
                    return
                if not self._ad_account_known(dict(parse_qsl(urlparse(self.path).query)), "POST"):
                    return
                payload = json.loads(body)
                if len(payload.get("items", [])) > 1000:
                    self._answer(400, {"code": 1, "message": "items: at most 1000."})
                    return
                with fake.lock:
                    fake.batches.append(payload)
                    batch_id = f"b{len(fake.batches)}"
                    fake.results[batch_id] = fake._apply(payload)
                self._answer(200, {"batch_id": batch_id, "status": "PROCESSING"})

        return Handler
