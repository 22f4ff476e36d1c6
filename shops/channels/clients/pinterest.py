"""Pinterest catalog client: API v5 item batches.

- ``POST /v5/catalogs/items/batch`` with ``{country, language, operation, items}``, at
  most 1,000 items: ``UPSERT`` items are ``{item_id, attributes}``, ``UPDATE`` items add
  an ``update_mask`` (the attributes to change), ``DELETE`` items are ``{item_id}``.
  Answers ``{"batch_id", "status": "PROCESSING"|"COMPLETED"|"FAILED", ...}``.
- ``GET /v5/catalogs/items/batch/{batch_id}`` answers the same with ``items``:
  ``[{"item_id", "status": "SUCCESS"|"FAILURE"|"PROCESSING", "errors": [{"attribute",
  "code", "message"}], "warnings": [...]}]``.
- Both take the query parameter ``ad_account_id`` ("Business Access": the owner of that
  ad account is the "operation user_account" whose catalog is changed, when the token's
  user has the Owner, Admin or Catalogs Manager role on it; without it, the token
  user's own catalog). It is sent whenever the connection names an ad account (the one
  picked after the Pinterest login, ``Connection.external_id``). Source: the v5
  OpenAPI, ``items_batch/post`` and ``items_batch/get`` (parameter
  ``query_ad_account_id``; developers.pinterest.com/docs/api/v5/items_batch-post).
- ``GET /v5/user_account`` checks the token. Errors: ``{"code", "message"}``; 401 for a
  bad token, 429 for rate limits (with ``Retry-After``).
Sources: developers.pinterest.com/docs/api-features/modify-items-in-batch/ and the v5
OpenAPI (``/catalogs/items/batch``, ``CatalogsItemsBatch``, ``ItemProcessingRecord``).
UPSERT is refused for accounts that also ingest a feed: use one or the other.
"""

from __future__ import annotations

import time
from urllib.parse import quote, urlencode

from shops.channels.clients import (
    CatalogInfo,
    ItemRequest,
    ItemResult,
    PlatformClient,
    RetryableError,
)
from shops.channels.clients.http import request_json

BATCH_SIZE = 1_000
ARRAY_ATTRIBUTES = {"image_link", "additional_image_link"}
# the API's numbers (the feed writes them as text)
NUMBER_ATTRIBUTES = {
    "average_review_rating": float,
    "number_of_ratings": int,
    "number_of_reviews": int,
}


def _message(payload: dict) -> str:
    return str(payload.get("message", ""))


def _attributes(fields: dict) -> dict:
    attributes = {}
    for name, value in fields.items():
        if name == "id":
            continue
        if name in ARRAY_ATTRIBUTES and isinstance(value, str):
            value = [value]
        elif name in NUMBER_ATTRIBUTES and isinstance(value, str):
            value = NUMBER_ATTRIBUTES[name](value)
        attributes[name] = value
    return attributes


class PinterestClient(PlatformClient):
    """One ad account's catalog (country and language name the catalog's market)."""

    batch_size = BATCH_SIZE

    def __init__(
        self,
        *,
        base_url: str,
        access_token: str,
        country: str,
        language: str,
        timeout: float,
        poll_interval: float = 1.0,
        max_wait: float = 60.0,
        ad_account_id: str = "",
    ) -> None:
        self.root = f"{base_url.rstrip('/')}/v5"
        # the batches act for this ad account's owner (business access); "": the token's
        self.on_behalf = f"?{urlencode({'ad_account_id': ad_account_id})}" if ad_account_id else ""
        self.access_token = access_token
        self.country = country.upper()
        self.language = language.upper()
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.max_wait = max_wait

    def _call(self, method: str, path: str, body: dict | None = None):
        return request_json(
            method,
            self.root + path,
            body=body,
            headers={"Authorization": f"Bearer {self.access_token}"},
            timeout=self.timeout,
            error_message=_message,
        )

    def catalog_check(self) -> CatalogInfo:
        answer = self._call("GET", "/user_account")
        if not isinstance(answer, dict) or "username" not in answer:
            raise RetryableError("The platform answered without the account.")
        return CatalogInfo(id=str(answer.get("id", "")), name=str(answer["username"]))

    def items_send(self, items: list[ItemRequest]) -> list[ItemResult]:
        """Send up to 1,000 items (one batch per operation) and return one result each."""
        if len(items) > BATCH_SIZE:
            raise ValueError(f"Pinterest takes at most {BATCH_SIZE} items per batch")
        groups: dict[tuple, list[ItemRequest]] = {}
        for item in items:
            if item.method == "delete":
                key: tuple = ("DELETE",)
            elif {"title", "link"} <= set(item.fields):  # the whole item
                key = ("UPSERT",)
            else:
                key = ("UPDATE", *sorted(name for name in item.fields if name != "id"))
            groups.setdefault(key, []).append(item)
        by_id: dict[str, ItemResult] = {}
        for key, group in groups.items():
            operation = key[0]
            if operation == "DELETE":
                payload_items = [{"item_id": item.retailer_id} for item in group]
            elif operation == "UPSERT":
                payload_items = [
                    {"item_id": item.retailer_id, "attributes": _attributes(item.fields)}
                    for item in group
                ]
            else:
                payload_items = [
                    {
                        "item_id": item.retailer_id,
                        "attributes": _attributes(item.fields),
                        "update_mask": list(key[1:]),
                    }
                    for item in group
                ]
            answer = self._call(
                "POST",
                "/catalogs/items/batch" + self.on_behalf,
                {
                    "country": self.country,
                    "language": self.language,
                    "operation": operation,
                    "items": payload_items,
                },
            )
            batch_id = answer.get("batch_id") if isinstance(answer, dict) else None
            if not batch_id:
                raise RetryableError("The platform answered the batch without a batch_id.")
            for record in self._records(str(batch_id)):
                item_id = str(record.get("item_id", ""))
                errors, warnings = record.get("errors") or [], record.get("warnings") or []
                if record.get("status") == "FAILURE" or errors:
                    message = "; ".join(
                        str(e.get("message", "")) for e in errors if isinstance(e, dict)
                    )
                    by_id[item_id] = ItemResult(item_id, "rejected", message or "Refused")
                elif warnings:
                    message = "; ".join(
                        str(w.get("message", "")) for w in warnings if isinstance(w, dict)
                    )
                    by_id[item_id] = ItemResult(item_id, "warning", message)
        return [
            by_id.get(item.retailer_id) or ItemResult(item.retailer_id, "accepted")
            for item in items
        ]

    def _records(self, batch_id: str) -> list[dict]:
        deadline = time.monotonic() + self.max_wait
        while True:
            answer = self._call(
                "GET", f"/catalogs/items/batch/{quote(batch_id, safe='')}{self.on_behalf}"
            )
            if not isinstance(answer, dict) or "status" not in answer:
                raise RetryableError(
                    "The platform answered the batch status in a shape we do not know."
                )
            if answer["status"] in ("COMPLETED", "FAILED"):
                records = answer.get("items") or []
                return [record for record in records if isinstance(record, dict)]
            if time.monotonic() > deadline:
                raise RetryableError("The batch is still processing; it is sent again later.")
            time.sleep(self.poll_interval)
