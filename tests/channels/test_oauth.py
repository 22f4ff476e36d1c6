"""Connecting a channel with the platform's own login (shops.channels.oauth) against the
fake Meta and Google logins: the state is bound to the shop, the user and one use; the
code exchange's failures save nothing; the tokens are stored encrypted with their
expiry, renewed by the beat before they expire and once when a sync finds them expired;
a refused renewal asks the merchant to reconnect."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone
from django_tenants.utils import tenant_context

from shops.channels.clients.oauth import TokenSet
from shops.channels.models import Connection, OAuthAttempt
from shops.channels.oauth import (
    OAuthRefused,
    TokenRefused,
    attempt_tokens,
    connection_tokens,
    connection_tokens_refresh,
    expiry_warning,
    oauth_callback,
    oauth_connect,
    oauth_destinations,
    oauth_start,
    provider_for,
    tokens_refresh_due,
)
from shops.channels.services import connection_disconnect
from shops.channels.tasks import connection_sync as connection_sync_task
from shops.secrets import secret_decrypt
from tests.channels.conftest import complete_product, consent

REDIRECT = "http://alpha.localhost/admin/channels/connection/login/callback/"
OWNER, OTHER = 1, 2


def started(channel: str, user_id: int = OWNER) -> str:
    return oauth_start(channel=channel, user_id=user_id, redirect_uri=REDIRECT)


def come_back(answer: dict[str, str], user_id: int = OWNER) -> OAuthAttempt:
    return oauth_callback(
        state=answer.get("state", ""),
        code=answer.get("code", ""),
        error=answer.get("error", ""),
        user_id=user_id,
        redirect_uri=REDIRECT,
    )


def connected(channel: str, destination: str, **where) -> Connection:
    attempt = come_back(consent(started(channel)))
    return oauth_connect(
        attempt=attempt,
        destination_id=destination,
        country=where.get("country", "FR"),
        language=where.get("language", "fr"),
    )


def test_meta_login_lists_the_catalogs_and_connects_the_one_picked(in_shop_a, meta_login):
    fake = meta_login
    url = started("meta")
    assert url.startswith(f"{fake.url}/v24.0/dialog/oauth?")
    assert "config_id=cfg-catalogs" in url
    # no PKCE: Facebook Login for Business documents none (clients/meta_login.py)
    assert "code_challenge" not in url

    attempt = come_back(consent(url))
    destinations = oauth_destinations(attempt=attempt)
    connection = oauth_connect(
        attempt=attempt, destination_id="9876543210", country="FR", language="fr"
    )

    assert [(entry.id, entry.name) for entry in destinations] == [
        ("1234567890", "Fake catalog"),
        ("9876543210", "Summer catalog"),
    ]
    assert destinations[0].detail.startswith("Atelier Business")
    # the code went back (no PKCE verifier), then was swapped for a long-lived token
    code_call, exchange_call = fake.grants.redeemed
    assert "code_verifier" not in code_call and code_call["redirect_uri"] == REDIRECT
    assert exchange_call["grant_type"] == "fb_exchange_token"
    tokens = connection_tokens(connection)
    assert tokens.access_token.startswith("meta-long-")
    assert secret_decrypt(connection.credentials_encrypted) == tokens.access_token
    assert tokens.access_token not in connection.tokens_encrypted  # encrypted
    assert connection.token_expires_at > timezone.now() + timedelta(days=59)
    assert (connection.external_id, connection.country, connection.language) == (
        "9876543210",
        "FR",
        "fr",
    )
    assert not OAuthAttempt.objects.exists()


def test_meta_creates_a_new_catalog_in_the_business(in_shop_a, meta_login):
    attempt = come_back(consent(started("meta")))

    connection = oauth_connect(
        attempt=attempt, new_name="Etalage spring", country="DE", language="de"
    )

    assert meta_login.catalogs[connection.external_id] == "Etalage spring"


def test_a_refused_consent_saves_nothing(in_shop_a, meta_login):
    answer = consent(started("meta"), decision="cancel")
    assert answer["error"] == "access_denied"

    with pytest.raises(OAuthRefused) as refused:
        come_back(answer)

    assert refused.value.message.startswith("You didn't allow Etalage to manage your Meta")
    assert "nothing was connected" in refused.value.message and refused.value.retry
    assert not Connection.objects.exists()
    assert meta_login.grants.redeemed == []  # no code to exchange


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda state: state[:-2] + "xx", "not one Etalage started"),
        (lambda state: signing.dumps({"shop": "alpha", "nonce": "x"}), "not one Etalage started"),
        (lambda state: "", "not one Etalage started"),
    ],
)
def test_a_forged_state_is_refused(in_shop_a, meta_login, tamper, message):
    answer = consent(started("meta"))

    with pytest.raises(OAuthRefused, match=message):
        come_back({**answer, "state": tamper(answer["state"])})

    assert not Connection.objects.exists()
    assert meta_login.grants.redeemed == []


def test_a_state_is_used_once_by_the_user_who_started_it_in_time(in_shop_a, meta_login, settings):
    answer = consent(started("meta"))
    with pytest.raises(OAuthRefused, match="not started by you"):
        come_back(answer, user_id=OTHER)
    come_back(answer)  # the owner's: fine
    with pytest.raises(OAuthRefused, match="already used"):
        come_back(answer)  # replayed

    late = consent(started("meta"))
    settings.CHANNELS_OAUTH_ATTEMPT_MINUTES = -1
    with pytest.raises(OAuthRefused, match="expired"):
        come_back(late)
    assert len(meta_login.grants.redeemed) == 2  # the owner's code, and its exchange


def test_shop_b_cannot_use_shop_a_state_nor_see_its_tokens(shop_a, shop_b, meta_login):
    with tenant_context(shop_a):
        answer = consent(started("meta"))
    with tenant_context(shop_b):
        with pytest.raises(OAuthRefused, match="another shop"):
            come_back(answer)
        assert not OAuthAttempt.objects.exists() and not Connection.objects.exists()
    with tenant_context(shop_a):
        connection = oauth_connect(
            attempt=come_back(answer), destination_id="1234567890", country="FR", language="fr"
        )
        assert connection.tokens_encrypted
    with tenant_context(shop_b):
        assert not Connection.objects.exists()


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        ("secret", "refused Etalage's app credentials (Error validating client secret)"),
        ("code_expired", "refused the login (This authorization code has expired)"),
        ("down", "did not answer (Could not reach the platform"),
    ],
)
def test_a_failed_code_exchange_saves_nothing(in_shop_a, meta_login, settings, break_it, message):
    fake = meta_login
    answer = consent(started("meta"))
    if break_it == "secret":
        settings.CHANNELS_META_APP_SECRET = "wrong"
    elif break_it == "code_expired":
        fake.grants.codes[answer["code"]]["expires"] = 0
    else:
        fake.stop()

    with pytest.raises(OAuthRefused) as refused:
        come_back(answer)

    assert message in refused.value.message
    assert "nothing was connected" in refused.value.message
    assert not Connection.objects.exists()
    assert OAuthAttempt.objects.get().tokens_encrypted == ""


def test_google_refusing_the_app_client_says_the_settings_are_wrong(
    in_shop_a, google_login, settings
):
    answer = consent(started("google"))
    settings.CHANNELS_GOOGLE_CLIENT_SECRET = "wrong"

    with pytest.raises(OAuthRefused) as refused:
        come_back(answer)

    assert refused.value.message.startswith(
        "Google refused Etalage's app credentials (invalid_client: The OAuth client was not "
        "found): nothing was connected. The platform's administrator must check its settings "
        "(CHANNELS_GOOGLE_CLIENT_ID, CHANNELS_GOOGLE_CLIENT_SECRET)."
    )
    assert not refused.value.retry


def test_a_token_endpoint_that_hangs_is_cut_at_the_deadline(in_shop_a, google_login, settings):
    settings.CHANNELS_TIMEOUT_SECONDS = 1
    google_login.grants.token_delay = 4
    answer = consent(started("google"))

    began = time.monotonic()
    with pytest.raises(OAuthRefused) as refused:
        come_back(answer)

    assert time.monotonic() - began < 2.5
    assert refused.value.message.startswith("Google did not answer (No answer within 1 s)")
    assert not Connection.objects.exists()


def test_google_connects_with_a_refresh_token_to_an_api_data_source(in_shop_a, google_login):
    url = started("google")
    assert "access_type=offline" in url and "prompt=consent" in url
    attempt = come_back(consent(url))

    destinations = oauth_destinations(attempt=attempt)
    connection = oauth_connect(
        attempt=attempt, destination_id="4242/77", country="FR", language="fr"
    )

    assert [entry.id for entry in destinations] == ["4242/77"]  # the file source left out
    tokens = connection_tokens(connection)
    assert tokens.refresh_token.startswith("refresh-")
    assert (
        timedelta(seconds=3590)
        < connection.token_expires_at - timezone.now()
        <= timedelta(seconds=3599)
    )


def test_the_beat_renews_the_tokens_expiring_within_the_window(in_shop_a, google_login, settings):
    fake = google_login
    connection = connected("google", "4242/77")
    first = connection_tokens(connection)

    assert tokens_refresh_due() == {
        "renewed": 0,
        "refused": 0,
        "later": 0,
        "warned": 0,
    }  # 3599 s > 900 s
    settings.CHANNELS_TOKEN_REFRESH_WINDOW_SECONDS = 3600
    assert tokens_refresh_due() == {"renewed": 1, "refused": 0, "later": 0, "warned": 0}

    connection.refresh_from_db()
    renewed = connection_tokens(connection)
    assert renewed.access_token != first.access_token
    assert renewed.refresh_token == first.refresh_token  # Google keeps the refresh token
    assert fake.grants.token_state(renewed.access_token) == "ok"
    assert secret_decrypt(connection.credentials_encrypted) == renewed.access_token
    assert fake.grants.redeemed[-1]["grant_type"] == "refresh_token"


def test_the_beat_leaves_a_platform_that_is_down_for_next_time(in_shop_a, google_login, settings):
    connection = connected("google", "4242/77")
    settings.CHANNELS_TOKEN_REFRESH_WINDOW_SECONDS = 3600
    google_login.stop()

    assert tokens_refresh_due() == {"renewed": 0, "refused": 0, "later": 1, "warned": 0}
    connection.refresh_from_db()
    assert connection.status == "active"


def test_a_sync_refused_for_an_expired_token_renews_it_once_and_goes_on(in_shop_a, google_login):
    fake = google_login
    fake.grants.access_seconds = 1  # a token that expires at once
    connection = connected("google", "4242/77")
    fake.grants.access_seconds = 3599
    expired = connection_tokens(connection).access_token
    fake.grants.tokens[expired] = 0  # expired at the platform
    product = complete_product()

    result = connection_sync_task.apply(args=[connection.pk, True]).get()

    assert result == "0 items"  # the reconcile sent them (the outbox had nothing newer)
    connection.refresh_from_db()
    fresh = connection_tokens(connection).access_token
    assert fresh != expired and connection.status == "active"
    # refused once (the first product), then both sent with the new token
    assert fake.tokens_used[-3:] == [expired, fresh, fresh]
    assert len(fake.products) == 2
    assert any(str(product.pk) in name for name in fake.products)


def test_a_revoked_grant_asks_the_merchant_to_reconnect(
    in_shop_a, google_login, mailoutbox, django_capture_on_commit_callbacks
):
    fake = google_login
    connection = connected("google", "4242/77")
    fake.grants.revoke_all()  # the merchant removed Etalage in their Google account
    complete_product()

    with django_capture_on_commit_callbacks(execute=True):
        result = connection_sync_task.apply(args=[connection.pk, True]).get()
        connection_sync_task.apply(args=[connection.pk, True]).get()  # told once only

    assert result == "needs reconnecting"
    connection.refresh_from_db()
    assert connection.status == Connection.Status.RECONNECT
    assert (
        "no longer accepts Etalage's access (invalid_grant: Token has been expired or revoked)"
        in (connection.last_error)
    )
    assert not connection.is_syncing
    (email,) = mailoutbox
    assert email.to == [in_shop_a.owner_email]
    assert email.subject == f"{in_shop_a.name}: reconnect your sales channel"
    assert "choose “Reconnect”" in email.body
    # logging in again brings it back, the same connection
    again = connected("google", "4242/77")
    assert again.pk == connection.pk and again.status == "active"


def test_meta_tokens_are_not_exchanged_again_the_owner_is_warned_once_before_they_end(
    in_shop_a, meta_login, settings, mailoutbox, django_capture_on_commit_callbacks
):
    fake = meta_login
    settings.CHANNELS_TOKEN_EXPIRY_WARN_DAYS = 7
    connection = connected("meta", "1234567890")
    before = connection_tokens(connection).access_token
    calls = len(fake.grants.redeemed)
    assert expiry_warning(connection) == ""  # ~60 days left

    Connection.objects.filter(pk=connection.pk).update(
        token_expires_at=timezone.now() + timedelta(days=6)
    )
    with django_capture_on_commit_callbacks(execute=True):
        first = tokens_refresh_due()
        second = tokens_refresh_due()

    assert first == {"renewed": 0, "refused": 0, "later": 0, "warned": 1}
    assert second["warned"] == 0  # told once
    assert len(fake.grants.redeemed) == calls  # no fb_exchange_token on the long-lived one
    connection.refresh_from_db()
    assert connection_tokens(connection).access_token == before
    assert connection.status == "active" and connection.expiry_warned_at
    (email,) = mailoutbox
    assert email.to == [in_shop_a.owner_email]
    assert "Meta's access to your catalog ends on" in email.body
    assert "choose “Reconnect”" in email.body
    assert "reconnect with Meta before then" in expiry_warning(connection)
    # logging in again: new tokens, the warning forgotten (the next token is told again)
    again = connected("meta", "1234567890")
    assert again.pk == connection.pk and again.expiry_warned_at is None
    assert expiry_warning(again) == ""


def test_a_meta_refresh_asks_to_log_in_again(in_shop_a, meta_login):
    connection = connected("meta", "1234567890")
    with pytest.raises(TokenRefused):
        connection_tokens_refresh(connection_id=connection.pk)
    connection.refresh_from_db()
    assert connection.status == "reconnect"
    assert "log" in connection.last_error.lower() and "reconnect" in connection.last_error


def test_disconnecting_revokes_the_login_and_forgets_the_tokens(
    in_shop_a, google_login, django_capture_on_commit_callbacks
):
    fake = google_login
    connection = connected("google", "4242/77")
    tokens = connection_tokens(connection)

    with django_capture_on_commit_callbacks(execute=True):
        connection_disconnect(connection=connection)

    assert not Connection.objects.exists()
    assert fake.grants.revoked == [tokens.refresh_token]
    assert fake.grants.token_state(tokens.access_token) == "unknown"


def test_a_provider_without_its_app_says_which_settings_to_set(in_shop_a, settings):
    settings.CHANNELS_META_APP_ID = ""
    with pytest.raises(OAuthRefused) as refused:
        started("meta")
    assert "CHANNELS_META_APP_ID, CHANNELS_META_APP_SECRET, CHANNELS_META_CONFIG_ID" in (
        refused.value.message
    )
    assert not refused.value.retry
    assert not provider_for("google").is_configured()


def test_the_token_set_survives_its_round_trip():
    tokens = TokenSet(
        access_token="a",
        refresh_token="r",
        expires_at=timezone.now(),
        scope="s",
        extra={"user": "1"},
    )
    assert TokenSet.from_json(tokens.as_json()) == tokens
    assert attempt_tokens  # imported for the flow above
