"""``/favicon.ico`` answers an image on every host: the icon a shop's designer set, else
Etalage's own (never a 404), for one shop only."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test import Client
from PIL import Image

from shops.storefront import services as design
from tests.storefront.helpers import picture_upload


@pytest.mark.parametrize("host", ["alpha.localhost", "localhost"])
def test_the_default_icon_on_a_shop_and_the_platform(shop_a, host):
    response = Client(HTTP_HOST=host).get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert "max-age=3600" in response["Cache-Control"]
    assert Image.open(io.BytesIO(response.content)).format == "ICO"


def test_the_shops_own_icon_once_published_and_only_for_that_shop(shop_a, shop_b, media):
    # given alpha's designer sets a red favicon (a draft first)
    connection.set_tenant(shop_a)
    design.branding_update(values={}, favicon=picture_upload("icon.png", (64, 64), "red"))
    draft = Client(HTTP_HOST="alpha.localhost").get("/favicon.ico")

    # when it is published
    design.design_publish()
    alpha = Client(HTTP_HOST="alpha.localhost").get("/favicon.ico")
    beta = Client(HTTP_HOST="beta.localhost").get("/favicon.ico")

    # then alpha answers its own icon, beta still Etalage's
    assert draft["Content-Type"] == "image/x-icon"
    assert (alpha.status_code, alpha["Content-Type"]) == (200, "image/webp")
    icon = Image.open(io.BytesIO(alpha.content)).convert("RGB")
    assert icon.getpixel((icon.width // 2, icon.height // 2))[0] > 200  # red
    assert beta["Content-Type"] == "image/x-icon"


def test_a_shop_icon_whose_file_is_gone_falls_back_to_the_default(shop_a, media):
    connection.set_tenant(shop_a)
    design.branding_update(values={}, favicon=picture_upload("icon.png", (64, 64), "red"))
    design.design_publish()
    for path in media.rglob("*"):
        if path.is_file():
            path.unlink()

    response = Client(HTTP_HOST="alpha.localhost").get("/favicon.ico")

    assert (response.status_code, response["Content-Type"]) == (200, "image/x-icon")
