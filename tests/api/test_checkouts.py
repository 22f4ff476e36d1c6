"""Checkouts in the partner API: the orders list holds paid orders; checkouts never paid
are listed only by an explicit status, and only the shop's own."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from orders.models import Order
from tests.api.conftest import ApiClient
from tests.orders.conftest import paid_order
from tests.orders.test_admin import place


def checkout_of(shop, answer: dict) -> Order:
    with tenant_context(shop):
        return Order.objects.get(public_id=answer["order"]["id"])


def test_the_partner_api_lists_orders_paid_and_checkouts_only_by_status(
    shop_a, selling_a, localstripe, make_key
):
    checkout = checkout_of(shop_a, place(selling_a))
    paid = paid_order(shop_a, "alpha", [(selling_a, 1)], localstripe)
    api = ApiClient("alpha", make_key(shop_a))

    listed = api.get("/api/v1/orders/").json()
    pending = api.get("/api/v1/orders/", {"status": "pending_payment"}).json()
    one = api.get(f"/api/v1/orders/{checkout.id}/")

    assert [order["id"] for order in listed["results"]] == [paid.id]
    assert [order["id"] for order in pending["results"]] == [checkout.id]
    assert (one.status_code, one.json()["status"]) == (200, "pending_payment")


def test_shop_b_key_sees_none_of_shop_a_checkouts(shop_a, shop_b, selling_a, make_key):
    checkout = checkout_of(shop_a, place(selling_a))
    api_b = ApiClient("beta", make_key(shop_b))

    pending_b = api_b.get("/api/v1/orders/", {"status": "pending_payment"}).json()
    one_b = api_b.get(f"/api/v1/orders/{checkout.id}/")

    assert pending_b["results"] == []
    assert one_b.status_code == 404
