"""Run localstripe (a stateful fake Stripe server, GPL: started as a separate process,
never imported) on a free loopback port. Used by the tests and bench/buy_now.py."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def localstripe_server(timeout: float = 20) -> Iterator[str]:
    """Start localstripe and yield its base URL (``http://127.0.0.1:<port>``)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                requests.get(f"{base}/js.stripe.com/v3/", timeout=1).raise_for_status()
                break
            except requests.RequestException:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("localstripe did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def localstripe_webhook(base: str, *, name: str, url: str, secret: str) -> None:
    """Have localstripe send its signed events to ``url`` (POST /_config/webhooks/<name>)."""
    response = requests.post(
        f"{base}/_config/webhooks/{name}", data={"url": url, "secret": secret}, timeout=5
    )
    response.raise_for_status()
