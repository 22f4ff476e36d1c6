"""The Pinterest and TikTok Shop OAuth providers against the fake platforms: the consent
page, the code exchange, refresh, the platforms' refusals, the destinations."""

from __future__ import annotations

import html
import re
import urllib.request
from datetime import timedelta
from urllib.error import HTTPError
from urllib.parse import parse_qsl, urlparse

import pytest
from django.db import connection as db_connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from orders.models import ShippingZone
from shops.channels.clients import CredentialsError, FinalError, RetryableError
from shops.channels.clients.pinterest import PinterestClient
from shops.channels.clients.pinterest_login import REVOKE_HINT as PINTEREST_REVOKE
from shops.channels.clients.tiktok_login import REVOKE_HINT as TIKTOK_REVOKE
from shops.channels.models import Connection, OAuthAttempt
from shops.channels.oauth import (
    AppRefused,
    OAuthRefused,
    TokenRefused,
    TokenSet,
    connection_tokens,
    oauth_callback,
    oauth_connect,
    oauth_destinations,
    oauth_start,
    provider_for,
    tokens_refresh_due,
)
from shops.channels.services import (
    connection_access_token,
    connection_disconnect,
    connection_test,
    tiktok_credentials,
)
from shops.channels.tasks import connection_sync as connection_sync_task
from tests.channels.conftest import complete_product
from tests.conftest import owner_client

REDIRECT = "http://alpha.localhost/admin/channels/oauth/callback/"


@pytest.fixture
def tiktok_login(tiktok_login):
    tiktok_login.redirect_uri = REDIRECT  # the app's, as registered in Partner Center
    return tiktok_login


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def consent(url: str, button: str, *, redirect: str = REDIRECT) -> dict[str, str]:
    """Open the platform's consent page, click ``button`` ("Allow" / "Cancel"), and
    return the query the platform sends the browser back to the shop with."""
    page = urllib.request.urlopen(url, timeout=5).read().decode()  # noqa: S310 (loopback)
    href = re.search(rf'href="([^"]+)">{button}</a>', page)
    assert href, page
    parts = urlparse(url)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(f"{parts.scheme}://{parts.netloc}{html.unescape(href.group(1))}", timeout=5)
    except HTTPError as answer:
        assert answer.code == 302
        location = answer.headers["Location"]
        assert location.startswith(redirect)
        return dict(parse_qsl(urlparse(location).query))
    raise AssertionError("the platform did not send the browser back")


# Pinterest


def test_pinterest_login_allow_exchange_gives_tokens_the_catalog_api_takes(pinterest_login):
    provider = provider_for("pinterest")
    assert provider.is_configured()
    url = provider.authorize_url(state="st4te", redirect_uri=REDIRECT, code_challenge="x")
    query = dict(parse_qsl(urlparse(url).query))
    assert url.startswith(f"{pinterest_login.url}/oauth/?")
    assert query == {
        "client_id": pinterest_login.app_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "ads:read,catalogs:read,catalogs:write,user_accounts:read",
        "state": "st4te",
    }

    back = consent(url, "Allow")
    assert back["state"] == "st4te"
    tokens = provider.exchange_code(code=back["code"], redirect_uri=REDIRECT, code_verifier="v")

    assert pinterest_login.token_requests[-1] == {
        "grant_type": "authorization_code",
        "code": back["code"],
        "redirect_uri": REDIRECT,
    }
    assert tokens.access_token in pinterest_login.oauth.access
    assert tokens.refresh_token in pinterest_login.oauth.refresh
    assert tokens.expires_at - timezone.now() > timedelta(days=29)
    assert tokens.refresh_expires_at - timezone.now() > timedelta(days=364)
    client = PinterestClient(
        base_url=pinterest_login.url,
        access_token=tokens.access_token,
        country="DE",
        language="DE",
        timeout=2,
    )
    assert client.catalog_check().name == "etalage-shop"


def test_pinterest_cancel_comes_back_as_access_denied(pinterest_login):
    url = provider_for("pinterest").authorize_url(
        state="s", redirect_uri=REDIRECT, code_challenge=""
    )
    assert consent(url, "Cancel") == {"error": "access_denied", "state": "s"}
    assert pinterest_login.oauth.exchanges == 0


def test_pinterest_refuses_a_used_code_a_foreign_redirect_and_a_wrong_secret(
    pinterest_login, settings
):
    provider = provider_for("pinterest")
    url = provider.authorize_url(state="s", redirect_uri=REDIRECT, code_challenge="")
    code = consent(url, "Allow")["code"]
    provider.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier="")

    with pytest.raises(TokenRefused, match="expired, was already used") as used:
        provider.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier="")
    assert (used.value.status, used.value.code) == (400, 283)

    other = consent(url, "Allow")["code"]
    with pytest.raises(TokenRefused, match="authorization grant is invalid"):
        provider.exchange_code(code=other, redirect_uri="http://evil.test/", code_verifier="")

    settings.CHANNELS_PINTEREST_APP_SECRET = "wrong"
    with pytest.raises(AppRefused, match="Authentication failed") as client:
        provider_for("pinterest").exchange_code(code=other, redirect_uri=REDIRECT, code_verifier="")
    assert client.value.status == 401


def test_pinterest_expired_access_token_is_refused_then_refreshed(pinterest_login):
    provider = provider_for("pinterest")
    url = provider.authorize_url(state="s", redirect_uri=REDIRECT, code_challenge="")
    tokens = provider.exchange_code(
        code=consent(url, "Allow")["code"], redirect_uri=REDIRECT, code_verifier=""
    )
    pinterest_login.oauth.expire(tokens.access_token)
    with pytest.raises(CredentialsError):  # what a push client's call meets too
        provider.destinations(tokens)

    fresh = provider.refresh(tokens)

    assert pinterest_login.token_requests[-1] == {
        "grant_type": "refresh_token",
        "refresh_token": tokens.refresh_token,
        "refresh_on": "true",
    }
    assert fresh.access_token != tokens.access_token
    assert fresh.refresh_token not in ("", tokens.refresh_token)  # continuous refresh
    assert fresh.refresh_expires_at - timezone.now() > timedelta(days=364)
    assert [d.id for d in provider.destinations(fresh)] == ["549755885175"]


def test_pinterest_refresh_refused_and_platform_down(pinterest_login):
    provider = provider_for("pinterest")
    with pytest.raises(TokenRefused, match="withdrawn"):
        provider.refresh(TokenSet(access_token="a", refresh_token="pinr_unknown"))
    with pytest.raises(TokenRefused, match="No Pinterest refresh token"):
        provider.refresh(TokenSet(access_token="a"))
    pinterest_login.stop()
    with pytest.raises(RetryableError):
        provider.refresh(TokenSet(access_token="a", refresh_token="pinr_x"))


def test_pinterest_destinations_are_every_ad_account_page_by_page(pinterest_login):
    pinterest_login.ad_accounts = [
        {"id": str(1000 + n), "name": f"Account {n}", "country": "FR", "currency": "EUR"}
        for n in range(260)
    ]
    provider = provider_for("pinterest")
    destinations = provider.destinations(TokenSet(access_token=pinterest_login.token))
    assert len(destinations) == 260
    assert destinations[0].id == "1000"
    assert (destinations[0].name, destinations[0].detail) == ("Account 0", "FR · EUR")
    assert destinations[0].country == "FR"  # the ad account's own country
    assert destinations[-1].id == "1259"
    assert provider.destination_create(TokenSet(access_token="a"), "New") is None


def test_pinterest_revoke_calls_nothing_and_says_where_to_remove_the_app(pinterest_login):
    provider_for("pinterest").revoke(TokenSet(access_token=pinterest_login.token))
    assert pinterest_login.token_requests == []
    assert "Pinterest settings" in PINTEREST_REVOKE


def test_pinterest_is_not_offered_without_the_app_credentials(settings):
    settings.CHANNELS_PINTEREST_APP_ID = ""
    settings.CHANNELS_PINTEREST_APP_SECRET = "s"
    assert not provider_for("pinterest").is_configured()


# TikTok Shop


def test_tiktok_authorize_exchange_and_authorized_shops(tiktok_login):
    provider = provider_for("tiktok")
    assert provider.is_configured()
    url = provider.authorize_url(state="t1", redirect_uri=REDIRECT, code_challenge="x")
    assert url == f"{tiktok_login.url}/open/authorize?service_id={tiktok_login.service_id}&state=t1"

    back = consent(url, "Allow")
    assert back["state"] == "t1"
    assert back["app_key"] == tiktok_login.app_key
    tokens = provider.exchange_code(code=back["code"], redirect_uri=REDIRECT, code_verifier="")

    assert tiktok_login.token_requests[-1] == {
        "app_key": tiktok_login.app_key,
        "app_secret": tiktok_login.app_secret,
        "auth_code": back["code"],
        "grant_type": "authorized_code",
    }
    # the expiries are Unix timestamps, not durations
    assert timedelta(days=6) < tokens.expires_at - timezone.now() < timedelta(days=8)
    assert tokens.refresh_expires_at - timezone.now() > timedelta(days=360)
    assert tokens.extra["seller_name"] == "Etalage Test Shop"
    assert tokens.scope == "seller.product.basic,seller.authorization.info"

    tiktok_login.shops.append(
        {"id": "2", "name": "Etalage EU", "region": "GB", "cipher": "GCP_two", "code": "GB2"}
    )
    destinations = provider.destinations(tokens)
    assert [(d.id, d.name, d.detail, d.country) for d in destinations] == [
        (tiktok_login.shop_cipher, "Etalage Test Shop", "US · USLCLCEXAMPLE", "US"),
        ("GCP_two", "Etalage EU", "GB · GB2", "GB"),
    ]
    assert provider.destination_create(tokens, "x") is None


def test_tiktok_cancel_comes_back_refused(tiktok_login):
    url = provider_for("tiktok").authorize_url(state="t2", redirect_uri=REDIRECT, code_challenge="")
    back = consent(url, "Cancel")
    assert (back["error"], back["state"]) == ("access_denied", "t2")
    assert "code" not in back


def test_tiktok_refuses_a_used_code_and_a_wrong_app_secret(tiktok_login, settings):
    provider = provider_for("tiktok")
    url = provider.authorize_url(state="s", redirect_uri=REDIRECT, code_challenge="")
    code = consent(url, "Allow")["code"]
    provider.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier="")
    with pytest.raises(TokenRefused, match="can not find related auth record") as used:
        provider.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier="")
    assert used.value.code == 36004005

    settings.CHANNELS_TIKTOK_APP_SECRET = "wrong"
    fresh = consent(url, "Allow")["code"]
    with pytest.raises(TokenRefused) as secret:
        provider_for("tiktok").exchange_code(code=fresh, redirect_uri=REDIRECT, code_verifier="")
    assert secret.value.code == 36004003


def test_tiktok_expired_token_refused_then_refreshed_and_expired_refresh_refused(tiktok_login):
    provider = provider_for("tiktok")
    url = provider.authorize_url(state="s", redirect_uri=REDIRECT, code_challenge="")
    tokens = provider.exchange_code(
        code=consent(url, "Allow")["code"], redirect_uri=REDIRECT, code_verifier=""
    )
    tiktok_login.oauth.expire(tokens.access_token)
    with pytest.raises(CredentialsError, match="expired"):
        provider.destinations(tokens)

    fresh = provider.refresh(tokens)

    assert tiktok_login.token_requests[-1] == {
        "app_key": tiktok_login.app_key,
        "app_secret": tiktok_login.app_secret,
        "refresh_token": tokens.refresh_token,
        "grant_type": "refresh_token",
    }
    assert fresh.access_token != tokens.access_token
    assert fresh.extra["seller_name"] == "Etalage Test Shop"
    assert [d.id for d in provider.destinations(fresh)] == [tiktok_login.shop_cipher]

    tiktok_login.oauth.expire_refresh(fresh.refresh_token)
    with pytest.raises(TokenRefused, match="rt has expired") as expired:
        provider.refresh(fresh)
    assert expired.value.code == 36004001


def test_tiktok_other_refusals_do_not_ask_to_log_in_again(tiktok_login):
    provider = provider_for("tiktok")
    url = provider.authorize_url(state="s", redirect_uri=REDIRECT, code_challenge="")
    tokens = provider.exchange_code(
        code=consent(url, "Allow")["code"], redirect_uri=REDIRECT, code_verifier=""
    )
    tiktok_login.token_failures = [(36009999, "Internal system error, please retry")]
    with pytest.raises(FinalError, match="Internal system error") as refused:
        provider.refresh(tokens)
    assert not isinstance(refused.value, TokenRefused)
    assert provider.refresh(tokens).access_token  # the next one works


def test_tiktok_revoke_calls_nothing_and_points_to_seller_center(tiktok_login):
    provider_for("tiktok").revoke(TokenSet(access_token=tiktok_login.token))
    assert tiktok_login.token_requests == []
    assert "Seller Center" in TIKTOK_REVOKE


def test_tiktok_is_not_offered_without_the_service_id(settings):
    settings.CHANNELS_TIKTOK_APP_KEY = "k"
    settings.CHANNELS_TIKTOK_APP_SECRET = "s"
    settings.CHANNELS_TIKTOK_SERVICE_ID = ""
    assert not provider_for("tiktok").is_configured()


# the framework's flow, with these providers: connect, sync, refresh, disconnect


def login(channel: str, button: str = "Allow") -> OAuthAttempt:
    """Start a login as user 7 of the current shop, answer the consent page, and come
    back through the callback."""
    url = oauth_start(channel=channel, user_id=7, redirect_uri=REDIRECT)
    back = consent(url, button)
    return oauth_callback(
        state=back.get("state", ""),
        code=back.get("code", ""),
        error=back.get("error", ""),
        user_id=7,
        redirect_uri=REDIRECT,
    )


def test_pinterest_connects_to_the_picked_ad_account_and_syncs_with_the_login_token(
    in_shop_a, pinterest_login
):
    attempt = login("pinterest")
    assert [d.name for d in oauth_destinations(attempt=attempt)] == ["Etalage Ads"]
    product = complete_product()

    connection = oauth_connect(
        attempt=attempt, destination_id="549755885175", country="DE", language="de"
    )

    assert connection.external_id == "549755885175"
    tokens = connection_tokens(connection)
    assert connection_access_token(connection) == tokens.access_token
    assert tokens.access_token in pinterest_login.oauth.access
    assert connection.token_expires_at - timezone.now() > timedelta(days=29)
    connection_sync_task(connection.pk, True)  # the first sync: the whole catalog
    assert {item["title"] for item in pinterest_login.items.values()} == {product.title}
    # the batches act for the ad account picked (business access), POST and GET alike
    assert pinterest_login.batch_ad_accounts
    assert set(pinterest_login.batch_ad_accounts) == {
        ("POST", "549755885175"),
        ("GET", "549755885175"),
    }


def test_a_pinterest_ad_account_the_login_lost_its_role_on_is_refused(in_shop_a, pinterest_login):
    connection = oauth_connect(
        attempt=login("pinterest"), destination_id="549755885175", country="DE", language="de"
    )
    pinterest_login.ad_accounts = []  # the role on it was removed at Pinterest
    complete_product()
    assert connection_sync_task(connection.pk, True) != "0 items"
    assert pinterest_login.items == {}
    assert ("POST", "549755885175") in pinterest_login.batch_ad_accounts


def test_tiktok_connects_to_the_picked_shop_with_its_warehouse_and_the_category(
    in_shop_a, tiktok_login
):
    attempt = login("tiktok")
    complete_product()
    with pytest.raises(OAuthRefused, match="Enter the category id"):
        oauth_connect(
            attempt=attempt, destination_id=tiktok_login.shop_cipher, country="US", language="en"
        )
    assert not Connection.objects.exists()  # nothing half-written

    connection = oauth_connect(
        attempt=attempt,
        destination_id=tiktok_login.shop_cipher,
        country="US",
        language="en",
        category_id=tiktok_login.category_id,
    )

    tokens = connection_tokens(connection)
    assert tiktok_credentials(connection) == {
        "app_key": tiktok_login.app_key,
        "app_secret": tiktok_login.app_secret,
        "access_token": tokens.access_token,
        "shop_cipher": tiktok_login.shop_cipher,
        "warehouse_id": tiktok_login.warehouse_id,  # the default sales warehouse
        "category_id": tiktok_login.category_id,
    }
    assert connection_test(connection=connection).is_ok
    connection_sync_task(connection.pk, True)
    assert len(tiktok_login.products) == 1


def test_tiktok_expired_token_is_renewed_by_the_sync_and_kept_in_its_credentials(
    in_shop_a, tiktok_login
):
    connection = oauth_connect(
        attempt=login("tiktok"),
        destination_id=tiktok_login.shop_cipher,
        country="US",
        language="en",
        category_id=tiktok_login.category_id,
    )
    old = connection_tokens(connection)
    tiktok_login.oauth.expire(old.access_token)
    complete_product()

    assert connection_sync_task(connection.pk) == "2 items"

    connection.refresh_from_db()
    fresh = connection_tokens(connection)
    assert fresh.access_token != old.access_token
    assert tiktok_credentials(connection)["access_token"] == fresh.access_token
    assert tiktok_credentials(connection)["warehouse_id"] == tiktok_login.warehouse_id
    assert tiktok_login.oauth.refreshes == 1 and len(tiktok_login.products) == 1


def test_pinterest_refused_refresh_asks_to_reconnect(in_shop_a, pinterest_login):
    connection = oauth_connect(
        attempt=login("pinterest"), destination_id="549755885175", country="DE", language="de"
    )
    tokens = connection_tokens(connection)
    pinterest_login.oauth.expire(tokens.access_token)
    pinterest_login.oauth.expire_refresh(tokens.refresh_token)
    complete_product()

    assert connection_sync_task(connection.pk) == "needs reconnecting"

    connection.refresh_from_db()
    assert connection.status == Connection.Status.RECONNECT
    assert "reconnect" in connection.last_error
    assert pinterest_login.items == {}


def test_a_refused_consent_saves_nothing(in_shop_a, tiktok_login):
    with pytest.raises(OAuthRefused, match="didn't allow Etalage"):
        login("tiktok", "Cancel")
    assert not Connection.objects.exists()
    assert tiktok_login.oauth.exchanges == 0


def test_shop_b_cannot_use_shop_as_login_nor_see_its_connection(shop_a, shop_b, pinterest_login):
    with tenant_context(shop_a):
        url = oauth_start(channel="pinterest", user_id=7, redirect_uri=REDIRECT)
        back = consent(url, "Allow")
    with tenant_context(shop_b), pytest.raises(OAuthRefused, match="another shop"):
        oauth_callback(
            state=back["state"], code=back["code"], error="", user_id=7, redirect_uri=REDIRECT
        )
    with tenant_context(shop_a):
        attempt = oauth_callback(
            state=back["state"], code=back["code"], error="", user_id=7, redirect_uri=REDIRECT
        )
        oauth_connect(attempt=attempt, destination_id="549755885175", country="DE", language="de")
    with tenant_context(shop_b):
        assert not Connection.objects.exists()
        assert tokens_refresh_due() == {"renewed": 0, "refused": 0, "later": 0, "warned": 0}


def test_disconnecting_forgets_the_tokens_and_calls_no_platform(in_shop_a, pinterest_login):
    connection = oauth_connect(
        attempt=login("pinterest"), destination_id="549755885175", country="DE", language="de"
    )
    requests = len(pinterest_login.token_requests)

    connection_disconnect(connection=connection)  # the revoke task runs at once (eager)

    assert not Connection.objects.exists()
    assert len(pinterest_login.token_requests) == requests


def test_a_tiktok_login_connection_edits_its_warehouse_and_category_only(
    shop_a, tiktok_login, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    with tenant_context(shop_a):
        connection = oauth_connect(
            attempt=login("tiktok"),
            destination_id=tiktok_login.shop_cipher,
            country="US",
            language="en",
            category_id="111",
        )
    client = owner_client()
    page = client.get(f"/admin/channels/connection/{connection.pk}/change/").content.decode()
    assert "Category id" in page and "Warehouse id" in page
    assert "App secret" not in page and "Shop cipher" not in page

    answer = client.post(
        f"/admin/channels/connection/{connection.pk}/change/",
        {
            "channel": "tiktok",
            "country": "US",
            "language": "en",
            "selection": "all",
            "is_enabled": "on",
            "tiktok_warehouse_id": tiktok_login.warehouse_id,
            "tiktok_category_id": tiktok_login.category_id,
        },
    )

    assert answer.status_code == 302, answer.content.decode()[:2000]
    with tenant_context(shop_a):
        connection.refresh_from_db()
        stored = tiktok_credentials(connection)
        assert stored["category_id"] == tiktok_login.category_id
        assert stored["shop_cipher"] == tiktok_login.shop_cipher  # kept from the login
        assert stored["access_token"] == connection_tokens(connection).access_token


def test_a_pinterest_login_without_ad_accounts_says_so_on_the_pick_page(
    shop_a, pinterest_login, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    pinterest_login.ad_accounts = []
    client = owner_client()
    started = client.post("/admin/channels/connection/login/pinterest/start/")
    assert started.status_code == 302
    back = consent(started["Location"], "Allow", redirect="http://localhost")
    picked = client.get("/admin/channels/connection/login/callback/", back, follow=True)

    page = picked.content.decode()
    assert "Choose your Pinterest ad account" in page
    assert "Your Pinterest login manages no ad account yet." in page
    assert "Or create a new one named" not in page


def pick_page(client, channel: str) -> str:
    started = client.post(f"/admin/channels/connection/login/{channel}/start/")
    assert started.status_code == 302
    # (TikTok sends the browser to the app's registered address, Pinterest to the relay)
    back = consent(started["Location"], "Allow", redirect="http://")
    picked = client.get("/admin/channels/connection/login/callback/", back, follow=True)
    assert picked.status_code == 200
    return picked.content.decode()


def pick_page_shipping_to_france(shop, channel: str) -> str:
    """The pick page of a euro shop whose one shipping zone is France."""
    shop.currency = "EUR"
    shop.save(update_fields=["currency"])
    with tenant_context(shop):
        ShippingZone.objects.create(name="France", countries=["FR"])
    db_connection.set_schema_to_public()
    return pick_page(owner_client(), channel)


def test_the_tiktok_pick_page_starts_with_the_shops_region_not_the_shops_currency(
    shop_a, tiktok_login
):
    # a euro shop that ships to France, connecting its US TikTok shop
    page = pick_page_shipping_to_france(shop_a, "tiktok")

    assert "Choose your TikTok shop" in page
    assert '<option value="US" selected>United States of America</option>' in page
    assert '<option value="en" selected>English</option>' in page


def test_shops_in_two_regions_leave_the_country_to_the_shops_shipping_zones(shop_a, tiktok_login):
    tiktok_login.shops.append(
        {"id": "2", "name": "Etalage UK", "region": "GB", "cipher": "GCP_two", "code": "GB2"}
    )
    page = pick_page_shipping_to_france(shop_a, "tiktok")

    assert '<option value="FR" selected>France</option>' in page
    assert '<option value="fr" selected>French</option>' in page


def test_the_pinterest_pick_page_starts_with_the_ad_accounts_country(shop_a, pinterest_login):
    pinterest_login.ad_accounts[0]["country"] = "NL"

    page = pick_page(owner_client(), "pinterest")

    assert '<option value="NL" selected>Netherlands</option>' in page
    assert '<option value="nl" selected>Dutch</option>' in page
