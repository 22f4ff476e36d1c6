"""Google Merchant API client: product inputs (the Content API for Shopping is shut down).

- ``POST /products/v1/accounts/{account}/productInputs:insert?dataSource=accounts/
  {account}/dataSources/{data source}`` with a ``ProductInput``: ``offerId``,
  ``contentLanguage``, ``feedLabel``, ``productAttributes`` (title, description, link,
  imageLink, additionalImageLinks, availability ``IN_STOCK``/``OUT_OF_STOCK``, condition,
  price/salePrice as ``{"amountMicros", "currencyCode"}``, brand, gtins, mpn,
  itemGroupId, googleProductCategory, identifierExists, color, sizes, gender, ageGroup,
  material, pattern, sizeSystem, productTypes, shippingWeight ``{"value", "unit"}``,
  shipping ``[{"country", "price"}]``). Inserting an existing offer replaces it (upsert).
- ``PATCH /products/v1/{name}?updateMask=...&dataSource=...`` changes some attributes;
  ``name`` is ``accounts/{account}/productInputs/{contentLanguage}~{feedLabel}~{offerId}``.
- ``DELETE /products/v1/{name}?dataSource=...``.
- ``GET /accounts/v1/accounts/{account}`` checks the token.
- Errors: ``{"error": {"code", "message", "status"}}``; 401 UNAUTHENTICATED, 403
  PERMISSION_DENIED, 429 RESOURCE_EXHAUSTED, 5xx.
Sources: developers.google.com/merchant/api/reference/rest/products_v1/
accounts.productInputs and the Merchant API migration guide (prices in micros).
One call per item: a per-item 4xx is that item's rejection; 429/5xx stop the batch
(it is sent again whole; inserts and deletes are idempotent).
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote, urlencode

from shops.channels.clients import (
    CatalogInfo,
    FinalError,
    ItemRequest,
    ItemResult,
    PlatformClient,
    RetryableError,
)
from shops.channels.clients.http import request_json

BATCH_SIZE = 1_000  # items per engine batch (the API takes one item per call)
FIELD_NAMES = {
    "title": "title",
    "description": "description",
    "link": "link",
    "image_link": "imageLink",
    "additional_image_link": "additionalImageLinks",
    "availability": "availability",
    "condition": "condition",
    "brand": "brand",
    "mpn": "mpn",
    "item_group_id": "itemGroupId",
    "google_product_category": "googleProductCategory",
    "color": "color",
    "gender": "gender",
    "age_group": "ageGroup",
    "material": "material",
    "pattern": "pattern",
    "size_system": "sizeSystem",
}


def _message(payload: dict) -> str:
    error = payload.get("error")
    return str(error.get("message", "")) if isinstance(error, dict) else ""


def _money(text: str) -> dict:
    """ "19.90 EUR" → {"amountMicros": "19900000", "currencyCode": "EUR"}."""
    amount, currency = text.split(" ")
    return {"amountMicros": str(int(Decimal(amount) * 1_000_000)), "currencyCode": currency}


def product_attributes(fields: dict) -> dict:
    """Feed fields (google_row names) as Merchant API productAttributes."""
    attributes: dict = {}
    for name, value in fields.items():
        if name in ("price", "sale_price"):
            if value:
                attributes["price" if name == "price" else "salePrice"] = _money(value)
        elif name == "availability":
            attributes["availability"] = value.upper()
        elif name == "condition":
            attributes["condition"] = value.upper()
        elif name == "gtin":
            attributes["gtins"] = [value]
        elif name == "size":
            attributes["sizes"] = [value]
        elif name == "product_type":
            attributes["productTypes"] = [value]
        elif name == "identifier_exists":
            attributes["identifierExists"] = value == "yes"
        elif name == "shipping_weight":
            grams, _, unit = value.partition(" ")
            attributes["shippingWeight"] = {"value": int(grams), "unit": unit}
        elif name == "shipping":
            attributes["shipping"] = [
                {"country": group.split(":", 3)[0], "price": _money(group.split(":", 3)[3])}
                for group in value.split(",")
            ]
        elif name in FIELD_NAMES:
            attributes[FIELD_NAMES[name]] = value
    return attributes


class GoogleClient(PlatformClient):
    batch_size = BATCH_SIZE

    def __init__(
        self,
        *,
        base_url: str,
        access_token: str,
        account_id: str,
        data_source_id: str,
        language: str,
        feed_label: str,
        timeout: float,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.access_token = access_token
        self.account = f"accounts/{quote(account_id, safe='')}"
        self.data_source = f"{self.account}/dataSources/{quote(data_source_id, safe='')}"
        self.language = language.lower()
        self.feed_label = feed_label.upper()
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict | None = None):
        return request_json(
            method,
            self.base + path,
            body=body,
            timeout=self.timeout,
            error_message=_message,
            headers={"Authorization": f"Bearer {self.access_token}"},
        )

    def catalog_check(self) -> CatalogInfo:
        answer = self._call("GET", f"/accounts/v1/{self.account}")
        if not isinstance(answer, dict) or "name" not in answer:
            raise RetryableError("The platform answered without the account.")
        return CatalogInfo(id=str(answer["name"]), name=str(answer.get("accountName", "")))

    def _name(self, offer_id: str) -> str:
        return f"{self.account}/productInputs/{self.language}~{self.feed_label}~{offer_id}"

    def _send_one(self, item: ItemRequest) -> None:
        source = urlencode({"dataSource": self.data_source})
        if item.method == "delete":
            self._call("DELETE", f"/products/v1/{self._name(item.retailer_id)}?{source}")
            return
        attributes = product_attributes(item.fields)
        if {"title", "link"} <= set(item.fields):
            self._call(
                "POST",
                f"/products/v1/{self.account}/productInputs:insert?{source}",
                {
                    "offerId": item.retailer_id,
                    "contentLanguage": self.language,
                    "feedLabel": self.feed_label,
                    "productAttributes": attributes,
                },
            )
            return
        masked = set(attributes) | ({"salePrice"} if "sale_price" in item.fields else set())
        mask = ",".join(f"productAttributes.{name}" for name in sorted(masked))
        query = urlencode({"updateMask": mask, "dataSource": self.data_source})
        self._call(
            "PATCH",
            f"/products/v1/{self._name(item.retailer_id)}?{query}",
            {"productAttributes": attributes},
        )

    def items_send(self, items: list[ItemRequest]) -> list[ItemResult]:
        results = []
        for item in items:
            try:
                self._send_one(item)
            except FinalError as error:
                if error.status == 404 and item.method == "delete":
                    results.append(ItemResult(item.retailer_id, "accepted"))
                    continue
                if error.status in (401, 403):
                    raise
                results.append(ItemResult(item.retailer_id, "rejected", error.message))
                continue
            results.append(ItemResult(item.retailer_id, "accepted"))
        return results
