"""What the shopper sees after paying: the confirmation page, the confirmation and
shipping emails (plain text and HTML), and the order page from a signed link, which is
worthless when changed or opened in another shop."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from catalog.services import VariantInput, product_create
from orders.carriers import tracking_url
from orders.links import order_confirmation_path, order_page_path
from orders.models import Order
from orders.services import order_cancel, order_fulfil, order_refund
from shops.storefront import services as storefront_services
from tests.orders.conftest import buy, make_variant, paid_order, shop_sells, shopper

ORDER_LINK = re.compile(r"http://alpha\.localhost(/orders/[^/\s\"]+/)")
MINUS = "\N{MINUS SIGN}"


@pytest.fixture
def tee_xl(shop_a, selling_a):
    """Shop alpha sells a tee in M and XL (XL at 26.00)."""
    with tenant_context(shop_a):
        tee = product_create(
            title="Harbour Tee",
            status="active",
            option1_name="Size",
            variants=[
                VariantInput(sku="TEE-M", price="25.00", stock=5, options=["M"]),
                VariantInput(sku="TEE-XL", price="26.00", stock=5, options=["XL"]),
            ],
        )
        return tee.variants.get(sku="TEE-XL")


@pytest.fixture
def paid_xl(shop_a, tee_xl, localstripe, django_capture_on_commit_callbacks) -> Order:
    """Two XL tees bought on alpha and paid; the confirmation email sent."""
    with django_capture_on_commit_callbacks(execute=True):
        return paid_order(shop_a, "alpha", [(tee_xl, 2)], localstripe)


def paths(shop, order: Order) -> tuple[str, str]:
    """The order's signed confirmation and order page paths, made in ``shop``."""
    with tenant_context(shop):
        return order_confirmation_path(order=order), order_page_path(order=order)


def texts(html: str) -> list[str]:
    """The pieces of text of an HTML fragment, in order."""
    return [text.strip() for text in re.findall(r">([^<>]+)<", html) if text.strip()]


def amounts_of(html: str) -> list[tuple[str, str]]:
    """The receipt's amounts on a shopper page: (label, amount) pairs, in order."""
    return re.findall(r'<th scope="row" colspan="3">(.*?)</th>\s*<td class="num">(.*?)</td>', html)


def test_the_confirmation_email_has_the_receipt_and_the_order_page_link(paid_xl):
    (email,) = mail.outbox
    html, content_type = email.alternatives[0]

    assert email.subject == f"Your order {paid_xl.number} is confirmed"
    assert content_type == "text/html"
    assert f"Order {paid_xl.number}, sent to shopper@example.com" in email.body
    assert "2 \N{MULTIPLICATION SIGN} Harbour Tee (XL) — €52.00 (€26.00 each)" in email.body
    assert "Subtotal: €52.00\nShipping: Free\nTotal: €52.00\n" in email.body
    assert "Shipping to:\nAda Lovelace\n1 Rue de Rivoli\n75001 Paris\nFR\n" in email.body
    # the same in HTML: the option under the title, amounts as shoppers read them
    assert re.search(r"Harbour Tee<br><span[^>]*>XL</span>", html)
    assert re.search(r">2</td>\s*<td[^>]*>€26.00</td>\s*<td[^>]*>€52.00</td>", html)
    assert "Ada Lovelace<br>1 Rue de Rivoli<br>75001 Paris<br>FR" in html
    # one order page link, the same in both parts, and it opens the order
    (path,) = set(ORDER_LINK.findall(email.body))
    assert set(ORDER_LINK.findall(html)) == {path}
    page = shopper().get(path)
    assert page.status_code == 200
    assert "data-order-status>Paid</strong>" in page.content.decode()


def test_the_confirmation_page_shows_what_was_bought_and_where_it_goes(shop_a, paid_xl):
    confirmation, order_page = paths(shop_a, paid_xl)

    response = shopper().get(confirmation)

    html = response.content.decode()
    assert response.status_code == 200
    assert f"Order {paid_xl.number} is paid; a confirmation is on its way to " in html
    assert "shopper@example.com" in html
    line = re.search(r"<tr data-receipt-line>(.*?)</tr>", html, re.S).group(1)
    assert texts(line) == [
        "Harbour Tee",
        "XL",
        "2",
        "€26.00",
        "€52.00",
    ]
    assert amounts_of(html) == [("Subtotal", "€52.00"), ("Shipping", "Free"), ("Total", "€52.00")]
    assert "Ada Lovelace<br>1 Rue de Rivoli<br>75001 Paris<br>FR" in html
    assert f'href="{order_page}"' in html
    # private: never indexed, cached or sent on as a referrer; not framed outside the embed
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Frame-Options"] == "DENY"


def test_shipping_tax_and_discount_are_lines_of_the_receipt(shop_a, paid_xl):
    # the pricing of checkout fills these; here they are set as it would
    with tenant_context(shop_a):
        Order.objects.filter(id=paid_xl.id).update(
            shipping_amount=Decimal("4.90"),
            tax_amount=Decimal("3.00"),
            discount_amount=Decimal("5.00"),
            coupon_code="SPRING",
            prices_include_tax=False,  # the tax was added at checkout
            total=Decimal("54.90"),
        )
    confirmation, _ = paths(shop_a, paid_xl)

    html = shopper().get(confirmation).content.decode()

    assert amounts_of(html) == [
        ("Subtotal", "€52.00"),
        ("Shipping", "€4.90"),
        ("Discount (SPRING)", f"{MINUS}€5.00"),
        ("Tax", "€3.00"),
        ("Total", "€54.90"),
    ]

    # where prices include tax the total does not grow: the tax is the part of it that is
    with tenant_context(shop_a):
        Order.objects.filter(id=paid_xl.id).update(
            prices_include_tax=True,
            tax_name="VAT",
            tax_amount=Decimal("8.65"),
            total=Decimal("51.90"),
        )

    html = shopper().get(confirmation).content.decode()

    assert amounts_of(html) == [
        ("Subtotal", "€52.00"),
        ("Shipping", "€4.90"),
        ("Discount (SPRING)", f"{MINUS}€5.00"),
        ("Total", "€51.90"),
        ("Including VAT", "€8.65"),
    ]


def test_the_payment_leads_to_the_signed_confirmation_and_nothing_else_does(shop_a, paid_xl):
    confirmation, _ = paths(shop_a, paid_xl)
    secret = paid_xl.client_secret
    paid_url = f"/orders/{paid_xl.public_id}/paid/"

    # buy_now.js posts the client secret; Stripe's redirect brings it in the query
    posted = shopper().post(paid_url, {"secret": secret})
    redirected = shopper().get(
        paid_url,
        {
            "payment_intent": paid_xl.payment_intent_id,
            "payment_intent_client_secret": secret,
            "redirect_status": "succeeded",
        },
    )
    in_embed = shopper().post(f"{paid_url}?embed=1", {"secret": secret})
    wrong = shopper().post(paid_url, {"secret": secret[:-1] + "x"})

    assert (posted.status_code, posted["Location"]) == (303, confirmation)
    assert (redirected.status_code, redirected["Location"]) == (303, confirmation)
    assert (in_embed.status_code, in_embed["Location"]) == (303, f"{confirmation}?embed=1")
    assert wrong.status_code == 404
    assert paid_xl.number not in wrong.content.decode()


def test_a_payment_stripe_sends_back_failed_is_said_so_and_not_awaited(shop_a, tee_xl):
    answer = buy(shopper(), {"items": [{"variant_id": tee_xl.id}], "email": "ada@example.com"})
    order, secret = answer.json()["order"], answer.json()["payment"]["client_secret"]
    paid_url = f"/orders/{order['id']}/paid/"

    failed = shopper().get(
        paid_url, {"payment_intent_client_secret": secret, "redirect_status": "failed"}
    )
    settling = shopper().get(
        paid_url, {"payment_intent_client_secret": secret, "redirect_status": "succeeded"}
    )

    assert failed["Location"].endswith("/confirmation/?payment=failed")
    html = shopper().get(failed["Location"]).content.decode()
    assert "Your payment did not go through" in html
    assert f"Nothing was charged for order {order['number']}." in html
    assert 'http-equiv="refresh"' not in html
    # while Stripe's word has not reached the shop, the page looks again by itself
    html = shopper().get(settling["Location"]).content.decode()
    assert "Confirming your payment…" in html
    assert '<meta http-equiv="refresh" content="3">' in html


def test_in_the_embed_the_confirmation_may_be_framed_by_the_allowed_origins_only(shop_a, paid_xl):
    with tenant_context(shop_a):
        storefront_services.embed_origins_set(origins=["https://blog.example"])
    confirmation, order_page = paths(shop_a, paid_xl)

    response = shopper().get(f"{confirmation}?embed=1")

    html = response.content.decode()
    assert response["Content-Security-Policy"] == "frame-ancestors https://blog.example"
    assert not response.has_header("X-Frame-Options")
    assert "is paid; a confirmation is on its way" in html
    # the order page opens in a tab of its own, and is never framed
    assert f'href="{order_page}" data-order-page-link target="_blank" rel="noopener"' in html
    assert shopper().get(f"{order_page}?embed=1")["X-Frame-Options"] == "DENY"


def test_a_changed_link_or_another_shops_link_shows_no_order(shop_a, shop_b, paid_xl, settings):
    confirmation, order_page = paths(shop_a, paid_xl)
    with tenant_context(shop_b):
        shop_sells("beta")
        # beta even has an order with the same public id: alpha's link still opens nothing
        twin = buy(
            shopper("beta"),
            {"items": [{"variant_id": make_variant(sku="B").id}], "email": "other@example.com"},
        ).json()
        Order.objects.filter(public_id=twin["order"]["id"]).update(public_id=paid_xl.public_id)
    token = order_page.split("/")[2]
    tampered = order_page.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))
    forged = order_page.replace(token.split(":")[0], "0" * 32)

    for client, path in [
        (shopper("beta"), order_page),
        (shopper("beta"), confirmation),
        (shopper(), tampered),
        (shopper(), forged),
        (shopper(), "/orders/nonsense/"),
    ]:
        response = client.get(path)
        html = response.content.decode()
        assert response.status_code == 404, path
        assert '<h1 id="order-title">We cannot find this order</h1>' in html
        assert "Open the link from your order email once more" in html
        assert paid_xl.number not in html and "shopper@example.com" not in html
        assert "other@example.com" not in html
        assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_the_order_page_follows_the_order_from_paid_to_shipped_with_tracking(
    shop_a, paid_xl, django_capture_on_commit_callbacks
):
    _, order_page = paths(shop_a, paid_xl)
    assert "data-order-status>Paid</strong>" in shopper().get(order_page).content.decode()
    mail.outbox.clear()

    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        order_fulfil(order=paid_xl, carrier="DHL", tracking_number="JD014600006281230704")

    html = shopper().get(order_page).content.decode()
    assert "data-order-status>Shipped</strong>" in html
    assert "Your order is on its way." in html
    assert [
        re.sub(r"\s+", " ", title)
        for title in re.findall(r'<strong class="order-event">(.*?)</strong>', html)
    ] == ["Order placed", "Paid", "Shipped"]
    assert "With DHL." in html
    assert "data-tracking-number>JD014600006281230704</span>" in html
    dhl = "https://www.dhl.com/global-en/home/tracking.html?tracking-id=JD014600006281230704"
    assert f'href="{dhl}" target="_blank" rel="noopener noreferrer"' in html
    # the shipping email says the same, with the order page link
    (email,) = mail.outbox
    assert "Carrier: DHL\nTracking number: JD014600006281230704\n" in email.body
    assert f"Track your parcel: {dhl}" in email.body
    assert f"http://alpha.localhost{order_page}" in email.body
    html_part = email.alternatives[0][0]
    assert dhl in html_part and f"http://alpha.localhost{order_page}" in html_part


def test_a_refund_and_a_cancellation_are_said_in_words(
    shop_a, paid_xl, selling_a, django_capture_on_commit_callbacks
):
    _, order_page = paths(shop_a, paid_xl)
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        order_refund(order=paid_xl, amount=Decimal("26.00"))

    html = shopper().get(order_page).content.decode()
    assert "data-order-status>Partly refunded</strong>" in html
    assert "€26.00 of your payment was refunded." in html
    assert '<strong class="order-event">Refund sent</strong>' in html
    assert re.search(rf"Refunded</th>\s*<td class=\"num\">{MINUS}€26.00</td>", html)
    assert mail.outbox[-1].subject == f"Your order {paid_xl.number} was refunded"
    assert f"http://alpha.localhost{order_page}" in mail.outbox[-1].body

    # an order that was never paid: cancelled, nothing charged
    answer = buy(shopper(), {"items": [{"variant_id": selling_a.id}], "email": "a@example.com"})
    with tenant_context(shop_a):
        unpaid = Order.objects.get(public_id=answer.json()["order"]["id"])
        order_cancel(order=unpaid)
    _, unpaid_page = paths(shop_a, unpaid)
    html = shopper().get(unpaid_page).content.decode()
    assert "data-order-status>Cancelled</strong>" in html
    assert "This order was cancelled; you were not charged." in html


@pytest.mark.parametrize(
    ("carrier", "number", "url"),
    [
        ("UPS", "1Z999AA10123456784", "https://www.ups.com/track?tracknum=1Z999AA10123456784"),
        (
            "La Poste",
            "LP 123/45",
            "https://www.laposte.fr/outils/suivre-vos-envois?code=LP%20123%2F45",
        ),
        (
            "Royal Mail",
            "AB123",
            "https://www.royalmail.com/track-your-item#/tracking-results/AB123",
        ),
        ("Bob's Vans", "42", ""),  # not a carrier we know: the number alone
        ("Bob's Vans", "https://bobs.example/t/42", "https://bobs.example/t/42"),
        ("DHL", "", ""),
    ],
)
def test_tracking_links_for_the_carriers_merchants_name(carrier, number, url):
    assert tracking_url(carrier=carrier, tracking_number=number) == url
