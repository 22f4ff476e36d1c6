"""Child processes that die with the process that started them, even one killed with
SIGKILL (which runs no ``finally``): used for localstripe (``orders/localstripe.py``) and
the runserver that ``manage.py rundemo`` starts. Light on imports (no Django), as
``orders.localstripe`` is imported by scripts outside Django too."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


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
