"""A local stand-in for the Google Merchant API (products_v1 productInputs), following
developers.google.com/merchant/api/reference/rest/products_v1/accounts.productInputs:
insert (upsert by offerId, language and feed label), patch with ``updateMask``, delete;
``GET /accounts/v1/accounts/{id}``; errors ``{"error": {"code", "message", "status"}}``.
An input without title, link, imageLink, availability or price, or a price without
``amountMicros``, is refused with 400 INVALID_ARGUMENT. ``script``: ("429", retry_after),
("500",).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, unquote, urlparse

from tests.channels.fake_http import FakeServer, JsonHandler

REQUIRED = ("title", "link", "imageLink", "availability", "price")


class FakeGoogle(FakeServer):
    def __init__(self, *, token: str = "google-token", account: str = "4242") -> None:  # noqa: S107
        self.token = token
        self.account = account
        self.products: dict[str, dict] = {}  # name → productAttributes
        self.calls: list[tuple[str, str, dict]] = []
        self._serve()

    def _handler(self):
        fake = self

        def error(code: int, status: str, message: str) -> dict:
            return {"error": {"code": code, "status": status, "message": message}}

        class Handler(JsonHandler):
            def _start(self) -> tuple[str, dict, dict] | None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    self._answer(
                        401,
                        error(
                            401,
                            "UNAUTHENTICATED",
                            "Request had invalid authentication credentials.",
                        ),
                    )
                    return None
                with fake.lock:
                    step = fake.script.pop(0) if fake.script else None
                if step and step[0] == "429":
                    self._answer(
                        429,
                        error(429, "RESOURCE_EXHAUSTED", "Quota exceeded."),
                        {"Retry-After": str(step[1])},
                    )
                    return None
                if step and step[0] == "500":
                    self._answer(503, error(503, "UNAVAILABLE", "The service is unavailable."))
                    return None
                fake.calls.append((self.command, unquote(url.path), body))
                return unquote(url.path), parse_qs(url.query), body

            def do_GET(self) -> None:
                started = self._start()
                if started and started[0] == f"/accounts/v1/accounts/{fake.account}":
                    self._answer(200, {"name": f"accounts/{fake.account}", "accountName": "Shop"})
                elif started:
                    self._answer(404, error(404, "NOT_FOUND", "Not found."))

            def _invalid(self, attributes: dict) -> str:
                missing = [name for name in REQUIRED if not attributes.get(name)]
                if missing:
                    return f"[{missing[0]}] Missing required attribute."
                if "amountMicros" not in attributes["price"]:
                    return "[price] Invalid price."
                return ""

            def do_POST(self) -> None:
                started = self._start()
                if not started:
                    return
                path, query, body = started
                name = (
                    f"accounts/{fake.account}/productInputs/{body.get('contentLanguage')}"
                    f"~{body.get('feedLabel')}~{body.get('offerId')}"
                )
                if not query.get("dataSource") or not path.endswith("productInputs:insert"):
                    self._answer(400, error(400, "INVALID_ARGUMENT", "dataSource is required."))
                    return
                problem = self._invalid(body.get("productAttributes") or {})
                if problem:
                    self._answer(400, error(400, "INVALID_ARGUMENT", problem))
                    return
                fake.products[name] = body["productAttributes"]
                self._answer(200, {"name": name, **body})

            def do_PATCH(self) -> None:
                started = self._start()
                if not started:
                    return
                path, query, body = started
                name = path.removeprefix("/products/v1/")
                if name not in fake.products:
                    self._answer(404, error(404, "NOT_FOUND", "Product input not found."))
                    return
                for field in query.get("updateMask", [""])[0].split(","):
                    attribute = field.removeprefix("productAttributes.")
                    value = (body.get("productAttributes") or {}).get(attribute)
                    if value is None:
                        fake.products[name].pop(attribute, None)
                    else:
                        fake.products[name][attribute] = value
                self._answer(200, {"name": name, "productAttributes": fake.products[name]})

            def do_DELETE(self) -> None:
                started = self._start()
                if not started:
                    return
                name = started[0].removeprefix("/products/v1/")
                if fake.products.pop(name, None) is None:
                    self._answer(404, error(404, "NOT_FOUND", "Product input not found."))
                    return
                self._answer(200, {})

        return Handler
