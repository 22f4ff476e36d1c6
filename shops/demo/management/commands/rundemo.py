"""``make run``: the whole platform, production-shaped, with a demo shop.

It starts, as children that stop with it (Ctrl-C, SIGTERM, and on Linux even SIGKILL,
through ``config.child_processes``):

- the embedded Redis (``config/embedded_redis.py``) unless CELERY_BROKER_URL and
  REDIS_URL name servers: the broker, the cache and the rate limits of every process;
- a Celery worker and beat: every task runs there, never inside a request;
- with no platform Stripe keys and DEBUG on, a localstripe of its own (on a free
  loopback port, state in ``<ETALAGE_DATA_DIR>/localstripe/``) that the demo shop sells
  through (``orders.demo``);
- the web server (``runserver``).

It seeds the demo shop once the broker answers, prints what it started, and stops
everything when any of them stops.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import tenant_context

from config import embedded_redis
from config.child_processes import child_start, children_stop, port_refusal
from config.errors import SetupError
from config.localstripe import localstripe_server
from orders.demo import TEST_CARD, demo_payments_local, demo_payments_owner
from orders.payment_accounts import payment_account_remove
from shops.demo.management.commands.seed_demo import DEMO_SLUG
from shops.models import Shop
from shops.selectors import platform_url


def _port_check(port: int) -> None:
    """A clear error now rather than runserver's after the seeding."""
    reason = port_refusal(port)
    if reason is not None:
        raise CommandError(
            f"port {port} is in use ({reason}); pick another: make run PORT={port + 1}"
        )


def _stop_on_signals() -> None:
    """SIGTERM/SIGHUP end this command like Ctrl-C, so its ``finally`` stops the servers."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)


class Command(BaseCommand):
    help = (
        "Start the platform with a demo shop (make run): the embedded broker unless "
        "CELERY_BROKER_URL and REDIS_URL are set, a Celery worker and beat, the web server, "
        "and without Stripe keys, in DEBUG, a localstripe the demo shop sells through."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="port of the web server")

    def handle(self, *args, port: int, **options) -> None:
        _port_check(port)
        _stop_on_signals()
        # the worker's emails link to this server (shops.selectors.shop_url)
        env = {**os.environ, "PLATFORM_PORT": str(port)}
        with contextlib.ExitStack() as running:
            if settings.EMBEDDED_REDIS:
                running.enter_context(self._embedded_redis())
            call_command("seed_demo", port=port, stdout=self.stdout)
            shop = Shop.objects.get(slug=DEMO_SLUG)
            reason = self._no_localstripe_because(shop)
            if reason:
                self.stdout.write(f"  Payments:   no localstripe: {reason}")
            else:
                env.update(running.enter_context(self._localstripe(shop, port)))
            self._serve(port, env)

    @contextlib.contextmanager
    def _embedded_redis(self) -> Iterator[None]:
        port = settings.EMBEDDED_REDIS_PORT
        try:
            with embedded_redis.redis_server(port=port, workdir=settings.DATA_DIR / "redis"):
                self.stdout.write(
                    f"  Broker:     embedded Redis at 127.0.0.1:{port} (Celery, cache and "
                    "rate limits of every process)"
                )
                yield
        except SetupError as exc:
            raise CommandError(str(exc)) from None

    @contextlib.contextmanager
    def _localstripe(self, shop: Shop, port: int) -> Iterator[dict[str, str]]:
        """localstripe for the demo shop; yields the environment pointing at it."""
        state_dir = settings.DATA_DIR / "localstripe"
        state_dir.mkdir(parents=True, exist_ok=True)
        with localstripe_server(state_dir=state_dir) as base:
            demo_payments_local(
                shop, stripe_base=base, webhook_url=f"{platform_url()}:{port}/webhooks/stripe/"
            )
            self.stdout.write(f"  Payments:   localstripe (fake Stripe) at {base}")
            self.stdout.write(f"              test card {TEST_CARD}, any future date, any CVC")
            yield {"STRIPE_API_BASE": base, "STRIPE_JS_URL": f"{base}/js.stripe.com/v3/"}

    def _no_localstripe_because(self, shop: Shop) -> str:
        """Why the demo does not start localstripe ("" when it does). Not using it, the
        localstripe keys an earlier run gave the demo shop are removed (they would send
        its payments to the real Stripe)."""
        if settings.STRIPE_SECRET_KEY or settings.STRIPE_PUBLISHABLE_KEY:
            reason = "STRIPE_SECRET_KEY is set, the platform's Stripe is used"
        elif not settings.DEBUG:
            reason = "DEBUG is off"
        elif importlib.util.find_spec("localstripe") is None:
            reason = "localstripe is not installed (pip install -e '.[dev]')"
        else:
            return demo_payments_owner(shop)
        if not demo_payments_owner(shop):
            with tenant_context(shop):
                payment_account_remove()
        return reason

    def _serve(self, port: int, env: Mapping[str, str]) -> None:
        """The worker, the beat and runserver until one of them stops or this command is
        stopped. Each runs in a session of its own, so stopping it stops its children
        (the worker's pool, runserver's autoreloaded child); on Linux the kernel sends
        each SIGTERM if this command dies without stopping them (SIGKILL, OOM)."""
        manage = str(settings.BASE_DIR / "manage.py")
        celery = [sys.executable, "-m", "celery", "-A", "config", "--quiet"]
        commands = {
            "worker": [
                *celery,
                "worker",
                "--loglevel",
                "warning",
                "--concurrency",
                str(settings.RUN_WORKER_CONCURRENCY),
            ],
            "beat": [
                *celery,
                "beat",
                "--loglevel",
                "warning",
                "--schedule",
                settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
            "web server": [sys.executable, manage, "runserver", f"127.0.0.1:{port}"],
        }
        started: dict[str, subprocess.Popen] = {}
        try:
            for name, argv in commands.items():
                started[name] = child_start(argv, env=env)
            self.stdout.write(
                f"  Worker:     Celery worker (pid {started['worker'].pid}, "
                f"{settings.RUN_WORKER_CONCURRENCY} processes) and beat "
                f"(pid {started['beat'].pid}); no task runs inside a request"
            )
            stopped = self._wait_for_first_exit(started)
        except KeyboardInterrupt:
            stopped = None
        finally:
            children_stop(list(started.values()))
        if stopped is not None:
            name, code = stopped
            raise CommandError(f"the {name} stopped (exit code {code}); everything was stopped")

    @staticmethod
    def _wait_for_first_exit(started: Mapping[str, subprocess.Popen]) -> tuple[str, int]:
        while True:
            for name, process in started.items():
                code = process.poll()
                if code is not None:
                    return name, code
            time.sleep(0.2)
