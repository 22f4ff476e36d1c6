"""A local stand-in for the TikTok Shop Partner API (version 202309), following the
request and answer shapes documented at partner.tiktokshop.com/docv2 (see the sources in
``shops/channels/clients/tiktok.py``):

- Every request: ``app_key``, ``timestamp`` (within 5 minutes), ``sign`` (HMAC-SHA256
  of secret + path + sorted query pairs without sign/access_token + body + secret,
  the body left out for multipart) and the ``x-tts-access-token`` header; the shop's
  calls also ``shop_cipher``. A wrong token → HTTP 401 code 105001, a wrong signature →
  HTTP 401 code 106001 "Invalid credentials. The 'sign' query parameter is invalid."
- ``GET /authorization/202309/shops``, ``GET /logistics/202309/warehouses`` (the shop's
  ``warehouses``), ``POST /product/202309/images/upload``
  (multipart), ``POST /product/202309/products/search``, ``POST
  /product/202309/products`` (create), ``PUT /product/202309/products/{id}`` (edit:
  SKUs without an id are added, SKUs left out removed), ``POST
  .../{id}/inventory/update``, ``POST .../{id}/prices/update``, ``DELETE
  /product/202309/products``. Answers ``{"code", "message", "request_id", "data"}``.

A product is refused (code ≠ 0, the product not stored) when its title is not 1-255
characters, its category is not ``category_id``, it has no uploaded main image, a SKU
price is over ``max_price`` (TikTok's US ceiling, 7,600) or a SKU's warehouse is not the
shop's. The error codes other than 106001 are illustrative (the docs list codes per
endpoint; the client keys on HTTP status and the credential codes only).

``script``, a queue for the next write calls (POST/PUT/DELETE): ("ok",), ("429", retry_after),
("500",), ("garbage",), ("timeout", seconds) (answers late, nothing applied),
("late", seconds) (applied, then answers late: the client gives up after the platform
acted), ("hang", seconds) (like late, for a worker killed meanwhile).

The seller authorization (``shops/channels/providers/tiktok.py`` cites the sources), on
the same server (it plays services.tiktokshop.com and auth.tiktok-shops.com too):

- ``GET /open/authorize?service_id&state``: the consent page (an unknown ``service_id`` →
  400). "Authorize" redirects to ``redirect_uri`` (the app's, as registered in Partner
  Center: set it on the fake) with ``app_key``, ``code``, ``locale``, ``shop_region`` and
  ``state``; "Cancel" with ``error=access_denied``, ``error_description`` and ``state``
  (the refusal's shape is not in the docs we could read: it follows TikTok's Login
  Kit).
- ``GET /api/v2/token/get?app_key&app_secret&auth_code&grant_type=authorized_code`` and
  ``GET /api/v2/token/refresh?app_key&app_secret&refresh_token&grant_type=refresh_token``
  → ``{"code": 0, "message": "success", "data": {access_token, access_token_expire_in,
  refresh_token, refresh_token_expire_in (Unix timestamps), open_id, seller_name,
  seller_base_region, user_type, granted_scopes}, "request_id"}``. Refusals, with HTTP
  200: a wrong app key or secret → 36004003 (illustrative); an unknown, used or expired
  auth code or refresh token → 36004005 "can not find related auth record"; an expired
  refresh token → 36004001 "rt has expired".
Access tokens it issued are accepted like ``token``; ``oauth.expire(token)`` makes one
answer HTTP 401 code 105002 "access token is expired, please refresh it".
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from decimal import Decimal, InvalidOperation
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl, urlparse

from tests.channels.fake_consent import Tokens, back_to, consent_page
from tests.channels.fake_http import FakeServer
from tests.channels.fake_oauth import ConsentHandler

VERSION = "202309"


def tiktok_sign(secret: str, path: str, params: dict, body: str) -> str:
    pairs = "".join(
        f"{k}{v}" for k, v in sorted(params.items()) if k not in ("sign", "access_token")
    )
    text = f"{secret}{path}{pairs}{body}{secret}"
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


class FakeTikTok(FakeServer):
    def __init__(
        self,
        *,
        app_key: str = "tt-app-key",
        app_secret: str = "tt-app-secret",  # noqa: S107
        token: str = "tt-token",  # noqa: S107
        shop_cipher: str = "ROW_fakecipher",
        warehouse_id: str = "7068517275539719942",
        category_id: str = "601226",
    ) -> None:
        self.app_key, self.app_secret, self.token = app_key, app_secret, token
        self.service_id = "7312345678901234567"
        self.redirect_uri = ""  # the app's redirect URL, as registered in Partner Center
        self.warehouses = [  # Get Warehouse List: a return warehouse, the default sales one
            {"id": "7068517275539719000", "name": "Returns", "type": "RETURN_WAREHOUSE",
             "is_default": True, "effect_status": "ENABLED"},
            {"id": warehouse_id, "name": "Main", "type": "SALES_WAREHOUSE",
             "is_default": True, "effect_status": "ENABLED"},
        ]  # fmt: skip
        self.oauth = Tokens("tt")
        self.shops = [  # the shops the seller authorized (Get Authorized Shops)
            {
                "id": "7000714532876273420",
                "name": "Etalage Test Shop",
                "region": "US",
                "seller_type": "LOCAL",
                "cipher": shop_cipher,
                "code": "USLCLCEXAMPLE",
            }
        ]
        self.token_requests: list[dict] = []  # every token request's query
        self.token_failures: list[tuple[int, str]] = []
        self.shop_cipher, self.warehouse_id, self.category_id = (
            shop_cipher,
            warehouse_id,
            category_id,
        )
        self.max_price = Decimal("7600")
        self.warnings: list[str] = []  # sent with every create and edit
        self.products: dict[str, dict] = {}
        self.images: dict[str, int] = {}  # uri → bytes uploaded
        self.uploads: list[str] = []  # every upload's uri, in order
        self.calls: list[tuple[str, str, dict]] = []  # accepted shop calls: method, path, body
        self.call_times: list[float] = []  # every write call's arrival, refused ones too
        self.applied = threading.Event()
        self._ids = itertools.count(1729592969712207000)
        # TikTok's brand library (Get Brands): "Etalage" is known (the test products' brand)
        self.brands: dict[str, dict] = {}
        self.brand_add("Etalage")
        self._serve()

    def _new_id(self) -> str:
        return str(next(self._ids))

    def brand_add(self, name: str, *, status: str = "AVAILABLE") -> str:
        brand_id = self._new_id()
        self.brands[brand_id] = {
            "id": brand_id,
            "name": name,
            "brand_status": status,
            "authorized_status": "UNAUTHORIZED",
            "is_t1_brand": False,
        }
        return brand_id

    def _brands_search(self, query: dict) -> tuple[int, str, dict | None]:
        if not query.get("page_size", "").isdigit() or not 1 <= int(query["page_size"]) <= 100:
            return 12052001, "page_size: 1 to 100.", None
        wanted = query.get("brand_name", "").casefold()
        found = [brand for brand in self.brands.values() if wanted in brand["name"].casefold()]
        return (
            0,
            "Success",
            {
                "brands": found[: int(query["page_size"])],
                "total_count": len(found),
                "next_page_token": "",
            },
        )

    # product rules

    def _problem(self, body: dict) -> tuple[int, str] | None:
        title = str(body.get("title") or "")
        if not 1 <= len(title) <= 255:
            return 12052002, "The product title must be 1-255 characters."
        if body.get("category_id") != self.category_id:
            return 12052230, f"Category {body.get('category_id')} is not a leaf category."
        if "brand_id" in body and body["brand_id"] not in self.brands:
            return 12052100, f"Brand {body['brand_id']} does not exist."
        images = body.get("main_images") or []
        if not images or any(image.get("uri") not in self.images for image in images):
            return 12052217, "main_images: upload 1 to 9 images with Upload Product Image."
        skus = body.get("skus") or []
        if not skus:
            return 12052003, "A product needs at least one SKU."
        for sku in skus:
            problem = self._price_problem(sku.get("price") or {}) or self._stock_problem(
                sku.get("inventory") or []
            )
            if problem:
                return problem
        return None

    def _price_problem(self, price: dict) -> tuple[int, str] | None:
        try:
            amount = Decimal(str(price.get("amount")))
        except InvalidOperation:
            return 12052047, f"Invalid price amount: {price.get('amount')}."
        if not Decimal("0.01") <= amount <= self.max_price or not price.get("currency"):
            return 12052048, f"The SKU price must be between 0.01 and {self.max_price}."
        return None

    def _stock_problem(self, inventory: list) -> tuple[int, str] | None:
        for entry in inventory:
            if entry.get("warehouse_id") != self.warehouse_id:
                return (
                    12052053,
                    f"Warehouse {entry.get('warehouse_id')} does not belong to the shop.",
                )
            if not 0 <= int(entry.get("quantity", 0)) <= 999_999:
                return 12052054, "The quantity must be between 0 and 999,999."
        return None

    def _store(self, product_id: str, body: dict, previous: dict | None) -> dict:
        kept = (previous or {}).get("skus", {})
        skus = {}
        for sku in body["skus"]:
            sku_id = sku.get("id") if sku.get("id") in kept else self._new_id()
            skus[sku_id] = {**sku, "id": sku_id}
        self.products[product_id] = {**body, "id": product_id, "skus": skus}
        return {
            "product_id": product_id,
            "skus": [
                {
                    "id": sku_id,
                    "seller_sku": sku.get("seller_sku", ""),
                    "sales_attributes": sku.get("sales_attributes", []),
                }
                for sku_id, sku in skus.items()
            ],
            "warnings": [{"message": message} for message in self.warnings],
        }

    # the seller authorization

    def _token_answer(self, path: str, query: dict) -> tuple[int, str, dict | None]:
        """(code, message, data) of a token request (under ``lock``); ``token_failures``:
        (code, message) answers for the next token requests."""
        if self.token_failures:
            return *self.token_failures.pop(0), None
        if query.get("app_key") != self.app_key or query.get("app_secret") != self.app_secret:
            return 36004003, "invalid app_key or app_secret", None
        if path == "/api/v2/token/get":
            if query.get("grant_type") != "authorized_code":
                return 36004002, "invalid grant_type", None
            if not self.oauth.code_take(query.get("auth_code", ""), None):
                return 36004005, "can not find related auth record", None
            self.oauth.exchanges += 1
        else:
            old = query.get("refresh_token", "")
            if query.get("grant_type") != "refresh_token":
                return 36004002, "invalid grant_type", None
            if old in self.oauth.refresh_expired:
                return 36004001, "rt has expired", None
            if old not in self.oauth.refresh:
                return 36004005, "can not find related auth record", None
            self.oauth.refreshes += 1
        access, refresh = self.oauth.pair_issue()
        now = int(time.time())
        return (
            0,
            "success",
            {
                "access_token": access,
                "access_token_expire_in": now + 7 * 86400,
                "refresh_token": refresh,
                "refresh_token_expire_in": now + 365 * 86400,
                "open_id": "7010736057180325637",
                "seller_name": "Etalage Test Shop",
                "seller_base_region": "US",
                "user_type": 0,
                "granted_scopes": ["seller.product.basic", "seller.authorization.info"],
            },
        )

    # requests

    def _apply(self, method: str, path: str, body: dict) -> tuple[int, str, dict | None]:
        """(code, message, data) of a shop call."""
        root = f"/product/{VERSION}/products"
        if method == "POST" and path == f"/product/{VERSION}/brands":
            name = str(body.get("name") or "")
            if not 2 <= len(name) <= 30:
                return 12052101, "The brand name must be 2-30 characters.", None
            if any(brand["name"].casefold() == name.casefold() for brand in self.brands.values()):
                return 12052102, f"The brand {name} already exists.", None
            return 0, "Success", {"id": self.brand_add(name)}
        if method == "POST" and path == f"{root}/search":
            wanted = set(body.get("seller_skus") or [])
            found = [
                {
                    "id": pid,
                    "title": p["title"],
                    "skus": [
                        {"id": s["id"], "seller_sku": s.get("seller_sku", "")}
                        for s in p["skus"].values()
                    ],
                }
                for pid, p in self.products.items()
                if wanted & {s.get("seller_sku") for s in p["skus"].values()}
            ]
            return 0, "Success", {"products": found, "total_count": len(found)}
        if method == "POST" and path == root:
            problem = self._problem(body)
            if problem:
                return *problem, None
            return 0, "Success", self._store(self._new_id(), body, None)
        if method == "DELETE" and path == root:
            ids = body.get("product_ids") or []
            if not 1 <= len(ids) <= 20:
                return 12052001, "product_ids: 1 to 20 product ids.", None
            errors = []
            for product_id in ids:
                if self.products.pop(product_id, None) is None:
                    errors.append(
                        {
                            "code": 12052700,
                            "message": "The product does not exist.",
                            "detail": {"product_id": product_id},
                        }
                    )
            return 0, "Success", {"errors": errors}
        product_id, _, action = path.removeprefix(root + "/").partition("/")
        product = self.products.get(product_id)
        if product is None:
            return 12052700, "The product does not exist.", None
        if method == "PUT" and not action:
            problem = self._problem(body)
            if problem:
                return *problem, None
            return 0, "Success", self._store(product_id, body, product)
        if method == "POST" and action in ("inventory/update", "prices/update"):
            errors = []
            for entry in body.get("skus") or []:
                sku = product["skus"].get(entry.get("id"))
                problem = (
                    (12052701, "The SKU does not exist.")
                    if sku is None
                    else self._stock_problem(entry.get("inventory") or [])
                    if action == "inventory/update"
                    else self._price_problem(entry.get("price") or {})
                )
                if problem:
                    errors.append(
                        {
                            "code": problem[0],
                            "message": problem[1],
                            "detail": {"sku_id": entry.get("id")},
                        }
                    )
                elif action == "inventory/update":
                    sku["inventory"] = entry["inventory"]
                else:
                    sku["price"] = entry["price"]
            return 0, "Success", {"errors": errors}
        return 36009001, f"Unknown path {path}.", None

    def _handler(self):
        fake = self

        class Handler(ConsentHandler):
            def _envelope(self, status: int, code: int, message: str, data=None, headers=None):
                self._answer(
                    status,
                    {
                        "code": code,
                        "message": message,
                        "data": data,
                        "request_id": uuid.uuid4().hex.upper(),
                    },
                    headers,
                )

            def _checked(self, body: bytes) -> tuple[str, dict] | None:
                """(path, query) when the request is signed and authorized, else answered."""
                url = urlparse(self.path)
                query = dict(parse_qsl(url.query))
                content_type = self.headers.get("Content-Type", "")
                signed = "" if content_type.startswith("multipart/form-data") else body.decode()
                expected = tiktok_sign(fake.app_secret, url.path, query, signed)
                fresh = abs(time.time() - int(query.get("timestamp", "0") or 0)) <= 300
                if (
                    query.get("app_key") != fake.app_key
                    or not hmac.compare_digest(query.get("sign", ""), expected)
                    or not fresh
                ):
                    self._envelope(
                        401, 106001, "Invalid credentials. The 'sign' query parameter is invalid."
                    )
                    return None
                given = self.headers.get("x-tts-access-token", "")
                with fake.lock:
                    expired = given in fake.oauth.expired
                    valid = given == fake.token or (given in fake.oauth.access and not expired)
                if expired:
                    self._envelope(401, 105002, "access token is expired, please refresh it")
                    return None
                if not valid:
                    self._envelope(
                        401,
                        105001,
                        "Invalid credentials. The 'x-tts-access-token' header is invalid.",
                    )
                    return None
                if (
                    url.path.startswith("/product/")
                    and query.get("shop_cipher") != fake.shop_cipher
                ):
                    self._envelope(400, 105005, "The shop_cipher is invalid for this access token.")
                    return None
                return url.path, query

            def _consent(self, query: dict) -> None:
                if query.get("service_id") != fake.service_id:
                    self._html(400, "<!doctype html><title>Error</title><p>Invalid service.</p>")
                    return
                back = {"state": query.get("state", "")}
                if query.get("decision") == "allow":
                    with fake.lock:
                        code = fake.oauth.code_issue(fake.redirect_uri)
                    back = {
                        "app_key": fake.app_key,
                        "code": code,
                        "locale": "en",
                        "shop_region": "US",
                        **back,
                    }
                    self._redirect(back_to(fake.redirect_uri, back))
                elif query.get("decision") == "cancel":
                    self._redirect(
                        back_to(
                            fake.redirect_uri,
                            {
                                "error": "access_denied",
                                "error_description": "The seller cancelled the authorization.",
                                **back,
                            },
                        )
                    )
                else:
                    here = "/open/authorize?" + urlparse(self.path).query
                    self._html(
                        200,
                        consent_page(
                            "TikTok Shop",
                            "Etalage",
                            "Product information, Shop authorized information",
                            here + "&decision=allow",
                            here + "&decision=cancel",
                        ),
                    )

            def _token(self, path: str, query: dict) -> None:
                with fake.lock:
                    fake.token_requests.append(query)
                    self._envelope(200, *fake._token_answer(path, query))

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path == "/open/authorize":
                    self._consent(dict(parse_qsl(url.query)))
                    return
                if url.path in ("/api/v2/token/get", "/api/v2/token/refresh"):
                    self._token(url.path, dict(parse_qsl(url.query)))
                    return
                checked = self._checked(b"")
                if checked is None:
                    return
                if checked[0] == f"/authorization/{VERSION}/shops":
                    self._envelope(
                        200,
                        0,
                        "Success",
                        {"shops": fake.shops},
                    )
                    return
                if checked[0] == f"/logistics/{VERSION}/warehouses":
                    if checked[1].get("shop_cipher") not in {s["cipher"] for s in fake.shops}:
                        self._envelope(
                            400, 105005, "The shop_cipher is invalid for this access token."
                        )
                        return
                    self._envelope(200, 0, "Success", {"warehouses": fake.warehouses})
                    return
                if checked[0] == f"/product/{VERSION}/brands":
                    with fake.lock:
                        self._envelope(200, *fake._brands_search(checked[1]))
                    return
                self._envelope(404, 36009001, "Unknown path.")

            def _write(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with fake.lock:
                    fake.call_times.append(time.monotonic())
                checked = self._checked(raw)
                if checked is None:
                    return
                path = checked[0]
                with fake.lock:
                    step = fake.script.pop(0) if fake.script else None
                if step and step[0] == "429":
                    self._envelope(
                        429,
                        36009003,
                        "Too many requests. Please retry later.",
                        None,
                        {"Retry-After": str(step[1])},
                    )
                    return
                if step and step[0] == "500":
                    self._envelope(500, 36009999, "Internal system error, please retry.")
                    return
                if step and step[0] == "garbage":
                    self._answer(200, b"<html><body>502 Bad Gateway</body></html>")
                    return
                if step and step[0] == "timeout":
                    time.sleep(step[1])
                    self._envelope(200, 0, "Success", {})
                    return
                if path == f"/product/{VERSION}/images/upload":
                    self._upload(raw)
                    return
                body = json.loads(raw or b"{}")
                with fake.lock:
                    code, message, data = fake._apply(self.command, path, body)
                    if code == 0:
                        fake.calls.append((self.command, path, body))
                fake.applied.set()
                if step and step[0] in ("late", "hang"):
                    time.sleep(step[1])
                self._envelope(200, code, message, data)

            def _upload(self, raw: bytes) -> None:
                header = f"Content-Type: {self.headers.get('Content-Type')}\r\n\r\n".encode()
                message = BytesParser(policy=HTTP).parsebytes(header + raw)
                parts = {
                    part.get_param("name", header="content-disposition"): part
                    for part in message.iter_parts()
                }
                content = parts["data"].get_payload(decode=True) if "data" in parts else b""
                if not content:
                    self._envelope(200, 12052220, "data: the image file is required.")
                    return
                uri = f"tos-maliva-i-o3syd03w52-us/{hashlib.sha256(content).hexdigest()[:32]}"
                with fake.lock:
                    fake.images[uri] = len(content)
                    fake.uploads.append(uri)
                use_case = parts["use_case"].get_content().strip() if "use_case" in parts else ""
                self._envelope(
                    200,
                    0,
                    "Success",
                    {
                        "uri": uri,
                        "url": f"https://p16-oec-va.ibyteimg.com/{uri}~tplv.jpeg",
                        "width": 300,
                        "height": 300,
                        "use_case": use_case or "MAIN_IMAGE",
                    },
                )

            do_POST = do_PUT = do_DELETE = _write

        return Handler
