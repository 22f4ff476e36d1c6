"""The host → shop lookup: cached (a cached shop page costs no query, in the test client
and in a real gunicorn process), retired at once by every change to a shop or a domain,
and never crossed between shops."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from config.query_count import HEADER
from shops.models import Domain, Shop
from shops.services import domain_add, domain_remove, shop_status_set, shop_update


def get(host: str, path: str = "/"):
    return Client(HTTP_HOST=host).get(path)


def test_the_second_view_of_a_shop_page_costs_no_query(shop_a, django_assert_num_queries):
    # given
    assert get("alpha.localhost").status_code == 200  # the lookup and the page cached

    # when / then
    with django_assert_num_queries(0):
        response = get("alpha.localhost")
    assert response.status_code == 200
    assert b'<h1 id="shop-title">Alpha Goods</h1>' in response.content
    assert "Set-Cookie" not in response.headers  # nothing stored for an anonymous shopper


def test_suspending_a_shop_is_seen_at_once(shop_a, django_capture_on_commit_callbacks):
    # given
    assert get("alpha.localhost").status_code == 200  # cached

    # when
    with django_capture_on_commit_callbacks(execute=True):
        shop_status_set(shop=shop_a, status=Shop.Status.SUSPENDED)

    # then
    assert get("alpha.localhost").status_code == 503
    with django_capture_on_commit_callbacks(execute=True):
        shop_status_set(shop=shop_a, status=Shop.Status.ACTIVE)
    assert get("alpha.localhost").status_code == 200


def test_renaming_a_shop_is_seen_at_once_on_its_cached_page(
    shop_a, django_capture_on_commit_callbacks
):
    # given
    assert b"Alpha Goods" in get("alpha.localhost").content  # cached

    # when
    with django_capture_on_commit_callbacks(execute=True):
        shop_update(shop=shop_a, name="Alpha Market", currency="usd")

    # then
    response = get("alpha.localhost")
    assert b'<h1 id="shop-title">Alpha Market</h1>' in response.content
    assert Shop.objects.get(pk=shop_a.pk).currency == "USD"


def test_a_bad_shop_update_is_refused_with_a_message_and_changes_nothing(shop_a):
    with pytest.raises(ValidationError) as raised:
        shop_update(shop=shop_a, name=" ", currency="EURO")

    assert set(raised.value.message_dict) == {"name", "currency"}
    assert raised.value.message_dict["name"] == ["Give your shop a name."]
    shop_a.refresh_from_db()
    assert (shop_a.name, shop_a.currency) == ("Alpha Goods", "EUR")


def test_removing_or_moving_a_domain_is_seen_at_once(
    shop_a, shop_b, django_capture_on_commit_callbacks
):
    # given: a custom domain of alpha's, looked up and cached
    with django_capture_on_commit_callbacks(execute=True):
        domain = domain_add(shop=shop_a, domain="shop.alpha-example.com")
    assert b"Alpha Goods" in get("shop.alpha-example.com").content

    # when: removed
    with django_capture_on_commit_callbacks(execute=True):
        domain_remove(domain=domain)

    # then
    assert get("shop.alpha-example.com").status_code == 404

    # when: added to beta
    with django_capture_on_commit_callbacks(execute=True):
        domain_add(shop=shop_b, domain="shop.alpha-example.com")

    # then
    assert b"Beta Supplies" in get("shop.alpha-example.com").content
    assert b"Alpha Goods" in get("alpha.localhost").content


def test_two_shops_cached_lookups_never_cross(shop_a, shop_b, django_capture_on_commit_callbacks):
    # given: both looked up and cached, one after the other
    for _ in range(2):
        assert b"Alpha Goods" in get("alpha.localhost").content
        assert b"Beta Supplies" in get("beta.localhost").content

    # when: one of them is suspended
    with django_capture_on_commit_callbacks(execute=True):
        shop_status_set(shop=shop_b, status=Shop.Status.SUSPENDED)

    # then: only that one
    assert get("beta.localhost").status_code == 503
    alpha = get("alpha.localhost")
    assert alpha.status_code == 200 and b"Alpha Goods" in alpha.content
    assert b"Beta" not in alpha.content
    assert Domain.objects.get(domain="alpha.localhost").tenant_id == shop_a.pk


def server_get(base_url: str, host: str, path: str = "/") -> http.client.HTTPResponse:
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", path, headers={"Host": host})
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def test_gunicorn_serves_a_cached_shop_page_with_no_query(gunicorn):
    """The count comes from the server process itself (its X-Db-Queries header, on for
    the tests only): a real request, through every middleware of the production server."""
    # given: one worker (its own local cache when REDIS_URL is unset), the page viewed once
    base_url = gunicorn(workers=1, DB_QUERY_COUNT_HEADER="true")
    first = server_get(base_url, "alpha.localhost")
    assert first.status == 200
    assert int(first.headers[HEADER]) > 0  # the counter counts

    # when
    again = [server_get(base_url, "alpha.localhost") for _ in range(3)]

    # then
    assert [(response.status, response.headers[HEADER]) for response in again] == [(200, "0")] * 3
    assert all(b"Alpha Goods" in response.body for response in again)
    assert all(response.headers.get("Set-Cookie") is None for response in again)


def test_a_long_custom_domain_is_looked_up_and_cached_too(
    shop_b, django_capture_on_commit_callbacks, django_assert_num_queries, recwarn
):
    host = ".".join(["a" * 60, "b" * 60, "c" * 60, "shop.test"])
    with django_capture_on_commit_callbacks(execute=True):
        domain_add(shop=shop_b, domain=host)
    assert b"Beta Supplies" in get(host).content

    with django_assert_num_queries(0):
        assert b"Beta Supplies" in get(host).content
    assert [str(w.message) for w in recwarn if "Cache key" in str(w.message)] == []
