"""Shipping and refunding by line through the partner API, and shop B never acting on
shop A's order through its admin or its API key (see tests/orders/test_partial_fulfilment.py
for the services)."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from orders.models import Order, Refund
from tests.api.conftest import ApiClient, error_of
from tests.conftest import owner_client
from tests.orders.conftest import make_variant, paid_order, shop_sells
from tests.orders.test_partial_fulfilment import line_of, written


def test_shop_b_can_neither_fulfil_nor_refund_shop_as_order(
    shop_a, shop_b, selling_a, localstripe, make_key
):
    order = paid_order(shop_a, "alpha", [(selling_a, 2)], localstripe)
    with tenant_context(shop_a):
        line = order.lines.get()
        before = written(order)
    with tenant_context(shop_b):
        shop_sells("beta")
        make_variant()
        assert not Order.objects.filter(id=order.id).exists()

    # through beta's admin, with alpha's order and line ids
    beta = owner_client("beta")
    fulfil = beta.post(f"/admin/orders/order/{order.id}/fulfil/", {f"ship_{line.id}": "1"})
    refund = beta.post(
        f"/admin/orders/order/{order.id}/refund/", {f"refund_{line.id}": "1", "confirmed": "yes"}
    )
    # through beta's API key
    api_b = ApiClient("beta", make_key(shop_b, ["orders:read", "orders:write"]))
    api_fulfil = api_b.post(
        f"/api/v1/orders/{order.id}/fulfil/", {"lines": [{"line_id": line.id, "quantity": 1}]}
    )
    api_refund = api_b.post(
        f"/api/v1/orders/{order.id}/refund/", {"lines": [{"line_id": line.id, "quantity": 1}]}
    )

    assert (fulfil.status_code, refund.status_code) == (404, 404)
    assert (api_fulfil.status_code, api_refund.status_code) == (404, 404)
    with tenant_context(shop_a):
        assert written(order) == before


def test_the_api_ships_and_refunds_by_line_and_shows_the_quantities(
    shop_a, selling_a, shirt, localstripe, make_key
):
    order = paid_order(shop_a, "alpha", [(selling_a, 2), (shirt, 1)], localstripe)
    with tenant_context(shop_a):
        tote, shirt_line = line_of(order, "TOTE"), line_of(order, "SHIRT-M")
    api = ApiClient("alpha", make_key(shop_a, ["orders:read", "orders:write"]))
    base = f"/api/v1/orders/{order.id}"

    shipped = api.post(
        f"{base}/fulfil/",
        {"carrier": "DHL", "tracking_number": "X1", "lines": [{"line_id": tote.id, "quantity": 1}]},
    )
    refunded = api.post(f"{base}/refund/", {"lines": [{"line_id": shirt_line.id, "quantity": 1}]})
    too_many = api.post(f"{base}/refund/", {"lines": [{"line_id": shirt_line.id, "quantity": 1}]})
    over_ship = api.post(f"{base}/fulfil/", {"lines": [{"line_id": tote.id, "quantity": 5}]})

    assert (shipped.status_code, shipped.json()["status"]) == (200, "partially_fulfilled")
    assert refunded.status_code == 200
    lines = {line["sku"]: line for line in refunded.json()["lines"]}
    assert (refunded.json()["status"], refunded.json()["refunded_amount"]) == (
        "partially_refunded",
        "22.00",
    )
    assert [
        (lines[sku]["fulfilled_quantity"], lines[sku]["refunded_quantity"])
        for sku in ("TOTE", "SHIRT-M")
    ] == [(1, 0), (0, 1)]
    assert lines["SHIRT-M"]["restocked_quantity"] == 1  # not shipped: back in stock
    assert too_many.status_code == 400
    assert error_of(too_many) | {"errors": None} == {
        "code": "invalid_quantity",
        "message": "Only 0 of SHIRT-M (Linen Shirt) can still be refunded; 1 asked. "
        "Nothing was done.",
        "field": "lines",
        "errors": None,
    }
    assert (over_ship.status_code, error_of(over_ship)["code"]) == (400, "invalid_quantity")
    nothing = api.post(f"{base}/refund/", {"lines": [{"line_id": tote.id, "quantity": 0}]})
    assert (nothing.status_code, error_of(nothing)["code"]) == (400, "invalid_quantity")
    with tenant_context(shop_a):
        assert Refund.objects.filter(order_id=order.id).count() == 1
