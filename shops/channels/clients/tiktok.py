"""TikTok Shop client: the Partner API (version 202309) product, price, inventory and
image endpoints.

Every call goes to ``<base URL><path>`` with the query ``app_key``, ``timestamp`` (Unix
seconds), ``shop_cipher`` (the shop's calls) and ``sign``, the header
``x-tts-access-token`` and, for JSON calls, ``content-type: application/json``.
``sign`` is the hex HMAC-SHA256, keyed with the app secret, of
``<secret><path><key><value>...<body><secret>``: the query parameters sorted by name
without ``sign`` and ``access_token``, then the body exactly as sent (left out for
multipart/form-data). Answers are ``{"code", "message", "request_id", "data"}``; code 0
is success.

- ``GET /authorization/202309/shops`` → ``data.shops: [{id, name, region, seller_type,
  cipher, code}]`` ("Test the connection" looks for the connection's cipher there).
- ``GET /logistics/202309/warehouses`` → ``data.warehouses: [{id, name, type
  (SALES_WAREHOUSE / RETURN_WAREHOUSE), is_default, effect_status}]`` (docv2 page
  650b1e47defece02be7e755e, "Get Warehouse List"): the login connects to the shop's
  default sales warehouse.
- ``POST /product/202309/images/upload`` (multipart: ``data`` the file, ``use_case``
  MAIN_IMAGE) → ``data: {uri, url, width, height, use_case}``.
- ``POST /product/202309/products/search`` ``{"seller_skus": [...]}`` → ``data:
  {products: [{id, skus: [{id, seller_sku}]}], total_count, next_page_token}``.
- ``POST /product/202309/products`` ``{title, description (HTML), category_id,
  main_images: [{uri}], skus: [{seller_sku, price: {amount, currency}, inventory:
  [{warehouse_id, quantity}], sales_attributes: [{name, value_name}],
  identifier_code: {code, type}}], package_weight: {value, unit}}`` → ``data:
  {product_id, skus: [{id, seller_sku, sales_attributes}], warnings: [{message}]}``.
- ``PUT /product/202309/products/{product_id}``: the same body, each kept SKU with its
  ``id``; SKUs left out are removed. Answers like the create.
- ``POST /product/202309/products/{product_id}/inventory/update`` ``{skus: [{id,
  inventory: [{warehouse_id, quantity}]}]}`` and ``.../prices/update`` ``{skus: [{id,
  price: {amount, currency}}]}`` → ``data: {errors: [{code, message, detail:
  {sku_id}}]}``.
- ``DELETE /product/202309/products`` ``{product_ids: [...] (≤ 20)}`` → ``data: {errors:
  [{code, message, detail: {product_id}}]}``.
- ``GET /product/202309/brands`` (query ``brand_name``, ``category_id``, ``page_size`` ≤
  100) → ``data: {brands: [{id, name, authorized_status, is_t1_brand, brand_status
  (AVAILABLE / UNAVAILABLE for the category)}], total_count, next_page_token}``; ``POST
  /product/202309/brands`` ``{name}`` (a custom brand, 2-30 characters) → ``data:
  {id}``. The product's ``brand_id`` (optional) is the brand of that name, created when
  TikTok has none; without one (no brand, unavailable, refused) the product goes
  without.

Sources: partner.tiktokshop.com/docv2 "Sign your API request", "Get Authorized Shops",
"Upload Product Image", "Create Product" (page 6502fc8da57708028b42b18a), "Update
Inventory", "Update Price", "Delete Products", "Search Products", "Get Brands" (page
6503075656e2bb0289dd5d01), "Create Custom Brands", read through public
mirrors (the generated interfaces of github.com/lywzx/tiktok-partner-api, integration
notes at help.useresponse.com "TikTok Create Products" / "TikTok Update Stock") as the
docs pages themselves are not stored here. Not verified there, so followed from the
create's shape: the edit's answer; the error codes below other than 106001 (which public
logs show with HTTP 401: "Invalid credentials. The 'sign' query parameter is invalid.").

The engine plans one request per variant; TikTok holds one product with SKUs. Requests
are grouped by product (retailer ids are "<product id>-<variant id>") and each product
is one call (or two: inventory and price), so a refused product rejects its own items
only. The TikTok product id, SKU ids and uploaded image URIs come back in each item's
``external`` and are sent with its next request: an unchanged image is not uploaded
again. Products never acknowledged are looked up by seller SKU (our retailer id; one
search per 100 SKUs of the batch) before they are created, so a crash between TikTok's
answer and our commit does not create a product twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from shops.channels.clients import (
    CatalogInfo,
    CredentialsError,
    FinalError,
    ItemRequest,
    ItemResult,
    PlatformClient,
    RetryableError,
)
from shops.channels.clients.http import request_json

if TYPE_CHECKING:
    from shops.channels.items import FeedItem

VERSION = "202309"
BATCH_SIZE = 500  # outbox rows / items per engine batch (one call per product)
MAX_IMAGES = 9
# 105001 invalid / 105002 expired access token, 105005 a shop cipher the token may not
# use, 106001 invalid sign (with HTTP 401)
CREDENTIAL_CODES = {105000, 105001, 105002, 105005, 106001}
RATE_LIMIT_CODES = {36009003}  # and any HTTP 429
PRODUCT_NOT_FOUND = 12052700
SEARCH_SIZE = 100  # seller SKUs per search (and its page size)
BRAND_NAME_LENGTHS = range(2, 31)  # a custom brand's name: 2 to 30 characters


def sign(secret: str, path: str, params: dict[str, str], body: str = "") -> str:
    """The ``sign`` query parameter of a request (see the module doc)."""
    pairs = "".join(
        f"{key}{value}"
        for key, value in sorted(params.items())
        if key not in ("sign", "access_token")
    )
    text = f"{secret}{path}{pairs}{body}{secret}"
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def _message(payload: dict) -> str:
    return str(payload.get("message") or "")


def _code(payload: dict) -> int | None:
    code = payload.get("code")
    return code if isinstance(code, int) else None


def _price(fields: dict) -> dict:
    """The SKU's selling price: the sale price when there is one ("9.99 EUR" texts)."""
    amount, currency = (fields.get("sale_price") or fields["price"]).split(" ")
    return {"amount": amount, "currency": currency}


def _identifier(gtin: str) -> dict | None:
    types = {8: "EAN", 12: "UPC", 13: "EAN", 14: "GTIN"}
    if not gtin.isdigit() or len(gtin) not in types:
        return None
    return {"code": gtin, "type": types[len(gtin)]}


def _is_new(group: list[ItemRequest]) -> bool:
    """A product to create: sent whole, and no TikTok product id known for it."""
    return not any(item.external.get("product_id") for item in group) and any(
        item.method == "upsert" and "title" in item.fields for item in group
    )


class ProductRefused(FinalError):
    """TikTok (or fetching its image) refused one product: its items are rejected."""

    def __init__(self, message: str, *, status: int | None = None, code: int = 0) -> None:
        super().__init__(message, status=status)
        self.code = code


class TikTokClient(PlatformClient):
    batch_size = BATCH_SIZE
    sends_whole_products = True  # one TikTok product with SKUs
    stock_fields = ("availability", "inventory")

    def __init__(
        self,
        *,
        base_url: str,
        app_key: str,
        app_secret: str,
        access_token: str,
        shop_cipher: str,
        warehouse_id: str,
        category_id: str,
        timeout: float,
        image_fetch: Callable[[str], bytes],
    ) -> None:
        self.base = base_url.rstrip("/")
        self.app_key = app_key
        self.app_secret = app_secret
        self.access_token = access_token
        self.shop_cipher = shop_cipher
        self.warehouse_id = warehouse_id
        self.category_id = category_id
        self.timeout = timeout
        self.image_fetch = image_fetch
        self._brands: dict[str, str] = {}  # TikTok's brand id by our brand name ("": none)

    def item_fields(self, row: dict[str, str], item: FeedItem) -> dict:
        """The feed row, with what a product's SKUs need: the stock, the HTML
        description, the options and their names, the weight."""
        fields = super().item_fields(row, item)
        fields.update(
            inventory=item.stock,
            description_html=item.description_html,
            options=list(item.options),
            option_names=list(item.option_names),
        )
        if item.weight_grams:
            fields["weight_grams"] = item.weight_grams
        return fields

    # transport

    def _call(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        *,
        query: dict[str, str] | None = None,
        multipart: tuple[bytes, str] | None = None,
        shop: bool = True,
    ) -> dict:
        """One signed call; the answer's ``data`` (code 0), else the error raised."""
        params = {"app_key": self.app_key, "timestamp": str(int(time.time())), **(query or {})}
        if shop:
            params["shop_cipher"] = self.shop_cipher
        data, content_type, signed = None, "application/json", ""
        if multipart is not None:
            data, content_type = multipart
        elif body is not None:
            signed = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
            data = signed.encode()
        params["sign"] = sign(self.app_secret, path, params, signed)
        try:
            answer = request_json(
                method,
                f"{self.base}{path}?{urlencode(params)}",
                raw_body=data,
                content_type=content_type,
                timeout=self.timeout,
                error_message=_message,
                headers={"x-tts-access-token": self.access_token},
                is_credentials_error=lambda payload: _code(payload) in CREDENTIAL_CODES,
                is_rate_limited=lambda payload: _code(payload) in RATE_LIMIT_CODES,
            )
        except CredentialsError:
            raise
        except FinalError as error:  # another 4xx: this product's call was refused
            raise ProductRefused(error.message, status=error.status) from None
        if not isinstance(answer, dict) or not isinstance(answer.get("code"), int):
            raise RetryableError("The platform answered in a shape we do not know.")
        code, message = answer["code"], _message(answer) or f"Refused (code {answer['code']})"
        if code in CREDENTIAL_CODES:
            raise CredentialsError(message)
        if code in RATE_LIMIT_CODES:
            raise RetryableError(message)
        if code != 0:
            raise ProductRefused(message, code=code)
        result = answer.get("data")
        return result if isinstance(result, dict) else {}

    def authorized_shops(self) -> list[dict]:
        """The shops the access token may act for (``GET /authorization/202309/shops``):
        ``[{id, name, region, seller_type, cipher, code}]``."""
        shops = self._call("GET", f"/authorization/{VERSION}/shops", shop=False).get("shops")
        return [shop for shop in shops if isinstance(shop, dict)] if isinstance(shops, list) else []

    def warehouses(self) -> list[dict]:
        """The shop's warehouses (``GET /logistics/202309/warehouses``, the shop's call):
        ``[{id, name, type (SALES_WAREHOUSE / RETURN_WAREHOUSE), is_default,
        effect_status}]``."""
        found = self._call("GET", f"/logistics/{VERSION}/warehouses").get("warehouses")
        return [w for w in found if isinstance(w, dict)] if isinstance(found, list) else []

    def catalog_check(self) -> CatalogInfo:
        """The shop the cipher names among the token's authorized shops."""
        for shop in self.authorized_shops():
            if shop.get("cipher") == self.shop_cipher:
                return CatalogInfo(id=str(shop.get("id", "")), name=str(shop.get("name", "")))
        raise FinalError(
            "None of the shops this access token may use has the shop cipher "
            f"“{self.shop_cipher}”: copy the cipher of the shop to sync."
        )

    # the engine's entry point

    def items_send(self, items: list[ItemRequest]) -> list[ItemResult]:
        """Send the items product by product; one result per item, in order."""
        groups: dict[str, list[ItemRequest]] = {}
        for item in items:
            groups.setdefault(item.retailer_id.partition("-")[0], []).append(item)
        new = [group for group in groups.values() if _is_new(group)]
        try:  # one search for every product never acknowledged
            found = self._find([item.retailer_id for group in new for item in group])
            search_refused = None
        except ProductRefused as refused:  # creating blind could make duplicates
            found, search_refused = {}, refused
        results: dict[str, ItemResult] = {}
        for group in groups.values():
            try:
                if search_refused is not None and _is_new(group):
                    raise search_refused
                results.update(self._send_product(group, found))
            except ProductRefused as refused:
                for item in group:
                    results[item.retailer_id] = ItemResult(
                        item.retailer_id, "rejected", refused.message
                    )
        return [results[item.retailer_id] for item in items]

    def _send_product(
        self, group: list[ItemRequest], found: dict[str, tuple[str, str]]
    ) -> dict[str, ItemResult]:
        known = next((item.external for item in group if item.external.get("product_id")), {})
        product_id = str(known.get("product_id", ""))
        upserts = [item for item in group if item.method == "upsert"]
        if not upserts:  # the product left the channel
            if product_id:
                self._delete(product_id)
            return {
                item.retailer_id: ItemResult(item.retailer_id, "accepted", external={})
                for item in group
            }
        whole = [item for item in upserts if "title" in item.fields]
        if not whole:
            return self._update_stock_and_prices(product_id, upserts)
        if len(whole) != len(upserts):
            raise ValueError("TikTok takes whole products: send every variant whole")
        return self._upsert_product(product_id, upserts, group, found)

    # stock and price only

    def _update_stock_and_prices(
        self, product_id: str, upserts: list[ItemRequest]
    ) -> dict[str, ItemResult]:
        missing = [item for item in upserts if not item.external.get("sku_id")]
        if not product_id or missing:
            raise ProductRefused("Not on TikTok yet: it is sent whole with its next change.")
        sku = {item.retailer_id: str(item.external["sku_id"]) for item in upserts}
        errors: dict[str, str] = {}
        inventory = [
            {
                "id": sku[item.retailer_id],
                "inventory": [
                    {"warehouse_id": self.warehouse_id, "quantity": int(item.fields["inventory"])}
                ],
            }
            for item in upserts
            if "inventory" in item.fields
        ]
        prices = [
            {"id": sku[item.retailer_id], "price": _price(item.fields)}
            for item in upserts
            if "price" in item.fields
        ]
        root = f"/product/{VERSION}/products/{quote(product_id, safe='')}"
        for action, skus in (("inventory", inventory), ("prices", prices)):
            if skus:
                answer = self._call("POST", f"{root}/{action}/update", {"skus": skus})
                errors.update(self._sku_errors(answer))
        results = {}
        for item in upserts:
            message = errors.get(sku[item.retailer_id]) or errors.get("")
            results[item.retailer_id] = (
                ItemResult(item.retailer_id, "rejected", message)
                if message
                else ItemResult(item.retailer_id, "accepted")
            )
        return results

    @staticmethod
    def _sku_errors(data: dict) -> dict[str, str]:
        """``data.errors`` by SKU id ("" for an error that names no SKU)."""
        errors: dict[str, str] = {}
        for error in data.get("errors") or []:
            if isinstance(error, dict):
                detail = error.get("detail") if isinstance(error.get("detail"), dict) else {}
                sku_id = str(detail.get("sku_id", ""))
                errors[sku_id] = "; ".join(
                    filter(None, (errors.get(sku_id), str(error.get("message") or "Refused")))
                )
        return errors

    # whole products

    def _upsert_product(
        self,
        product_id: str,
        upserts: list[ItemRequest],
        group: list[ItemRequest],
        found: dict[str, tuple[str, str]],
    ) -> dict[str, ItemResult]:
        images = self._images(upserts)
        sku_ids = {item.retailer_id: str(item.external.get("sku_id", "")) for item in upserts}
        if not product_id:  # created before, its answer never stored?
            held = [found[item.retailer_id] for item in upserts if item.retailer_id in found]
            product_id = held[0][0] if held else ""
            sku_ids.update(
                {
                    rid: ids[1]
                    for rid, ids in found.items()
                    if ids[0] == product_id and rid in sku_ids
                }
            )
        data = None
        if product_id:
            path = f"/product/{VERSION}/products/{quote(product_id, safe='')}"
            try:
                data = self._call("PUT", path, self._product_body(upserts, images, sku_ids))
            except ProductRefused as refused:
                if refused.code != PRODUCT_NOT_FOUND and refused.status != 404:
                    raise
                sku_ids = {}  # deleted on TikTok's side: created again
        if data is None:
            body = self._product_body(upserts, images, sku_ids)
            data = self._call("POST", f"/product/{VERSION}/products", body)
            product_id = str(data.get("product_id") or "")
            if not product_id:
                raise RetryableError("The platform answered the create without a product_id.")
        for sku in data.get("skus") or []:
            if isinstance(sku, dict) and sku.get("seller_sku") and sku.get("id"):
                sku_ids[str(sku["seller_sku"])] = str(sku["id"])
        warnings = "; ".join(
            str(warning.get("message", ""))
            for warning in data.get("warnings") or []
            if isinstance(warning, dict)
        )
        results = {}
        for item in group:
            if item.method == "delete":  # a variant left out of the edit is removed
                results[item.retailer_id] = ItemResult(item.retailer_id, "accepted", external={})
                continue
            external = {
                "product_id": product_id,
                "sku_id": sku_ids.get(item.retailer_id, ""),
                "images": images,
            }
            outcome = "warning" if warnings else "accepted"
            results[item.retailer_id] = ItemResult(item.retailer_id, outcome, warnings, external)
        return results

    def _product_body(
        self, upserts: list[ItemRequest], images: dict[str, str], sku_ids: dict[str, str]
    ) -> dict:
        first = upserts[0].fields
        urls = [first.get("image_link", ""), *first.get("additional_image_link", [])]
        skus = []
        for item in upserts:
            fields = item.fields
            sku = {
                "seller_sku": item.retailer_id,
                "price": _price(fields),
                "inventory": [
                    {"warehouse_id": self.warehouse_id, "quantity": int(fields.get("inventory", 0))}
                ],
                "sales_attributes": [
                    {"name": name, "value_name": value}
                    for name, value in zip(
                        fields.get("option_names", []), fields.get("options", []), strict=False
                    )
                ],
            }
            if sku_ids.get(item.retailer_id):
                sku["id"] = sku_ids[item.retailer_id]
            if identifier := _identifier(str(fields.get("gtin", ""))):  # each SKU's own
                sku["identifier_code"] = identifier
            skus.append(sku)
        body = {
            "title": first["title"],
            "description": first.get("description_html") or first.get("description", ""),
            "category_id": self.category_id,
            "main_images": [{"uri": images[url]} for url in urls if url in images],
            "skus": skus,
        }
        if brand_id := self._brand_id(str(first.get("brand", ""))):
            body["brand_id"] = brand_id
        weights = [item.fields.get("weight_grams") or 0 for item in upserts]
        if max(weights):  # the heaviest SKU's, in kilograms
            body["package_weight"] = {
                "value": str(Decimal(max(weights)) / 1000),
                "unit": "KILOGRAM",
            }
        return body

    def _brand_id(self, name: str) -> str:
        """TikTok's id of the brand called ``name`` (case aside) in the connection's
        category, created as a custom brand when TikTok has none; "" when there is no
        brand, TikTok marks it unavailable for the category, or refuses it (the brand is
        optional: the product goes without). Once per name per client."""
        name = name.strip()
        if not name:
            return ""
        if name not in self._brands:
            try:
                self._brands[name] = self._brand_found_or_created(name)
            except ProductRefused:
                self._brands[name] = ""
        return self._brands[name]

    def _brand_found_or_created(self, name: str) -> str:
        data = self._call(
            "GET",
            f"/product/{VERSION}/brands",
            query={"brand_name": name, "category_id": self.category_id, "page_size": "100"},
        )
        brands = [brand for brand in data.get("brands") or [] if isinstance(brand, dict)]
        same = [
            brand for brand in brands if str(brand.get("name", "")).casefold() == name.casefold()
        ]
        if same:
            available = same[0].get("brand_status") != "UNAVAILABLE"
            return str(same[0].get("id") or "") if available else ""
        if len(name) not in BRAND_NAME_LENGTHS:
            return ""
        created = self._call("POST", f"/product/{VERSION}/brands", {"name": name})
        return str(created.get("id") or "")

    def _images(self, upserts: list[ItemRequest]) -> dict[str, str]:
        """URI per image URL: the ones uploaded before, and the new ones uploaded now."""
        cached: dict[str, str] = {}
        for item in upserts:
            cached.update(item.external.get("images") or {})
        first = upserts[0].fields
        urls = [first.get("image_link", ""), *first.get("additional_image_link", [])]
        images = {}
        for url in [url for url in urls if url][:MAX_IMAGES]:
            images[url] = cached.get(url) or self._upload(url)
        return images

    def _upload(self, url: str) -> str:
        content = self.image_fetch(url)
        boundary = uuid.uuid4().hex
        name = quote(url.rsplit("/", 1)[-1] or "image")
        disposition = "Content-Disposition: form-data; name="
        head = (
            f'--{boundary}\r\n{disposition}"data"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        tail = f'\r\n--{boundary}\r\n{disposition}"use_case"\r\n\r\nMAIN_IMAGE'
        tail += f"\r\n--{boundary}--\r\n"
        body = head.encode() + content + tail.encode()
        data = self._call(
            "POST",
            f"/product/{VERSION}/images/upload",
            multipart=(body, f"multipart/form-data; boundary={boundary}"),
        )
        if not data.get("uri"):
            raise RetryableError("The platform answered the image upload without a uri.")
        return str(data["uri"])

    def _find(self, seller_skus: list[str]) -> dict[str, tuple[str, str]]:
        """(product id, SKU id) by seller SKU, for those TikTok already holds (created by
        a send whose answer we never stored); one search per 100 seller SKUs."""
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(seller_skus), SEARCH_SIZE):
            wanted = set(seller_skus[start : start + SEARCH_SIZE])
            data = self._call(
                "POST",
                f"/product/{VERSION}/products/search",
                {"seller_skus": sorted(wanted)},
                query={"page_size": str(SEARCH_SIZE)},
            )
            for product in data.get("products") or []:
                if not isinstance(product, dict) or not product.get("id"):
                    continue
                for sku in product.get("skus") or []:
                    if isinstance(sku, dict) and sku.get("seller_sku") in wanted:
                        found[str(sku["seller_sku"])] = (str(product["id"]), str(sku.get("id")))
        return found

    def _delete(self, product_id: str) -> None:
        data = self._call("DELETE", f"/product/{VERSION}/products", {"product_ids": [product_id]})
        for error in data.get("errors") or []:
            if isinstance(error, dict) and error.get("code") != PRODUCT_NOT_FOUND:
                raise ProductRefused(str(error.get("message") or "Refused"))
