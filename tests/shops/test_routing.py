"""Host routing: the platform, shop subdomains, custom domains, unknown hosts."""

import pytest
from django.test import Client

from shops.models import Shop
from shops.services import domain_add


def get(host: str, path: str = "/"):
    return Client(HTTP_HOST=host).get(path)


def test_platform_host_serves_home_page_without_a_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = get("localhost")
    assert response.status_code == 200
    assert b"Create your shop" in response.content


def test_shop_subdomain_serves_that_shop(shop_a, django_assert_max_num_queries):
    # SET search_path to public, the domain lookup and SET search_path to the shop, then
    # the shop page's design, its (empty) product list and its header's collections menu
    with django_assert_max_num_queries(6):
        response = get("alpha.localhost:8000")
    assert response.status_code == 200
    assert response.context["shop"] == shop_a
    assert b'<h1 id="shop-title">Alpha Goods</h1>' in response.content


def test_custom_domain_serves_its_shop(shop_b):
    domain_add(shop=shop_b, domain="Shop.Beta-Example.com")

    response = get("shop.beta-example.com")

    assert response.status_code == 200
    assert response.context["shop"] == shop_b
    assert b"Beta Supplies" in response.content


@pytest.mark.parametrize("host", ["nope.localhost", "alpha.localhost.evil.example", "127.0.0.2"])
def test_unknown_host_gets_friendly_404(db, host):
    response = get(host)

    assert response.status_code == 404
    assert b"There is no shop at this address" in response.content
    assert b"Create a shop" in response.content


def test_suspended_shop_answers_503(shop_a):
    Shop.objects.filter(pk=shop_a.pk).update(status=Shop.Status.SUSPENDED)

    response = get("alpha.localhost")

    assert response.status_code == 503
    assert b"unavailable" in response.content


def test_shop_admin_lives_on_shop_host_only(db):
    assert get("alpha.localhost", "/admin/login/").status_code == 200
    assert get("localhost", "/admin/login/").status_code == 404


def test_signup_lives_on_platform_host_only(db):
    assert get("localhost", "/signup/").status_code == 200
    assert get("alpha.localhost", "/signup/").status_code == 404
