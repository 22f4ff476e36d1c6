"""Verified buyers: fulfilment records one request per order line, the beat task emails
a signed link, and that link (this shop's, unexpired) is the only way to the badge."""

import re
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from orders.services.merchant import order_fulfil
from reviews.models import Review, ReviewRequest
from reviews.services import review_link_token
from reviews.tasks import review_requests_send_due
from tests.consent.helpers import consent_confirmed
from tests.reviews.helpers import make_product, paid_order, shopper_client

LINK = re.compile(r"http://alpha\.localhost(/reviews/write/[^/\s]+/)")


def review_data(**fields):
    return {
        "rating": "5",
        "title": "Love it",
        "body": "Fits great",
        "display_name": "Buyer",
        **fields,
    }


def fulfilled_order(product, **kwargs):
    order = paid_order(product, **kwargs)
    order_fulfil(order=order, tracking_number="TRACK1")
    return order


def make_due():
    ReviewRequest.objects.update(due_at=timezone.now() - timedelta(seconds=1))


def test_fulfilment_asks_once_per_line_after_the_delay(shop_a, settings):
    connection.set_tenant(shop_a)
    settings.REVIEWS_REQUEST_DELAY_SECONDS = 3600
    product = make_product()
    consent_confirmed("buyer@example.test")  # a review request is marketing
    order = fulfilled_order(product)
    mail.outbox.clear()

    assert review_requests_send_due.delay().get() == 0  # not due yet
    make_due()
    sent = review_requests_send_due.delay().get()
    again = review_requests_send_due.delay().get()

    assert (sent, again) == (1, 0)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [order.email]
    assert message.subject == "How do you like your order from Alpha Goods?"
    assert len(LINK.findall(message.body)) == 1
    assert ReviewRequest.objects.get().sent_at is not None


def test_the_link_gives_a_verified_review_and_only_one(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()
    consent_confirmed("buyer@example.test")
    fulfilled_order(product)
    make_due()
    mail.outbox.clear()
    review_requests_send_due.delay()
    path = LINK.findall(mail.outbox[0].body)[0]
    client = shopper_client()

    form = client.get(path)
    response = client.post(path, review_data())
    second = client.post(path, review_data(body="Again"))

    assert form.status_code == 200 and "Verified buyer" in form.content.decode()
    assert response.status_code == 200
    review = Review.objects.get()
    assert (review.is_verified, review.order_line.order.email) == (True, "buyer@example.test")
    assert review.email == "buyer@example.test"
    assert second.status_code == 409
    assert "already reviewed" in second.content.decode()
    Review.objects.update(status="approved")
    page = client.get(f"/products/{product.slug}/").content.decode()
    assert page.count("Verified buyer</span>") == 1


def test_no_other_path_sets_the_badge(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()
    client = shopper_client()

    client.post(
        f"/products/{product.slug}/reviews/",
        review_data(is_verified="on", order_line="1", verified="1"),
    )

    review = Review.objects.get()
    assert review.is_verified is False
    assert "is_verified" not in {
        f.name for f in Review._meta.get_fields() if getattr(f, "editable", False)
    }


def test_an_expired_link_is_refused(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()
    order = fulfilled_order(product)
    token = review_link_token(order_line=order.lines.get())

    with override_settings(REVIEWS_REQUEST_LINK_DAYS=0):
        response = shopper_client().get(f"/reviews/write/{token}/")
        posted = shopper_client().post(f"/reviews/write/{token}/", review_data())

    assert response.status_code == posted.status_code == 400
    assert "This review link has expired." in response.content.decode()
    assert Review.objects.count() == 0


def test_a_link_from_shop_a_is_useless_in_shop_b(shop_a, shop_b):
    connection.set_tenant(shop_a)
    order = fulfilled_order(make_product())
    token = review_link_token(order_line=order.lines.get())
    connection.set_tenant(shop_b)
    make_product()  # shop B has the same product slug and may well have a line with that id
    paid_order(make_product("Other", slug="other"))
    connection.set_schema_to_public()

    response = shopper_client("beta").post(f"/reviews/write/{token}/", review_data())

    assert response.status_code == 400
    assert "not valid in this shop" in response.content.decode()
    connection.set_tenant(shop_b)
    assert Review.objects.count() == 0


@pytest.mark.parametrize("token", ["garbage", "x" * 40, "__tampered__"])
def test_tampered_links_are_refused(shop_a, token):
    connection.set_tenant(shop_a)
    order = fulfilled_order(make_product())
    real = review_link_token(order_line=order.lines.get())
    if token == "__tampered__":
        payload = signing.loads(real, salt=f"reviews.request:{shop_a.schema_name}")
        token = signing.dumps({"line": payload["line"] + 1}, salt="reviews.request:other")

    response = shopper_client().get(f"/reviews/write/{token}/")

    assert response.status_code == 400


def test_the_beat_sends_due_requests_in_every_shop_and_the_link_works_once(shop_a, shop_b):
    from django.conf import settings

    from shops.tasks import for_each_shop

    connection.set_tenant(shop_a)
    consent_confirmed("a@example.test")
    fulfilled_order(make_product(), email="a@example.test")
    make_due()
    connection.set_tenant(shop_b)
    consent_confirmed("b@example.test")
    fulfilled_order(make_product(), email="b@example.test")
    make_due()
    connection.set_schema_to_public()
    mail.outbox.clear()

    schedule = settings.CELERY_BEAT_SCHEDULE["reviews-send-requests"]
    for_each_shop(*schedule["args"])

    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.test", "b@example.test"]
    beta_mail = next(m for m in mail.outbox if m.to == ["b@example.test"])
    (path,) = re.findall(r"http://beta\.localhost(/reviews/write/[^/\s]+/)", beta_mail.body)
    assert shopper_client("beta").post(path, review_data()).status_code == 200
    used = shopper_client("beta").get(path)
    assert used.status_code == 409 and "already reviewed" in used.content.decode()
    assert shopper_client("alpha").get(path).status_code == 400
