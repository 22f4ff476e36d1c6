"""The login's background work on a real Celery worker: disconnecting revokes the grant
at the platform even when the platform is down at the click (the worker retries until
it is back), and the beat's per-shop refresh renews the tokens about to expire."""

from __future__ import annotations

import time

import pytest
from django.db import transaction
from django_tenants.utils import tenant_context

from shops.channels.models import Connection
from shops.channels.oauth import connection_tokens
from shops.channels.services import connection_disconnect
from shops.tasks import for_each_shop
from tests.channels.test_oauth import connected
from tests.conftest import wait_until

pytestmark = pytest.mark.worker


@pytest.fixture
def quick_retries(monkeypatch, settings):
    monkeypatch.setenv("CHANNELS_RETRY_MAX_SECONDS", "1")
    monkeypatch.setenv("CHANNELS_TOKEN_REFRESH_WINDOW_SECONDS", "3600")


def test_disconnect_revokes_at_the_platform_once_it_is_back(
    google_login, quick_retries, worker, committed_shop, django_db_blocker
):
    fake = google_login
    shop = committed_shop("login-revoke").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        connection = connected("google", "4242/77")
        refresh = connection_tokens(connection).refresh_token
        fake.stop()  # Google is down when the merchant disconnects
        started = time.monotonic()
        with transaction.atomic():
            connection_disconnect(connection=connection)
        took = time.monotonic() - started
        assert not Connection.objects.exists()  # the tokens are gone from the shop at once

    assert took < 1  # the click never waits on Google
    time.sleep(3)  # the worker tries, and retries
    assert fake.grants.revoked == []
    fake.restart()
    assert wait_until(lambda: fake.grants.revoked == [refresh], django_db_blocker, timeout=60)


def test_the_beat_renews_each_shop_tokens_through_the_worker(
    google_login, quick_retries, worker, committed_shop, django_db_blocker
):
    fake = google_login
    shop = committed_shop("login-beat").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        connection = connected("google", "4242/77")
        before = connection_tokens(connection).access_token

    with django_db_blocker.unblock():
        for_each_shop.delay("channels.tokens_refresh")

    def renewed() -> bool:
        with tenant_context(shop):
            return connection_tokens(Connection.objects.get()).access_token != before

    assert wait_until(renewed, django_db_blocker, timeout=60)
    with django_db_blocker.unblock(), tenant_context(shop):
        stored = Connection.objects.get()
        assert stored.token_refreshed_at is not None
        assert fake.grants.token_state(connection_tokens(stored).access_token) == "ok"
