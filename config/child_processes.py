"""Child processes that die with the process that started them, even one killed with
SIGKILL (which runs no ``finally``): used for localstripe (``config/localstripe.py``),
the embedded Redis, and the web server, worker and beat that ``manage.py rundemo``
starts. Light on imports (no Django), as ``config.localstripe`` is imported by scripts
outside Django too."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A loopback port free now, for a server about to start."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def port_refusal(port: int) -> str | None:
    """Why loopback ``port`` cannot be bound now (the system's reason, e.g. "Address
    already in use"), or None when it is free. Binds as the servers do (SO_REUSEADDR)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError as error:
            return error.strerror or str(error)
    return None


def parent_death_signal() -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to send the child SIGTERM when its parent dies; None
    elsewhere, or off the main thread (the signal follows the *thread* that started the
    child: a helper thread ending would stop the child early). The request survives the
    child's ``exec`` but not its own forks: a child that starts others must stop them on
    SIGTERM (runserver's autoreloader does)."""
    if not sys.platform.startswith("linux") or threading.current_thread() is not (
        threading.main_thread()
    ):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request took hold
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def child_start(argv: Sequence[str], *, env: Mapping[str, str] | None = None) -> subprocess.Popen:
    """Start ``argv`` in a session of its own (so stopping it stops what it starts too),
    told by the kernel to stop when this process dies (Linux)."""
    return subprocess.Popen(  # noqa: S603 (callers pass this interpreter or a fixed binary)
        list(argv),
        env=dict(env) if env is not None else None,
        start_new_session=True,
        preexec_fn=parent_death_signal(),
    )


def children_stop(processes: Sequence[subprocess.Popen], timeout: float = 10) -> None:
    """SIGTERM to every process of each child's session, all at once; SIGKILL to those
    still running after ``timeout`` seconds."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
