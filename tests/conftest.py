"""Shared fixtures: one test database per session, two shops created in it, helpers.

The shops ``alpha`` and ``beta`` (and the schema template) are created once per session
and committed; each test then runs in a transaction that is rolled back (``db``).

Do not use ``transactional_db`` / ``live_server`` plainly: their flush truncates the
public schema, shops included. Tests that need committed data (a real worker, a
browser) use ``committed_shop`` and ``shop_server`` instead, which clean up after
themselves; a transactional test must pass ``available_apps`` without ``shops``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.cache import cache
from django.db import OperationalError, connection
from django.test import Client, override_settings
from django.test.testcases import LiveServerThread

from config.celery import app as celery_app
from config.child_processes import free_port
from config.database_url import database_url_of
from config.localstripe import localstripe_server
from shops import schema_template
from shops.models import Shop
from shops.services import ShopCreated, shop_create
from tests.factories import SHOP_PASSWORD, ShopFactory

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GUNICORN_APPLICATION_NAME = "etalage-tests-gunicorn"
SESSION_SHOPS = {"alpha": "Alpha Goods", "beta": "Beta Supplies"}


@pytest.fixture(scope="session", autouse=True)
def _tasks_run_in_process() -> Iterator[None]:
    """Tests run tasks at once unless a test asks for the real worker (see test_celery)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker) -> Iterator[None]:
    """The test database, always (pytest-django's own fixture creates it only when a
    selected test asks for ``db``, but ``committed_shop`` / ``shop_server`` tests need it
    too), with the schema template and the session's shops."""
    from django.test.utils import setup_databases, teardown_databases

    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        config = setup_databases(verbosity=verbosity, interactive=False, aliases={"default"})
        schema_template.template_ddl()
        for slug, name in SESSION_SHOPS.items():
            shop_create(
                slug=slug, name=name, owner_email=f"owner@{slug}.test", owner_password=SHOP_PASSWORD
            )
    yield
    with django_db_blocker.unblock():
        teardown_databases(config, verbosity=verbosity)


def clear_of_window_end(window: int, margin: float = 15) -> None:
    """Wait for the next fixed window of ``window`` seconds (a minute, an hour, a UTC
    day) when fewer than ``margin`` seconds are left of this one.

    Rate limits count per fixed window and post stats per day: a test whose requests
    straddle the turn of a window would see its counts start over halfway through.
    """
    left = window - time.time() % window
    if left < margin:
        time.sleep(left + 0.01)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: a test's rolled-back writes never run their
    on-commit cache bumps, so pages cached by one test must not reach the next."""
    cache.clear()


@pytest.fixture(autouse=True)
def _back_to_public_schema() -> Iterator[None]:
    yield
    connection.set_schema_to_public()


@pytest.fixture(scope="session")
def localstripe() -> Iterator[str]:
    """localstripe's base URL; one server for the session (its data is never wiped:
    every test makes PaymentIntents of its own)."""
    with localstripe_server() as base:
        yield base


@pytest.fixture
def stripe_settings(settings, localstripe):
    """Stripe is the session's localstripe (where a shop's own keys are checked when
    saved, and its payments made); "whsec_platform" signs the platform's events."""
    settings.STRIPE_API_BASE = localstripe
    settings.STRIPE_JS_URL = f"{localstripe}/js.stripe.com/v3/"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_platform"
    return settings


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """Uploaded and generated files go to the test's own folder (its MEDIA_ROOT)."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def shop_a(db) -> Shop:
    return Shop.objects.get(slug="alpha")


@pytest.fixture
def shop_b(db) -> Shop:
    return Shop.objects.get(slug="beta")


@pytest.fixture
def committed_shop(django_db_setup, django_db_blocker) -> Iterator[Callable[..., ShopCreated]]:
    """Create shops outside any test transaction (seen by workers and servers); dropped after."""
    created: list[Shop] = []

    def make(slug: str, name: str | None = None, password: str = SHOP_PASSWORD) -> ShopCreated:
        with django_db_blocker.unblock():
            result = ShopFactory(slug=slug, name=name or slug.title(), owner_password=password)
        created.append(result.shop)
        return result

    yield make
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        for shop in created:
            shop_drop(shop)


def shop_drop(shop: Shop, attempts: int = 5) -> None:
    """Drop a committed shop's schema and row. A worker's task that still runs in the
    schema (a sync the test queued) can deadlock with DROP SCHEMA: try again."""
    for attempt in range(attempts):
        try:
            shop.delete(force_drop=True)
            return
        except OperationalError as error:
            if "deadlock" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.5)


@pytest.fixture(scope="session")
def shop_server(django_db_setup, django_db_blocker) -> Iterator[str]:
    """A real HTTP server on loopback, serving the test database; yields its port.

    Shops answer at ``http://<slug>.localhost:<port>/`` (Chromium sends *.localhost to
    loopback), the platform at ``http://localhost:<port>/``.
    """
    with django_db_blocker.unblock():
        server = LiveServerThread("localhost", StaticFilesHandler, port=0)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        if server.error:
            raise server.error
        try:
            yield str(server.port)
        finally:
            server.terminate()
            _close_leftover_connections()


def _close_leftover_connections(timeout: float = 5) -> None:
    """Let the test database be dropped at the end of the session.

    Request threads close their connection when the browser drops its keep-alive
    socket, so wait for that. Playwright's sync API keeps an event loop in the main
    thread, and Django keys connections by async context there, so database calls made
    while it ran may hold a second connection of this thread that nothing can close
    from here: end those backends.
    """
    deadline = time.monotonic() + timeout
    others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(f"SELECT count(*) {others} AND state <> 'idle'")
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.1)
        cursor.execute(f"SELECT pg_terminate_backend(pid) {others}")


@pytest.fixture
def gunicorn(django_db_setup, django_db_blocker) -> Iterator[Callable[..., str]]:
    """Start gunicorn (the production server) on the test database: ``gunicorn(workers=1,
    **environment)`` returns its base URL once it answers. Stopped after the test."""
    processes: list[subprocess.Popen] = []

    def start(workers: int = 1, **environment: str) -> str:
        port = free_port()
        database_url = f"{database_url_of()}?application_name={GUNICORN_APPLICATION_NAME}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            **environment,
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=PROJECT_ROOT,
            env=env,
        )
        processes.append(process)
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn stopped (exit status {process.returncode})")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return f"http://127.0.0.1:{port}"
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("gunicorn did not answer within 60 s")
                time.sleep(0.1)

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)
    # its persistent connections' backends leave a moment after it: wait, so that the test
    # database can be dropped at the end of the session
    deadline = time.monotonic() + 10
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                [GUNICORN_APPLICATION_NAME],
            )
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.05)


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        shutil.which("chromium"),
        "/usr/bin/chromium",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright; skipped with a reason where there is none.

    Playwright's sync API keeps an event loop in this thread, which trips Django's
    async-safety check on plain database calls; the check is lifted while it runs.
    """
    path = chromium_path()
    if path is None:
        message = "Chromium is not installed (apt-get install chromium) - browser tests skipped"
        if os.environ.get("ETALAGE_REQUIRE_BROWSER"):
            pytest.fail(message.replace(" - browser tests skipped", ""))
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A page in a fresh browser context (no cookies, no storage)."""
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def worker_start(
    *, queue: str, media_root: Path, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """A real Celery worker process on ``queue`` of the broker the test process sends to
    (``celery_app.conf.broker_url``), sharing the test database and ``media_root``;
    ``env``: settings of its own (environment variables)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of(),
        "CELERY_BROKER_URL": celery_app.conf.broker_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "MEDIA_ROOT": str(media_root),
        **(env or {}),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--queues",
            queue,
            "--include",
            "tests.shops.celery_tasks",
            "--loglevel",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=PROJECT_ROOT,
        env=env,
    )


def worker_stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=20)


@contextlib.contextmanager
def tasks_sent_to(queue: str) -> Iterator[None]:
    """The test process queues its tasks on ``queue`` (a worker's) instead of running them."""
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        yield
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous


@pytest.fixture
def worker(django_db_setup, django_db_blocker, tmp_path) -> Iterator[subprocess.Popen]:
    """A real Celery worker on the configured broker, on a queue of its own.

    It shares the test database and MEDIA_ROOT (a temporary folder, also set for the
    test) with the test process.
    """
    queue = f"test-{uuid.uuid4().hex[:8]}"
    process = worker_start(queue=queue, media_root=tmp_path)
    try:
        with tasks_sent_to(queue), override_settings(MEDIA_ROOT=tmp_path):
            yield process
    finally:
        worker_stop(process)


def owner_client(slug: str = "alpha") -> Client:
    """A test client logged in to the shop's admin as its owner."""
    client = Client(HTTP_HOST=f"{slug}.localhost")
    client.post("/admin/login/", {"username": f"owner@{slug}.test", "password": SHOP_PASSWORD})
    return client


# two of the platform's secrets keys (shops.secrets), for the tests that change the list
SECRETS_KEY_A = "fyyqFxWzVQ9hCWiyYhN3PltfPjB-iDThnWTjl3zUO6k="
SECRETS_KEY_B = "3e7h6SSSYxQLzWSkbwbHH0IInDcPKnbd2rb8QgKg1y4="


@pytest.fixture
def secrets_keys(settings) -> Callable[..., None]:
    """``secrets_keys(key, ...)`` sets the platform's key list, newest first (and no
    PAYMENT_CREDENTIALS_KEY); it starts as ``[SECRETS_KEY_A]``."""

    def use(*keys: str) -> None:
        settings.SECRETS_KEYS = list(keys)

    settings.PAYMENT_CREDENTIALS_KEY = ""
    use(SECRETS_KEY_A)
    return use


@pytest.fixture
def unblocked(django_db_blocker) -> Iterator[None]:
    """Requests of the test client reach the (committed) test database."""
    with django_db_blocker.unblock():
        yield


def wait_until(check: Callable[[], bool], django_db_blocker, timeout: float = 90) -> bool:
    """Whether ``check()`` (given the database) turned true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with django_db_blocker.unblock():
            if check():
                return True
        time.sleep(0.1)
    return False
