"""Secrets under a list of keys (shops.secrets): the first key encrypts, any decrypts,
and ``rotate_secrets`` moves every shop's stored secrets to the first key, each shop in
its own schema."""

from __future__ import annotations

import base64
import hashlib
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from orders.models import PaymentAccount
from orders.payment_accounts import payment_account_set_keys, shop_payments
from shops.channels.models import Connection
from shops.channels.services import connection_access_token, connection_create
from shops.secrets import (
    SecretsKeyInvalid,
    SecretUnreadable,
    secret_decrypt,
    secret_encrypt,
    secret_fields,
)
from tests.conftest import SECRETS_KEY_A, SECRETS_KEY_B

KEY_A, KEY_B = SECRETS_KEY_A, SECRETS_KEY_B
KEY_C = Fernet.generate_key().decode()


@pytest.fixture
def keys(secrets_keys, stripe_settings):  # the shops' Stripe keys are checked when saved
    return secrets_keys


def opens(key: str, token: str) -> bool:
    try:
        Fernet(key).decrypt(token.encode())
    except Exception:
        return False
    return True


def store_secrets(slug: str) -> None:
    """The active shop's own Stripe keys (two secrets) and a Meta connection (one)."""
    payment_account_set_keys(
        secret_key=f"sk_test_{slug}",
        publishable_key=f"pk_test_{slug}",
        webhook_secret=f"whsec_{slug}",
    )
    connection_create(channel="meta", access_token=f"EAAG-{slug}", external_id="1234")


def stored_tokens() -> list[str]:
    account = PaymentAccount.objects.get()
    connection = Connection.objects.get()
    return [
        account.secret_key_encrypted,
        account.webhook_secret_encrypted,
        connection.credentials_encrypted,
    ]


def rotate(*slugs: str) -> str:
    out = StringIO()
    call_command("rotate_secrets", *slugs, stdout=out)
    return out.getvalue()


def test_a_secret_written_under_key_a_still_decrypts_after_the_list_becomes_b_a(keys):
    keys(KEY_A)
    token = secret_encrypt("sk_test_secret")

    keys(KEY_B, KEY_A)

    assert secret_decrypt(token) == "sk_test_secret"
    newer = secret_encrypt("sk_test_newer")
    assert opens(KEY_B, newer) and not opens(KEY_A, newer)  # the first key encrypts
    keys(KEY_B)
    with pytest.raises(SecretUnreadable, match="cannot be decrypted with any"):
        secret_decrypt(token)


def test_payment_credentials_key_is_still_read_and_encrypts_when_alone(keys, settings):
    keys()
    settings.PAYMENT_CREDENTIALS_KEY = KEY_A
    token = secret_encrypt("whsec_old")
    assert opens(KEY_A, token)

    keys(KEY_B)  # the new list; the old setting is still read after it

    assert secret_decrypt(token) == "whsec_old"
    assert opens(KEY_B, secret_encrypt("whsec_new"))


def test_secrets_written_under_the_key_derived_from_secret_key_stay_readable(keys, settings):
    # written before any key was configured, by the code before SECRETS_KEYS
    digest = hashlib.sha256(b"etalage-payment-credentials:" + settings.SECRET_KEY.encode())
    derived = base64.urlsafe_b64encode(digest.digest()).decode()
    token = Fernet(derived).encrypt(b"sk_test_before").decode()
    keys()
    assert opens(derived, secret_encrypt("sk_test_unset"))

    keys(KEY_B, KEY_A)

    assert secret_decrypt(token) == "sk_test_before"


def test_a_key_that_is_not_a_fernet_key_is_named(keys):
    keys(KEY_A, "not-a-key")

    with pytest.raises(SecretsKeyInvalid, match="SECRETS_KEYS key 2 is not a Fernet key"):
        secret_encrypt("sk_test_secret")


def test_the_models_holding_secrets_name_their_fields():
    fields = {model._meta.label: names for model, names in secret_fields()}

    assert fields == {
        "orders.PaymentAccount": ("secret_key_encrypted", "webhook_secret_encrypted"),
        "channels.Connection": ("credentials_encrypted", "tokens_encrypted"),
        "channels.OAuthAttempt": ("tokens_encrypted",),
    }


def test_after_rotate_secrets_every_shop_decrypts_with_the_new_key_alone(shop_a, shop_b, keys):
    # given: both shops' secrets written under key A
    keys(KEY_A)
    for shop in (shop_a, shop_b):
        with tenant_context(shop):
            store_secrets(shop.slug)

    # when: B is put first and the secrets are rotated
    keys(KEY_B, KEY_A)
    output = rotate()

    # then: key B alone reads them all
    assert "alpha: 3 re-encrypted, 0 already under the first key, 0 unreadable" in output
    assert "beta: 3 re-encrypted, 0 already under the first key, 0 unreadable" in output
    keys(KEY_B)
    for shop in (shop_a, shop_b):
        with tenant_context(shop):
            assert all(opens(KEY_B, token) for token in stored_tokens())
            payments = shop_payments()
            assert payments.credentials.secret_key == f"sk_test_{shop.slug}"
            assert payments.webhook_secret == f"whsec_{shop.slug}"
            assert connection_access_token(Connection.objects.get()) == f"EAAG-{shop.slug}"


def test_rotate_secrets_again_changes_nothing(shop_a, keys):
    keys(KEY_A)
    with tenant_context(shop_a):
        store_secrets("alpha")
    keys(KEY_B, KEY_A)
    rotate("alpha")
    with tenant_context(shop_a):
        rotated = stored_tokens()

    output = rotate("alpha")

    assert "alpha: 0 re-encrypted, 3 already under the first key, 0 unreadable" in output
    with tenant_context(shop_a):
        assert stored_tokens() == rotated


def test_rotating_one_shop_never_touches_another_shops_secrets(shop_a, shop_b, keys):
    keys(KEY_A)
    for shop in (shop_a, shop_b):
        with tenant_context(shop):
            store_secrets(shop.slug)
    with tenant_context(shop_b):
        before = stored_tokens()
    keys(KEY_B, KEY_A)

    output = rotate("alpha")

    assert "beta" not in output
    with tenant_context(shop_b):
        assert stored_tokens() == before  # byte for byte: still under key A
    with tenant_context(shop_a):
        assert all(opens(KEY_B, token) for token in stored_tokens())
        assert PaymentAccount.objects.get().publishable_key == "pk_test_alpha"


def test_secrets_no_key_opens_are_left_as_they_are_and_reported(shop_a, keys):
    keys(KEY_A)
    with tenant_context(shop_a):
        store_secrets("alpha")
        before = stored_tokens()
    keys(KEY_C, KEY_B)  # A is missing from the list

    with pytest.raises(CommandError, match="3 secrets could not be decrypted"):
        rotate("alpha")

    with tenant_context(shop_a):
        assert stored_tokens() == before


def test_rotate_secrets_names_an_unknown_shop_or_a_bad_key(shop_a, keys):
    keys(KEY_A)
    with pytest.raises(CommandError, match="no shop gamma"):
        rotate("alpha", "gamma")
    keys("not-a-key", KEY_A)
    with pytest.raises(CommandError, match="SECRETS_KEYS key 1 is not a Fernet key"):
        rotate("alpha")
