"""Buy-now buys exactly the variant it is sent: never another option of the product."""

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from catalog.models import Product, Variant
from catalog.services import VariantInput, product_create
from orders.models import Order
from orders.services import BuyNowError, LineRequest, OutOfStock, order_buy_now
from tests.orders.conftest import ADDRESS, buy, shop_sells, shopper


def sized_tee(*, xl_stock: int = 3) -> Product:
    return product_create(
        title="Harbour Tee",
        slug="harbour-tee",
        status=Product.Status.ACTIVE,
        option1_name="Size",
        variants=[
            VariantInput(sku="TEE-S", price="24.00", stock=5, options=["S"]),
            VariantInput(sku="TEE-M", price="25.00", stock=5, options=["M"]),
            VariantInput(sku="TEE-XL", price="26.00", stock=xl_stock, options=["XL"]),
        ],
    )


@pytest.fixture
def tee(shop_a, stripe_settings) -> Product:
    with tenant_context(shop_a):
        shop_sells("alpha")
        return sized_tee()


def test_the_order_line_is_the_variant_sent_at_its_price(shop_a, tee):
    # given S (the page's default), M and XL at three prices
    with tenant_context(shop_a):
        xl = tee.variants.get(sku="TEE-XL")

    # when
    response = buy(
        shopper(), {"items": [{"variant_id": xl.id, "quantity": 1}], "email": "shopper@example.com"}
    )

    # then
    assert response.status_code == 201
    assert (response.json()["order"]["total"], response.json()["order"]["amount"]) == (
        "26.00",
        2600,
    )
    with tenant_context(shop_a):
        line = Order.objects.get().lines.get()
        assert (line.variant_id, line.sku, line.variant_title, line.unit_price) == (
            xl.id,
            "TEE-XL",
            "XL",
            Decimal("26.00"),
        )
        assert {variant.sku: variant.available for variant in tee.variants.all()} == {
            "TEE-S": 5,
            "TEE-M": 5,
            "TEE-XL": 2,
        }


def test_the_service_never_substitutes_a_variant(shop_a, tee):
    with tenant_context(shop_a):
        medium = tee.variants.get(sku="TEE-M")

        order, _ = order_buy_now(
            lines=[LineRequest(variant_id=medium.id, quantity=2)],
            email="shopper@example.com",
            shipping_address=ADDRESS,
        )

        assert list(order.lines.values_list("variant_id", "unit_price", "quantity")) == [
            (medium.id, Decimal("25.00"), 2)
        ]
        assert order.total == Decimal("50.00")


def test_a_sold_out_variant_is_409_even_when_another_option_is_in_stock(shop_a, stripe_settings):
    with tenant_context(shop_a):
        shop_sells("alpha")
        xl = sized_tee(xl_stock=0).variants.get(sku="TEE-XL")

    response = buy(shopper(), {"items": [{"variant_id": xl.id}], "email": "shopper@example.com"})

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "out_of_stock",
        "message": "Sorry, Harbour Tee (XL) is out of stock.",
        "field": "items[0].variant_id",
    }
    with tenant_context(shop_a):
        assert not Order.objects.exists()
        with pytest.raises(OutOfStock):
            order_buy_now(
                lines=[LineRequest(variant_id=xl.id, quantity=1)],
                email="a@example.com",
                shipping_address=ADDRESS,
            )


def test_another_shops_variant_is_400_naming_the_item_and_nothing_is_held(
    shop_a, shop_b, tee, stripe_settings
):
    # given a variant of shop beta, sent to shop alpha as the second item
    with tenant_context(shop_b):
        foreign = sized_tee().variants.get(sku="TEE-XL")
    with tenant_context(shop_a):
        small = tee.variants.get(sku="TEE-S")
    payload = {
        "items": [{"variant_id": small.id, "quantity": 1}, {"variant_id": foreign.id}],
        "email": "shopper@example.com",
    }

    # when
    response = buy(shopper(), payload)

    # then
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "items[1].variant_id"
    assert response.json()["error"]["code"] == "unknown_variant"
    with tenant_context(shop_a):
        assert not Order.objects.exists()
        assert Variant.objects.get(id=small.id).available == 5
    with tenant_context(shop_b):
        assert Variant.objects.get(id=foreign.id).available == 3
        assert not Order.objects.exists()


@pytest.mark.parametrize("variant_id", ["7", None, 0, -1, 1.5, [1]])
def test_a_variant_id_that_is_not_an_id_is_400_naming_the_field(tee, variant_id):
    response = buy(shopper(), {"items": [{"variant_id": variant_id}], "email": "a@example.com"})

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "items[0].variant_id"


def test_the_service_refuses_an_unknown_variant_with_the_field(shop_a, tee):
    with tenant_context(shop_a), pytest.raises(BuyNowError) as refused:
        order_buy_now(lines=[LineRequest(variant_id=987654321, quantity=1)], email="a@example.com")

    assert (refused.value.status, refused.value.field) == (400, "items[0].variant_id")
