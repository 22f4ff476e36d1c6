"""``make run``: seed the demo shop, then serve the platform with ``runserver``.

With no platform Stripe keys (STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY) and DEBUG on,
the demo sells through a localstripe of its own: started on a free loopback port (state
in ``<ETALAGE_DATA_DIR>/localstripe/``), the server pointed at it (STRIPE_API_BASE,
STRIPE_JS_URL), the demo shop given its test keys and localstripe's webhook sent to
``/webhooks/stripe/`` (``orders.demo``). Both processes stop when this command does,
on Linux even when it is killed with SIGKILL (``orders.child_processes``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import tenant_context

from orders.child_processes import parent_death_signal
from orders.demo import TEST_CARD, demo_payments_local, demo_payments_owner
from orders.payment_accounts import payment_account_remove
from shops.management.commands.seed_demo import DEMO_SLUG
from shops.models import Shop
from shops.selectors import platform_url


def _port_check(port: int) -> None:
    """A clear error now rather than runserver's after the seeding."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as runserver binds
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as error:
            raise CommandError(
                f"port {port} is in use ({error.strerror}); pick another: make run PORT={port + 1}"
            ) from None


def _stop_on_signals() -> None:
    """SIGTERM/SIGHUP end this command like Ctrl-C, so its ``finally`` stops the servers."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)


def _stop_group(server: subprocess.Popen) -> None:
    """Stop every process of the server's session (its autoreloader's child too)."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
    except ProcessLookupError:
        return  # none left
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()


class Command(BaseCommand):
    help = (
        "Seed the demo shop and serve the platform (make run); without Stripe keys, in "
        "DEBUG, the demo shop sells through a localstripe started alongside."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="port of the server")

    def handle(self, *args, port: int, **options) -> None:
        _port_check(port)
        _stop_on_signals()
        call_command("seed_demo", port=port, stdout=self.stdout)
        shop = Shop.objects.get(slug=DEMO_SLUG)
        reason = self._no_localstripe_because(shop)
        if reason:
            self.stdout.write(f"  Payments:   no localstripe: {reason}")
            self._serve(port, os.environ)
            return

        from orders.localstripe import localstripe_server  # requests: a dev package

        state_dir = settings.DATA_DIR / "localstripe"
        state_dir.mkdir(parents=True, exist_ok=True)
        with localstripe_server(state_dir=state_dir) as base:
            demo_payments_local(
                shop, stripe_base=base, webhook_url=f"{platform_url()}:{port}/webhooks/stripe/"
            )
            self.stdout.write(f"  Payments:   localstripe (fake Stripe) at {base}")
            self.stdout.write(f"              test card {TEST_CARD}, any future date, any CVC")
            env = {
                **os.environ,
                "STRIPE_API_BASE": base,
                "STRIPE_JS_URL": f"{base}/js.stripe.com/v3/",
            }
            self._serve(port, env)

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
        """runserver until it stops or this command is stopped; in a session of its own,
        so its autoreloader's child is stopped with it. On Linux the kernel sends runserver
        SIGTERM if this command dies without stopping it (SIGKILL, OOM): its autoreloader
        then exits (``sys.exit`` from its SIGTERM handler), killing the child that serves
        as ``subprocess.run`` unwinds, and the port is free again."""
        manage = str(settings.BASE_DIR / "manage.py")
        server = subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
            [sys.executable, manage, "runserver", f"127.0.0.1:{port}"],
            env=dict(env),
            start_new_session=True,
            preexec_fn=parent_death_signal(),
        )
        try:
            code = server.wait()
        except KeyboardInterrupt:
            code = 0
        finally:
            _stop_group(server)
        if code:
            raise CommandError(f"runserver stopped with exit code {code}")
