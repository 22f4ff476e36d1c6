"""What the fake platform servers share: a handler that answers JSON quietly."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class JsonHandler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def _answer(self, status: int, payload, headers: dict | None = None) -> None:
        """``payload`` as JSON (bytes are sent as they are: the "garbage" answers)."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class FakeServer:
    """A fake platform on a free loopback port; subclasses give ``_handler()``.

    ``stop()`` then ``restart()``: the platform is down a while, then back on its port."""

    def _serve(self) -> None:
        self.lock = threading.Lock()
        self.script: list[tuple] = []  # failures for the next calls, in order
        self._listen(port=0)

    def _listen(self, *, port: int) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.is_serving = True

    def _handler(self) -> type[JsonHandler]:
        raise NotImplementedError

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Close the port: calls are refused, as by a platform that is down."""
        if self.is_serving:
            self.server.shutdown()
            self.server.server_close()
        self.is_serving = False

    def restart(self) -> None:
        """Serve again on the same port, holding what it held before it stopped."""
        if not self.is_serving:
            self._listen(port=self.port)
