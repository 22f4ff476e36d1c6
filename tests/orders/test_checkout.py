"""/checkout/ (social platforms' checkout links) and the shopper's order status."""

import json
import re
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from catalog.services import product_update
from orders import services
from orders.models import Order
from tests.orders.conftest import buy, make_variant, shopper


def data_attribute(html: str, name: str) -> object:
    value = re.search(rf'{name}="([^"]*)"', html).group(1)
    return json.loads(value.replace("&quot;", '"'))


def test_checkout_link_lists_the_items_and_feeds_buy_now(shop_a, selling_a):
    with tenant_context(shop_a):
        mug = make_variant(title="Mug", sku="MUG", price="9.50")

    response = shopper().get(
        f"/checkout/?products={selling_a.id}:2,{mug.id}:1,oops,999999:1,{10**30}:1"
        "&coupon=SPRING&utm_source=facebook&utm_medium=social"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert data_attribute(html, "data-items") == [
        {"variant_id": selling_a.id, "quantity": 2},
        {"variant_id": mug.id, "quantity": 1},
    ]
    assert data_attribute(html, "data-utm") == {"source": "facebook", "medium": "social"}
    assert 'data-coupon="SPRING"' in html
    assert "Canvas Tote — €48.00" in html
    assert "Mug — €9.50" in html


def test_checkout_link_without_any_item_for_sale_is_404(shop_a, selling_a):
    response = shopper().get("/checkout/?products=999999:1")

    assert response.status_code == 404
    assert "not for sale here any more" in response.content.decode()


def test_utm_source_and_coupon_are_kept_on_the_order(shop_a, selling_a):
    # given the shop's code SPRING (10 % off); Meta's checkout URL names it `coupon`
    with tenant_context(shop_a):
        services.discount_create(code="SPRING", kind="percentage", value="10")

    response = buy(
        shopper(),
        {
            "items": [{"variant_id": selling_a.id, "quantity": 1}],
            "email": "s@example.com",
            "coupon": "SPRING",
            "utm": {"source": "facebook", "campaign": "launch"},
        },
    )

    with tenant_context(shop_a):
        order = Order.objects.get(public_id=response.json()["order"]["id"])
    assert (order.utm_source, order.utm_campaign, order.coupon_code) == (
        "facebook",
        "launch",
        "SPRING",
    )
    # and the code applied: 10 % off 24.00
    assert (order.discount_amount, order.total) == (Decimal("2.40"), Decimal("21.60"))


def test_the_order_status_needs_the_payments_client_secret(shop_a, shop_b, selling_a):
    answer = buy(
        shopper(),
        {"items": [{"variant_id": selling_a.id, "quantity": 1}], "email": "s@example.com"},
    ).json()
    url = f"/api/v1/buy-now/{answer['order']['id']}/"

    secret = answer["payment"]["client_secret"]
    good = shopper().get(url, HTTP_X_CLIENT_SECRET=secret)
    in_query = shopper().get(url, {"secret": secret})
    wrong = shopper().get(url, HTTP_X_CLIENT_SECRET="pi_x_secret_y")
    other_shop = shopper("beta").get(url, HTTP_X_CLIENT_SECRET=secret)

    assert good.json() == {
        "id": answer["order"]["id"],
        "number": answer["order"]["number"],
        "status": "pending_payment",
    }
    assert (in_query.status_code, wrong.status_code, other_shop.status_code) == (404, 404, 404)


def test_the_product_page_has_the_buy_now_form(shop_a, selling_a):
    with tenant_context(shop_a):
        slug = selling_a.product.slug

    html = shopper().get(f"/products/{slug}/").content.decode()

    assert 'data-endpoint="/api/v1/buy-now/"' in html
    assert f'data-variant="{selling_a.id}">Buy now</button>' in html
    assert '<script src="/static/orders/buy_now.js" defer></script>' in html


@pytest.mark.parametrize("path", ["/products/{slug}/", "/embed/?product={slug}"])
def test_the_buy_now_form_asks_an_address_only_for_physical_goods(shop_a, selling_a, path):
    with tenant_context(shop_a):
        product = selling_a.product
        physical = shopper().get(path.format(slug=product.slug)).content.decode()
        product_update(product=product, requires_shipping=False)
        digital = shopper().get(path.format(slug=product.slug)).content.decode()

    assert "<legend>Shipping address</legend>" in physical
    assert 'autocomplete="shipping postal-code"' in physical
    assert 'name="city" autocomplete="shipping address-level2" required' in physical
    assert "Shipping address" not in digital
    assert 'name="email"' in digital


def test_a_checkout_link_asks_an_address_when_one_item_is_physical(shop_a, selling_a):
    with tenant_context(shop_a):
        ebook = make_variant(title="Pattern PDF", sku="PDF", price="8.00")
        product_update(product=ebook.product, requires_shipping=False)

    only_digital = shopper().get(f"/checkout/?products={ebook.id}:1").content.decode()
    mixed = shopper().get(f"/checkout/?products={ebook.id}:1,{selling_a.id}:1").content.decode()

    assert "Shipping address" not in only_digital
    assert "<legend>Shipping address</legend>" in mixed
