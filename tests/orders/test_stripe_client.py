"""orders.stripe_client against a local server that checks the request's shape: what
localstripe ignores (Connect's Stripe-Account header, application_fee_amount,
Idempotency-Key) and Stripe's errors."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from catalog.models import Variant
from orders import stripe_client
from orders.payment_accounts import payment_account_connect, payment_account_state_record
from tests.orders.conftest import buy, make_variant, shop_sells, shopper

INTENT = {
    "id": "pi_123",
    "object": "payment_intent",
    "amount": 2400,
    "currency": "eur",
    "status": "requires_payment_method",
    "client_secret": "pi_123_secret_abc",
    "metadata": {},
}


class FakeStripe(BaseHTTPRequestHandler):
    requests: list = []
    answer: tuple[int, dict] = (200, INTENT)
    delay = 0.0

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        type(self).requests.append({"path": self.path, "headers": dict(self.headers), "form": form})
        time.sleep(self.delay)
        status, body = type(self).answer
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_stripe(settings):
    FakeStripe.requests, FakeStripe.answer, FakeStripe.delay = [], (200, INTENT), 0.0
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeStripe)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{server.server_port}"
    yield FakeStripe
    server.shutdown()
    server.server_close()


CONNECT = stripe_client.Credentials(
    secret_key="sk_test_platform", publishable_key="pk_test_platform", account_id="acct_shop"
)
OWN = stripe_client.Credentials(secret_key="sk_test_shop", publishable_key="pk_test_shop")


def create(credentials, fee=0):
    return stripe_client.payment_intent_create(
        credentials=credentials,
        amount=2400,
        currency="EUR",
        metadata={"order": "o-1"},
        idempotency_key="order-o-1",
        application_fee_amount=fee,
    )


def test_connect_charges_name_the_account_and_the_platform_fee(fake_stripe):
    intent = create(CONNECT, fee=60)

    (request,) = fake_stripe.requests
    assert request["path"] == "/v1/payment_intents"
    assert request["headers"]["Stripe-Account"] == "acct_shop"
    assert request["headers"]["Idempotency-Key"] == "order-o-1"
    assert request["headers"]["Authorization"] == "Bearer sk_test_platform"
    assert request["form"] == {
        "amount": "2400",
        "currency": "eur",
        "metadata[order]": "o-1",
        "automatic_payment_methods[enabled]": "true",
        "application_fee_amount": "60",
    }
    assert intent == stripe_client.PaymentIntent(
        id="pi_123",
        status="requires_payment_method",
        amount=2400,
        currency="EUR",
        client_secret="pi_123_secret_abc",
        metadata={},
        account_id="acct_shop",
    )


def test_with_stripes_own_stripe_js_the_merchants_payment_methods_are_offered(
    fake_stripe, settings
):
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"  # the Payment Element's

    create(OWN)

    (request,) = fake_stripe.requests
    assert request["form"]["automatic_payment_methods[enabled]"] == "true"
    assert not any(name.startswith("payment_method_types") for name in request["form"])


def test_with_localstripes_stripe_js_the_intent_takes_cards(fake_stripe, settings):
    settings.STRIPE_JS_URL = "http://127.0.0.1:8420/js.stripe.com/v3/"  # localstripe's stand-in

    create(CONNECT)

    (request,) = fake_stripe.requests
    assert request["form"]["payment_method_types[0]"] == "card"
    assert not any(name.startswith("automatic_payment_methods") for name in request["form"])


def test_localstripe_refuses_automatic_payment_methods_and_takes_card_intents(stripe_settings):
    """Why the two paths: localstripe answers 400 to ``automatic_payment_methods``; with
    its Stripe.js (stripe_settings) the intent it gets is a card one, which it takes."""
    own = stripe_client.Credentials(secret_key="sk_test_wallets", publishable_key="pk_test_w")
    stripe_settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    with pytest.raises(stripe_client.PaymentFinalError, match="automatic_payment_methods"):
        create(own)

    stripe_settings.STRIPE_JS_URL = f"{stripe_settings.STRIPE_API_BASE}/js.stripe.com/v3/"
    intent = create(own)

    assert intent.status == "requires_payment_method"
    assert intent.amount == 2400


def test_a_shops_own_keys_send_no_account_and_no_fee(fake_stripe):
    create(OWN, fee=60)

    (request,) = fake_stripe.requests
    assert "Stripe-Account" not in request["headers"]
    assert "application_fee_amount" not in request["form"]
    assert request["headers"]["Authorization"] == "Bearer sk_test_shop"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, stripe_client.PaymentRetryableError),
        (500, stripe_client.PaymentRetryableError),
        (503, stripe_client.PaymentRetryableError),
        (400, stripe_client.PaymentFinalError),
        (402, stripe_client.PaymentFinalError),
        (401, stripe_client.PaymentAuthenticationError),  # a PaymentFinalError
        (403, stripe_client.PaymentPermissionError),  # a PaymentFinalError
    ],
)
def test_stripe_errors_are_translated(fake_stripe, status, error):
    fake_stripe.answer = (status, {"error": {"message": "nope", "type": "api_error"}})

    with pytest.raises(error) as raised:
        create(OWN)

    assert raised.value.http_status == status
    assert type(raised.value) is error


def test_a_slow_stripe_times_out_as_retryable(fake_stripe, settings):
    settings.STRIPE_TIMEOUT_SECONDS = 1
    stripe_client._http_client = None
    fake_stripe.delay = 1.5
    try:
        with pytest.raises(stripe_client.PaymentRetryableError):
            create(OWN)
    finally:
        stripe_client._http_client = None


def test_refunds_carry_an_idempotency_key(fake_stripe):
    fake_stripe.answer = (
        200,
        {"id": "re_1", "object": "refund", "amount": 100, "status": "succeeded"},
    )

    refund = stripe_client.refund_create(
        credentials=CONNECT, payment_intent_id="pi_123", amount=100, idempotency_key="refund-1"
    )

    (request,) = fake_stripe.requests
    assert request["form"] == {"payment_intent": "pi_123", "amount": "100"}
    assert request["headers"]["Idempotency-Key"] == "refund-1"
    assert request["headers"]["Stripe-Account"] == "acct_shop"
    assert refund == stripe_client.Refund(id="re_1", amount=100, status="succeeded")


def test_buy_now_on_a_connect_shop_charges_the_platform_fee(shop_a, fake_stripe, settings):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY = "sk_test_p", "pk_test_p"
    settings.STRIPE_PLATFORM_FEE_BASIS_POINTS = 250
    with tenant_context(shop_a):
        payment_account_connect(stripe_account_id="acct_alpha")
        payment_account_state_record(
            account=stripe_client.ConnectedAccount(
                id="acct_alpha", charges_enabled=True, details_submitted=True
            )
        )
        variant = make_variant(price="24.00")

    response = buy(
        shopper(), {"items": [{"variant_id": variant.id, "quantity": 1}], "email": "s@example.com"}
    )

    assert response.status_code == 201
    assert response.json()["payment"]["stripe_account"] == "acct_alpha"
    assert response.json()["payment"]["publishable_key"] == "pk_test_p"
    (request,) = fake_stripe.requests
    assert request["headers"]["Stripe-Account"] == "acct_alpha"
    assert request["form"]["application_fee_amount"] == "60"  # 2.5 % of 24.00
    assert request["headers"]["Idempotency-Key"] == f"order-{response.json()['order']['id']}"


def test_a_keyed_buy_now_holds_no_stock_lock_while_stripe_answers(
    committed_shop, django_db_blocker, fake_stripe
):
    # given a shop whose Stripe takes 1.5 s to create a PaymentIntent
    shop = committed_shop("nolock").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        shop_sells("nolock")
        variant = make_variant(sku="LOCK", stock=5)
    fake_stripe.requests.clear()  # the key check of shop_sells
    fake_stripe.delay = 1.5
    answers = []

    def tap() -> None:
        with django_db_blocker.unblock():
            payload = {"items": [{"variant_id": variant.id, "quantity": 1}], "email": "s@b.example"}
            answers.append(buy(shopper("nolock"), payload, key="tap-1"))
            connection.close()

    # when a buyer's keyed buy-now waits on Stripe
    buyer = threading.Thread(target=tap)
    buyer.start()
    deadline = time.monotonic() + 30
    while not fake_stripe.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fake_stripe.requests, "buy-now never called Stripe"

    # then the variant's row is free for the next buyer meanwhile (NOWAIT: no queueing)
    with django_db_blocker.unblock(), tenant_context(shop), transaction.atomic():
        assert Variant.objects.select_for_update(nowait=True).get(pk=variant.pk).available == 4
    buyer.join(timeout=30)
    assert [answer.status_code for answer in answers] == [201]
