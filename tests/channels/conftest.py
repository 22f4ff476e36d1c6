"""Channel test helpers: the fake Meta and TikTok servers and complete products."""

from __future__ import annotations

import io
from collections.abc import Iterator
from urllib.error import HTTPError
from urllib.parse import parse_qsl, urlencode, urlparse
from urllib.request import HTTPRedirectHandler, build_opener, urlopen

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context
from PIL import Image

from catalog.images import product_image_add
from catalog.models import Product
from catalog.services import VariantInput, product_create
from shops.channels.models import Connection
from shops.channels.services import connection_create
from tests.channels.fake_google import FakeGoogle
from tests.channels.fake_meta import FakeMeta
from tests.channels.fake_pinterest import FakePinterest
from tests.channels.fake_tiktok import FakeTikTok


@pytest.fixture
def fake_meta(settings) -> Iterator[FakeMeta]:
    fake = FakeMeta()
    settings.CHANNELS_META_API_BASE = fake.url
    settings.CHANNELS_TIMEOUT_SECONDS = 2
    settings.CHANNELS_BATCH_POLL_SECONDS = 0.01
    yield fake
    fake.stop()


@pytest.fixture
def fake_google(settings) -> Iterator[FakeGoogle]:
    fake = FakeGoogle()
    settings.CHANNELS_GOOGLE_API_BASE = fake.url
    settings.CHANNELS_TIMEOUT_SECONDS = 2
    yield fake
    fake.stop()


@pytest.fixture
def fake_tiktok(settings) -> Iterator[FakeTikTok]:
    fake = FakeTikTok()
    settings.CHANNELS_TIKTOK_API_BASE = fake.url
    settings.CHANNELS_TIMEOUT_SECONDS = 2
    yield fake
    fake.stop()


@pytest.fixture
def in_shop_a(shop_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with tenant_context(shop_a):
        yield shop_a


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), "plum").save(buffer, "PNG")
    return SimpleUploadedFile("p.png", buffer.getvalue())


def meta_connection(fake, **fields) -> Connection:
    return connection_create(
        channel="meta", access_token=fake.token, external_id=fake.catalog_id, **fields
    )


def pinterest_connection(fake) -> Connection:
    return connection_create(
        channel="pinterest", access_token=fake.token, country="de", language="de"
    )


def google_connection(fake) -> Connection:
    return connection_create(
        channel="google",
        access_token=fake.token,
        external_id=f"{fake.account}/77",
        country="FR",
        language="fr",
    )


def tiktok_connection(fake, **overrides) -> Connection:
    values = {
        "app_key": fake.app_key,
        "app_secret": fake.app_secret,
        "shop_cipher": fake.shop_cipher,
        "warehouse_id": fake.warehouse_id,
        "category_id": fake.category_id,
        **overrides,
    }
    token = values.pop("access_token", fake.token)
    return connection_create(channel="tiktok", access_token=token, tiktok=values)


def complete_product(title: str = "Linen Tee", *, sku: str = "TEE", **overrides) -> Product:
    """An active product ready for every channel, with two sized variants (each with its
    own barcode, unless ``gtin=""`` says the product has none) and an image."""
    barcodes = ("", "") if overrides.get("gtin") == "" else ("4006381333931", "4006381333948")
    fields = {
        "title": title,
        "description": "<p>Soft <b>linen</b>, washed &amp; dried.</p>",
        "brand": "Etalage",
        "gtin": "4006381333931",
        "mpn": "LT-1",
        "status": "active",
        "option1_name": "Size",
        "variants": [
            VariantInput(sku=f"{sku}-S", price="19.90", stock=3, options=("S",), gtin=barcodes[0]),
            VariantInput(
                sku=f"{sku}-M",
                price="21.00",
                compare_at_price="25.00",
                stock=0,
                options=("M",),
                gtin=barcodes[1],
            ),
        ],
    }
    product = product_create(**{**fields, **overrides})
    product_image_add(product=product, file=png())
    return product


# --- connecting with the platform's login: the fakes' apps, and a login without a browser


@pytest.fixture
def meta_login(fake_meta, settings, monkeypatch) -> FakeMeta:
    """The fake Meta's app configured (settings, and the environment a worker reads)."""
    values = {
        "CHANNELS_META_APP_ID": fake_meta.grants.client_id,
        "CHANNELS_META_APP_SECRET": fake_meta.grants.client_secret,
        "CHANNELS_META_CONFIG_ID": "cfg-catalogs",
        "CHANNELS_META_OAUTH_DIALOG_BASE": fake_meta.url,
        "CHANNELS_META_API_BASE": fake_meta.url,
        "CHANNELS_TIMEOUT_SECONDS": "2",
        "CHANNELS_BATCH_POLL_SECONDS": "0.05",
    }
    _configure(settings, monkeypatch, values)
    return fake_meta


@pytest.fixture
def google_login(fake_google, settings, monkeypatch) -> FakeGoogle:
    values = {
        "CHANNELS_GOOGLE_CLIENT_ID": fake_google.grants.client_id,
        "CHANNELS_GOOGLE_CLIENT_SECRET": fake_google.grants.client_secret,
        "CHANNELS_GOOGLE_OAUTH_AUTHORIZE_URL": f"{fake_google.url}/o/oauth2/v2/auth",
        "CHANNELS_GOOGLE_OAUTH_TOKEN_URL": f"{fake_google.url}/token",
        "CHANNELS_GOOGLE_OAUTH_REVOKE_URL": f"{fake_google.url}/revoke",
        "CHANNELS_GOOGLE_API_BASE": fake_google.url,
        "CHANNELS_TIMEOUT_SECONDS": "2",
    }
    _configure(settings, monkeypatch, values)
    return fake_google


@pytest.fixture
def pinterest_login(settings, monkeypatch) -> Iterator[FakePinterest]:
    """The fake Pinterest (API and login page) with its app configured."""
    fake = FakePinterest()
    values = {
        "CHANNELS_PINTEREST_APP_ID": fake.app_id,
        "CHANNELS_PINTEREST_APP_SECRET": fake.app_secret,
        "CHANNELS_PINTEREST_OAUTH_URL": f"{fake.url}/oauth/",
        "CHANNELS_PINTEREST_API_BASE": fake.url,
        "CHANNELS_TIMEOUT_SECONDS": "2",
    }
    _configure(settings, monkeypatch, values)
    yield fake
    fake.stop()


@pytest.fixture
def tiktok_login(settings, monkeypatch) -> Iterator[FakeTikTok]:
    """The fake TikTok Shop (Partner API, authorization page and token endpoints) with
    its app configured; its registered redirect URL is the tests' to set."""
    fake = FakeTikTok()
    values = {
        "CHANNELS_TIKTOK_APP_KEY": fake.app_key,
        "CHANNELS_TIKTOK_APP_SECRET": fake.app_secret,
        "CHANNELS_TIKTOK_SERVICE_ID": fake.service_id,
        "CHANNELS_TIKTOK_AUTHORIZE_URL": f"{fake.url}/open/authorize",
        "CHANNELS_TIKTOK_AUTH_BASE": fake.url,
        "CHANNELS_TIKTOK_API_BASE": fake.url,
        "CHANNELS_TIMEOUT_SECONDS": "2",
    }
    _configure(settings, monkeypatch, values)
    yield fake
    fake.stop()


def _configure(settings, monkeypatch, values: dict[str, str]) -> None:
    for name, value in values.items():
        setattr(settings, name, int(value) if name == "CHANNELS_TIMEOUT_SECONDS" else value)
        monkeypatch.setenv(name, value)
    settings.CHANNELS_BATCH_POLL_SECONDS = 0.05


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def consent(authorize_url: str, decision: str = "allow") -> dict[str, str]:
    """What a person does on the fake platform's consent page (Allow or Cancel): answers
    the query the platform sends back to the redirect URI."""
    with urlopen(authorize_url, timeout=5) as answer:  # noqa: S310 (the fake, on loopback)
        assert b"Allow" in answer.read()
    parts = urlparse(authorize_url)
    query = {**dict(parse_qsl(parts.query)), "decision": decision}
    decide = f"{parts.scheme}://{parts.netloc}{parts.path}/decide?{urlencode(query)}"
    try:
        build_opener(_NoRedirect).open(decide, timeout=5)
    except HTTPError as redirect:
        assert redirect.code == 302
        return dict(parse_qsl(urlparse(redirect.headers["Location"]).query))
    raise AssertionError("the consent page did not send the person back")
