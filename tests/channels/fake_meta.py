"""A local stand-in for Meta's Graph API catalog batch endpoints, following the
documented shapes (developers.facebook.com/docs/marketing-api/catalog-batch/,
/docs/marketing-api/reference/product-catalog/check_batch_request_status/):

- ``GET /{version}/{catalog_id}?fields=id,name`` → ``{"id", "name"}``; a bad token →
  HTTP 400 ``{"error": {"message", "type": "OAuthException", "code": 190}}``.
- ``POST /{version}/{catalog_id}/items_batch`` (JSON: item_type, allow_upsert, requests
  ≤ 5,000) → ``{"handles": [<handle>]}``; the batch is applied as an upsert keyed by
  ``data.id`` (UPDATE merges fields, DELETE removes).
- ``GET /{version}/{catalog_id}/check_batch_request_status?handle=`` → ``{"data":
  [{"handle", "status", "errors_total_count", "errors": [{"line", "id", "message"}],
  "warnings": [...]}]}``; "in_progress" for ``polls_before_finished`` polls.

Per item, a new item missing a required field, a price not formatted "9.99 EUR", or an
image URL listed in ``broken_images`` is rejected with Meta-like messages. ``script`` is a
queue of failures for the next batch calls: ("429", retry_after), ("500",), ("garbage",),
("timeout", seconds), ("hang_status",) (never finishes: a worker dies meanwhile).

Its login (Facebook Login for Business, ``grants``: ``tests.channels.fake_oauth``):

- ``GET /{version}/dialog/oauth?client_id=&redirect_uri=&state=&config_id=&
  response_type=code`` (no PKCE: Facebook Login for Business documents none) → the consent page (Allow / Cancel → back with
  ``code``, or ``error=access_denied&error_reason=user_denied``); an unknown app id or no
  config_id → an error page.
- ``GET /{version}/oauth/access_token?client_id=&client_secret=&redirect_uri=&code=&
  code_verifier=`` → ``{"access_token", "token_type": "bearer", "expires_in": 3600}``;
  ``grant_type=fb_exchange_token&fb_exchange_token=`` → a long-lived token
  (``grants.access_seconds``). Errors: a wrong secret → 400 OAuthException code 1 "Error
  validating client secret."; an unknown app → code 101; a used, expired or mismatched
  code → code 100 (subcodes 36009, 36007, 36008); an expired or unknown token to exchange
  → code 190.
- ``GET /me/businesses``, ``GET /{business}/owned_product_catalogs`` (``POST`` with
  ``name`` creates one), ``DELETE /me/permissions`` (revokes the token used).
- Tokens: ``token`` (the pasted one) always works; those the login issued work until
  they expire (then code 190, subcode 463 "Session has expired") or are revoked.
"""

from __future__ import annotations

import json
import re
import threading
import time
from urllib.parse import parse_qs, urlparse

from tests.channels.fake_http import FakeServer
from tests.channels.fake_oauth import ConsentHandler, Grants

REQUIRED = ("title", "description", "availability", "condition", "price", "link", "image_link")
PRICE = re.compile(r"^\d+(\.\d{1,2})? [A-Z]{3}$")
AVAILABILITY = {"in stock", "out of stock", "preorder", "available for order", "discontinued"}


class FakeMeta(FakeServer):
    def __init__(
        self,
        *,
        token: str = "meta-token",  # noqa: S107
        catalog_id: str = "1234567890",
    ) -> None:
        self.token = token
        self.catalog_id = catalog_id
        self.items: dict[str, dict] = {}
        self.batches: list[list[dict]] = []  # every accepted items_batch's requests
        self.batch_times: list[float] = []  # ... and its arrival (time.perf_counter())
        self.statuses: dict[str, dict] = {}
        self.broken_images: set[str] = set()
        self.refused_titles: set[str] = set()  # items refused by Meta's commerce policies
        self.polls_before_finished = 0
        self.batch_received = threading.Event()
        self.catalogs = {catalog_id: "Fake catalog", "9876543210": "Summer catalog"}
        self.businesses = [{"id": "555000", "name": "Atelier Business"}]
        self.grants = Grants(
            client_id="meta-app", client_secret="meta-secret", access_seconds=5_184_000
        )
        self.tokens_used: list[str] = []  # the bearer token of each catalog call
        self._serve()

    def _apply(self, requests: list[dict]) -> dict:
        errors, warnings = [], []
        for line, request in enumerate(requests):
            data = request.get("data") or {}
            retailer = str(data.get("id", ""))
            if request.get("method") == "DELETE":
                self.items.pop(retailer, None)
                continue
            merged = {**self.items.get(retailer, {}), **data}
            problem = self._problem(merged)
            if problem:
                errors.append({"line": line, "id": retailer, "message": problem})
                continue
            if not data.get("brand") and retailer not in self.items and not data.get("gtin"):
                warnings.append({"line": line, "id": retailer, "message": "Missing brand"})
            self.items[retailer] = merged
        return {"errors": errors, "warnings": warnings}

    def _problem(self, item: dict) -> str:
        missing = [name for name in REQUIRED if not item.get(name)]
        if missing:
            return f"Missing required field: {', '.join(missing)}"
        if not PRICE.match(str(item["price"])):
            return f"Invalid price format: {item['price']}"
        if item["availability"] not in AVAILABILITY:
            return f"Invalid availability: {item['availability']}"
        if item.get("title") in self.refused_titles:
            return "This item doesn't comply with our Commerce Policies."
        if item["image_link"] in self.broken_images:
            return f"Image at URL {item['image_link']} could not be downloaded (HTTP 404)."
        return ""

    def _handler(self):
        fake = self

        def graph_error(message: str, code: int, subcode: int | None = None) -> dict:
            error = {"message": message, "type": "OAuthException", "code": code}
            return {"error": {**error, **({"error_subcode": subcode} if subcode else {})}}

        class Handler(ConsentHandler):
            def _authorized(self) -> bool:
                bearer = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                fake.tokens_used.append(bearer)
                if bearer == fake.token or fake.grants.token_state(bearer) == "ok":
                    return True
                if fake.grants.token_state(bearer) == "expired":
                    self._answer(
                        400,
                        graph_error(
                            "Error validating access token: Session has expired.", 190, 463
                        ),
                    )
                    return False
                self._answer(
                    400,
                    {
                        "error": {
                            "message": "Invalid OAuth access token - Cannot parse access token",
                            "type": "OAuthException",
                            "code": 190,
                            "fbtrace_id": "Afake",
                        }
                    },
                )
                return False

            def _catalog_path(self) -> tuple[str, str]:
                parts = urlparse(self.path).path.strip("/").split("/")
                return (parts[1] if len(parts) > 1 else "", "/".join(parts[2:]))

            def _login(self) -> bool:
                """The login's pages and endpoints; False when the path is not one."""
                url = urlparse(self.path)
                query = {name: values[0] for name, values in parse_qs(url.query).items()}
                parts = url.path.strip("/").split("/")[1:]
                if parts == ["dialog", "oauth"]:
                    if query.get("client_id") != fake.grants.client_id or not query.get(
                        "config_id"
                    ):
                        self._html(400, "<h1>Invalid App ID or configuration</h1>")
                        return True
                    self._consent(
                        platform="Facebook", decide_path=url.path + "/decide", query=query
                    )
                    return True
                if parts == ["dialog", "oauth", "decide"]:
                    self._decide(
                        fake.grants,
                        query,
                        cancel_extra={
                            "error_reason": "user_denied",
                            "error_description": "Permissions error",
                        },
                    )
                    return True
                if parts == ["oauth", "access_token"]:
                    self._token(query)
                    return True
                return False

            def _token(self, query: dict[str, str]) -> None:
                grants = fake.grants
                fake.grants.redeemed.append(query)
                if query.get("client_id") != grants.client_id:
                    self._answer(
                        400,
                        graph_error("Error validating application. Invalid application ID.", 101),
                    )
                    return
                if query.get("client_secret") != grants.client_secret:
                    self._answer(400, graph_error("Error validating client secret.", 1))
                    return
                if query.get("grant_type") == "fb_exchange_token":
                    if grants.token_state(query.get("fb_exchange_token", "")) != "ok":
                        self._answer(
                            400,
                            graph_error(
                                "Error validating access token: Session has expired.", 190, 463
                            ),
                        )
                        return
                    token, seconds = grants.token_issue("meta-long")
                    self._answer(
                        200, {"access_token": token, "token_type": "bearer", "expires_in": seconds}
                    )
                    return
                problem = grants.code_redeem(
                    code=query.get("code", ""),
                    redirect_uri=query.get("redirect_uri", ""),
                    verifier=query.get("code_verifier", ""),
                )
                if problem:
                    message, subcode = {
                        "expired": ("This authorization code has expired.", 36007),
                        "redirect_uri": (
                            "Error validating verification code. Please make sure your "
                            "redirect_uri is identical to the one you used in the OAuth "
                            "dialog request",
                            36008,
                        ),
                        "code_verifier": ("Invalid code verifier.", None),
                    }.get(problem, ("This authorization code has been used.", 36009))
                    self._answer(400, graph_error(message, 100, subcode))
                    return
                with grants.lock:
                    grants.tokens[token := "meta-short-" + str(len(grants.tokens))] = (
                        time.time() + 3600
                    )
                self._answer(
                    200, {"access_token": token, "token_type": "bearer", "expires_in": 3600}
                )

            def do_DELETE(self) -> None:
                if not self._authorized():
                    return
                if urlparse(self.path).path.strip("/").split("/")[1:] == ["me", "permissions"]:
                    bearer = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                    fake.grants.revoke(bearer)
                    self._answer(200, {"success": True})
                    return
                self._answer(404, {"error": {"message": "Unknown path", "code": 100}})

            def _business(self, catalog: str, rest: str, body: bytes | None) -> bool:
                """``/me/businesses`` and a business's catalogs; False for another path."""
                if catalog == "me" and rest == "businesses":
                    self._answer(200, {"data": fake.businesses, "paging": {"cursors": {}}})
                    return True
                if rest != "owned_product_catalogs" or catalog not in {
                    business["id"] for business in fake.businesses
                }:
                    return False
                if body is not None:
                    name = str(json.loads(body or b"{}").get("name") or "")
                    if not name:
                        self._answer(400, graph_error("(#100) The parameter name is required", 100))
                        return True
                    with fake.lock:
                        new_id = str(7_000_000 + len(fake.catalogs))
                        fake.catalogs[new_id] = name
                    self._answer(200, {"id": new_id})
                    return True
                data = [
                    {"id": key, "name": value, "product_count": 0}
                    for key, value in fake.catalogs.items()
                ]
                self._answer(200, {"data": data, "paging": {"cursors": {}}})
                return True

            def do_GET(self) -> None:
                if self._login():
                    return
                catalog, rest = self._catalog_path()
                if not self._authorized():
                    return
                if self._business(catalog, rest, None):
                    return
                if catalog not in fake.catalogs:
                    self._answer(
                        400,
                        {
                            "error": {
                                "message": "Unsupported get request. Object "
                                f"with ID '{catalog}' does not exist",
                                "type": "GraphMethodException",
                                "code": 100,
                            }
                        },
                    )
                    return
                if rest == "":
                    self._answer(200, {"id": catalog, "name": fake.catalogs[catalog]})
                    return
                if rest == "check_batch_request_status":
                    handle = parse_qs(urlparse(self.path).query).get("handle", [""])[0]
                    with fake.lock:
                        status = fake.statuses.get(handle)
                        if status is None:
                            self._answer(400, {"error": {"message": "Unknown handle", "code": 100}})
                            return
                        if status["polls_left"] > 0:
                            status["polls_left"] -= 1
                            self._answer(
                                200, {"data": [{"handle": handle, "status": "in_progress"}]}
                            )
                            return
                    self._answer(
                        200,
                        {
                            "data": [
                                {
                                    "handle": handle,
                                    "status": "finished",
                                    "errors_total_count": len(status["errors"]),
                                    "errors": status["errors"],
                                    "warnings": status["warnings"],
                                }
                            ]
                        },
                    )
                    return
                self._answer(404, {"error": {"message": "Unknown path", "code": 100}})

            def do_POST(self) -> None:
                catalog, rest = self._catalog_path()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not self._authorized():
                    return
                if self._business(catalog, rest, body):
                    return
                with fake.lock:
                    step = fake.script.pop(0) if fake.script else None
                if step and step[0] == "429":
                    self._answer(
                        429,
                        {
                            "error": {
                                "message": "(#80004) There have been too "
                                "many calls to this catalog.",
                                "code": 80004,
                            }
                        },
                        {"Retry-After": str(step[1])},
                    )
                    return
                if step and step[0] == "500":
                    self._answer(
                        500,
                        {
                            "error": {
                                "message": "An unexpected error has occurred.",
                                "code": 2,
                                "is_transient": True,
                            }
                        },
                    )
                    return
                if step and step[0] == "garbage":
                    self._answer(200, b"<html>Sorry, something went wrong</html>")
                    return
                if step and step[0] == "timeout":
                    time.sleep(step[1])
                    self._answer(200, {"handles": []})
                    return
                if catalog not in fake.catalogs or rest != "items_batch":
                    self._answer(404, {"error": {"message": "Unknown path", "code": 100}})
                    return
                payload = json.loads(body)
                requests = payload.get("requests", [])
                if len(requests) > 5000 or payload.get("item_type") != "PRODUCT_ITEM":
                    self._answer(
                        400,
                        {
                            "error": {
                                "message": "(#100) requests: at most 5000 requests",
                                "code": 100,
                            }
                        },
                    )
                    return
                with fake.lock:
                    outcome = fake._apply(requests)
                    fake.batches.append(requests)
                    fake.batch_times.append(time.perf_counter())
                    handle = f"h{len(fake.batches)}"
                    polls = (
                        10**9 if step and step[0] == "hang_status" else fake.polls_before_finished
                    )
                    fake.statuses[handle] = {**outcome, "polls_left": polls}
                fake.batch_received.set()
                self._answer(200, {"handles": [handle]})

        return Handler
