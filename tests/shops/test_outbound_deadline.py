"""One total deadline per outbound request: a server that drips one byte at a time never
trips a per-read socket timeout, so without a deadline it holds the worker as long as it
likes (the hostile tester held an image fetch 46 s against a 10 s timeout)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django.core.exceptions import ValidationError

from shops.channels.clients import RetryableError
from shops.channels.clients.http import request_json
from shops.channels.clients.instagram import Credentials, InstagramClient
from shops.media import image_download
from shops.webhooks.client import post_signed

DRIP_SECONDS = 30  # how long the server keeps dripping: far beyond any deadline below
DEADLINE = 2
MARGIN = 6  # generous: a loaded 2-core machine; without the deadline it takes 30 s


class DripServer:
    """Answers every connection by sending its answer one byte every 0.2 s, for up to
    DRIP_SECONDS: from the first header byte (``phase="headers"``) or after complete
    headers announcing a large body (``phase="body"``)."""

    def __init__(self, phase: str) -> None:
        self.phase = phase
        self.stopped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.5)
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/picture.jpg"

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._drip, args=(connection,), daemon=True).start()

    def _drip(self, connection: socket.socket) -> None:
        headers = b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n"
        with connection:
            connection.settimeout(1)
            try:
                connection.recv(65536)  # the request
                if self.phase == "body":
                    connection.sendall(headers)
                    payload = b"x" * 100000
                else:
                    payload = headers + b"x" * 100000
                started = time.monotonic()
                for byte in payload:
                    if self.stopped.wait(0.2) or time.monotonic() - started > DRIP_SECONDS:
                        return
                    connection.sendall(bytes([byte]))
            except OSError:
                return  # the client gave up: what the tests want

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()


@pytest.fixture(params=["headers", "body"])
def drip_server(request) -> Iterator[DripServer]:
    server = DripServer(request.param)
    yield server
    server.stop()


def elapsed(call: Callable[[], object]) -> tuple[float, object]:
    started = time.monotonic()
    try:
        outcome = call()
    except Exception as error:  # the outcome is asserted by each test
        outcome = error
    return time.monotonic() - started, outcome


def test_an_image_fetch_gives_up_at_its_total_deadline(drip_server, settings):
    settings.CATALOG_IMAGE_FETCH_PRIVATE = True
    settings.CATALOG_IMAGE_FETCH_TIMEOUT = DEADLINE

    seconds, outcome = elapsed(lambda: image_download(drip_server.url))

    assert seconds < DEADLINE + MARGIN
    assert isinstance(outcome, ValidationError)
    assert "could not be downloaded (timed out" in outcome.messages[0]


def test_a_platform_call_gives_up_at_its_total_deadline(drip_server):
    seconds, outcome = elapsed(lambda: request_json("GET", drip_server.url, timeout=DEADLINE))

    assert seconds < DEADLINE + MARGIN
    assert isinstance(outcome, RetryableError)


def test_an_instagram_call_gives_up_at_its_total_deadline(drip_server):
    base_url = drip_server.url.rsplit("/", 1)[0]
    client = InstagramClient(
        credentials=Credentials(account_id="1", access_token="t"),
        base_url=base_url,
        timeout=DEADLINE,
    )

    seconds, outcome = elapsed(client.media_page)

    assert seconds < DEADLINE + MARGIN
    assert isinstance(outcome, RetryableError)
    assert str(outcome) == f"No answer within {DEADLINE} s."


def test_a_webhook_delivery_gives_up_at_its_total_deadline(drip_server, settings):
    settings.WEBHOOK_DELIVERY_PRIVATE = True

    seconds, outcome = elapsed(
        lambda: post_signed(
            url=drip_server.url, body=b"{}", secrets=["s"], message_id="evt", timeout=DEADLINE
        )
    )

    assert seconds < DEADLINE + MARGIN
    assert outcome.status_code is None
    assert "timed out" in outcome.error
