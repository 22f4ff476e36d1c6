"""Meta (Facebook, Instagram) catalog client: the Graph API's catalog batch endpoints.

- ``POST /{version}/{catalog_id}/items_batch`` with ``item_type=PRODUCT_ITEM``,
  ``allow_upsert=true`` and ``requests=[{"method": "UPDATE"|"DELETE", "data": {"id":
  <retailer id>, ...}}]``, at most 5,000 requests per call; answers ``{"handles": [..]}``.
- ``GET /{version}/{catalog_id}/check_batch_request_status?handle=..`` answers
  ``{"data": [{"handle", "status": "dispatched"|"in_progress"|"finished",
  "errors_total_count", "errors": [{"line", "id", "message"}], "warnings": [..]}]}``.
- Errors: ``{"error": {"message", "type", "code"}}``; code 190 is an invalid or expired
  token (HTTP 400 or 401); codes 4, 17, 32, 613 and 80004 are rate limits.
Sources: developers.facebook.com/docs/marketing-api/catalog-batch/ and
/docs/marketing-api/reference/product-catalog/check_batch_request_status/.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from shops.channels.clients import ItemRequest, ItemResult, RetryableError
from shops.channels.clients.http import request_json

BATCH_SIZE = 5_000
RATE_LIMIT_CODES = {4, 17, 32, 613, 80004}


def _message(payload: dict) -> str:
    error = payload.get("error")
    return str(error.get("message", "")) if isinstance(error, dict) else ""


def _code(payload: dict) -> int | None:
    error = payload.get("error")
    return error.get("code") if isinstance(error, dict) else None


@dataclass(frozen=True)
class CatalogInfo:
    id: str
    name: str


class MetaClient:
    """One catalog, one access token."""

    batch_size = BATCH_SIZE

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
        self.root = f"{base_url.rstrip('/')}/{api_version}/{quote(catalog_id, safe='')}"
        self.access_token = access_token
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
            is_credentials_error=lambda payload: _code(payload) == 190,
            is_rate_limited=lambda payload: _code(payload) in RATE_LIMIT_CODES,
        )

    def catalog_check(self) -> CatalogInfo:
        """The catalog's id and name; CredentialsError when the token is refused."""
        answer = self._call("GET", "?" + urlencode({"fields": "id,name"}))
        if not isinstance(answer, dict) or "id" not in answer:
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
        answer = self._call(
            "POST",
            "/items_batch",
            {"item_type": "PRODUCT_ITEM", "allow_upsert": True, "requests": requests},
        )
        handles = answer.get("handles") if isinstance(answer, dict) else None
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
            answer = self._call(
                "GET", "/check_batch_request_status?" + urlencode({"handle": handle})
            )
            data = answer.get("data") if isinstance(answer, dict) else None
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
