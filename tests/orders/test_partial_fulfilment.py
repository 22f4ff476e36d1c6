"""Partial fulfilment and refunds by line: parcels of chosen quantities (a Fulfilment
with its lines), the order partially fulfilled until nothing is left to ship, the
shipped email and the shopper's page listing each parcel, review requests for what
shipped; refunds recording their lines; more than is left refused with a message and
nothing written; shop B never acting on shop A's order (admin and API)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django_tenants.utils import tenant_context

from catalog.models import Variant
from orders.links import order_page_path
from orders.models import (
    Fulfilment,
    FulfilmentLine,
    Order,
    OrderActivity,
    OrderEmail,
    OrderLine,
    Refund,
    RefundLine,
)
from orders.services import OrderActionError, order_fulfil, order_refund
from reviews.models import ReviewRequest
from tests.conftest import owner_client
from tests.orders.conftest import paid_order

TIMES = "\N{MULTIPLICATION SIGN}"


def line_of(order: Order, sku: str) -> OrderLine:
    return order.lines.get(sku=sku)


def written(order: Order) -> tuple:
    """What the fulfil and refund services write for ``order``, to compare before and
    after a refused action."""
    return (
        Order.objects.filter(id=order.id).values_list("status", "refunded_minor").get(),
        list(
            OrderLine.objects.filter(order=order)
            .order_by("id")
            .values_list("fulfilled_quantity", "refunded_quantity", "restocked_quantity")
        ),
        Fulfilment.objects.filter(order=order).count(),
        Refund.objects.filter(order=order).count(),
        OrderActivity.objects.filter(order=order).count(),
        OrderEmail.objects.filter(order=order).count(),
        ReviewRequest.objects.filter(order_line__order=order).count(),
        list(Variant.objects.order_by("id").values_list("stock", flat=True)),
    )


def test_two_parcels_fulfil_the_order_each_emailed_with_what_it_holds(
    shop_a, selling_a, shirt, localstripe, settings, django_capture_on_commit_callbacks
):
    # given: a paid order of 3 totes and 2 shirts
    settings.REVIEWS_REQUEST_DELAY_SECONDS = 3600
    order = paid_order(shop_a, "alpha", [(selling_a, 3), (shirt, 2)], localstripe)
    mail.outbox.clear()
    with tenant_context(shop_a):
        tote, shirt_line = line_of(order, "TOTE"), line_of(order, "SHIRT-M")

        # when: 2 totes ship with DHL
        with django_capture_on_commit_callbacks(execute=True):
            first = order_fulfil(
                order=order, carrier="DHL", tracking_number="JD0146", lines={tote.id: 2}
            )

        # then: partially fulfilled, the parcel recorded, reviews asked about totes only
        order.refresh_from_db()
        assert order.status == "partially_fulfilled"
        assert list(first.lines.values_list("order_line__sku", "quantity")) == [("TOTE", 2)]
        assert list(
            ReviewRequest.objects.filter(order_line__order=order).values_list(
                "order_line__sku", flat=True
            )
        ) == ["TOTE"]
        assert (
            OrderActivity.objects.filter(kind="fulfilled")
            .get()
            .message.startswith(
                f"Shipped in part: 2 {TIMES} TOTE, with DHL, tracking number JD0146."
            )
        )

        # when: the rest ships (nothing chosen: all that is left)
        with django_capture_on_commit_callbacks(execute=True):
            second = order_fulfil(order=order, carrier="La Poste", tracking_number="LP99")

        # then: fulfilled; the second parcel holds what was left
        order.refresh_from_db()
        assert order.status == "fulfilled"
        assert sorted(second.lines.values_list("order_line__sku", "quantity")) == [
            ("SHIRT-M", 2),
            ("TOTE", 1),
        ]
        assert list(
            OrderLine.objects.filter(order=order)
            .order_by("sku")
            .values_list("sku", "fulfilled_quantity")
        ) == [("SHIRT-M", 2), ("TOTE", 3)]
        assert ReviewRequest.objects.filter(order_line__order=order).count() == 2
        assert not shirt_line.fulfilment_lines.filter(fulfilment=first).exists()

        # and nothing is left to ship
        with pytest.raises(OrderActionError, match="cannot become fulfilled"):
            order_fulfil(order=order)

    # each email says what its parcel holds, with the carrier's tracking link
    partial, complete = mail.outbox
    assert partial.subject == complete.subject == f"Your order {order.number} is on its way"
    assert "Part of your order" in partial.body and "the rest follows" in partial.body
    assert f"In this parcel:\n2 {TIMES} Canvas Tote\n" in partial.body
    assert "Linen Shirt" not in partial.body.split("In this parcel:")[1].split("Follow")[0]
    assert "https://www.dhl.com/global-en/home/tracking.html?tracking-id=JD0146" in partial.body
    assert f"1 {TIMES} Canvas Tote" in complete.body
    assert f"2 {TIMES} Linen Shirt (Blue / M)" in complete.body
    assert "https://www.laposte.fr/outils/suivre-vos-envois?code=LP99" in complete.body
    html = partial.alternatives[0][0]
    assert "In this parcel" in html and "tracking-id=JD0146" in html

    # the shopper's order page shows each parcel
    with tenant_context(shop_a):
        page = Client(HTTP_HOST="alpha.localhost").get(order_page_path(order=order))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Parcel 1 shipped" in text and "Parcel 2 shipped" in text
    assert text.count("data-parcel-items") == 2
    assert "tracking-id=JD0146" in text and "code=LP99" in text


def test_more_than_is_left_to_ship_is_refused_and_nothing_is_written(
    shop_a, selling_a, shirt, localstripe
):
    order = paid_order(shop_a, "alpha", [(selling_a, 2), (shirt, 1)], localstripe)
    with tenant_context(shop_a):
        tote, shirt_line = line_of(order, "TOTE"), line_of(order, "SHIRT-M")
        order_fulfil(order=order, lines={tote.id: 1})
        before = written(order)

        # a line with too many, beside a good one: all refused
        with pytest.raises(OrderActionError) as error:
            order_fulfil(order=order, lines={shirt_line.id: 1, tote.id: 2})
        assert str(error.value) == (
            "Only 1 of TOTE (Canvas Tote) can still be shipped; 2 asked. Nothing was done."
        )
        assert error.value.code == "invalid_quantity"
        for bad, message in (
            ({tote.id: -1}, "Give a whole number of TOTE to be shipped, 0 or more."),
            ({999999: 1}, f"Order {order.number} has no line 999999."),
        ):
            with pytest.raises(OrderActionError, match=message):
                order_fulfil(order=order, lines=bad)
        assert written(order) == before


def test_refund_by_line_is_recorded_and_never_beyond_what_was_bought(
    shop_a, selling_a, shirt, localstripe, django_capture_on_commit_callbacks
):
    order = paid_order(shop_a, "alpha", [(selling_a, 2), (shirt, 1)], localstripe)
    with tenant_context(shop_a):
        tote, shirt_line = line_of(order, "TOTE"), line_of(order, "SHIRT-M")
        order_fulfil(order=order, lines={shirt_line.id: 1})  # the shirt shipped

        # when: one tote (not shipped) is refunded by line: its price, back in stock
        with django_capture_on_commit_callbacks(execute=True):
            refund = order_refund(order=order, lines={tote.id: 1})

        # then: recorded with its line, the tote back in stock
        assert (refund.amount_minor, refund.stripe_refund_id.startswith("re_")) == (2400, True)
        assert list(
            refund.lines.values_list("order_line__sku", "quantity", "restocked_quantity")
        ) == [("TOTE", 1, 1)]
        tote.refresh_from_db()
        assert (tote.refunded_quantity, tote.restocked_quantity) == (1, 1)
        assert Variant.objects.get(id=selling_a.id).stock == 9  # 10 - 2 sold + 1 back
        order.refresh_from_db()
        assert (order.status, order.refunded_minor) == ("partially_refunded", 2400)
        assert OrderActivity.objects.filter(order=order, kind="refunded").get().message == (
            f"€24.00 through Stripe for 1 {TIMES} TOTE; back in stock: 1 {TIMES} TOTE."
        )
        before = written(order)

        # when: more totes than are left to refund
        with pytest.raises(OrderActionError) as error:
            order_refund(order=order, lines={tote.id: 2})

        # then: refused, saying why; nothing written, nothing sent to Stripe
        assert str(error.value) == (
            "Only 1 of TOTE (Canvas Tote) can still be refunded; 2 asked. Nothing was done."
        )
        assert written(order) == before

        # the tote left (refunded) is not to ship: shipping the rest completes the order
        order_fulfil(order=order)
        order.refresh_from_db()
        tote.refresh_from_db()
        assert (order.status, tote.fulfilled_quantity) == ("fulfilled", 1)

        # a full refund of what is left refunds every item not refunded yet
        order_refund(order=order)
        assert list(
            RefundLine.objects.filter(refund__order=order, refund__amount_minor=4600)
            .order_by("order_line__sku")
            .values_list("order_line__sku", "quantity", "restocked_quantity")
        ) == [("SHIRT-M", 1, 0), ("TOTE", 1, 0)]  # shipped: nothing back in stock
        assert list(order.lines.order_by("sku").values_list("refunded_quantity", flat=True)) == [
            1,
            2,
        ]


def test_the_order_page_costs_the_same_queries_for_one_parcel_and_refund_or_four(
    shop_a, selling_a, localstripe, django_assert_max_num_queries
):
    orders = [paid_order(shop_a, "alpha", [(selling_a, 4)], localstripe) for _ in range(2)]
    with tenant_context(shop_a):
        line = orders[0].lines.get()
        order_fulfil(order=orders[0], lines={line.id: 4})
        order_refund(order=orders[0], amount=Decimal(1))
        for _ in range(4):
            line = orders[1].lines.get()
            order_fulfil(order=orders[1], tracking_number="T", lines={line.id: 1})
            order_refund(order=orders[1], amount=Decimal(1))
    client = owner_client()
    client.get(f"/admin/orders/order/{orders[0].id}/change/")  # warm the session
    with django_assert_max_num_queries(40) as one:
        client.get(f"/admin/orders/order/{orders[0].id}/change/")
    with django_assert_max_num_queries(len(one.captured_queries)) as four:
        page = client.get(f"/admin/orders/order/{orders[1].id}/change/").content.decode()
    assert page.count("data-shipment") == 4 and page.count("data-refund") == 4
    assert len(four.captured_queries) == len(one.captured_queries)


def test_the_admin_ships_the_quantities_typed_and_says_what_is_wrong(
    shop_a, selling_a, shirt, localstripe, django_capture_on_commit_callbacks
):
    order = paid_order(shop_a, "alpha", [(selling_a, 2), (shirt, 1)], localstripe)
    with tenant_context(shop_a):
        tote, shirt_line = line_of(order, "TOTE"), line_of(order, "SHIRT-M")
    client = owner_client()
    url = f"/admin/orders/order/{order.id}/fulfil/"

    too_many = client.post(url, {f"ship_{tote.id}": "3"}, follow=True).content.decode()
    not_a_number = client.post(url, {f"ship_{tote.id}": "two"}, follow=True).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            url,
            {f"ship_{tote.id}": "1", f"ship_{shirt_line.id}": "0", "carrier": "UPS"},
            follow=True,
        ).content.decode()

    assert "Only 2 of TOTE (Canvas Tote) can still be shipped; 3 asked." in too_many
    assert "“two” is not a number of items to ship." in not_a_number
    assert f"Order {order.number} is partially fulfilled" in done
    assert "data-order-status>Partially fulfilled<" in done
    assert "SKU TOTE · 1 shipped" in done
    assert f"1 {TIMES} Canvas Tote" in done and "Shipped with UPS." in done  # Shipments
    assert f'name="ship_{tote.id}"' in done and 'value="1"' in done  # one tote left to ship
    with tenant_context(shop_a):
        assert Fulfilment.objects.filter(order=order).count() == 1
        assert FulfilmentLine.objects.get().quantity == 1
