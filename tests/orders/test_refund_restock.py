"""Refunds put items back in stock: a full refund of an order not yet shipped returns
everything; otherwise only what the merchant asks for, per line; never more than was
sold, and the channels' outbox hears of it. Through the admin form and the service."""

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from catalog.models import CatalogChange, Variant
from orders.models import Order
from orders.services import OrderActionError, order_fulfil, order_refund
from tests.conftest import owner_client
from tests.orders.conftest import (
    make_variant,
    paid_order,
    shop_sells,
)
from tests.orders.test_admin import localstripe_refunds


def stock(shop, *variants: Variant) -> list[int]:
    with tenant_context(shop):
        return [Variant.objects.get(id=variant.id).available for variant in variants]


@pytest.fixture
def mug(shop_a, selling_a) -> Variant:
    with tenant_context(shop_a):
        return make_variant(title="Mug", sku="MUG", price="9.00", stock=5)


def test_a_full_refund_before_shipping_returns_everything_to_stock(
    shop_a, selling_a, mug, localstripe
):
    order = paid_order(shop_a, "alpha", [(selling_a, 2), (mug, 1)], localstripe)
    assert stock(shop_a, selling_a, mug) == [8, 4]
    with tenant_context(shop_a):
        last_change = CatalogChange.objects.latest("id").id

        order_refund(order=order)

        order.refresh_from_db()
        changes = list(
            CatalogChange.objects.filter(id__gt=last_change).values_list("product_id", "aspects")
        )
        restocked = list(order.lines.order_by("sku").values_list("sku", "restocked_quantity"))
    assert stock(shop_a, selling_a, mug) == [10, 5]
    assert (order.status, order.stock_status) == ("refunded", "released")
    assert restocked == [("MUG", 1), ("TOTE", 2)]
    assert sorted(changes) == sorted(  # the channels learn the new stock
        [
            (selling_a.product_id, ["availability", "stock"]),
            (mug.product_id, ["availability", "stock"]),
        ]
    )


def test_a_full_refund_after_shipping_returns_nothing_unless_asked(shop_a, selling_a, localstripe):
    order = paid_order(shop_a, "alpha", [(selling_a, 2)], localstripe)
    with tenant_context(shop_a):
        order_fulfil(order=order, tracking_number="TRK1")

        order_refund(order=order)

        order.refresh_from_db()
    assert stock(shop_a, selling_a) == [8]
    assert (order.status, order.stock_status) == ("refunded", "committed")


def test_partial_refunds_return_only_the_lines_asked_for(shop_a, selling_a, mug, localstripe):
    order = paid_order(shop_a, "alpha", [(selling_a, 2), (mug, 1)], localstripe)
    with tenant_context(shop_a):
        tote_line = order.lines.get(sku="TOTE")
        order_refund(order=order, amount=Decimal(5))  # no stock asked for
        assert stock(shop_a, selling_a, mug) == [8, 4]

        order_refund(order=order, amount=Decimal(24), restock={tote_line.id: 1})
        assert stock(shop_a, selling_a, mug) == [9, 4]

        order_refund(order=order)  # the rest, in full, before shipping: the rest of the stock
        order.refresh_from_db()
    assert stock(shop_a, selling_a, mug) == [10, 5]
    assert (order.status, order.refunded_minor, order.stock_status) == (
        "refunded",
        5700,
        "released",
    )
    assert sorted(localstripe_refunds(localstripe, order.payment_intent_id)) == [500, 2400, 2800]


@pytest.mark.parametrize(
    "restock", [lambda line: {line.id: 3}, lambda line: {line.id: -1}, lambda line: {999999: 1}]
)
def test_returning_more_than_was_sold_is_refused_and_refunds_nothing(
    shop_a, selling_a, localstripe, restock
):
    order = paid_order(shop_a, "alpha", [(selling_a, 2)], localstripe)
    with tenant_context(shop_a):
        with pytest.raises(OrderActionError) as error:
            order_refund(order=order, amount=Decimal(10), restock=restock(order.lines.get()))
        order.refresh_from_db()

    assert error.value.code == "invalid_restock"
    assert (order.status, order.refunded_minor) == ("paid", 0)
    assert stock(shop_a, selling_a) == [8]
    assert localstripe_refunds(localstripe, order.payment_intent_id) == []


def test_a_line_is_never_returned_twice(shop_a, selling_a, localstripe):
    order = paid_order(shop_a, "alpha", [(selling_a, 2)], localstripe)
    with tenant_context(shop_a):
        line = order.lines.get()
        order_refund(order=order, amount=Decimal(1), restock={line.id: 1})
        with pytest.raises(
            OrderActionError, match=r"Only 1 of TOTE .* can still be returned to stock"
        ):
            order_refund(order=order, amount=Decimal(1), restock={line.id: 2})
        order_refund(order=order, amount=Decimal(1), restock={line.id: 1})
        with pytest.raises(OrderActionError, match="not out of stock for it; nothing to return"):
            order_refund(order=order, amount=Decimal(1), restock={line.id: 1})
        order.refresh_from_db()

    assert stock(shop_a, selling_a) == [10]
    assert (order.refunded_minor, order.stock_status) == (200, "released")


def test_the_admin_form_offers_the_stock_choice_on_until_shipping(shop_a, selling_a, localstripe):
    order = paid_order(shop_a, "alpha", [(selling_a, 2)], localstripe)
    client = owner_client()
    before = client.get(f"/admin/orders/order/{order.id}/change/").content.decode()
    with tenant_context(shop_a):
        order_fulfil(order=order)
    after = client.get(f"/admin/orders/order/{order.id}/change/").content.decode()

    assert 'name="restock_all" value="1" checked' in before
    assert 'name="restock_all" value="1">' in after  # shipped: off by default
    with tenant_context(shop_a):
        line_id = order.lines.get().id
    assert f'name="restock_{line_id}" type="number"' in after


def test_the_admin_full_refund_with_the_box_ticked_returns_the_stock(
    shop_a, selling_a, localstripe
):
    order = paid_order(shop_a, "alpha", [(selling_a, 2)], localstripe)

    answer = owner_client().post(
        f"/admin/orders/order/{order.id}/refund/",
        {"confirmed": "yes", "amount": "", "restock_all": "1"},
        follow=True,
    )

    assert "refund sent through Stripe; 2 item(s) back in stock." in answer.content.decode()
    assert stock(shop_a, selling_a) == [10]


def test_the_admin_full_refund_with_the_box_unticked_keeps_the_stock(
    shop_a, selling_a, localstripe
):
    order = paid_order(shop_a, "alpha", [(selling_a, 2)], localstripe)

    owner_client().post(
        f"/admin/orders/order/{order.id}/refund/", {"confirmed": "yes", "amount": ""}
    )

    with tenant_context(shop_a):
        order.refresh_from_db()
    assert order.status == "refunded"
    assert stock(shop_a, selling_a) == [8]


def test_the_admin_partial_refund_returns_the_quantities_typed(shop_a, selling_a, mug, localstripe):
    order = paid_order(shop_a, "alpha", [(selling_a, 2), (mug, 1)], localstripe)
    with tenant_context(shop_a):
        tote_line = order.lines.get(sku="TOTE")
    client = owner_client()

    client.post(
        f"/admin/orders/order/{order.id}/refund/",
        {"confirmed": "yes", "amount": "24.00", "restock_all": "1", f"restock_{tote_line.id}": "1"},
    )
    bad = client.post(
        f"/admin/orders/order/{order.id}/refund/",
        {"confirmed": "yes", "amount": "1", f"restock_{tote_line.id}": "two"},
        follow=True,
    )

    assert stock(shop_a, selling_a, mug) == [9, 4]  # one tote back; the box alone adds nothing
    assert "“two” is not a number of items to return to stock." in bad.content.decode()
    with tenant_context(shop_a):
        assert Order.objects.get(id=order.id).refunded_minor == 2400


def test_a_refund_in_one_shop_never_restocks_another(
    shop_a, shop_b, selling_a, stripe_settings, localstripe
):
    with tenant_context(shop_b):
        shop_sells("beta")
        beta_tote = make_variant(stock=10)  # same SKU and title as alpha's
    alpha_order = paid_order(shop_a, "alpha", [(selling_a, 2)], localstripe)
    beta_order = paid_order(shop_b, "beta", [(beta_tote, 3)], localstripe)
    with tenant_context(shop_a):
        order_refund(order=alpha_order)

    assert stock(shop_a, selling_a) == [10]
    assert stock(shop_b, beta_tote) == [7]
    with tenant_context(shop_b):
        beta_order.refresh_from_db()
        assert (beta_order.status, beta_order.stock_status) == ("paid", "committed")
        assert beta_order.lines.get().restocked_quantity == 0
