"""TikTok Shop connected by its login, synced by a real Celery worker: the first sync
sends the catalog, and when TikTok ends the access token early the worker renews it
(the token endpoint, then the credentials JSON) and the change still arrives."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from catalog.models import Product
from catalog.services import product_update
from shops.channels.models import Connection
from shops.channels.oauth import connection_tokens, oauth_connect
from shops.channels.services import tiktok_credentials
from tests.channels.conftest import complete_product
from tests.channels.test_oauth_pinterest_tiktok import REDIRECT, login
from tests.conftest import wait_until

pytestmark = pytest.mark.worker


def test_the_worker_renews_an_expired_tiktok_token_and_sends_the_change(
    tiktok_login, worker, committed_shop, django_db_blocker
):
    fake = tiktok_login
    fake.redirect_uri = REDIRECT
    shop = committed_shop("tt-login-worker").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        complete_product()
        connection = oauth_connect(  # its first, whole sync is queued to the worker
            attempt=login("tiktok"),
            destination_id=fake.shop_cipher,
            country="US",
            language="en",
            category_id=fake.category_id,
        )
        old = connection_tokens(connection).access_token

    def titles() -> set[str]:
        return {product["title"] for product in fake.products.values()}

    assert wait_until(lambda: titles() == {"Linen Tee"}, django_db_blocker, timeout=60)
    fake.oauth.expire(old)
    with django_db_blocker.unblock(), tenant_context(shop):
        product_update(product=Product.objects.get(), title="Linen Tee, renewed")

    assert wait_until(lambda: titles() == {"Linen Tee, renewed"}, django_db_blocker, timeout=60)
    assert fake.oauth.refreshes == 1
    with django_db_blocker.unblock(), tenant_context(shop):
        stored = Connection.objects.get()
        fresh = connection_tokens(stored).access_token
        assert fresh != old
        assert tiktok_credentials(stored)["access_token"] == fresh
        assert stored.status == Connection.Status.ACTIVE
