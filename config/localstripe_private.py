"""Entry point of the localstripe process the tests start (``localstripe.py``): runs
localstripe with its state file in a folder of its own.

localstripe 1.15 pickles its whole state to the fixed path ``/tmp/localstripe.pickle``
after every write (``localstripe/resources.py``, ``Store.dump_to_disk``; the path is
literal, so neither the working folder nor TMPDIR moves it). Test sessions and benchmarks
that run at once on one machine would overwrite each other's file, and one left by
another user makes every write fail. This script runs *inside* the localstripe process
(never imported by the project) and points the store at ``LOCALSTRIPE_STATE_FILE``
before it starts.

localstripe's own ``server.start()`` listens on ``::`` (every interface, IPv4 included):
anyone on the network could read and create the development payments. This script
starts the same app on 127.0.0.1 only.

It also stops the server when the process that started it (``LOCALSTRIPE_PARENT_PID``)
is gone, even killed with SIGKILL: a watchdog thread compares ``os.getppid()`` with that
pid twice a second (an orphan is adopted by another process) and sends this process
SIGTERM, which aiohttp's ``run_app`` handles as a clean stop (and exits outright if that
stop has not ended 5 seconds later).

And it lets a PaymentIntent be paid with another card after a decline, as Stripe does:
Stripe puts a declined PaymentIntent back to ``requires_payment_method``, and a new
payment method makes it ``requires_confirmation`` again. localstripe 1.15 derives the
status from the last charge, so the failed charge would keep the PaymentIntent at
``requires_payment_method`` and every later confirm would answer "Bad request".
"""

from __future__ import annotations

import argparse
import logging
import os
import pickle
import signal
import threading
import time
from pathlib import Path

from aiohttp import web
from localstripe import resources, server

STATE_FILE = Path(os.environ["LOCALSTRIPE_STATE_FILE"])
LOOPBACK = "127.0.0.1"


def _load(store: resources.Store) -> None:
    try:
        with STATE_FILE.open("rb") as file:
            old = pickle.load(file)  # noqa: S301 (this process's own file)
    except FileNotFoundError:
        return
    store.clear()
    store.update(old)


def _dump(store: resources.Store) -> None:
    partial = STATE_FILE.with_suffix(".partial")
    with partial.open("wb") as file:
        pickle.dump(dict(store), file, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(STATE_FILE)  # never a half-written file


def _watch_parent(parent: int, interval: float = 0.5) -> None:
    while os.getppid() == parent:
        time.sleep(interval)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)
    os._exit(1)


def _start() -> None:
    """What ``localstripe.server.start()`` does, listening on loopback only."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--from-scratch", action="store_true")
    args = parser.parse_args()
    if not args.from_scratch:
        server.store.try_load_from_disk()
    logger = logging.getLogger("aiohttp.access")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(logging.StreamHandler())
    web.run_app(server.app, host=LOOPBACK, port=args.port, access_log=logger)


_payment_intent_update = resources.PaymentIntent._update


def _payment_intent_update_after_decline(self: resources.PaymentIntent, **data: object) -> None:
    declined = self.status == "requires_payment_method" and self.latest_charge is not None
    _payment_intent_update(self, **data)
    if declined and data.get("payment_method"):
        self.latest_charge = None  # Stripe: requires_confirmation with the new card


resources.PaymentIntent._update = _payment_intent_update_after_decline
resources.Store.try_load_from_disk = _load
resources.Store.dump_to_disk = _dump

if __name__ == "__main__":
    parent_pid = os.environ.get("LOCALSTRIPE_PARENT_PID")
    if parent_pid:
        threading.Thread(target=_watch_parent, args=(int(parent_pid),), daemon=True).start()
    _start()
