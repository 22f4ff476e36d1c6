"""A shop without a Stripe connection says so up front: no Buy now on its product page,
embedded product page or checkout link, but "This shop isn't taking orders yet"; Buy
now comes back as soon as the shop connects Stripe (and goes when it disconnects)."""

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from orders.payment_accounts import payment_account_remove
from shops.storefront import services as storefront
from tests.orders.conftest import make_variant, shop_sells

CLOSED = "This shop isn't taking orders yet."
PAGES = ["/products/canvas-tote/", "/embed/?product=canvas-tote"]


def page(path: str, slug: str = "alpha") -> str:
    response = Client(HTTP_HOST=f"{slug}.localhost").get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def tote_in_both_shops(shop_a, shop_b):
    for shop in (shop_a, shop_b):
        with tenant_context(shop):
            make_variant()
            storefront.embed_origins_set(origins=["https://blog.example"])


@pytest.mark.parametrize("path", PAGES)
def test_a_shop_that_cannot_sell_shows_no_buy_now(tote_in_both_shops, path):
    html = page(path)

    assert CLOSED in html
    assert 'class="button buy-now"' not in html
    assert "data-buy-now-form" not in html and "buy_now.js" not in html
    assert "In stock" in html  # the rest of the page is there


@pytest.mark.parametrize("path", PAGES)
def test_a_shop_that_sells_shows_buy_now_and_another_shop_does_not(
    shop_a, tote_in_both_shops, stripe_settings, path
):
    with tenant_context(shop_a):
        shop_sells("alpha")

    alpha, beta = page(path, "alpha"), page(path, "beta")

    assert 'class="button buy-now"' in alpha and CLOSED not in alpha
    assert CLOSED in beta and 'class="button buy-now"' not in beta  # beta has no Stripe


def test_the_checkout_link_of_a_shop_that_cannot_sell_says_so(shop_a, tote_in_both_shops):
    with tenant_context(shop_a):
        variant_id = make_variant(title="Mug", sku="MUG").id

    html = page(f"/checkout/?products={variant_id}:1")

    assert CLOSED in html
    assert "data-buy-now-form" not in html


def test_connecting_and_disconnecting_stripe_retires_the_cached_answer(
    shop_a, tote_in_both_shops, stripe_settings, django_capture_on_commit_callbacks
):
    assert CLOSED in page(PAGES[0])  # "cannot sell" is now cached with the shop's pages

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        shop_sells("alpha")
    assert 'class="button buy-now"' in page(PAGES[0])

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        payment_account_remove()
    assert CLOSED in page(PAGES[0])
