"""A minimal, fast Stripe stand-in for the buy-now benchmark: ``POST /v1/payment_intents``
answers a PaymentIntent (id, client_secret, amount, currency, status, metadata) as
Stripe does, the same one again for a repeated ``Idempotency-Key``; ``GET /v1/balance``
an empty balance (the key check when the shop's keys are saved); anything else is a
404 in Stripe's error shape. Nothing is stored beyond the idempotency keys.

It lets the benchmark measure our own latency apart from localstripe's (which is
single-threaded and pickles its whole store to disk on every POST).

    .venv/bin/python bench/stripe_stub.py   # prints its port, serves until stdin closes
"""

from __future__ import annotations

import http.server
import json
import secrets
import socketserver
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from subprocess import PIPE, Popen


class StubHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the stripe library's session expects
    # headers and body leave in one write (flushed in _send), without Nagle: written apart,
    # the body would wait for the client's delayed ACK (about 40 ms on Linux)
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    answers: dict[str, bytes] = {}
    lock = threading.Lock()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        if self.path.split("?")[0] != "/v1/payment_intents":
            self._send(404, {"error": {"type": "invalid_request_error", "message": "stub"}})
            return
        key = self.headers.get("Idempotency-Key") or ""
        with self.lock:
            body = self.answers.get(key)
        if body is None:
            intent_id = "pi_" + secrets.token_hex(12)
            body = json.dumps(
                {
                    "id": intent_id,
                    "object": "payment_intent",
                    "amount": int(form.get("amount", ["0"])[0]),
                    "currency": form.get("currency", ["eur"])[0],
                    "status": "requires_payment_method",
                    "client_secret": f"{intent_id}_secret_{secrets.token_hex(8)}",
                    "created": int(time.time()),
                    "livemode": False,
                    "metadata": {
                        name[len("metadata[") : -1]: values[0]
                        for name, values in form.items()
                        if name.startswith("metadata[")
                    },
                }
            ).encode()
            if key:
                with self.lock:
                    self.answers[key] = body
        self._send(200, body)

    def do_GET(self) -> None:
        if self.path.split("?")[0] != "/v1/balance":
            self._send(404, {"error": {"type": "invalid_request_error", "message": "stub"}})
            return
        self._send(200, {"object": "balance", "available": [], "pending": [], "livemode": False})

    def _send(self, status: int, body: bytes | dict) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def log_message(self, *args) -> None:
        pass


class StubServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 1024


@contextmanager
def stripe_stub_server() -> Iterator[tuple[str, int]]:
    """Run the stub in a process of its own; yield its base URL and process id."""
    process = Popen([sys.executable, __file__], stdin=PIPE, stdout=PIPE, text=True)
    try:
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.stdin.close()
        process.wait(timeout=10)


if __name__ == "__main__":
    server = StubServer(("127.0.0.1", 0), StubHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()
