"""The merchant's order page through the real admin: what it shows (customer, address,
lines, totals as shoppers read them, timeline), and fulfil, cancel and refund, each its
own form posting to its own view, through the same services as the partner API."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from catalog.models import Variant
from catalog.services import VariantInput, product_create
from orders.models import Order, OrderActivity
from reviews.models import ReviewRequest
from shops.accounts.models import User
from shops.accounts.roles import Role
from tests.conftest import SHOP_PASSWORD, owner_client
from tests.orders.conftest import paid_order
from tests.orders.test_admin import place

ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "12 Rue des Lilas",
    "postal_code": "75011",
    "city": "Paris",
    "country": "FR",
    "phone": "+33 6 12 34 56 78",
}


class FormNesting(HTMLParser):
    """The forms of a page: their actions, and whether any sits inside another."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.is_nested = False
        self.actions: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "form":
            self.is_nested = self.is_nested or self.depth > 0
            self.depth += 1
            self.actions.append(dict(attrs).get("action", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self.depth -= 1


@pytest.fixture
def shirt(shop_a, selling_a) -> Variant:
    with tenant_context(shop_a):
        product = product_create(
            title="Linen Shirt",
            status="active",
            variants=[VariantInput(sku="SHIRT-M", price="22.00", stock=5, options=["Blue", "M"])],
        )
        return product.variants.get()


def page_of(order: Order, client: Client | None = None) -> str:
    """The order's admin page (an unpaid checkout's: the Abandoned checkouts page it
    leads to)."""
    client = client or owner_client()
    return client.get(f"/admin/orders/order/{order.id}/change/", follow=True).content.decode()


def test_the_page_shows_customer_address_lines_totals_and_timeline(
    shop_a, selling_a, shirt, localstripe, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = paid_order(shop_a, "alpha", [(selling_a, 1), (shirt, 2)], localstripe, ADDRESS)

    html = page_of(order)

    assert "Ada Lovelace" in html and 'href="mailto:shopper@example.com"' in html
    assert "12 Rue des Lilas<br>75011 Paris<br>FR" in html
    assert "Linen Shirt" in html and "Blue / M" in html and "SKU SHIRT-M" in html
    assert "€22.00" in html and "€44.00" in html  # the shirt, one and two
    assert '<td class="num" data-order-total>€68.00</td>' in html
    assert "EUR" not in html  # never a bare amount beside a currency code
    assert "€68.00 through Stripe." in html
    assert f"To shopper@example.com: “Your order {order.number} is confirmed”." in html


def test_each_action_is_a_form_of_its_own_never_inside_another(shop_a, selling_a, localstripe):
    paid = paid_order(shop_a, "alpha", [(selling_a, 1)], localstripe)
    with tenant_context(shop_a):
        unpaid = Order.objects.get(public_id=place(selling_a)["order"]["id"])

    paid_page, unpaid_page = FormNesting(), FormNesting()
    paid_page.feed(page_of(paid))
    unpaid_page.feed(page_of(unpaid))

    assert not paid_page.is_nested and not unpaid_page.is_nested
    assert [a for a in paid_page.actions if "/admin/orders/" in a] == [
        f"/admin/orders/order/{paid.id}/fulfil/",
        f"/admin/orders/order/{paid.id}/refund/",
    ]
    assert [a for a in unpaid_page.actions if "/admin/orders/" in a] == [
        f"/admin/orders/order/{unpaid.id}/cancel/"
    ]


def test_fulfil_with_carrier_emails_the_shopper_and_makes_the_review_request_due(
    shop_a, selling_a, shirt, localstripe, settings, django_capture_on_commit_callbacks
):
    settings.REVIEWS_REQUEST_DELAY_SECONDS = 3600
    order = paid_order(shop_a, "alpha", [(selling_a, 1), (shirt, 1)], localstripe)
    mail.outbox.clear()
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client().post(
            f"/admin/orders/order/{order.id}/fulfil/",
            {"carrier": "Colissimo", "tracking_number": "LP123456789FR"},
            follow=True,
        )

    html = response.content.decode()
    assert f"Order {order.number} is fulfilled" in html
    assert "Shipped with Colissimo, tracking number LP123456789FR." in html
    with tenant_context(shop_a):
        order = Order.objects.get(id=order.id)
        due = sorted(
            ReviewRequest.objects.filter(order_line__order=order).values_list("due_at", flat=True)
        )
    assert (order.status, order.carrier, order.tracking_number) == (
        "fulfilled",
        "Colissimo",
        "LP123456789FR",
    )
    assert len(due) == 2
    assert before + timedelta(seconds=3600) <= due[0] <= timezone.now() + timedelta(seconds=3600)
    assert [m.subject for m in mail.outbox] == [f"Your order {order.number} is on its way"]
    assert "Carrier: Colissimo\nTracking number: LP123456789FR" in mail.outbox[0].body


def test_cancel_asks_first_then_returns_the_stock(shop_a, selling_a, localstripe):
    with tenant_context(shop_a):
        order = Order.objects.get(public_id=place(selling_a, 3)["order"]["id"])
    client = owner_client()

    asked = client.post(f"/admin/orders/order/{order.id}/cancel/")
    with tenant_context(shop_a):
        untouched = Order.objects.get(id=order.id).status
    done = client.post(f"/admin/orders/order/{order.id}/cancel/", {"confirmed": "yes"}, follow=True)

    assert asked.status_code == 200
    assert "Its 3 item(s) go back to stock." in asked.content.decode()
    assert untouched == "pending_payment"
    assert f"Order {order.number} is cancelled; its stock is back." in done.content.decode()
    with tenant_context(shop_a):
        assert Order.objects.get(id=order.id).status == "cancelled"
        assert Variant.objects.get(id=selling_a.id).available == 10
        assert OrderActivity.objects.get(order_id=order.id).message == (
            "Cancelled by the merchant. The stock is back."
        )


def test_refund_by_line_asks_first_then_refunds_what_those_items_cost(
    shop_a, selling_a, shirt, localstripe, django_capture_on_commit_callbacks
):
    order = paid_order(shop_a, "alpha", [(selling_a, 1), (shirt, 2)], localstripe)
    with tenant_context(shop_a):
        shirt_line = order.lines.get(sku="SHIRT-M")
    client = owner_client()
    mail.outbox.clear()
    choice = {f"refund_{shirt_line.id}": "1", f"restock_{shirt_line.id}": "1"}

    asked = client.post(f"/admin/orders/order/{order.id}/refund/", choice)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            f"/admin/orders/order/{order.id}/refund/", {**choice, "confirmed": "yes"}, follow=True
        )

    assert f"Refund €22.00 of order {order.number}?" in asked.content.decode()
    assert "Back in stock: 1 \N{MULTIPLICATION SIGN} Linen Shirt." in asked.content.decode()
    html = done.content.decode()
    assert "refund sent through Stripe; 1 item(s) back in stock." in html
    assert "€22.00 through Stripe; back in stock: 1 \N{MULTIPLICATION SIGN} SHIRT-M." in html
    with tenant_context(shop_a):
        order = Order.objects.get(id=order.id)
        assert Variant.objects.get(id=shirt.id).available == 4
    assert (order.status, order.refunded_minor) == ("partially_refunded", 2200)
    assert [m.subject for m in mail.outbox] == [f"Your order {order.number} was refunded"]
    assert "Refunded: €22.00 of €68.00." in mail.outbox[0].body


@pytest.mark.parametrize(
    ("state", "action", "data", "message"),
    [
        ("unpaid", "refund", {}, "is not paid; there is nothing to refund."),
        ("cancelled", "fulfil", {"tracking_number": "X"}, "is cancelled; it cannot become"),
        ("paid", "refund", {"amount": "25.00"}, "at most €24.00, what is left of the payment."),
        ("paid", "cancel", {}, "refund a paid order instead."),
    ],
)
def test_an_action_the_order_does_not_allow_says_why_and_changes_nothing(
    shop_a, selling_a, localstripe, state, action, data, message
):
    if state == "paid":
        order = paid_order(shop_a, "alpha", [(selling_a, 1)], localstripe)
    else:
        with tenant_context(shop_a):
            order = Order.objects.get(public_id=place(selling_a)["order"]["id"])
    client = owner_client()
    if state == "cancelled":
        client.post(f"/admin/orders/order/{order.id}/cancel/", {"confirmed": "yes"})
    with tenant_context(shop_a):
        before = Order.objects.filter(id=order.id).values().get()

    response = client.post(
        f"/admin/orders/order/{order.id}/{action}/", {**data, "confirmed": "yes"}, follow=True
    )

    assert 'class="error"' in response.content.decode()
    assert message in response.content.decode()
    with tenant_context(shop_a):
        assert Order.objects.filter(id=order.id).values().get() == before


def test_a_staff_member_who_may_only_view_orders_cannot_act(shop_a, selling_a, localstripe):
    order = paid_order(shop_a, "alpha", [(selling_a, 1)], localstripe)
    with tenant_context(shop_a):
        # roles, not permission rows, say what staff may do: read-only views, never acts
        User.objects.create_user(
            "clerk@alpha.test", SHOP_PASSWORD, is_staff=True, role=Role.READ_ONLY
        )
    client = Client(HTTP_HOST="alpha.localhost")
    client.post("/admin/login/", {"username": "clerk@alpha.test", "password": SHOP_PASSWORD})

    html = page_of(order, client)
    fulfil = client.post(f"/admin/orders/order/{order.id}/fulfil/", {"tracking_number": "X"})

    assert "Linen" not in html and "Canvas Tote" in html  # the page is shown
    assert "Fulfil and email the shopper" not in html and "Refund…" not in html
    assert fulfil.status_code == 403
    with tenant_context(shop_a):
        assert Order.objects.get(id=order.id).status == "paid"


def test_another_shops_admin_cannot_act_on_the_order(shop_a, shop_b, selling_a, localstripe):
    order = paid_order(shop_a, "alpha", [(selling_a, 1)], localstripe)
    beta = owner_client("beta")

    answers = [
        beta.post(f"/admin/orders/order/{order.id}/{action}/", {"confirmed": "yes"}).status_code
        for action in ("fulfil", "refund", "cancel")
    ]

    assert answers == [404, 404, 404]
    with tenant_context(shop_a):
        assert Order.objects.get(id=order.id).status == "paid"
        assert not OrderActivity.objects.filter(order_id=order.id, kind="fulfilled").exists()
