"""Meta (Facebook, Instagram) catalog client: the Graph API's catalog batch endpoints.

- ``POST /{version}/{catalog_id}/items_batch`` with ``item_type=PRODUCT_ITEM``,
  ``allow_upsert=true`` and ``requests=[{"method": "UPDATE"|"DELETE", "data": {"id":
  <retailer id>, ...}}]``, at most 5,000 requests per call; answers ``{"handles": [..]}``.
- ``GET /{version}/{catalog_id}/check_batch_request_status?handle=..`` answers
  ``{"data": [{"handle", "status": "dispatched"|"in_progress"|"finished",
  "errors_total_count", "errors": [{"line", "id", "message"}], "warnings": [..]}]}``.
- Errors and the address: the Graph API's (``graph``); code 190 is an invalid or
  expired token (HTTP 400 or 401), 80004 the catalog's rate limit.
- The items' fields are Meta's catalog fields, as in its feed (``feeds``), but the stock
  is ``inventory`` (a number) and ``additional_image_link`` a list.
Sources: developers.facebook.com/docs/marketing-api/catalog-batch/ and
/docs/marketing-api/reference/product-catalog/check_batch_request_status/.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import quote

from shops.channels.clients import (
    CatalogInfo,
    ItemRequest,
    ItemResult,
    PlatformClient,
    RetryableError,
)
from shops.channels.clients.graph import Graph

if TYPE_CHECKING:
    from shops.channels.items import FeedItem

BATCH_SIZE = 5_000


class MetaClient(PlatformClient):
    """One catalog, one access token."""

    batch_size = BATCH_SIZE
    stock_fields = ("availability", "inventory")

    def __init__(
        self,
        *,
        base_url: str,
        api_version: str,
        access_token: str,
        catalog_id: str,
        timeout: float,
        poll_interval: float = 1.0,
        max_wait: float = 60.0,
    ) -> None:
        self.graph = Graph(
            base_url=base_url,
            api_version=api_version,
            access_token=access_token,
            timeout=timeout,
        )
        self.catalog = quote(catalog_id, safe="")
        self.poll_interval = poll_interval
        self.max_wait = max_wait

    def item_fields(self, row: dict[str, str], item: FeedItem) -> dict:
        fields = super().item_fields(row, item)
        if "quantity_to_sell_on_facebook" in fields:
            fields["inventory"] = item.stock
            del fields["quantity_to_sell_on_facebook"]
        return fields

    def catalog_check(self) -> CatalogInfo:
        """The catalog's id and name; CredentialsError when the token is refused."""
        answer = self.graph.request("GET", self.catalog, params={"fields": "id,name"})
        if "id" not in answer:
            raise RetryableError("The platform answered without the catalog.")
        return CatalogInfo(id=str(answer["id"]), name=str(answer.get("name", "")))

    def items_send(self, items: list[ItemRequest]) -> list[ItemResult]:
        """Send up to 5,000 items, wait for the batch to finish, and return one result
        per item (accepted unless the batch status names it)."""
        if len(items) > BATCH_SIZE:
            raise ValueError(f"Meta takes at most {BATCH_SIZE} items per batch")
        requests = [
            {"method": "DELETE", "data": {"id": item.retailer_id}}
            if item.method == "delete"
            else {"method": "UPDATE", "data": {"id": item.retailer_id, **item.fields}}
            for item in items
        ]
        answer = self.graph.request(
            "POST",
            f"{self.catalog}/items_batch",
            body={"item_type": "PRODUCT_ITEM", "allow_upsert": True, "requests": requests},
        )
        handles = answer.get("handles")
        if not isinstance(handles, list) or not handles:
            raise RetryableError("The platform answered the batch without a handle.")
        by_id: dict[str, ItemResult] = {}
        for handle in handles:
            status = self._status(str(handle))
            for kind, outcome in (("warnings", "warning"), ("errors", "rejected")):
                for entry in status.get(kind) or []:
                    if not isinstance(entry, dict):
                        continue
                    retailer = entry.get("id")
                    if retailer is None and isinstance(entry.get("line"), int):
                        line = entry["line"]
                        retailer = items[line].retailer_id if 0 <= line < len(items) else None
                    if retailer is not None:
                        by_id[str(retailer)] = ItemResult(
                            str(retailer), outcome, str(entry.get("message", ""))
                        )
        return [
            by_id.get(item.retailer_id) or ItemResult(item.retailer_id, "accepted")
            for item in items
        ]

    def _status(self, handle: str) -> dict:
        deadline = time.monotonic() + self.max_wait
        while True:
            answer = self.graph.request(
                "GET", f"{self.catalog}/check_batch_request_status", params={"handle": handle}
            )
            data = answer.get("data")
            if not isinstance(data, list) or not data or not isinstance(data[0], dict):
                raise RetryableError(
                    "The platform answered the batch status in a shape we do not know."
                )
            status = data[0]
            if status.get("status") == "finished":
                return status
            if time.monotonic() > deadline:
                raise RetryableError("The batch is still processing; it is sent again later.")
            time.sleep(self.poll_interval)
