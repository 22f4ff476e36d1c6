"""In Chromium at a phone's and a desktop's width, with a real Celery worker and the
fake platforms' consent pages: a merchant connects Meta with their Facebook login
(Allow, pick the catalog, connected), a product change reaches Meta with the new token,
and the token about to expire is renewed by the beat (the page says when). A merchant
who clicks Cancel reads that nothing was connected and can try again. Google: connect,
then a sync that finds the token expired renews it and goes on."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from catalog.models import Variant
from catalog.services import stock_adjust
from shops.channels.models import Connection
from shops.channels.oauth import connection_tokens
from shops.tasks import for_each_shop
from tests.catalog.test_admin_browser import log_in
from tests.catalog.test_admin_browser import page as page_fixture  # noqa: F401 (the "page" fixture)
from tests.channels.conftest import complete_product
from tests.conftest import wait_until
from tests.journeys.helpers import no_horizontal_overflow

pytestmark = [pytest.mark.browser, pytest.mark.worker]
SHOTS = Path("/tmp/shots-oauth-a")  # noqa: S108


@pytest.fixture
def refresh_window(monkeypatch):
    monkeypatch.setenv("CHANNELS_TOKEN_REFRESH_WINDOW_SECONDS", "900")
    monkeypatch.setenv("CHANNELS_RETRY_MAX_SECONDS", "1")


def shot(page, name: str, width: int) -> None:
    SHOTS.mkdir(exist_ok=True)
    no_horizontal_overflow(page)
    page.screenshot(path=SHOTS / f"{name}-{width}.png", full_page=True)


def stored(shop, django_db_blocker) -> Connection:
    with django_db_blocker.unblock(), tenant_context(shop):
        return Connection.objects.get()


def token_of(shop, django_db_blocker) -> str:
    with django_db_blocker.unblock(), tenant_context(shop):
        return connection_tokens(Connection.objects.get()).access_token


def warned(shop, django_db_blocker) -> bool:
    with django_db_blocker.unblock(), tenant_context(shop):
        return Connection.objects.get().expiry_warned_at is not None


@pytest.mark.parametrize("width", [390, 1280])
def test_connect_meta_with_the_facebook_login_then_sync_and_be_warned_before_it_ends(
    meta_login, refresh_window, worker, page, shop_server, committed_shop, django_db_blocker, width
):
    fake = meta_login
    fake.grants.access_seconds = 600  # a long-lived token that expires within the window
    slug = f"login-meta-{width}"
    shop = committed_shop(slug, "Atelier").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        product = complete_product("Linen Tee", sku="TEE")
        retailer = f"{product.pk}-{product.variants.get(sku='TEE-S').pk}"
    base = f"http://{slug}.localhost:{shop_server}"
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, base, slug)

    page.goto(f"{base}/admin/channels/connection/add/")
    shot(page, "add-page", width)
    page.get_by_role("button", name="Connect with Meta").click()
    page.get_by_role("button", name="Allow").wait_for()
    page.set_viewport_size({"width": width, "height": 900})
    page.screenshot(path=SHOTS / f"meta-consent-{width}.png", full_page=True)
    page.get_by_role("button", name="Allow").click()

    page.get_by_role("heading", name="Choose your Meta catalog").wait_for()
    assert page.get_by_label("Country").input_value() != "US"
    page.get_by_label("Summer catalog").check()
    shot(page, "meta-pick", width)
    page.get_by_role("button", name="Connect").click()

    page.wait_for_url("**/change/")
    assert "Meta is connected: its first sync is under way." in page.inner_text(".messagelist")
    login_box = page.locator("#channel-login-meta")
    assert "Connected through your Meta login to Summer catalog (9876543210)" in (
        login_box.inner_text()
    )
    shot(page, "meta-connected", width)

    # the first sync sends the catalog with the login's token
    assert wait_until(lambda: retailer in fake.items, django_db_blocker)
    first = token_of(shop, django_db_blocker)
    assert fake.tokens_used[-1] == first

    # Meta's token is not renewed (clients/meta_login.py): a week before it ends, the
    # beat warns the owner, and the page says so above the Reconnect button
    with django_db_blocker.unblock(), tenant_context(shop):
        Connection.objects.update(token_expires_at=timezone.now() + timedelta(days=3))
    with django_db_blocker.unblock():
        for_each_shop.delay("channels.tokens_refresh")
    assert wait_until(lambda: warned(shop, django_db_blocker), django_db_blocker)
    page.reload()
    warning = page.locator("#channel-expiry-warning")
    assert "Meta's access to your catalog ends on" in warning.inner_text()
    # the admin's warning look (its yellow, --message-warning-bg), announced as a status
    assert warning.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 255, 204)"
    assert "Meta's access" in page.get_by_role("status").filter(has=warning).inner_text()
    assert page.get_by_role("button", name="Reconnect with Meta").is_visible()
    assert token_of(shop, django_db_blocker) == first

    # a product change reaches Meta with the same token meanwhile
    with django_db_blocker.unblock(), tenant_context(shop):
        stock_adjust(variant=Variant.objects.get(sku="TEE-S"), delta=5)
    assert wait_until(lambda: fake.items[retailer].get("inventory") == 8, django_db_blocker)
    assert fake.tokens_used[-1] == first
    shot(page, "meta-expiry-warning", width)

    # the connections list says it too, in the admin's warning message
    page.goto(f"{base}/admin/channels/connection/")
    listed = page.get_by_role("status").locator("li.warning")
    assert "Meta's access to your catalog ends on" in listed.inner_text()
    assert listed.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 255, 204)"
    shot(page, "meta-expiry-list", width)


@pytest.mark.parametrize("width", [390, 1280])
def test_a_refused_consent_connects_nothing_and_offers_to_try_again(
    meta_login, page, shop_server, committed_shop, django_db_blocker, width
):
    slug = f"login-refused-{width}"
    shop = committed_shop(slug, "Atelier").shop
    base = f"http://{slug}.localhost:{shop_server}"
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, base, slug)

    page.goto(f"{base}/admin/channels/connection/add/")
    page.get_by_role("button", name="Connect with Meta").click()
    page.get_by_role("button", name="Cancel").click()

    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text() == (
        "You didn't allow Etalage to manage your Meta catalog, so nothing was connected. "
        "You can try again whenever you like."
    )
    shot(page, "meta-refused", width)
    with django_db_blocker.unblock(), tenant_context(shop):
        assert not Connection.objects.exists()
    page.get_by_role("button", name="Try again with Meta").click()
    page.get_by_role("button", name="Allow").wait_for()  # back on Facebook's consent page


@pytest.mark.parametrize("width", [390, 1280])
def test_connect_google_and_a_sync_renews_the_expired_token(
    google_login,
    refresh_window,
    worker,
    page,
    shop_server,
    committed_shop,
    django_db_blocker,
    width,
):
    fake = google_login
    slug = f"login-google-{width}"
    shop = committed_shop(slug, "Atelier").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        product = complete_product("Linen Tee", sku="TEE")
        retailer = f"{product.pk}-{product.variants.get(sku='TEE-S').pk}"
    base = f"http://{slug}.localhost:{shop_server}"
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, base, slug)

    page.goto(f"{base}/admin/channels/connection/add/")
    page.get_by_role("button", name="Connect with Google").click()
    page.get_by_role("button", name="Allow").click()
    page.get_by_role("heading", name="Choose your Google Merchant Center data source").wait_for()
    page.get_by_label("Etalage API").check()
    shot(page, "google-pick", width)
    page.get_by_role("button", name="Connect").click()
    page.wait_for_url("**/change/")
    assert wait_until(lambda: len(fake.products) == 2, django_db_blocker)

    # the token expires at Google before the beat's renewal: the next sync renews it once
    expired = token_of(shop, django_db_blocker)
    fake.grants.tokens[expired] = 0
    with django_db_blocker.unblock(), tenant_context(shop):
        stock_adjust(variant=Variant.objects.get(sku="TEE-S"), delta=5)
    assert wait_until(lambda: token_of(shop, django_db_blocker) != expired, django_db_blocker)
    fresh = token_of(shop, django_db_blocker)
    name = next(key for key in fake.products if key.endswith(f"~{retailer}"))
    assert wait_until(lambda: fake.tokens_used[-1] == fresh, django_db_blocker)
    assert fake.products[name]["availability"] == "IN_STOCK"
    connection = stored(shop, django_db_blocker)
    assert connection.status == "active"
    page.reload()
    assert "renewed" in page.locator("#channel-login-google").inner_text()
    shot(page, "google-renewed", width)
