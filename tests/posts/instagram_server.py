"""A local stand-in for the Instagram Graph API media endpoints, following Meta's
documented answers: ``GET /{version}/{ig-user-id}/media`` pages with cursors, media JSON
with ``children`` for carousels, the error object with its codes, and the CDN's pictures.
The access token comes in the Authorization header (``Bearer``) or the ``access_token``
query parameter, as the Graph API takes either."""

from __future__ import annotations

import io
import json
import os
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image

ACCOUNT = "17841400000000001"
TOKEN = "EAAG-token-ok"


def png(colour: str, size: tuple[int, int] = (320, 320)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def noise_png(size: tuple[int, int] = (300, 300)) -> bytes:
    """A picture that does not compress: about 270 KB."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "PNG")
    return buffer.getvalue()


PICTURES = {
    "red.png": png("red"),
    "blue.png": png("blue"),
    "green.png": png("green"),
    "broken.png": b"\x89PNG\r\n\x1a\n not really",
    "huge.png": noise_png(),
}

ERRORS = {
    # account id: (HTTP status, code, type, message)
    "expired": (400, 190, "OAuthException", "Error validating access token: Session has expired"),
    "busy-app": (403, 4, "OAuthException", "(#4) Application request limit reached"),
    "busy-user": (400, 17, "OAuthException", "(#17) User request limit reached"),
    "down": (
        500,
        2,
        "OAuthException",
        "An unexpected error has occurred. Please retry your request later.",
    ),
    "bad-param": (400, 100, "OAuthException", "(#100) Tried accessing nonexisting field (colour)"),
}


VERSION = re.compile(r"v\d+\.\d+")


class GraphHandler(BaseHTTPRequestHandler):
    requests: list[str] = []
    authorizations: list[str | None] = []  # the Authorization header of each request

    def log_message(self, *args) -> None:  # quiet
        pass

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        GraphHandler.requests.append(self.path)
        GraphHandler.authorizations.append(self.headers.get("Authorization"))
        if parts.path.startswith("/cdn/"):
            return self._picture(parts.path.removeprefix("/cdn/"))
        segments = parts.path.strip("/").split("/")
        if len(segments) != 3 or not VERSION.fullmatch(segments[0]) or segments[2] != "media":
            return self._json(
                400,
                {
                    "error": {
                        "message": "Unknown path components",
                        "type": "OAuthException",
                        "code": 2500,
                        "fbtrace_id": "AbC",
                    }
                },
            )
        account = segments[1]
        if account == "slow":
            time.sleep(1.5)
        if account == "gateway":
            body = b"<html><body>502 Bad Gateway</body></html>"
            self.send_response(502)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        if account in ERRORS:
            status, code, kind, message = ERRORS[account]
            return self._json(
                status,
                {
                    "error": {
                        "message": message,
                        "type": kind,
                        "code": code,
                        "error_subcode": 463 if code == 190 else None,
                        "fbtrace_id": "A1b2C3",
                    }
                },
            )
        bearer = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        if (query.get("access_token") or bearer) != TOKEN:
            return self._json(
                400,
                {
                    "error": {
                        "message": "Invalid OAuth access token - Cannot parse access token",
                        "type": "OAuthException",
                        "code": 190,
                        "fbtrace_id": "Zz9",
                    }
                },
            )
        page = self._page(segments[0], query.get("after", ""), int(query.get("limit", 25)))
        return self._json(200, page)

    def _base(self) -> str:
        return f"http://{self.headers['Host']}"

    def _page(self, version: str, after: str, limit: int) -> dict:
        cdn = f"{self._base()}/cdn"
        media = [
            {
                "id": "18000000000000001",
                "media_type": "IMAGE",
                "caption": "Red tote at the beach",
                "media_url": f"{cdn}/red.png",
                "permalink": "https://www.instagram.com/p/AAA/",
                "timestamp": "2026-11-20T10:00:00+0000",
            },
            {
                "id": "18000000000000002",
                "media_type": "CAROUSEL_ALBUM",
                "caption": "Two colours",
                "media_url": f"{cdn}/blue.png",
                "permalink": "https://www.instagram.com/p/BBB/",
                "timestamp": "2026-11-19T10:00:00+0000",
                "children": {
                    "data": [
                        {
                            "id": "18000000000000021",
                            "media_type": "IMAGE",
                            "media_url": f"{cdn}/blue.png",
                        },
                        {
                            "id": "18000000000000022",
                            "media_type": "VIDEO",
                            "media_url": f"{cdn}/v.mp4",
                        },
                        {
                            "id": "18000000000000023",
                            "media_type": "IMAGE",
                            "media_url": f"{cdn}/green.png",
                        },
                    ]
                },
            },
            {
                "id": "18000000000000003",
                "media_type": "VIDEO",
                "caption": "A reel",
                "media_url": f"{cdn}/v.mp4",
                "permalink": "https://www.instagram.com/reel/CCC/",
                "timestamp": "2026-11-18T10:00:00+0000",
            },
            {
                "id": "18000000000000004",
                "media_type": "IMAGE",
                "caption": "Too big",
                "media_url": f"{cdn}/huge.png",
                "permalink": "https://www.instagram.com/p/DDD/",
                "timestamp": "2026-11-17T10:00:00+0000",
            },
            {
                "id": "18000000000000005",
                "media_type": "IMAGE",
                "caption": "Broken",
                "media_url": f"{cdn}/broken.png",
                "permalink": "https://www.instagram.com/p/EEE/",
                "timestamp": "2026-11-16T10:00:00+0000",
            },
        ]
        start = int(after.removeprefix("cursor-") or 0) if after else 0
        items = media[start : start + limit]
        end = start + len(items)
        page = {
            "data": items,
            "paging": {"cursors": {"before": f"cursor-{start}", "after": f"cursor-{end}"}},
        }
        if end < len(media):
            page["paging"]["next"] = (
                f"{self._base()}/{version}/{ACCOUNT}/media?limit={limit}&after=cursor-{end}"
            )
        return page

    def _picture(self, name: str) -> None:
        data = PICTURES.get(name)
        if data is None:
            return self._json(404, {"error": "not found"})
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return None


class GraphServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """Quiet: a client that timed out (the "slow" account) breaks the pipe on purpose."""


@contextmanager
def graph_server() -> Iterator[str]:
    """Serve on a free loopback port; yields the API base URL (the version goes after it)."""
    server = GraphServer(("127.0.0.1", 0), GraphHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
