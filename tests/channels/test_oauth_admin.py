"""The channel pages' "Connect with Meta / Google" as the merchant's browser drives them
(a test client, the fake platform's consent page followed by hand): the buttons, the
pick page, the refused consent with its "Try again", the settings to set when the
platform's app is not configured, and the country the form starts with."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode, urlparse

from django.db import connection as db_connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from orders.models import ShippingZone
from shops.audit.models import AuditEntry
from shops.channels.models import Connection
from shops.channels.oauth import connection_mark_reconnect
from tests.channels.conftest import consent
from tests.conftest import owner_client


def start(client, channel: str) -> str:
    response = client.post(f"/admin/channels/connection/login/{channel}/start/")
    assert response.status_code == 302
    return response["Location"]


def callback(client, answer: dict[str, str]):
    return client.get("/admin/channels/connection/login/callback/", answer)


def test_the_add_page_offers_the_logins_and_keeps_the_token_under_advanced(shop_a, meta_login):
    page = owner_client().get("/admin/channels/connection/add/").content.decode()

    assert "Connect with Meta</button>" in page
    # Google's app is not configured here: the page names its settings
    assert (
        "<code>CHANNELS_GOOGLE_CLIENT_ID</code>, <code>CHANNELS_GOOGLE_CLIENT_SECRET</code>" in page
    )
    assert "feed only" in page
    assert "<summary>" in page and "Advanced: paste a token" in page


def test_connecting_meta_by_login_picks_a_catalog_and_records_it(shop_a, meta_login, settings):
    client = owner_client()
    authorize = start(client, "meta")
    assert authorize.startswith(meta_login.url)
    # one address registered with Meta: the platform host's relay, which sends the
    # browser on to the shop the state names
    assert "redirect_uri=http%3A%2F%2Flocalhost%2Fchannels%2Flogin%2Fcallback%2F" in authorize
    answer = consent(authorize)
    relayed = Client(HTTP_HOST="localhost").get("/channels/login/callback/", answer)
    assert relayed.status_code == 302
    assert relayed["Location"] == (
        "http://alpha.localhost/admin/channels/connection/login/callback/?" + urlencode(answer)
    )

    picked = callback(client, answer)
    assert picked.status_code == 302
    pick_page = client.get(picked["Location"]).content.decode()
    assert "Fake catalog — Atelier Business" in pick_page
    assert "Summer catalog" in pick_page and "Or create a new one named" in pick_page

    saved = client.post(
        picked["Location"],
        {"destination": "1234567890", "new_name": "", "country": "FR", "language": "fr"},
    )

    assert saved.status_code == 302
    with tenant_context(shop_a):
        connection = Connection.objects.get(channel="meta")
        assert urlparse(saved["Location"]).path == (
            f"/admin/channels/connection/{connection.pk}/change/"
        )
        assert connection.tokens_encrypted and connection.external_id == "1234567890"
        entry = AuditEntry.objects.get(action="channel.connect_login")
        assert entry.actor_kind == "staff" and entry.actor_label
        assert "Fake catalog (1234567890)" in entry.note
    db_connection.set_schema_to_public()
    page = client.get(saved["Location"]).content.decode()
    assert "Connected with Meta" in page and "Meta does not let Etalage renew the access" in page
    assert "to <strong>Fake catalog (1234567890)</strong>" in page
    assert "Reconnect with Meta</button>" in page
    assert "Advanced: paste a token" not in page  # no pasted token on a login connection


def test_a_refused_consent_says_nothing_was_connected_with_a_retry_button(shop_a, meta_login):
    client = owner_client()
    answer = consent(start(client, "meta"), decision="cancel")

    response = callback(client, answer)

    page = response.content.decode()
    assert response.status_code == 200
    assert "You didn&#x27;t allow Etalage to manage your Meta catalog" in page
    assert "nothing was connected" in page
    assert 'action="/admin/channels/connection/login/meta/start/"' in page
    assert "Try again with Meta</button>" in page
    with tenant_context(shop_a):
        assert not Connection.objects.exists()


def test_the_relay_sends_no_one_anywhere_with_a_forged_state(db):
    relayed = Client(HTTP_HOST="localhost").get(
        "/channels/login/callback/", {"state": "forged", "code": "x"}
    )

    assert relayed.status_code == 400
    assert "not one Etalage started" in relayed.content.decode()


def test_another_shop_cannot_finish_this_shop_login(shop_a, shop_b, meta_login):
    answer = consent(start(owner_client("alpha"), "meta"))

    response = callback(owner_client("beta"), answer)

    assert "This login was started for another shop" in response.content.decode()
    with tenant_context(shop_b):
        assert not Connection.objects.exists()
    with tenant_context(shop_a):
        assert not Connection.objects.exists()


def test_an_unconfigured_platform_says_which_settings_to_set(shop_a, fake_meta):
    client = owner_client()
    response = client.post("/admin/channels/connection/login/meta/start/")

    page = response.content.decode()
    assert "needs its app configured by the platform" in page
    assert "CHANNELS_META_APP_ID, CHANNELS_META_APP_SECRET, CHANNELS_META_CONFIG_ID" in page
    assert "Try again" not in page


def test_the_form_starts_with_the_country_the_shop_ships_to_not_us(shop_a):
    with tenant_context(shop_a):
        ShippingZone.objects.create(name="Europe", countries=["BE", "FR"])
    db_connection.set_schema_to_public()

    page = owner_client().get("/admin/channels/connection/add/").content.decode()

    assert '<option value="BE" selected>Belgium</option>' in page
    assert '<option value="fr" selected>French</option>' in page


def test_the_google_pick_page_starts_with_the_data_sources_country(shop_a, google_login):
    with tenant_context(shop_a):
        ShippingZone.objects.create(name="Europe", countries=["BE", "FR"])
    db_connection.set_schema_to_public()
    client = owner_client()
    page = client.get(callback(client, consent(start(client, "google")))["Location"])
    # the data source names no country: the shop ships to Belgium first
    assert '<option value="BE" selected>Belgium</option>' in page.content.decode()

    google_login.source_countries = {"77": ["AT"]}  # primaryProductDataSource.countries
    page = client.get(callback(client, consent(start(client, "google")))["Location"])

    assert '<option value="AT" selected>Austria</option>' in page.content.decode()
    assert '<option value="de" selected>German</option>' in page.content.decode()


def test_a_connection_needing_reconnection_says_so_with_the_button(shop_a, google_login):
    client = owner_client()
    authorize = start(client, "google")
    picked = callback(client, consent(authorize))
    client.post(
        picked["Location"],
        {"destination": "4242/77", "new_name": "", "country": "FR", "language": "fr"},
    )
    with tenant_context(shop_a):
        connection = Connection.objects.get()
        connection_mark_reconnect(
            connection_id=connection.pk,
            message="Google no longer accepts Etalage's access (invalid_grant): reconnect.",
        )
    db_connection.set_schema_to_public()

    listing = client.get("/admin/channels/connection/").content.decode()
    page = client.get(f"/admin/channels/connection/{connection.pk}/change/").content.decode()

    assert "Google needs reconnecting: Google no longer accepts Etalage" in listing
    assert "Needs reconnecting" in listing
    assert 'role="alert">Google no longer accepts Etalage&#x27;s access (invalid_grant)' in page
    assert "Reconnect with Google</button>" in page


def test_editing_a_login_connection_keeps_its_catalog_and_tokens(shop_a, meta_login):
    client = owner_client()
    picked = callback(client, consent(start(client, "meta")))
    client.post(
        picked["Location"],
        {"destination": "9876543210", "new_name": "", "country": "FR", "language": "fr"},
    )
    with tenant_context(shop_a):
        connection = Connection.objects.get()
        tokens = connection.tokens_encrypted
    db_connection.set_schema_to_public()

    response = client.post(
        f"/admin/channels/connection/{connection.pk}/change/",
        {
            "channel": "meta",
            "country": "BE",
            "language": "nl",
            "selection": "all",
            "tag": "",
            "is_enabled": "on",
        },
    )

    assert response.status_code == 302
    with tenant_context(shop_a):
        connection.refresh_from_db()
        assert (connection.country, connection.language) == ("BE", "nl")
        assert connection.external_id == "9876543210"
        assert connection.tokens_encrypted == tokens


def test_deleting_the_connection_revokes_the_login_at_the_platform(
    shop_a, google_login, django_capture_on_commit_callbacks
):
    client = owner_client()
    picked = callback(client, consent(start(client, "google")))
    client.post(
        picked["Location"],
        {"destination": "4242/77", "new_name": "", "country": "FR", "language": "fr"},
    )
    with tenant_context(shop_a):
        connection = Connection.objects.get()
    db_connection.set_schema_to_public()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/channels/connection/{connection.pk}/delete/", {"post": "yes"}
        )

    assert response.status_code == 302
    with tenant_context(shop_a):
        assert not Connection.objects.exists()
    assert len(google_login.grants.revoked) == 1
    assert google_login.grants.revoked[0].startswith("refresh-")


def test_the_pick_page_asks_a_fixed_number_of_queries(
    shop_a, meta_login, django_assert_max_num_queries
):
    for number in range(30):  # many catalogs: one query still stores them all
        meta_login.catalogs[str(8_000_000 + number)] = f"Catalog {number}"
    client = owner_client()
    picked = callback(client, consent(start(client, "meta")))

    with django_assert_max_num_queries(12):
        page = client.get(picked["Location"]).content.decode()
    with django_assert_max_num_queries(12):
        client.get(picked["Location"])  # kept on the attempt: Meta is not asked again

    assert "Summer catalog" in page and "Catalog 29" in page


def test_a_meta_access_ending_soon_is_shown_with_the_reconnect_button(shop_a, meta_login):
    client = owner_client()
    picked = callback(client, consent(start(client, "meta")))
    client.post(
        picked["Location"],
        {"destination": "9876543210", "new_name": "", "country": "FR", "language": "fr"},
    )
    with tenant_context(shop_a):
        connection = Connection.objects.get()
    db_connection.set_schema_to_public()
    page = client.get(f"/admin/channels/connection/{connection.pk}/change/").content.decode()
    assert "Meta does not let Etalage renew the access: it is valid until" in page
    assert 'id="channel-expiry-warning"' not in page

    with tenant_context(shop_a):
        Connection.objects.filter(pk=connection.pk).update(
            token_expires_at=timezone.now() + timedelta(days=3), expiry_warned_at=timezone.now()
        )
    db_connection.set_schema_to_public()
    listing = client.get("/admin/channels/connection/").content.decode()
    page = client.get(f"/admin/channels/connection/{connection.pk}/change/").content.decode()

    assert "Meta&#x27;s access to your catalog ends on" in listing
    # the admin's warning message, announced as a status, on the list and the page
    assert '<div role="status"><ul class="messagelist">' in listing
    assert '<li class="warning">' in listing
    assert (
        '<div role="status" class="channel-expiry"><ul class="messagelist">'
        '<li class="warning" id="channel-expiry-warning">'
    ) in page
    assert "Reconnect with Meta</button>" in page
