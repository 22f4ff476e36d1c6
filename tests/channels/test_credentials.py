"""Channel credentials the platform's key list cannot open: "Test the connection", the
sync and the channel's page say so (never a 500), nothing is lost, and entering the
credentials again brings the channel back."""

from __future__ import annotations

import pytest
from django.db import connection as db_connection
from django_tenants.utils import tenant_context

from shops.channels.models import Connection
from shops.channels.services import connection_pushes, connection_test, connection_update
from shops.channels.tasks import connection_sync as connection_sync_task
from tests.channels.conftest import complete_product, meta_connection, tiktok_connection
from tests.conftest import SECRETS_KEY_A as KEY_A
from tests.conftest import SECRETS_KEY_B as KEY_B
from tests.conftest import owner_client

UNREADABLE = (
    "The stored credentials cannot be decrypted with the platform's secrets keys "
    "(SECRETS_KEYS): enter them again and save."
)


@pytest.mark.parametrize("key_list", [[KEY_B], ["not-a-fernet-key", KEY_A]])
def test_test_connection_and_the_sync_say_the_credentials_cannot_be_read(
    in_shop_a, fake_meta, secrets_keys, key_list
):
    connection = meta_connection(fake_meta)
    complete_product()
    position = connection.outbox_last_id
    secrets_keys(*key_list)

    tested = connection_test(connection=connection)
    synced = connection_sync_task.apply(args=[connection.pk]).get()

    assert (tested.is_ok, tested.message) == (False, UNREADABLE)
    assert synced == "failed"
    connection.refresh_from_db()
    assert (connection.status, connection.last_error) == ("failing", UNREADABLE)
    assert connection.outbox_last_id == position  # the changes wait
    assert fake_meta.items == {}

    secrets_keys(KEY_B, KEY_A)  # the key is back
    assert connection_test(connection=connection).is_ok


def test_tiktok_credentials_that_cannot_be_read_are_entered_again(
    in_shop_a, fake_tiktok, secrets_keys
):
    connection = tiktok_connection(fake_tiktok)
    secrets_keys(KEY_B)

    tested = connection_test(connection=connection)

    assert (tested.is_ok, tested.message) == (False, UNREADABLE)
    assert connection_pushes(connection)  # still meant to push: the sync says what is wrong
    entered = connection_update(
        connection=connection,
        access_token=fake_tiktok.token,
        tiktok={
            "app_key": fake_tiktok.app_key,
            "app_secret": fake_tiktok.app_secret,
            "shop_cipher": fake_tiktok.shop_cipher,
            "warehouse_id": "w1",
            "category_id": "c1",
        },
    )
    assert connection_test(connection=entered).is_ok


def test_the_channel_page_opens_when_its_credentials_cannot_be_read(
    shop_a, fake_tiktok, secrets_keys
):
    with tenant_context(shop_a):
        connection = tiktok_connection(fake_tiktok)
    db_connection.set_schema_to_public()
    secrets_keys(KEY_B)
    client = owner_client()

    page = client.get(f"/admin/channels/connection/{connection.pk}/change/")
    tested = client.post(
        "/admin/channels/connection/",
        {"action": "test_connection", "_selected_action": [connection.pk]},
        follow=True,
    )

    assert page.status_code == 200
    assert tested.status_code == 200
    assert "cannot be decrypted with the platform&#x27;s secrets keys" in tested.content.decode()
    with tenant_context(shop_a):
        assert Connection.objects.get().credentials_encrypted == connection.credentials_encrypted
