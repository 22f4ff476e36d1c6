"""A shopper's footprint in one shop, for the privacy tests: a paid order with an address,
a parcel, a refund and a timeline entry naming the email; an ended unpaid checkout; a
review with a photo; a confirmed-by-email poll vote and a launch notification."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.test import Client

from orders.models import Fulfilment, Order, OrderActivity, Refund
from reviews.models import Poll, PollNotification, PollVote, Review
from reviews.services import poll_vote, poll_vote_confirm
from reviews.services.polls import poll_confirm_token
from reviews.services.reviews import review_submit
from tests.factories import OrderFactory, ProductFactory, a_shopper, picture
from tests.reviews.test_polls import make_poll

EMAIL = "ann.shopper@example.com"
NAME = "Ann Shopper"
ADDRESS = {
    "name": NAME,
    "line1": "12 Rue des Lilas",
    "city": "Lyon",
    "postal_code": "69001",
    "country": "FR",
    "phone": "+33 6 12 34 56 78",
}


@dataclass
class Footprint:
    order: Order
    checkout: Order
    review: Review
    poll: Poll
    vote: PollVote


def shopper_footprint(email: str = EMAIL, *, ip: str = "198.51.100.20") -> Footprint:
    """Everything a shopper leaves in the active shop (see the module's docstring)."""
    product = ProductFactory(title="Linen Shirt", price=Decimal("30.00"), stock=10)
    variant = product.variants.get()
    order = OrderFactory(
        email=email,
        lines=[(variant, 2)],
        shipping_address=ADDRESS,
        shipping_amount=Decimal("4.90"),
        tax_amount=Decimal("10.98"),
        tax_name="VAT",
        subtotal=Decimal("60.00"),
        total=Decimal("64.90"),
    )
    Fulfilment.objects.create(order=order, carrier="Colissimo", tracking_number="6A123")
    Refund.objects.create(order=order, amount_minor=490)
    Order.objects.filter(pk=order.pk).update(refunded_minor=490)
    OrderActivity.objects.create(
        order=order, kind=OrderActivity.Kind.EMAIL, message=f"To {email}: “Order confirmed”."
    )
    checkout = OrderFactory(
        email=email.upper(),
        lines=[(variant, 1)],
        status=Order.Status.CANCELLED,
        stock_status=Order.Stock.RELEASED,
        paid_at=None,
        shipping_address=ADDRESS,
    )
    review = review_submit(
        product=product,
        rating=4,
        title="Soft",
        body="Soft linen, true to size.",
        display_name=NAME,
        email=email,
        photos=[picture()],
        shopper=a_shopper(ip),
    )
    poll = make_poll()
    Poll.objects.filter(pk=poll.pk).update(confirm_by_email=True)
    option = poll.options.first()
    vote = poll_vote(poll_id=poll.pk, option_id=option.pk, shopper=a_shopper(ip), email=email)
    poll_vote_confirm(poll_confirm_token(vote=vote))
    PollNotification.objects.create(option=option, email=email)
    vote.refresh_from_db()
    return Footprint(order=order, checkout=checkout, review=review, poll=poll, vote=vote)


def shopper_client(slug: str = "alpha", ip: str = "203.0.113.9") -> Client:
    return Client(HTTP_HOST=f"{slug}.localhost", REMOTE_ADDR=ip)
