"""POST /api/v1/buy-now/: atomic reservation, server prices, clear refusals, idempotency."""

import hashlib
import json
from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from django_tenants.utils import tenant_context

from catalog.models import CatalogChange, Product, Variant
from orders.models import Order
from shops.api.models import IdempotencyRecord
from shops.tasks import for_each_shop
from tests.orders.conftest import ADDRESS, buy, make_variant, shop_sells, shopper


def localstripe_intent(base: str, intent_id: str, key: str = "sk_test_alpha") -> dict:
    response = requests.get(
        f"{base}/v1/payment_intents/{intent_id}",
        headers={"Authorization": f"Bearer {key}"},
        timeout=5,
    )
    response.raise_for_status()
    return response.json()


def body(variant_id: int, quantity: int = 1, **extra) -> dict:
    return {
        "items": [{"variant_id": variant_id, "quantity": quantity}],
        "email": "shopper@example.com",
        "shipping_address": ADDRESS,
        **extra,
    }


def test_buy_now_reserves_stock_creates_order_and_payment_intent(shop_a, selling_a, localstripe):
    # given a variant with 10 in stock at 24.00
    # when
    response = buy(shopper(), body(selling_a.id, 3, shipping_address={**ADDRESS, "city": "Lyon"}))

    # then
    assert response.status_code == 201
    answer = response.json()
    assert response.cookies == {}
    with tenant_context(shop_a):
        order = Order.objects.get()
        assert Variant.objects.get(id=selling_a.id).available == 7
        assert order.status == Order.Status.PENDING_PAYMENT
        assert order.stock_status == Order.Stock.HELD
        assert (order.total, order.amount_minor, order.currency) == (72, 7200, "EUR")
        assert order.shipping_address == {**ADDRESS, "city": "Lyon"}
        line = order.lines.get()
        assert (line.title, line.sku, line.unit_price, line.quantity) == (
            "Canvas Tote",
            "TOTE",
            24,
            3,
        )
        assert list(
            CatalogChange.objects.values_list("product_id", "aspects").order_by("-id")[:1]
        ) == [(selling_a.product_id, ["availability", "stock"])]
    assert answer["order"] == {
        "id": str(order.public_id),
        "number": order.number,
        "status": "pending_payment",
        "currency": "EUR",
        "total": "72.00",
        "amount": 7200,
        "reserved_until": order.reserved_until.isoformat(),
    }
    assert answer["payment"]["publishable_key"] == "pk_test_alpha"
    assert answer["payment"]["stripe_js_url"] == f"{localstripe}/js.stripe.com/v3/"
    assert answer["payment"]["client_secret"].startswith(order.payment_intent_id + "_secret_")
    intent = localstripe_intent(localstripe, order.payment_intent_id)
    assert (intent["amount"], intent["currency"]) == (7200, "eur")
    assert intent["metadata"] == {"shop": "shop_alpha", "order": str(order.public_id)}


def test_prices_and_totals_in_the_request_are_ignored(shop_a, selling_a):
    tampered = body(selling_a.id, 2, total="0.01", amount=1, currency="JPY")
    tampered["items"][0]["price"] = "0.01"

    response = buy(shopper(), tampered)

    assert response.status_code == 201
    assert response.json()["order"]["total"] == "48.00"
    assert response.json()["order"]["amount"] == 4800


def test_several_variants_are_one_order(shop_a, selling_a):
    with tenant_context(shop_a):
        other = make_variant(title="Mug", sku="MUG", price="9.50", stock=1)
    payload = {
        "items": [
            {"variant_id": other.id, "quantity": 1},
            {"variant_id": selling_a.id, "quantity": 1},
            {"variant_id": selling_a.id, "quantity": 1},
        ],
        "email": "shopper@example.com",
    }

    response = buy(shopper(), payload)

    assert response.status_code == 201
    assert response.json()["order"]["total"] == "57.50"
    with tenant_context(shop_a):
        order = Order.objects.get()
        assert sorted(order.lines.values_list("sku", "quantity")) == [("MUG", 1), ("TOTE", 2)]
        assert Variant.objects.get(id=other.id).available == 0


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (0, "A quantity is at least 1."),
        (-3, "A quantity is at least 1."),
        (21, "You can buy at most 20 of an item at once."),
        (10**30, "You can buy at most 20 of an item at once."),
        ("2", "A quantity is a whole number."),
        (1.5, "A quantity is a whole number."),
        (True, "A quantity is a whole number."),
    ],
)
def test_bad_quantities_are_refused_and_change_nothing(shop_a, selling_a, quantity, message):
    response = buy(shopper(), body(selling_a.id, quantity))

    assert response.status_code == 400
    assert response.json()["error"]["message"] == message
    with tenant_context(shop_a):
        assert Variant.objects.get(id=selling_a.id).available == 10
        assert not Order.objects.exists()


def test_more_than_in_stock_is_out_of_stock(shop_a, selling_a):
    response = buy(shopper(), body(selling_a.id, 11))

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "out_of_stock",
        "message": "Sorry, only 10 of Canvas Tote are left.",
        "field": "items[0].quantity",
    }
    with tenant_context(shop_a):
        assert Variant.objects.get(id=selling_a.id).available == 10
        assert not Order.objects.exists()


def test_one_line_out_of_stock_reserves_nothing_at_all(shop_a, selling_a):
    with tenant_context(shop_a):
        sold_out = make_variant(title="Mug", sku="MUG", stock=0)
    payload = body(selling_a.id, 2)
    payload["items"].append({"variant_id": sold_out.id, "quantity": 1})

    response = buy(shopper(), payload)

    assert response.status_code == 409
    assert response.json()["error"]["message"] == "Sorry, Mug is out of stock."
    with tenant_context(shop_a):
        assert Variant.objects.get(id=selling_a.id).available == 10
        assert not Order.objects.exists()


def test_unknown_archived_and_other_shops_variants_are_refused(shop_a, shop_b, selling_a):
    with tenant_context(shop_b):
        foreign = make_variant(sku="BETA-1")
    with tenant_context(shop_a):
        archived = make_variant(title="Old Cap", sku="CAP", status=Product.Status.ARCHIVED)

    unknown = buy(shopper(), body(987654321))
    huge = buy(shopper(), body(10**30))
    other_shop = buy(shopper(), body(foreign.id))
    retired = buy(shopper(), body(archived.id))

    assert (unknown.status_code, other_shop.status_code, retired.status_code) == (400, 400, 404)
    refusal = {
        "code": "unknown_variant",
        "message": "That product option is not sold in this shop; reload the page and choose again.",
        "field": "items[0].variant_id",
    }
    assert unknown.json()["error"] == {**refusal, "errors": [refusal]}  # the API's 400 shape
    assert huge.json() == unknown.json() == other_shop.json()
    assert retired.json()["error"]["message"] == "Old Cap is no longer for sale."
    with tenant_context(shop_b):
        assert Variant.objects.get(id=foreign.id).available == 10
        assert not Order.objects.exists()
    with tenant_context(shop_a):
        assert not Order.objects.exists()
        # the foreign id may exist in alpha too; it must never be alpha's TOTE
        assert Variant.objects.get(id=selling_a.id).available == 10 or foreign.id == selling_a.id


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"items": [], "email": "a@example.com"}, "Choose at least one product."),
        ({"email": "a@example.com"}, "Choose at least one product."),
        ("not an object", "Send a JSON object."),
        ({"items": [{"variant_id": 1}], "email": "nope"}, "Enter a valid email address."),
    ],
)
def test_malformed_requests_get_a_message(shop_a, selling_a, payload, message):
    response = buy(shopper(), payload)

    assert response.status_code == 400
    assert response.json()["error"]["message"] == message


def test_without_a_stripe_connection_buy_now_answers_503(shop_b, stripe_settings):
    with tenant_context(shop_b):
        variant = make_variant(sku="B-1")

    response = buy(shopper("beta"), body(variant.id))

    assert response.status_code == 503
    assert response.json()["error"]["message"] == (
        "Payments are not set up for this shop yet; you cannot buy here."
    )
    with tenant_context(shop_b):
        assert Variant.objects.get(id=variant.id).available == 10


def test_stripe_down_gives_the_stock_back_and_502(shop_a, selling_a, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard port: connection refused

    response = buy(shopper(), body(selling_a.id, 2))

    assert response.status_code == 502
    assert "nothing was charged" in response.json()["error"]["message"]
    with tenant_context(shop_a):
        assert Variant.objects.get(id=selling_a.id).available == 10
        order = Order.objects.get()
        assert (order.status, order.stock_status) == ("cancelled", "released")


def test_stripe_down_with_a_key_gives_the_stock_back_and_frees_the_key(shop_a, selling_a, settings):
    # given Stripe unreachable (the reservation commits before Stripe is called)
    stripe_base = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard port: connection refused

    failed = buy(shopper(), body(selling_a.id, 2), key="attempt-1")

    assert failed.status_code == 502
    assert "nothing was charged" in failed.json()["error"]["message"]
    with tenant_context(shop_a):
        assert Variant.objects.get(id=selling_a.id).available == 10
        assert Order.objects.get().status == Order.Status.CANCELLED
        assert not IdempotencyRecord.objects.exists()  # the shopper may retry with the key

    # when Stripe is back, the retry with the same key buys
    settings.STRIPE_API_BASE = stripe_base
    retried = buy(shopper(), body(selling_a.id, 2), key="attempt-1")

    assert retried.status_code == 201
    with tenant_context(shop_a):
        assert Variant.objects.get(id=selling_a.id).available == 8
        assert Order.objects.filter(status=Order.Status.PENDING_PAYMENT).count() == 1


def test_same_idempotency_key_and_body_replays_the_answer(shop_a, selling_a):
    first = buy(shopper(), body(selling_a.id, 2), key="k-1")
    again = buy(shopper(), body(selling_a.id, 2), key="k-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    with tenant_context(shop_a):
        assert Order.objects.count() == 1
        assert Variant.objects.get(id=selling_a.id).available == 8


def test_same_idempotency_key_with_another_body_is_409(shop_a, selling_a):
    buy(shopper(), body(selling_a.id, 2), key="k-1")

    response = buy(shopper(), body(selling_a.id, 3), key="k-1")

    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "This Idempotency-Key was already used with a different request."
    )
    with tenant_context(shop_a):
        assert Order.objects.count() == 1
        assert Variant.objects.get(id=selling_a.id).available == 8


def test_an_error_answer_is_replayed_too(shop_a, selling_a):
    first = buy(shopper(), body(selling_a.id, 11), key="k-2")
    with tenant_context(shop_a):
        Variant.objects.filter(id=selling_a.id).update(stock=50)

    again = buy(shopper(), body(selling_a.id, 11), key="k-2")

    assert (first.status_code, again.status_code) == (409, 409)
    assert again.json() == first.json()


def test_idempotency_keys_belong_to_one_shop(shop_a, shop_b, selling_a):
    with tenant_context(shop_b):
        shop_sells("beta")
        variant_b = make_variant(sku="B-1")

    in_a = buy(shopper("alpha"), body(selling_a.id), key="shared-key")
    in_b = buy(shopper("beta"), body(variant_b.id), key="shared-key")

    assert (in_a.status_code, in_b.status_code) == (201, 201)
    assert in_a.json()["order"]["id"] != in_b.json()["order"]["id"]
    with tenant_context(shop_b):
        assert Order.objects.count() == 1
        assert Variant.objects.get(id=variant_b.id).available == 9


def test_buy_now_needs_post(shop_a, selling_a):
    assert shopper().get("/api/v1/buy-now/").status_code == 405


def test_a_key_whose_first_request_is_still_running_is_409(shop_a, selling_a):
    payload = body(selling_a.id)
    first = buy(shopper(), payload, key="k-3")
    with tenant_context(shop_a):
        IdempotencyRecord.objects.filter(key="k-3").update(status_code=None, response_body="")

    response = buy(shopper(), payload, key="k-3")

    assert first.status_code == 201
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_in_progress"


def test_a_key_left_half_way_by_a_dead_process_can_be_retried(shop_a, selling_a):
    payload = body(selling_a.id)
    with tenant_context(shop_a):
        IdempotencyRecord.objects.create(
            owner="shopper",
            key="k-4",
            method="POST",
            path="/api/v1/buy-now/",
            body_hash=request_hash(payload),
            claimed_at=timezone.now() - timedelta(minutes=3),
        )

    response = buy(shopper(), payload, key="k-4")

    assert response.status_code == 201
    with tenant_context(shop_a):
        assert IdempotencyRecord.objects.get(key="k-4").status_code == 201
        assert Order.objects.count() == 1


def request_hash(payload: dict) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def test_buy_now_query_count_is_pinned(shop_a, selling_a, django_assert_num_queries):
    # search_path 2, routing 1, payment account 1, the transaction's savepoint and
    # release 2 (inside the test's transaction), variants 1; the price (orders.pricing):
    # the country's shipping rates 1, whether the shop has shipping zones 1 (it has none),
    # tax settings 1, the country's tax rate 1; per line: the conditional
    # update returning the new stock 1 (no savepoint, no re-read); outbox 1, order 1,
    # lines 1; after Stripe: the PaymentIntent id 1 (Stripe itself: one HTTP call); no
    # webhook event: order.created is sent when the order is paid
    with django_assert_num_queries(16):
        response = buy(shopper(), body(selling_a.id))

    assert response.status_code == 201


def test_idempotency_keys_are_forgotten_after_a_day(shop_a, selling_a):
    buy(shopper(), body(selling_a.id), key="old")
    buy(shopper(), body(selling_a.id), key="new")
    with tenant_context(shop_a):
        IdempotencyRecord.objects.filter(key="old").update(
            created=timezone.now() - timedelta(hours=25)
        )

    for_each_shop("api.idempotency_expire")

    with tenant_context(shop_a):
        assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
