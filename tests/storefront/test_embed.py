"""The embedded shop page and its loader, as the host page's browser gets them."""

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from orders.payment_accounts import payment_account_set_keys
from shops.storefront import services
from tests.catalog.test_product_page import make_product
from tests.storefront.helpers import headings, product, shopper


def allow(shop, *origins: str) -> None:
    with tenant_context(shop):
        services.embed_origins_set(origins=list(origins))


def test_embed_may_be_framed_by_the_allowed_origins_only(shop_a):
    allow(shop_a, "https://blog.example", "http://127.0.0.2:8080")

    response = shopper().get("/embed/")

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == (
        "frame-ancestors https://blog.example http://127.0.0.2:8080"
    )
    assert "X-Frame-Options" not in response
    assert 'data-allowed-origins="https://blog.example http://127.0.0.2:8080"' in (
        response.content.decode()
    )


def test_embed_with_no_allowed_origin_cannot_be_framed(shop_a):
    response = shopper().get("/embed/")

    assert response["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_other_pages_stay_unframeable(shop_a):
    with tenant_context(shop_a):
        product("Mug", slug="mug")
    allow(shop_a, "https://blog.example")

    for path in ("/", "/products/mug/", "/admin/login/"):
        response = shopper().get(path)
        assert response["X-Frame-Options"] == "DENY", path
        assert "Content-Security-Policy" not in response, path


def test_embed_sets_no_cookie_and_links_stay_inside_the_frame(shop_a, stripe_settings):
    with tenant_context(shop_a):
        make_product(title="Mug", slug="mug", variants=2)
        payment_account_set_keys(
            secret_key="sk_test_alpha", publishable_key="pk_test_alpha", webhook_secret="whsec_a"
        )
    allow(shop_a, "https://blog.example")
    client = shopper()

    shop = client.get("/embed/")
    item = client.get("/embed/?product=mug")

    assert not shop.cookies and not item.cookies
    assert '<a href="/embed/?product=mug">' in shop.content.decode()
    assert item["Content-Security-Policy"] == "frame-ancestors https://blog.example"
    assert "X-Frame-Options" not in item
    html = item.content.decode()
    assert '<h1 id="product-title">Mug</h1>' in html
    assert '<a class="brand" href="/embed/"><span class="brand-name">Alpha Goods</span></a>' in html
    assert '<input type="hidden" name="product" value="mug">' in html  # the variant picker
    assert 'class="button buy-now"' in html
    assert '<meta name="robots" content="noindex">' in html


def test_embed_of_one_section_and_unknown_ones(shop_a):
    with tenant_context(shop_a):
        section = services.section_add(section_type_key="rich_text")
        services.section_update(section_id=section["id"], settings={"heading": "Story"})
        services.design_publish()

    one = shopper().get(f"/embed/?section={section['id']}")
    unknown = shopper().get("/embed/?section=nope")
    no_product = shopper().get("/embed/?product=nope")

    assert headings(one.content) == ["Story"]
    assert unknown.status_code == 404 and no_product.status_code == 404


def test_changing_the_allowed_origins_applies_at_once(shop_a, django_capture_on_commit_callbacks):
    assert shopper().get("/embed/")["Content-Security-Policy"] == "frame-ancestors 'none'"

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        services.embed_origins_set(origins=["https://blog.example"])

    assert shopper().get("/embed/")["Content-Security-Policy"] == (
        "frame-ancestors https://blog.example"
    )


def test_the_loader_is_javascript(shop_a):
    response = shopper().get("/embed.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript"
    assert "etalage:resize" in response.content.decode()


def test_origins_are_validated(shop_a):
    with tenant_context(shop_a), pytest.raises(ValidationError) as error:
        services.embed_origins_set(
            origins=[
                "blog.example",
                "ftp://files.example",
                "https://*.example",
                "https://a.example:99999",
                "https://user:pw@a.example",
                "https://ok.example",
            ]
        )

    assert error.value.messages == [
        "“blog.example” is not an origin: it must start with https:// (or http://).",
        "“ftp://files.example” is not an origin: it must start with https:// (or http://).",
        "“https://*.example” is not an origin: the host name has characters no host name has.",
        "“https://a.example:99999” is not an origin: the port is not a number from 1 to 65535.",
        "“https://user:pw@a.example” is not an origin: it needs a host name, like "
        "https://blog.example.com.",
    ]


def test_the_bag_opens_inside_the_embed_without_a_cookie(shop_a, stripe_settings):
    with tenant_context(shop_a):
        make_product(title="Mug", slug="mug", variants=2)
        payment_account_set_keys(
            secret_key="sk_test_alpha", publishable_key="pk_test_alpha", webhook_secret="whsec_a"
        )
    allow(shop_a, "https://blog.example")
    client = shopper()

    item = client.get("/embed/?product=mug")
    bag = client.get("/embed/?bag=1")
    page = client.get("/bag/")

    assert '<a class="bag-link" href="/embed/?bag=1" data-bag-link>' in item.content.decode()
    assert not bag.cookies and not page.cookies
    assert bag["Content-Security-Policy"] == "frame-ancestors https://blog.example"
    assert "X-Frame-Options" not in bag
    assert page["X-Frame-Options"] == "DENY"  # the shop's own bag page is not framed
    html = bag.content.decode()
    assert 'data-product-url="/embed/?product="' in html  # its links stay in the frame
    assert '<a class="brand" href="/embed/">Alpha Goods</a>' in html
    assert "data-buy-now" in html
