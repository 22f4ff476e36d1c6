"""Fixtures of image tests: a loopback HTTP server that serves pictures (and failures)."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator

import pytest

# Answers that are no picture: (route, the error's code, words of its message); the
# last one needs a limit of 2 KB.
BAD_PICTURES = [
    ((404, b"gone", 0), "image_url_status", "could not be downloaded: the server answered 404"),
    ((200, b"<html>sold out</html>", 0), "not_an_image", "not an image we can read"),
    ((200, b"x" * 3000, 0), "image_too_large", "is larger than 2 KB"),
]


class ImageServer(http.server.BaseHTTPRequestHandler):
    """Answers each path of ``routes`` with (status, body, delay in seconds); a 3xx body
    is the Location. Any other path is a 404."""

    routes: dict[str, tuple[int, bytes, float]] = {}

    def do_GET(self) -> None:
        status, body, delay = self.routes.get(self.path, (404, b"not here", 0))
        time.sleep(delay)
        self.send_response(status)
        if 300 <= status < 400:  # a redirect's body names where to
            self.send_header("Location", body.decode())
            body = b""
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def image_server(settings) -> Iterator[str]:
    """The server's base URL, with fetching from loopback allowed and a short timeout
    (long enough for a loaded machine: a slow route must take well over it)."""
    settings.CATALOG_IMAGE_FETCH_PRIVATE = True
    settings.CATALOG_IMAGE_FETCH_TIMEOUT = 2
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ImageServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
