"""POST /api/v1/bag/check/: the bag kept in the browser, priced and checked by the shop."""

import json

from django_tenants.utils import tenant_context

from catalog.models import Product
from catalog.services import VariantInput, product_create
from tests.orders.conftest import make_variant, shopper


def check(items: list[dict], slug: str = "alpha"):
    return shopper(slug).post(
        "/api/v1/bag/check/", data=json.dumps({"items": items}), content_type="application/json"
    )


def test_the_bag_gets_todays_prices_options_and_what_is_left(
    shop_a, shop_b, selling_a, django_assert_max_num_queries
):
    # given a tee in XL (2 left), the tote (10 left), a sold-out mug and beta's scarf
    with tenant_context(shop_a):
        tee = product_create(
            title="Harbour Tee",
            slug="harbour-tee",
            status=Product.Status.ACTIVE,
            option1_name="Size",
            variants=[VariantInput(sku="TEE-XL", price="26.00", stock=2, options=["XL"])],
        )
        xl = tee.variants.get()
        mug = make_variant(title="Mug", sku="MUG", price="9.50", stock=0)
    with tenant_context(shop_b):
        scarf = make_variant(title="Scarf", sku="SCARF")

    # when
    response = check(
        [
            {"variant_id": xl.id, "quantity": 3},
            {"variant_id": selling_a.id, "quantity": 2},
            {"variant_id": mug.id, "quantity": 1},
            {"variant_id": scarf.id + 10_000, "quantity": 1},
        ]
    )

    # then
    assert response.status_code == 200
    answer = response.json()
    assert [
        (line["status"], line["available"], line["line_total"]) for line in answer["lines"]
    ] == [
        ("short", 2, "52.00"),
        ("ok", 10, "48.00"),
        ("sold_out", 0, "0.00"),
        ("gone", 0, "0.00"),
    ]
    assert answer["lines"][0]["options"] == [{"name": "Size", "value": "XL"}]
    assert (answer["lines"][0]["product_title"], answer["lines"][0]["price"]) == (
        "Harbour Tee",
        "26.00",
    )
    assert (answer["subtotal"], answer["currency"], answer["requires_shipping"]) == (
        "100.00",
        "EUR",
        True,
    )
    with tenant_context(shop_a):  # nothing is held by a check
        assert xl.__class__.objects.get(id=xl.id).held == 0


def test_a_bag_line_of_another_shop_is_gone(shop_a, shop_b, selling_a):
    with tenant_context(shop_b):
        scarf = make_variant(title="Scarf", sku="SCARF")
    with tenant_context(shop_a):
        foreign_id_in_alpha = type(scarf).objects.filter(id=scarf.id).exists()

    response = check([{"variant_id": scarf.id, "quantity": 1}])

    line = response.json()["lines"][0]
    assert line["status"] == ("ok" if foreign_id_in_alpha else "gone")
    assert line["product_title"] != "Scarf"


def test_a_bad_bag_is_400_naming_the_field(shop_a, selling_a):
    response = check([{"variant_id": selling_a.id, "quantity": "2"}])

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "items[0].quantity"
