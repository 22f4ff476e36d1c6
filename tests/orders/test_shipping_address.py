"""A physical product is shipped: buy-now asks for an address it can deliver to and
refuses, naming the field, before anything is held; digital goods need none."""

import pytest
from django_tenants.utils import tenant_context

from catalog.models import Product, Variant
from catalog.services import product_update
from orders.models import Order
from orders.services import BuyNowError, LineRequest, order_buy_now
from orders.services.buy_now import shipping_address_clean
from tests.orders.conftest import ADDRESS, buy, make_variant, shopper


def buy_with(variant: Variant, address: dict):
    return buy(
        shopper(),
        {
            "items": [{"variant_id": variant.id, "quantity": 2}],
            "email": "shopper@example.com",
            "shipping_address": address,
        },
    )


def nothing_held(shop, variant: Variant) -> bool:
    with tenant_context(shop):
        return not Order.objects.exists() and Variant.objects.get(id=variant.id).available == 10


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("name", "Enter the name of the person the parcel is for."),
        ("line1", "Enter the street address to ship to."),
        ("postal_code", "Enter the postal code to ship to."),
        ("city", "Enter the town or city to ship to."),
        ("country", "Choose the country to ship to."),
    ],
)
def test_a_physical_product_without_a_full_address_is_400_naming_the_field(
    shop_a, selling_a, missing, message
):
    address = {**ADDRESS, missing: "  "}

    response = buy_with(selling_a, address)

    assert response.status_code == 400
    refusal = {
        "code": "address_incomplete",
        "message": message,
        "field": f"shipping_address.{missing}",
    }
    assert response.json()["error"] == {**refusal, "errors": [refusal]}  # the API's 400 shape
    assert nothing_held(shop_a, selling_a)


def test_without_any_address_the_first_field_is_named(shop_a, selling_a):
    response = buy(
        shopper(),
        {
            "items": [{"variant_id": selling_a.id}],
            "email": "shopper@example.com",
            "shipping_address": {},
        },
    )

    assert (response.status_code, response.json()["error"]["field"]) == (
        400,
        "shipping_address.name",
    )
    assert nothing_held(shop_a, selling_a)


@pytest.mark.parametrize("country", ["XX", "France", "F", "UK"])
def test_an_unknown_country_is_refused(shop_a, selling_a, country):
    response = buy_with(selling_a, {**ADDRESS, "country": country})

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("unknown_country", "shipping_address.country")
    assert error["message"].startswith(f"We do not know the country “{country}”")
    assert nothing_held(shop_a, selling_a)


def test_the_address_is_kept_with_its_country_code_in_capitals(shop_a, selling_a):
    response = buy_with(selling_a, {**ADDRESS, "country": " fr ", "line2": "Bâtiment B"})

    assert response.status_code == 201
    with tenant_context(shop_a):
        assert Order.objects.get().shipping_address == {
            **ADDRESS,
            "country": "FR",
            "line2": "Bâtiment B",
        }


def test_no_postal_code_is_asked_where_there_is_none():
    address = {"name": "Ada", "line1": "1 Queen's Road", "city": "Central", "country": "hk"}

    assert shipping_address_clean(address=address) == {**address, "country": "HK"}
    with pytest.raises(BuyNowError) as refused:
        shipping_address_clean(address={**address, "country": "GB"})
    assert refused.value.field == "shipping_address.postal_code"


def test_a_digital_product_needs_no_address(shop_a, selling_a):
    with tenant_context(shop_a):
        ebook = make_variant(title="Pattern PDF", sku="PDF", price="8.00")
        product_update(product=ebook.product, requires_shipping=False)

    response = buy(
        shopper(),
        {
            "items": [{"variant_id": ebook.id}],
            "email": "shopper@example.com",
            "shipping_address": {},
        },
    )

    assert response.status_code == 201
    with tenant_context(shop_a):
        assert Order.objects.get().shipping_address == {}


def test_a_digital_and_a_physical_product_together_need_the_address(shop_a, selling_a):
    with tenant_context(shop_a):
        ebook = make_variant(title="Pattern PDF", sku="PDF", price="8.00")
        product_update(product=ebook.product, requires_shipping=False)

        with pytest.raises(BuyNowError) as refused:
            order_buy_now(
                lines=[LineRequest(ebook.id, 1), LineRequest(selling_a.id, 1)],
                email="shopper@example.com",
                shipping_address={**ADDRESS, "city": ""},
            )

        assert refused.value.field == "shipping_address.city"
        assert not Order.objects.exists()
        assert Variant.objects.get(id=ebook.id).available == 10


def test_requires_shipping_is_per_shop(shop_a, shop_b, selling_a):
    with tenant_context(shop_b):
        other = make_variant(sku="TOTE")
        product_update(product=other.product, requires_shipping=False)

    with tenant_context(shop_a):
        assert Product.objects.get(id=selling_a.product_id).requires_shipping is True
    assert buy_with(selling_a, {}).status_code == 400


@pytest.mark.parametrize(
    ("country", "typed", "kept"),
    [
        ("US", "10001", "10001"),
        ("US", "10001-1234", "10001-1234"),
        ("CA", "k1a 0b1", "K1A 0B1"),
        ("GB", "sw1a  1aa", "SW1A 1AA"),
        ("GB", "M1 1AE", "M1 1AE"),
        ("FR", "75001", "75001"),
        ("DE", "10115", "10115"),
        ("NL", "1012 ab", "1012 AB"),
        ("BE", "1000", "1000"),
        ("ES", "28001", "28001"),
        ("IT", "00184", "00184"),
        ("IE", "D02 X285", "D02 X285"),
        ("AU", "2000", "2000"),
        ("JP", "100-0001", "100-0001"),
        ("BR", "01310-100", "01310-100"),  # not in the table: as given
        ("BR", "whatever 1", "whatever 1"),
    ],
)
def test_a_postal_code_of_the_countrys_shape_is_kept_in_capitals(country, typed, kept):
    address = {"name": "Ada", "line1": "1 Main St", "city": "X", "country": country}

    cleaned = shipping_address_clean(address={**address, "postal_code": typed})

    assert cleaned["postal_code"] == kept


@pytest.mark.parametrize(
    ("country", "typed", "shape"),
    [
        ("US", "1000", "5 digits, or 5 and 4 (like 10001 or 10001-1234)"),
        ("CA", "123456", "letter, digit, letter, digit, letter, digit (like K1A 0B1)"),
        ("GB", "75001", "a postcode like SW1A 1AA or M1 1AE"),
        ("FR", "7500", "5 digits (like 75001)"),
        ("DE", "1011A", "5 digits (like 10115)"),
        ("NL", "1012", "4 digits and 2 letters (like 1012 AB)"),
        ("BE", "10000", "4 digits (like 1000)"),
        ("ES", "2800", "5 digits (like 28001)"),
        ("IT", "184", "5 digits (like 00184)"),
        ("IE", "D02", "an Eircode like D02 X285"),
        ("AU", "200", "4 digits (like 2000)"),
        ("JP", "1000001X", "7 digits (like 100-0001)"),
    ],
)
def test_a_postal_code_of_another_shape_is_400_naming_the_shape_and_nothing_is_held(
    shop_a, selling_a, country, typed, shape
):
    response = buy_with(selling_a, {**ADDRESS, "country": country, "postal_code": typed})

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (
        "invalid_postal_code",
        "shipping_address.postal_code",
    )
    assert error["message"].startswith(f"“{typed}” is not a postal code of ")
    assert error["message"].endswith(f": it is {shape}.")
    assert nothing_held(shop_a, selling_a)


def test_an_eircode_is_optional_in_ireland():
    address = {"name": "Ada", "line1": "1 Grafton St", "city": "Dublin", "country": "IE"}

    assert shipping_address_clean(address=address) == address
    assert shipping_address_clean(address={**address, "postal_code": "  "}) == address
