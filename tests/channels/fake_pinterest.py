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
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlparse

from tests.channels.fake_http import FakeServer, JsonHandler

REQUIRED = ("title", "description", "link", "image_link", "price", "availability")
PRICE = re.compile(r"^\d+(\.\d{1,2})? [A-Z]{3}$")


class FakePinterest(FakeServer):
    def __init__(self, *, token: str = "pin-token") -> None:  # noqa: S107
        self.token = token
        self.items: dict[str, dict] = {}
        self.batches: list[dict] = []
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

        class Handler(JsonHandler):
            def _authorized(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {fake.token}":
                    return True
                self._answer(401, {"code": 2, "message": "Authentication failed."})
                return False

            def do_GET(self) -> None:
                path = urlparse(self.path).path
                if not self._authorized():
                    return
                if path == "/v5/user_account":
                    self._answer(200, {"username": "etalage-shop", "account_type": "BUSINESS"})
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
