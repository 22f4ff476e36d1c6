"""Run localstripe (a stateful fake Stripe server, GPL: started as a separate process,
never imported) on a free loopback port. Used by the tests, bench/buy_now.py and the
demo that ``make run`` starts (``manage.py rundemo``).

Each server keeps its state in a private temporary folder (``localstripe_private.py``),
not in the ``/tmp/localstripe.pickle`` every localstripe on the machine shares.

The server dies with the process that started it, even one killed with SIGKILL (which
runs no ``finally``): on Linux the kernel sends it SIGTERM when its parent dies
(``prctl(PR_SET_PDEATHSIG)``), and everywhere the launcher watches its parent's pid and
stops when that parent is gone (``LOCALSTRIPE_PARENT_PID``), within half a second."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from config.child_processes import free_port, parent_death_signal


@contextmanager
def localstripe_server(timeout: float = 20, *, state_dir: Path | None = None) -> Iterator[str]:
    """Start localstripe and yield its base URL (``http://127.0.0.1:<port>``). Its state
    file is ``<state_dir>/localstripe.pickle``; without ``state_dir``, in a temporary
    folder removed when the server stops."""
    with tempfile.TemporaryDirectory(prefix="localstripe-") as private:
        state_file = Path(state_dir or private) / "localstripe.pickle"
        with _server(state_file, timeout) as base:
            yield base


@contextmanager
def _server(state_file: Path, timeout: float) -> Iterator[str]:
    import requests  # a development package (the dev extra), like localstripe itself

    port = free_port()
    launcher = Path(__file__).with_name("localstripe_private.py")
    process = subprocess.Popen(  # noqa: S603 (this interpreter, our own launcher)
        # -I: not this folder on sys.path, where localstripe.py would hide the package
        [sys.executable, "-I", str(launcher), "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={
            **os.environ,
            "LOCALSTRIPE_STATE_FILE": str(state_file),
            "LOCALSTRIPE_PARENT_PID": str(os.getpid()),
        },
        cwd=state_file.parent,
        preexec_fn=parent_death_signal(),
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
    import requests  # a development package (the dev extra), like localstripe itself

    response = requests.post(
        f"{base}/_config/webhooks/{name}", data={"url": url, "secret": secret}, timeout=5
    )
    response.raise_for_status()
