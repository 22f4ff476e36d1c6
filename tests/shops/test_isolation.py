"""One shop can neither see nor change another's data: ORM, HTTP, cache, media."""

import uuid

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django_tenants.utils import tenant_context

from shops.accounts.models import User
from tests.conftest import SHOP_PASSWORD


def test_row_created_in_one_shop_is_invisible_in_another(shop_a, shop_b):
    with tenant_context(shop_a):
        User.objects.create_user(email="clerk@alpha.test", password="x")
    with tenant_context(shop_b):
        assert not User.objects.filter(email="clerk@alpha.test").exists()
        assert list(User.objects.values_list("email", flat=True)) == ["owner@beta.test"]
    with tenant_context(shop_a):
        assert User.objects.filter(email="clerk@alpha.test").exists()


def test_owner_login_works_only_on_own_shop(db):
    alpha = Client(HTTP_HOST="alpha.localhost")
    beta = Client(HTTP_HOST="beta.localhost")
    credentials = {"username": "owner@alpha.test", "password": SHOP_PASSWORD}

    assert alpha.post("/admin/login/", credentials).status_code == 302
    assert alpha.get("/admin/").status_code == 200
    # the same credentials mean nothing on another shop's host
    response = beta.post("/admin/login/", credentials)
    assert response.status_code == 200
    assert b"Please enter the correct email address and password" in response.content


def test_session_from_one_shop_is_not_valid_on_another(db):
    alpha = Client(HTTP_HOST="alpha.localhost")
    alpha.post("/admin/login/", {"username": "owner@alpha.test", "password": SHOP_PASSWORD})
    stolen = alpha.cookies["sessionid"].value

    beta = Client(HTTP_HOST="beta.localhost")
    beta.cookies["sessionid"] = stolen
    response = beta.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_cache_values_are_per_shop(shop_a, shop_b):
    key = f"greeting-{uuid.uuid4()}"  # the cache may be a Redis that outlives test runs
    with tenant_context(shop_a):
        cache.set(key, "hello from alpha")
    with tenant_context(shop_b):
        assert cache.get(key) is None
        cache.set(key, "hello from beta")
    with tenant_context(shop_a):
        assert cache.get(key) == "hello from alpha"


def test_media_files_live_in_each_shops_folder(shop_a, shop_b, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with tenant_context(shop_a):
        name = default_storage.save("logos/logo.txt", ContentFile(b"alpha"))
        assert default_storage.path(name) == str(tmp_path / "shop_alpha" / "logos" / "logo.txt")
        assert default_storage.url(name) == "/media/shop_alpha/logos/logo.txt"
    with tenant_context(shop_b):
        assert not default_storage.exists(name)
    assert (tmp_path / "shop_alpha" / "logos" / "logo.txt").read_bytes() == b"alpha"
