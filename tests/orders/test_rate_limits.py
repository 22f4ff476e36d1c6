"""Buy-now is limited per client address and shop (shops/ratelimits.py): 429 with
Retry-After and the JSON error object; one shop's traffic never limits another's."""

import json

import pytest
from django.test import RequestFactory
from django_tenants.utils import tenant_context

from orders.models import Order
from shops.ratelimits import client_ip, rate_parse
from tests.conftest import clear_of_window_end
from tests.orders.conftest import buy, make_variant, shop_sells, shopper

EMPTY = {"items": [], "email": "shopper@example.com"}  # refused (400) before any write


def from_address(slug: str, address: str, forwarded: str | None = None):
    client = shopper(slug)
    client.defaults["REMOTE_ADDR"] = address
    if forwarded is not None:
        client.defaults["HTTP_X_FORWARDED_FOR"] = forwarded
    return client


def test_over_the_limit_buy_now_answers_429_with_retry_after(shop_a, selling_a, settings):
    settings.ORDERS_RATE_BUY_NOW = "3/m"
    clear_of_window_end(60)  # the limit counts per minute: all requests in one
    client = from_address("alpha", "203.0.113.7")

    answers = [buy(client, EMPTY).status_code for _ in range(3)]
    limited = buy(
        client,
        {"items": [{"variant_id": selling_a.id, "quantity": 1}], "email": "shopper@example.com"},
    )

    assert answers == [400, 400, 400]
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert limited.json() == {
        "error": {
            "code": "rate_limited",
            "message": f"Too many requests; try again in {limited['Retry-After']} seconds.",
            "field": None,
        }
    }
    with tenant_context(shop_a):
        assert not Order.objects.exists()  # the limited request reserved nothing
        selling_a.refresh_from_db()
        assert selling_a.stock == 10


def test_other_addresses_still_buy_while_one_is_limited(shop_a, selling_a, settings):
    settings.ORDERS_RATE_BUY_NOW = "2/m"
    clear_of_window_end(60)  # the limit counts per minute: all requests in one
    noisy = from_address("alpha", "203.0.113.7")
    for _ in range(2):
        buy(noisy, EMPTY)

    assert buy(noisy, EMPTY).status_code == 429
    assert buy(from_address("alpha", "198.51.100.4"), EMPTY).status_code == 400


def test_one_shops_traffic_does_not_limit_another_shop(
    shop_a, shop_b, selling_a, stripe_settings, settings
):
    settings.ORDERS_RATE_BUY_NOW = "2/m"
    clear_of_window_end(60)  # the limit counts per minute: all requests in one
    with tenant_context(shop_b):
        shop_sells("beta")
        beta_variant = make_variant(sku="BETA-TOTE")
    for _ in range(2):
        buy(from_address("alpha", "203.0.113.7"), EMPTY)
    assert buy(from_address("alpha", "203.0.113.7"), EMPTY).status_code == 429

    in_beta = buy(
        from_address("beta", "203.0.113.7"),
        {"items": [{"variant_id": beta_variant.id, "quantity": 1}], "email": "s@example.com"},
    )

    assert in_beta.status_code == 201
    with tenant_context(shop_b):
        assert Order.objects.count() == 1


def test_a_forwarded_header_is_ignored_unless_proxies_are_trusted(shop_a, selling_a, settings):
    settings.ORDERS_RATE_BUY_NOW = "2/m"
    clear_of_window_end(60)  # the limit counts per minute: all requests in one
    # without trusted proxies, a shopper cannot dodge the limit by inventing addresses
    for number in range(3):
        answer = buy(from_address("alpha", "203.0.113.7", forwarded=f"10.0.0.{number}"), EMPTY)
    assert answer.status_code == 429

    settings.TRUSTED_PROXY_COUNT = 1
    # behind one proxy (REMOTE_ADDR is the proxy), each shopper is the header's last entry
    proxy_answers = [
        buy(from_address("alpha", "192.0.2.1", forwarded=f"1.2.3.4, 198.51.100.{n}"), EMPTY)
        for n in (1, 1, 1, 2)
    ]
    assert [a.status_code for a in proxy_answers] == [400, 400, 429, 400]


def test_off_switches_the_limit_off(shop_a, selling_a, settings):
    settings.ORDERS_RATE_BUY_NOW = "off"
    client = from_address("alpha", "203.0.113.7")

    assert {buy(client, EMPTY).status_code for _ in range(30)} == {400}


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "1.1.1.1", "203.0.113.7"),
        (1, "192.0.2.1", "1.1.1.1, 203.0.113.7", "203.0.113.7"),
        (2, "192.0.2.1", "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (2, "192.0.2.1", "203.0.113.7", "203.0.113.7"),  # fewer entries than proxies
        (1, "192.0.2.1", "not-an-address", "192.0.2.1"),
        (1, "192.0.2.1", "", "192.0.2.1"),
        (1, "192.0.2.1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address_reads_only_what_trusted_proxies_added(
    settings, proxies, remote, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().post("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        ("5/h", (5, 3600)),
        ("600/minute", (600, 60)),
        ("10/s", (10, 1)),
        ("2/d", (2, 86400)),
        ("off", None),
        ("0", None),
        ("", None),
        ("0/m", None),
    ],
)
def test_rates_are_parsed(rate, expected):
    assert rate_parse(rate) == expected


@pytest.mark.parametrize("rate", ["five/m", "5/fortnight", "-1/m"])
def test_a_mistyped_rate_fails_loudly(rate):
    with pytest.raises(ValueError, match="A rate is"):
        rate_parse(rate)


def test_the_limit_check_costs_no_sql(shop_a, selling_a, settings, django_assert_num_queries):
    settings.ORDERS_RATE_BUY_NOW = "1/m"
    clear_of_window_end(60)  # the limit counts per minute: all requests in one
    client = from_address("alpha", "203.0.113.7")
    buy(client, EMPTY)

    with django_assert_num_queries(0):  # the shop by host is cached too
        answer = buy(client, EMPTY)

    assert answer.status_code == 429
    assert json.loads(answer.content)["error"]["code"] == "rate_limited"
