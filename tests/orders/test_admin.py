"""The merchant's orders admin on the shop host: list, filters, detail, fulfil, cancel,
refund through Stripe, the Stripe connection, and saying when the shop cannot sell."""

from django.core import mail
from django_tenants.utils import tenant_context

from catalog.models import Variant
from orders.models import Order, PaymentAccount
from orders.payment_accounts import shop_payments
from shops.secrets import secret_decrypt
from tests.conftest import owner_client
from tests.factories import OrderFactory
from tests.orders.conftest import buy, card_token, paid_order, pay, shopper


def place(variant, quantity: int = 1, **extra) -> dict:
    return buy(
        shopper(),
        {
            "items": [{"variant_id": variant.id, "quantity": quantity}],
            "email": "shopper@example.com",
            **extra,
        },
    ).json()


def test_order_list_filters_and_costs_the_same_queries_for_more_orders(
    shop_a, selling_a, django_assert_max_num_queries
):
    client = owner_client()
    with tenant_context(shop_a):
        OrderFactory(lines=[(selling_a, 1)], utm_source="instagram")
    with django_assert_max_num_queries(20) as few:
        page = client.get("/admin/orders/order/")
    assert page.status_code == 200
    few_queries = len(few.captured_queries)  # the next requests reset Django's query log
    with tenant_context(shop_a):
        for _ in range(6):
            OrderFactory(lines=[(selling_a, 1)], utm_source="tiktok")

    with django_assert_max_num_queries(few_queries):
        many = client.get("/admin/orders/order/")
    filtered = client.get("/admin/orders/order/?utm_source=instagram")

    assert many.content.decode().count('class="field-number"') == 7
    assert filtered.content.decode().count('class="field-number"') == 1


def test_fulfilling_a_paid_order_emails_the_tracking_number(
    shop_a, selling_a, localstripe, django_capture_on_commit_callbacks
):
    order = paid_order(shop_a, "alpha", [(selling_a, 1)], localstripe)
    client = owner_client()
    detail = client.get(f"/admin/orders/order/{order.id}/change/").content.decode()
    assert "Fulfil and email the shopper" in detail
    assert "Canvas Tote" in detail

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/orders/order/{order.id}/fulfil/", {"tracking_number": "LP123456789FR"}
        )

    assert response.status_code == 302
    with tenant_context(shop_a):
        order = Order.objects.get(id=order.id)
    assert (order.status, order.tracking_number) == ("fulfilled", "LP123456789FR")
    assert [m.subject for m in mail.outbox] == [f"Your order {order.number} is on its way"]
    assert "Tracking number: LP123456789FR" in mail.outbox[0].body


def test_an_unpaid_order_cannot_be_fulfilled(shop_a, selling_a):
    answer = place(selling_a)
    with tenant_context(shop_a):
        order = Order.objects.get(public_id=answer["order"]["id"])

    response = owner_client().post(
        f"/admin/orders/order/{order.id}/fulfil/", {"tracking_number": "X"}, follow=True
    )

    assert "it cannot become fulfilled" in response.content.decode()
    with tenant_context(shop_a):
        assert Order.objects.get(id=order.id).status == "pending_payment"


def test_cancelling_an_unpaid_order_returns_its_stock(shop_a, selling_a, localstripe):
    answer = place(selling_a, 4)
    with tenant_context(shop_a):
        order = Order.objects.get(public_id=answer["order"]["id"])

    owner_client().post(f"/admin/orders/order/{order.id}/cancel/", {"confirmed": "yes"})

    with tenant_context(shop_a):
        order = Order.objects.get(id=order.id)
        assert (order.status, order.note) == ("cancelled", "Cancelled by the merchant.")
        assert Variant.objects.get(id=selling_a.id).available == 10


def test_partial_then_full_refund_through_stripe(shop_a, selling_a, localstripe):
    order = paid_order(shop_a, "alpha", [(selling_a, 2)], localstripe)
    client = owner_client()

    client.post(f"/admin/orders/order/{order.id}/refund/", {"confirmed": "yes", "amount": "10.00"})
    with tenant_context(shop_a):
        partly = Order.objects.get(id=order.id)
    client.post(f"/admin/orders/order/{order.id}/refund/", {"confirmed": "yes", "amount": ""})
    with tenant_context(shop_a):
        fully = Order.objects.get(id=order.id)
    too_much = client.post(
        f"/admin/orders/order/{order.id}/refund/", {"confirmed": "yes", "amount": "1"}, follow=True
    )

    assert (partly.status, partly.refunded_minor) == ("partially_refunded", 1000)
    assert (fully.status, fully.refunded_minor) == ("refunded", 4800)
    assert "is refunded in full already" in too_much.content.decode()
    refunds = localstripe_refunds(localstripe, order.payment_intent_id)
    assert sorted(refunds) == [1000, 3800]


def localstripe_refunds(base: str, intent_id: str) -> list[int]:
    import requests

    response = requests.get(
        f"{base}/v1/refunds",
        params={"payment_intent": intent_id},
        headers={"Authorization": "Bearer sk_test_alpha"},
        timeout=5,
    )
    return [refund["amount"] for refund in response.json()["data"]]


def test_the_admin_says_when_the_shop_cannot_sell(shop_b, stripe_settings):
    page = owner_client("beta").get("/admin/orders/order/").content.decode()

    assert "Your shop cannot sell: Payments are not set up for this shop yet." in page


def test_the_stripe_connection_is_saved_with_secrets_encrypted(shop_b, stripe_settings):
    # (Connect has no form any more: tests/orders/test_connect.py walks "Connect with Stripe")
    data = {
        "publishable_key": "pk_test_beta",
        "secret_key": "sk_test_beta_secret",
        "webhook_secret": "whsec_beta_secret",
    }

    response = owner_client("beta").post("/admin/orders/paymentaccount/add/", data)

    assert response.status_code == 302
    with tenant_context(shop_b):
        account = PaymentAccount.objects.get()
        payments = shop_payments()
    assert payments.can_sell
    assert "sk_test_beta_secret" not in account.secret_key_encrypted
    assert secret_decrypt(account.secret_key_encrypted) == "sk_test_beta_secret"
    assert payments.credentials.secret_key == "sk_test_beta_secret"
    assert payments.webhook_secret == "whsec_beta_secret"


def test_a_wrong_key_is_refused_with_a_message(shop_b, stripe_settings):
    response = owner_client("beta").post(
        "/admin/orders/paymentaccount/add/",
        {
            "mode": "own_keys",
            "publishable_key": "pk_x",
            "secret_key": "nope",
            "webhook_secret": "whsec_x",
        },
    )

    assert response.status_code == 200
    assert "A Stripe secret key starts with sk_" in response.content.decode()
    with tenant_context(shop_b):
        assert not PaymentAccount.objects.exists()


def test_another_shops_admin_does_not_see_the_order(shop_a, shop_b, selling_a):
    answer = place(selling_a)
    with tenant_context(shop_a):
        order_id = Order.objects.get(public_id=answer["order"]["id"]).id

    beta = owner_client("beta")
    listing = beta.get("/admin/orders/order/").content.decode()
    detail = beta.get(f"/admin/orders/order/{order_id}/change/")
    cancel = beta.post(f"/admin/orders/order/{order_id}/cancel/", {"confirmed": "yes"})

    assert 'class="field-number"' not in listing
    assert detail.status_code == 404
    assert cancel.status_code == 404
    with tenant_context(shop_a):
        assert Order.objects.get(id=order_id).status == "pending_payment"


def test_an_order_paid_at_stripe_before_its_webhook_cannot_be_cancelled(
    shop_a, selling_a, localstripe
):
    answer = place(selling_a, 2)
    pay(shopper(), answer, card_token(localstripe))
    with tenant_context(shop_a):
        order = Order.objects.get(public_id=answer["order"]["id"])

    response = owner_client().post(
        f"/admin/orders/order/{order.id}/cancel/", {"confirmed": "yes"}, follow=True
    )

    assert f"Order {order.number} has just been paid at Stripe; refund it instead." in (
        response.content.decode()
    )
    with tenant_context(shop_a):
        assert Order.objects.get(id=order.id).stock_status == "held"
        assert Variant.objects.get(id=selling_a.id).available == 8
