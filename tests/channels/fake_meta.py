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
"""

from __future__ import annotations

import json
import re
import threading
import time
from urllib.parse import parse_qs, urlparse

from tests.channels.fake_http import FakeServer, JsonHandler

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

        class Handler(JsonHandler):
            def _authorized(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {fake.token}":
                    return True
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

            def do_GET(self) -> None:
                catalog, rest = self._catalog_path()
                if not self._authorized():
                    return
                if catalog != fake.catalog_id:
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
                    self._answer(200, {"id": fake.catalog_id, "name": "Fake catalog"})
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
                if catalog != fake.catalog_id or rest != "items_batch":
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
