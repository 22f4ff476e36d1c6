"""Orders in the partner API: list (filters, ordering, constant queries), detail with
lines, fulfil / cancel / refund through the orders services and localstripe, errors for
moves the status machine refuses, isolation between shops, and the order webhooks."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from catalog.models import Variant
from orders.models import Order
from tests.api.conftest import ApiClient, error_of
from tests.api.test_webhooks import private_allowed
from tests.factories import OrderFactory
from tests.orders.conftest import paid_order, shop_sells
from tests.orders.test_admin import place

ORDER_EVENTS = [
    "order.created",
    "order.paid",
    "order.fulfilled",
    "order.cancelled",
    "order.refunded",
]


def order_of(shop, answer: dict) -> Order:
    with tenant_context(shop):
        return Order.objects.get(public_id=answer["order"]["id"])


def orders_written(count: int, *, variant: Variant, **fields) -> list[Order]:
    """``count`` paid orders of one line each (``pending=True``: checkouts awaiting
    payment, as buy-now writes them), without Stripe: for reading tests only."""
    return [OrderFactory(lines=[(variant, 1)], **fields) for _ in range(count)]


@pytest.fixture
def orders_api(shop_a, make_key) -> ApiClient:
    return ApiClient("alpha", make_key(shop_a, ["orders:read", "orders:write"]))


def test_detail_has_lines_amounts_as_strings_and_iso_times(
    shop_a, selling_a, localstripe, orders_api
):
    order = paid_order(shop_a, "alpha", [(selling_a, 2)], localstripe)

    response = orders_api.get(f"/api/v1/orders/{order.id}/")

    assert response.status_code == 200
    body = response.json()
    assert {
        key: body[key]
        for key in (
            "id",
            "number",
            "status",
            "currency",
            "subtotal",
            "total",
            "refunded_amount",
            "email",
        )
    } == {
        "id": order.id,
        "number": order.number,
        "status": "paid",
        "currency": "EUR",
        "subtotal": "48.00",
        "total": "48.00",
        "refunded_amount": "0.00",
        "email": "shopper@example.com",
    }
    assert body["lines"] == [
        {
            "id": order.lines.get().id,
            "variant_id": selling_a.id,
            "product_id": selling_a.product_id,
            "title": "Canvas Tote",
            "variant_title": "",
            "sku": "TOTE",
            "unit_price": "24.00",
            "quantity": 2,
            "line_total": "48.00",
            "fulfilled_quantity": 0,
            "refunded_quantity": 0,
            "restocked_quantity": 0,
        }
    ]
    assert body["paid_at"].endswith("Z") and "T" in body["created"]
    assert body["fulfilled_at"] is None


def test_lines_keep_the_title_sku_and_price_of_the_purchase(shop_a, selling_a, orders_api):
    order = order_of(shop_a, place(selling_a))
    with tenant_context(shop_a):
        Variant.objects.filter(id=selling_a.id).update(sku="TOTE-2", price=Decimal("30.00"))

    line = orders_api.get(f"/api/v1/orders/{order.id}/").json()["lines"][0]

    assert (line["sku"], line["unit_price"]) == ("TOTE", "24.00")


def test_list_filters_and_ordering(shop_a, selling_a, orders_api):
    with tenant_context(shop_a):
        first = orders_written(1, variant=selling_a, email="Ann@Example.com")[0]
        second = orders_written(1, variant=selling_a, utm_source="instagram")[0]
        checkout = orders_written(1, variant=selling_a, pending=True)[0]
        third = orders_written(1, variant=selling_a, status="fulfilled")[0]
        Order.objects.filter(id=first.id).update(created=timezone.now() - timedelta(days=3))

    def ids(query: dict) -> list[int]:
        response = orders_api.get("/api/v1/orders/", query)
        assert response.status_code == 200, response.content
        return [order["id"] for order in response.json()["results"]]

    # paid orders, newest first: the checkout awaiting payment is not an order
    assert ids({}) == [third.id, second.id, first.id]
    assert ids({"ordering": "id"}) == [first.id, second.id, third.id]
    assert ids({"status": "fulfilled"}) == [third.id]
    # asked for explicitly, checkouts are listed by their status
    assert ids({"status": "pending_payment"}) == [checkout.id]
    assert ids({"email": "ann@example.com"}) == [first.id]
    assert ids({"utm_source": "instagram"}) == [second.id]
    day_ago = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids({"created_before": day_ago}) == [first.id]
    assert ids({"created_after": day_ago}) == [third.id, second.id]
    bad = orders_api.get("/api/v1/orders/", {"status": "shipped"})
    assert (bad.status_code, error_of(bad)["field"]) == (400, "status")


def test_list_pages_cost_the_same_queries_for_3_and_30_orders(
    shop_a, selling_a, orders_api, django_assert_num_queries
):
    with tenant_context(shop_a):
        orders_written(3, variant=selling_a)
    orders_api.get("/api/v1/orders/")  # records the key's last use (not on every request)
    # search_path, the key, the orders, their lines (the shop by host is cached)
    with django_assert_num_queries(4) as few:
        three = orders_api.get("/api/v1/orders/")
    with tenant_context(shop_a):
        orders_written(27, variant=selling_a)

    with django_assert_num_queries(len(few.captured_queries)):
        thirty = orders_api.get("/api/v1/orders/")

    assert len(three.json()["results"]) == 3
    assert len(thirty.json()["results"]) == 30
    assert all(len(order["lines"]) == 1 for order in thirty.json()["results"])


def test_fulfil_a_paid_order_with_a_tracking_number(shop_a, selling_a, localstripe, orders_api):
    order = paid_order(shop_a, "alpha", [(selling_a, 1)], localstripe)

    response = orders_api.post(
        f"/api/v1/orders/{order.id}/fulfil/", {"tracking_number": "LP123456789FR"}
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["tracking_number"]) == (
        "fulfilled",
        "LP123456789FR",
    )
    with tenant_context(shop_a):
        assert Order.objects.get(id=order.id).status == "fulfilled"


def test_an_unpaid_order_cannot_be_fulfilled_or_refunded(shop_a, selling_a, orders_api):
    order = order_of(shop_a, place(selling_a))

    fulfil = orders_api.post(f"/api/v1/orders/{order.id}/fulfil/", {"tracking_number": "X"})
    refund = orders_api.post(f"/api/v1/orders/{order.id}/refund/", {})

    assert fulfil.status_code == 409
    assert error_of(fulfil) == {
        "code": "invalid_transition",
        "message": f"Order {order.number} is pending payment; it cannot become fulfilled.",
        "field": None,
    }
    assert refund.status_code == 409
    assert error_of(refund)["code"] == "invalid_transition"
    with tenant_context(shop_a):
        assert Order.objects.get(id=order.id).status == "pending_payment"


def test_cancel_an_unpaid_order_gives_the_stock_back(shop_a, selling_a, localstripe, orders_api):
    order = order_of(shop_a, place(selling_a, 4))

    response = orders_api.post(f"/api/v1/orders/{order.id}/cancel/")
    again = orders_api.post(f"/api/v1/orders/{order.id}/cancel/")

    assert (response.status_code, response.json()["status"]) == (200, "cancelled")
    assert response.json()["cancelled_at"] is not None
    assert (again.status_code, error_of(again)["code"]) == (409, "invalid_transition")
    with tenant_context(shop_a):
        assert Variant.objects.get(id=selling_a.id).stock == 10


def test_partial_then_full_refund_through_stripe_with_idempotency(
    shop_a, selling_a, localstripe, orders_api
):
    order = paid_order(shop_a, "alpha", [(selling_a, 2)], localstripe)
    path = f"/api/v1/orders/{order.id}/refund/"

    partly = orders_api.post(path, {"amount": "10.00"}, headers={"Idempotency-Key": "r-1"})
    replayed = orders_api.post(path, {"amount": "10.00"}, headers={"Idempotency-Key": "r-1"})
    reused = orders_api.post(path, {"amount": "11.00"}, headers={"Idempotency-Key": "r-1"})
    too_much = orders_api.post(path, {"amount": "40.00"})
    fully = orders_api.post(path, {})
    after = orders_api.post(path, {"amount": "1.00"})

    assert (partly.status_code, partly.json()["status"]) == (200, "partially_refunded")
    assert partly.json()["refunded_amount"] == "10.00"
    assert replayed.json() == partly.json()
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert (reused.status_code, error_of(reused)["code"]) == (409, "idempotency_key_reused")
    assert too_much.status_code == 400
    assert error_of(too_much) | {"errors": None} == {
        "code": "invalid_amount",
        "message": "Refund more than nothing and at most €38.00, what is left of the payment.",
        "field": "amount",
        "errors": None,
    }
    assert (fully.json()["status"], fully.json()["refunded_amount"]) == ("refunded", "48.00")
    assert (after.status_code, error_of(after)["code"]) == (409, "invalid_transition")
    with tenant_context(shop_a):
        assert Order.objects.get(id=order.id).refunded_minor == 4800


def test_shop_a_key_can_neither_see_nor_act_on_shop_b_orders(shop_a, shop_b, selling_a, make_key):
    order = order_of(shop_a, place(selling_a))
    api_b = ApiClient("beta", make_key(shop_b, ["orders:read", "orders:write"]))
    key_a_on_b = ApiClient("beta", make_key(shop_a, ["orders:read", "orders:write"]))

    listed = api_b.get("/api/v1/orders/")
    detail = api_b.get(f"/api/v1/orders/{order.id}/")
    cancel = api_b.post(f"/api/v1/orders/{order.id}/cancel/")
    wrong_host = key_a_on_b.get("/api/v1/orders/")

    assert listed.json()["results"] == []
    assert (detail.status_code, cancel.status_code, wrong_host.status_code) == (404, 404, 401)
    with tenant_context(shop_a):
        assert Order.objects.get(id=order.id).status == "pending_payment"


def events_received(hook) -> list[tuple[str, dict]]:
    return [
        (payload["type"], payload["data"]["order"])
        for payload in (json.loads(body) for _headers, body in hook.requests)
    ]


def test_order_events_reach_a_subscriber(
    shop_a, selling_a, localstripe, orders_api, receiver, django_capture_on_commit_callbacks
):
    from shops.webhooks.services import subscription_create

    hook = receiver()
    with tenant_context(shop_a), private_allowed:
        subscription_create(url=hook.url, events=ORDER_EVENTS)
    with private_allowed, django_capture_on_commit_callbacks(execute=True):
        order = paid_order(shop_a, "alpha", [(selling_a, 1)], localstripe)
        orders_api.post(f"/api/v1/orders/{order.id}/fulfil/", {"tracking_number": "T1"})
        orders_api.post(f"/api/v1/orders/{order.id}/refund/", {"amount": "4.00"})
        unpaid = order_of(shop_a, place(selling_a))
        orders_api.post(f"/api/v1/orders/{unpaid.id}/cancel/")

    received = events_received(hook)
    assert [(event_type, data["id"], data["status"]) for event_type, data in received] == [
        # placed when paid, as Shopify's orders/create: never for an unpaid checkout
        ("order.created", order.id, "paid"),
        ("order.paid", order.id, "paid"),
        ("order.fulfilled", order.id, "fulfilled"),
        ("order.refunded", order.id, "partially_refunded"),
        ("order.cancelled", unpaid.id, "cancelled"),
    ]
    assert received[3][1] | {"created": None, "paid_at": None, "fulfilled_at": None} == {
        "id": order.id,
        "number": order.number,
        "status": "partially_refunded",
        "email": "shopper@example.com",
        "currency": "EUR",
        "total": "24.00",
        "refunded_amount": "4.00",
        "tracking_number": "T1",
        "utm_source": "",
        "created": None,
        "paid_at": None,
        "fulfilled_at": None,
        "cancelled_at": None,
    }


def test_no_order_event_when_the_change_rolls_back(shop_a, selling_a, receiver):
    from django.db import transaction

    from orders import services
    from shops.webhooks.models import WebhookEvent
    from shops.webhooks.services import subscription_create

    hook = receiver()
    with tenant_context(shop_a), private_allowed:
        subscription_create(url=hook.url, events=ORDER_EVENTS)
        shop_sells("alpha")
        order = orders_written(1, variant=selling_a)[0]
        Order.objects.filter(id=order.id).update(status="paid", paid_at=timezone.now())
        order.refresh_from_db()
        with pytest.raises(RuntimeError), transaction.atomic():
            services.order_fulfil(order=order, tracking_number="T")
            assert WebhookEvent.objects.filter(type="order.fulfilled").count() == 1
            raise RuntimeError("the caller's transaction fails")

        assert WebhookEvent.objects.filter(type="order.fulfilled").count() == 0


def test_refunding_an_order_stripe_never_took_the_payment_of_is_409_with_a_message(
    shop_a, selling_a, localstripe, orders_api
):
    # given: an order marked paid whose PaymentIntent never succeeded at Stripe
    order = order_of(shop_a, place(selling_a))
    with tenant_context(shop_a):
        Order.objects.filter(id=order.id).update(
            status="paid", paid_at=timezone.now(), stock_status="committed"
        )

    # when
    response = orders_api.post(f"/api/v1/orders/{order.id}/refund/", {})

    # then: refused for good (not "retry"), and nothing recorded as refunded
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "payment_refused"
    assert error["message"].startswith("Stripe refused the refund: ")
    assert "Nothing was refunded" in error["message"]
    with tenant_context(shop_a):
        assert Order.objects.get(id=order.id).refunded_minor == 0


def test_the_refund_endpoint_documents_its_409(shop_a):
    document = ApiClient("alpha", None).client.get("/api/v1/schema/", {"format": "json"}).json()

    refund = document["paths"]["/api/v1/orders/{id}/refund/"]["post"]

    conflict = refund["responses"]["409"]["description"]
    assert "refunding an order that was never paid" in conflict
    assert "`payment_refused`" in conflict
    assert '{"error": {"code": ..., "message": ...}}' in conflict
    assert "never paid answers 409" in refund["description"]
