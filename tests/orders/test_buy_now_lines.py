"""Buy-now with several lines (the bag): all or nothing, one payment, flat queries."""

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from catalog.models import Variant
from orders.models import Order
from tests.orders.conftest import buy, make_variant, paid_order, shopper


@pytest.fixture
def mug(shop_a, selling_a) -> Variant:
    with tenant_context(shop_a):
        return make_variant(title="Mug", sku="MUG", price="9.50", stock=3)


def lines(*items: tuple[int, int]) -> dict:
    return {
        "items": [
            {"variant_id": variant_id, "quantity": quantity} for variant_id, quantity in items
        ],
        "email": "shopper@example.com",
    }


def test_two_lines_paid_with_4242_are_one_order_at_the_sum_of_the_lines(
    shop_a, selling_a, mug, localstripe
):
    # given a tote at 24.00 and a mug at 9.50
    # when two totes and three mugs are bought and paid with 4242
    order = paid_order(shop_a, "alpha", [(selling_a, 2), (mug, 3)], localstripe)

    # then one paid order holds both lines and costs their sum
    with tenant_context(shop_a):
        assert Order.objects.count() == 1
        assert sorted(order.lines.values_list("sku", "unit_price", "quantity", "line_total")) == [
            ("MUG", Decimal("9.50"), 3, Decimal("28.50")),
            ("TOTE", Decimal("24.00"), 2, Decimal("48.00")),
        ]
        assert (order.total, order.amount_minor) == (Decimal("76.50"), 7650)
        assert {v.sku: (v.stock, v.held) for v in Variant.objects.all()} == {
            "TOTE": (8, 0),
            "MUG": (0, 0),
        }


def test_a_line_over_stock_names_the_line_and_what_is_left_and_holds_nothing(
    shop_a, selling_a, mug
):
    response = buy(shopper(), lines((selling_a.id, 2), (mug.id, 4)))

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "out_of_stock",
        "message": "Sorry, only 3 of Mug are left.",
        "field": "items[1].quantity",
    }
    with tenant_context(shop_a):
        assert {v.sku: v.held for v in Variant.objects.all()} == {"TOTE": 0, "MUG": 0}
        assert not Order.objects.exists()


def test_a_sold_out_line_names_its_variant(shop_a, selling_a):
    with tenant_context(shop_a):
        gone = make_variant(title="Cap", sku="CAP", stock=0)

    response = buy(shopper(), lines((selling_a.id, 1), (gone.id, 1)))

    assert (response.status_code, response.json()["error"]["field"]) == (
        409,
        "items[1].variant_id",
    )
    assert response.json()["error"]["message"] == "Sorry, Cap is out of stock."
    with tenant_context(shop_a):
        assert Variant.objects.get(id=selling_a.id).held == 0


def test_a_line_of_another_shop_is_refused_and_nothing_is_held(shop_a, shop_b, selling_a):
    # a variant of beta whose id alpha has no variant for (never alpha's tote by chance)
    with tenant_context(shop_a):
        alpha_ids = set(Variant.objects.values_list("id", flat=True))
    with tenant_context(shop_b):
        foreign = make_variant(title="Beta Scarf", sku="BETA-0", stock=5)
        for n in range(1, 4):
            if foreign.id not in alpha_ids:
                break
            foreign = make_variant(title="Beta Scarf", sku=f"BETA-{n}", stock=5)
    assert foreign.id not in alpha_ids

    response = buy(shopper(), lines((selling_a.id, 1), (foreign.id, 1)))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_variant"
    assert response.json()["error"]["field"] == "items[1].variant_id"
    with tenant_context(shop_a):
        assert Variant.objects.get(id=selling_a.id).held == 0
        assert not Order.objects.exists()
    with tenant_context(shop_b):
        assert Variant.objects.get(id=foreign.id).held == 0


@pytest.mark.parametrize("line_count", [1, 2, 8])
def test_buy_now_query_count_is_flat_in_the_number_of_lines(
    shop_a, selling_a, line_count, django_assert_num_queries
):
    with tenant_context(shop_a):
        variants = [selling_a] + [
            make_variant(title=f"Item {n}", sku=f"ITEM-{n}", stock=5) for n in range(line_count - 1)
        ]

    # the same 16 queries as one line (test_buy_now_query_count_is_pinned): the variants
    # are read in one query, priced in four, held in one statement, the lines written in
    # one insert
    with django_assert_num_queries(16):
        response = buy(shopper(), lines(*((variant.id, 1) for variant in variants)))

    assert response.status_code == 201
    with tenant_context(shop_a):
        assert Order.objects.get().lines.count() == line_count
