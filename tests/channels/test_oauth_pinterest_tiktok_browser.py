"""In Chromium, at a phone's width and a desktop's: the merchant connects Pinterest and
TikTok Shop with the platform's own login (log in → allow → pick → connected), a
product change reaches the platform, a refused consent says so, and an expired token
is renewed on the way. The fakes play the platforms' login pages and APIs."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django_tenants.utils import tenant_context

from catalog.models import Product
from catalog.services import product_update
from shops.channels.models import Connection
from shops.channels.oauth import connection_tokens
from shops.channels.services import tiktok_credentials
from tests.catalog.test_admin_browser import log_in
from tests.catalog.test_admin_browser import page as page_fixture  # noqa: F401 (a fixture)
from tests.channels.conftest import complete_product
from tests.journeys.helpers import no_horizontal_overflow

pytestmark = pytest.mark.browser

# screenshots to look at; ETALAGE_SHOTS puts them elsewhere
SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-oauth-b"))  # noqa: S108
WIDTHS = [390, 1280]


@pytest.fixture
def shop_admin(page, shop_server, committed_shop, django_db_blocker, settings, tmp_path):
    """A new shop with one product, its owner logged in at ``width``: answers the shop
    and its admin's address."""
    settings.MEDIA_ROOT = tmp_path

    def open_admin(slug: str, width: int):
        page.set_viewport_size({"width": width, "height": 900})
        shop = committed_shop(slug, "Atelier").shop
        with django_db_blocker.unblock(), tenant_context(shop):
            complete_product()
        base = f"http://{slug}.localhost:{shop_server}"
        log_in(page, base, slug)
        return shop, base

    return open_admin


def shot(page, name: str, width: int, *, ours: bool = True) -> None:
    """A screenshot to look at; our pages (not the fake platform's) fit the screen."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    if ours:
        no_horizontal_overflow(page)


def connect_with(page, base: str, platform: str, *, tiktok=None) -> None:
    """On the channels' add page, "Connect with <platform>": off to its login. The fake
    TikTok's redirect URL is set first (the app's, registered in Partner Center)."""
    if tiktok is not None:  # the platform host's one callback, relaying to the shop
        tiktok.redirect_uri = f"http://localhost:{urlparse(base).port}/channels/login/callback/"
    page.goto(f"{base}/admin/channels/connection/add/")
    page.get_by_role("button", name=f"Connect with {platform}").click()


def title_change(shop, django_db_blocker, title: str) -> None:
    """The merchant renames the product (committed: the outbox queues the sync)."""
    with django_db_blocker.unblock(), tenant_context(shop):
        product_update(product=Product.objects.get(), title=title)


@pytest.mark.parametrize("width", WIDTHS)
def test_connect_pinterest_with_its_login_then_a_change_reaches_it(
    width, shop_admin, pinterest_login, page, django_db_blocker
):
    shop, base = shop_admin(f"pin-login-{width}", width)
    connect_with(page, base, "Pinterest")

    page.wait_for_url(f"{pinterest_login.url}/oauth/**")
    assert page.get_by_role("heading", name="Pinterest").is_visible()
    shot(page, "pinterest-consent", width, ours=False)
    page.get_by_role("link", name="Allow").click()

    page.wait_for_url("**/login/*/pick/")
    assert page.get_by_role("heading", name="Choose your Pinterest ad account").is_visible()
    assert page.get_by_role("heading", name="Pinterest ad accounts you manage").is_visible()
    assert page.get_by_label("Or create a new one named").count() == 0  # Pinterest can't
    page.get_by_label("Etalage Ads — @etalage-shop · DE · EUR").check()
    assert page.get_by_label("Country").input_value() == "DE"  # the ad account's country
    shot(page, "pinterest-pick", width)
    page.get_by_role("button", name="Connect").click()

    page.wait_for_url("**/admin/channels/connection/*/change/")
    assert page.get_by_text("Pinterest is connected: its first sync is under way.").is_visible()
    assert page.get_by_role("heading", name="Connected with Pinterest").is_visible()
    assert page.get_by_role("button", name="Reconnect with Pinterest").is_visible()
    shot(page, "pinterest-connected", width)
    with django_db_blocker.unblock(), tenant_context(shop):
        connection = Connection.objects.get(channel="pinterest")
        assert connection.external_id == "549755885175"
        assert connection_tokens(connection).access_token in pinterest_login.oauth.access
    assert {item["title"] for item in pinterest_login.items.values()} == {"Linen Tee"}

    title_change(shop, django_db_blocker, "Linen Tee, washed")

    assert {item["title"] for item in pinterest_login.items.values()} == {"Linen Tee, washed"}

    # disconnecting says where to withdraw the access Pinterest cannot revoke
    page.get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Yes, I\u2019m sure").click()
    page.wait_for_url("**/admin/channels/connection/")
    assert page.get_by_text("remove Etalage in your Pinterest settings").is_visible()
    shot(page, "pinterest-disconnected", width)


@pytest.mark.parametrize("width", WIDTHS)
def test_connect_tiktok_shop_with_its_login_then_a_change_reaches_it(
    width, shop_admin, tiktok_login, page, django_db_blocker
):
    shop, base = shop_admin(f"tt-login-{width}", width)
    connect_with(page, base, "TikTok", tiktok=tiktok_login)

    page.wait_for_url(f"{tiktok_login.url}/open/authorize**")
    shot(page, "tiktok-consent", width, ours=False)
    page.get_by_role("link", name="Allow").click()

    page.wait_for_url("**/login/*/pick/")
    assert page.get_by_role("heading", name="Choose your TikTok shop").is_visible()
    # the country starts as the TikTok shop's region (US), not the shop's currency's
    assert page.get_by_label("Country").input_value() == "US"
    page.get_by_label("Etalage Test Shop — US · USLCLCEXAMPLE").check()
    page.get_by_role("button", name="Connect").click()
    # the category is the one thing the login cannot tell
    assert page.get_by_role("alert").filter(has_text="Enter the category id").is_visible()
    page.get_by_label("Etalage Test Shop — US · USLCLCEXAMPLE").check()
    category = page.get_by_label("Category id")
    assert "leaf category" in category.evaluate(
        "input => document.getElementById(input.getAttribute('aria-describedby')).textContent"
    )
    category.fill(tiktok_login.category_id)
    shot(page, "tiktok-pick", width)
    page.get_by_role("button", name="Connect").click()

    page.wait_for_url("**/admin/channels/connection/*/change/")
    assert page.get_by_text("TikTok is connected: its first sync is under way.").is_visible()
    shot(page, "tiktok-connected", width)
    with django_db_blocker.unblock(), tenant_context(shop):
        connection = Connection.objects.get(channel="tiktok")
        stored = tiktok_credentials(connection)
    assert (stored["shop_cipher"], stored["warehouse_id"]) == (
        tiktok_login.shop_cipher,
        tiktok_login.warehouse_id,
    )
    (product,) = tiktok_login.products.values()
    assert product["title"] == "Linen Tee"

    title_change(shop, django_db_blocker, "Linen Tee, washed")

    (product,) = tiktok_login.products.values()
    assert product["title"] == "Linen Tee, washed"


@pytest.mark.parametrize("width", WIDTHS)
def test_a_refused_tiktok_consent_says_nothing_was_connected(
    width, shop_admin, tiktok_login, page, django_db_blocker
):
    shop, base = shop_admin(f"tt-refuse-{width}", width)
    connect_with(page, base, "TikTok", tiktok=tiktok_login)
    page.get_by_role("link", name="Cancel").click()

    page.wait_for_url("**/login/callback/**")
    assert page.get_by_text(
        "You didn't allow Etalage to manage your TikTok catalog, so nothing was connected."
    ).is_visible()
    shot(page, "tiktok-refused", width)
    with django_db_blocker.unblock(), tenant_context(shop):
        assert not Connection.objects.exists()
    assert tiktok_login.oauth.exchanges == 0


@pytest.mark.parametrize("width", WIDTHS)
def test_an_expired_pinterest_token_is_renewed_and_the_change_still_arrives(
    width, shop_admin, pinterest_login, page, django_db_blocker
):
    shop, base = shop_admin(f"pin-expired-{width}", width)
    connect_with(page, base, "Pinterest")
    page.get_by_role("link", name="Allow").click()
    page.get_by_label("Etalage Ads — @etalage-shop · DE · EUR").check()
    assert page.get_by_label("Country").input_value() == "DE"  # the ad account's country
    page.get_by_role("button", name="Connect").click()
    page.wait_for_url("**/admin/channels/connection/*/change/")
    with django_db_blocker.unblock(), tenant_context(shop):
        connection = Connection.objects.get(channel="pinterest")
        old = connection_tokens(connection)
    pinterest_login.oauth.expire(old.access_token)  # Pinterest ended it early

    title_change(shop, django_db_blocker, "Linen Tee, renewed")

    assert {item["title"] for item in pinterest_login.items.values()} == {"Linen Tee, renewed"}
    assert pinterest_login.oauth.refreshes == 1
    page.reload()
    renewed = page.locator("time[data-field=token_refreshed_at]")
    assert renewed.is_visible()
    assert page.get_by_role("alert").count() == 0
    shot(page, "pinterest-renewed", width)
    with django_db_blocker.unblock(), tenant_context(shop):
        connection.refresh_from_db()
        assert connection_tokens(connection).access_token != old.access_token
        assert connection.status == Connection.Status.ACTIVE
