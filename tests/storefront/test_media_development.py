"""The development media view (DEBUG): a shop's host serves its own public files only,
whatever the path says (the hostile tester read shop A's import CSV through shop B's
host with ``/media/shop_b/../shop_a/…``)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import Http404
from django.test import RequestFactory
from django_tenants.utils import tenant_context

from shops.storefront import views


def served(shop, path: str) -> bytes:
    connection.set_tenant(shop)
    response = views.media(RequestFactory().get(f"/media/{path}"), path)
    return b"".join(response.streaming_content)


@pytest.fixture
def files(shop_a, shop_b, media):
    """A public picture and a private import CSV in shop A's folder, a picture in B's."""
    with tenant_context(shop_a):
        picture = default_storage.save("products/a.txt", ContentFile(b"alpha picture"))
        private = default_storage.save("imports/a.csv", ContentFile(b"Handle,Title\nsecret"))
        report = default_storage.save("imports/reports/a.csv", ContentFile(b"row,error"))
    with tenant_context(shop_b):
        default_storage.save("products/b.txt", ContentFile(b"beta picture"))
    return {"picture": picture, "import": private, "report": report}


def test_a_shop_serves_its_own_public_files(shop_a, shop_b, files):
    assert served(shop_a, f"shop_alpha/{files['picture']}") == b"alpha picture"
    assert served(shop_b, "shop_beta/products/b.txt") == b"beta picture"


@pytest.mark.parametrize(
    "path",
    [
        "shop_beta/../shop_alpha/products/a.txt",
        "shop_beta/../shop_alpha/imports/a.csv",
        "shop_beta/products/../../shop_alpha/products/a.txt",
        "shop_beta/./../shop_alpha/products/a.txt",
        "shop_beta//../shop_alpha/products/a.txt",
        "shop_beta/..\\shop_alpha/products/a.txt",
        "shop_alpha/products/a.txt",
    ],
)
def test_another_shops_files_cannot_be_reached_through_a_shops_host(shop_b, files, path):
    with pytest.raises(Http404):
        served(shop_b, path)


@pytest.mark.parametrize("name", ["import", "report"])
def test_import_files_are_never_served_by_url(shop_a, files, name):
    with pytest.raises(Http404):
        served(shop_a, f"shop_alpha/{files[name]}")
