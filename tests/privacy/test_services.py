"""Shoppers' data rights, the services: the export holds everything the shop holds about an
email (and nothing about anyone else), in a fixed number of queries; the erasure takes
the person out everywhere in one transaction (totals, taxes and vote counts unchanged,
photo files gone after the commit), all or nothing, and a second run finds nothing."""

from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order, OrderActivity
from orders.services.privacy import ANONYMISED_EMAIL
from reviews.models import PollNotification, PollOption, PollVote, Review, ReviewPhoto
from reviews.services import poll_vote, review_vote
from reviews.services.reviews import review_submit
from reviews.shoppers import shopper_token_new
from shops.consent.services import marketing_allowed
from shops.privacy.models import DataRequest
from shops.privacy.services import (
    SHOPPER,
    data_erase,
    data_export,
    data_export_json,
    data_export_zip,
    data_request_erase,
    data_summary,
)
from tests.consent.helpers import consent_confirmed
from tests.factories import OrderFactory, ProductFactory, ReviewFactory, a_shopper
from tests.privacy.helpers import ADDRESS, EMAIL, NAME, shopper_footprint
from tests.reviews.test_polls import make_poll


@pytest.fixture
def footprint(shop_a, media):
    connection.set_tenant(shop_a)
    return shopper_footprint()


def test_the_export_holds_everything_the_shop_holds_about_the_email(footprint):
    # given: someone else's order in the same shop
    OrderFactory(email="someone.else@example.com", shipping_address={"name": "Bob Other"})

    # when
    export = data_export(" Ann.Shopper@Example.com ")

    # then
    assert export["shop"] == "Alpha Goods"
    assert export["email"] == EMAIL
    [order] = export["orders"]
    assert order["number"] == footprint.order.number
    assert order["shipping_address"] == ADDRESS
    assert (order["subtotal"], order["shipping"], order["tax"], order["total"]) == (
        "60.00",
        "4.90",
        "10.98",
        "64.90",
    )
    assert order["refunded"] == "4.90"
    assert [(line["title"], line["quantity"], line["line_total"]) for line in order["lines"]] == [
        ("Linen Shirt", 2, "60.00")
    ]
    assert [(p["carrier"], p["tracking_number"]) for p in order["fulfilments"]] == [
        ("Colissimo", "6A123")
    ]
    assert [refund["amount_minor"] for refund in order["refunds"]] == [490]
    assert [checkout["number"] for checkout in export["checkouts"]] == [footprint.checkout.number]
    [review] = export["reviews"]
    assert (review["author"], review["body"], review["rating"]) == (
        NAME,
        "Soft linen, true to size.",
        4,
    )
    photo = footprint.review.photos.get()
    assert [url.rsplit("/", 1)[1] for url in review["photos"]] == [
        photo.image.name.rsplit("/", 1)[1]
    ]
    assert [(v["poll"], v["answer"]) for v in export["poll_votes"]] == [
        ("Which colour next?", "Sage")
    ]
    assert [n["option"] for n in export["poll_notifications"]] == ["Sage"]
    assert export["marketing_consents"] == []
    assert export["analytics_events"] == []
    assert "without any personal identifier" in export["notes"]["analytics_events"]
    assert "Bob Other" not in json.dumps(export)
    assert json.loads(data_export_json(export)) == export


def test_the_csv_export_is_a_zip_of_one_file_per_kind(footprint):
    archive = zipfile.ZipFile(io.BytesIO(data_export_zip(data_export(EMAIL))))

    names = set(archive.namelist())
    assert {"README.txt", "orders.csv", "orders_lines.csv", "reviews.csv", "poll_votes.csv"} <= (
        names
    )
    orders = archive.read("orders.csv").decode()
    assert "shipping_address_name" in orders.splitlines()[0]
    assert NAME in orders and "64.90" in orders
    lines = archive.read("orders_lines.csv").decode().splitlines()
    assert lines[1].startswith(f"{footprint.order.number},Linen Shirt,")
    assert "without any personal identifier" in archive.read("README.txt").decode()


def test_the_csv_export_neutralises_formulas(shop_a):
    connection.set_tenant(shop_a)
    OrderFactory(email=EMAIL, shipping_address={"name": '=HYPERLINK("http://evil.test")'})

    archive = zipfile.ZipFile(io.BytesIO(data_export_zip(data_export(EMAIL))))

    assert "'=HYPERLINK" in archive.read("orders.csv").decode()


def test_erasure_takes_the_person_out_and_keeps_amounts_and_vote_counts(
    footprint, django_capture_on_commit_callbacks
):
    # given
    order = footprint.order
    photo = ReviewPhoto.objects.get(review=footprint.review)
    assert default_storage.exists(photo.image.name)
    votes_before = list(PollOption.objects.order_by("id").values_list("vote_count", flat=True))
    assert sum(votes_before) == 1

    # when
    with django_capture_on_commit_callbacks(execute=True):
        done = data_erase(EMAIL, reviews="remove")

    # then: the order stays, with the person taken out and the amounts as they were
    assert done == {
        "orders_anonymised": 1,
        "checkouts_deleted": 1,
        "reviews_removed": 1,
        "photos_deleted": 1,
        "votes_untied": 1,
        "poll_notifications_deleted": 1,
        "consents_deleted": 0,
    }
    order.refresh_from_db()
    assert order.email == ANONYMISED_EMAIL
    assert order.shipping_address == {"country": "FR"}
    assert (order.subtotal, order.shipping_amount, order.tax_amount, order.total) == (
        Decimal("60.00"),
        Decimal("4.90"),
        Decimal("10.98"),
        Decimal("64.90"),
    )
    assert order.refunded_minor == 490
    assert [line.line_total for line in order.lines.all()] == [Decimal("60.00")]
    assert order.fulfilments.count() == 1 and order.refunds.count() == 1
    assert list(OrderActivity.objects.filter(order=order).values_list("message", flat=True)) == [
        "To (anonymised): “Order confirmed”."
    ]
    assert not Order.objects.filter(pk=footprint.checkout.pk).exists()
    assert not Review.objects.filter(pk=footprint.review.pk).exists()
    assert not default_storage.exists(photo.image.name)
    assert list(PollOption.objects.order_by("id").values_list("vote_count", flat=True)) == (
        votes_before
    )
    assert PollVote.objects.get(pk=footprint.vote.pk).email_hash == ""
    assert not PollNotification.objects.exists()
    assert not any(data_summary(EMAIL).values())
    assert EMAIL not in json.dumps(data_export(EMAIL)).replace(f'"email": "{EMAIL}"', "")


def test_erasure_can_keep_reviews_anonymous(footprint, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        done = data_erase(EMAIL, reviews="anonymise")

    review = Review.objects.get(pk=footprint.review.pk)
    assert done["reviews_anonymised"] == 1
    assert (review.display_name, review.email, review.author_token, review.ip_hash) == (
        "A shopper",
        "",
        "",
        "",
    )
    assert (review.body, review.rating, review.status) == (
        "Soft linen, true to size.",
        4,
        footprint.review.status,
    )
    assert not review.photos.exists() and review.photo_count == 0


def test_erasure_is_all_or_nothing_and_a_failure_is_logged(footprint):
    # when: the reviews step refuses (after orders were anonymised in the transaction)
    with pytest.raises(ValueError, match="remove"):
        data_request_erase(email=EMAIL, requester=SHOPPER, reviews="shred")

    # then: nothing changed, and the failed request is in the log
    footprint.order.refresh_from_db()
    assert footprint.order.email == EMAIL
    assert footprint.order.shipping_address == ADDRESS
    assert Order.objects.filter(pk=footprint.checkout.pk).exists()
    [logged] = DataRequest.objects.all()
    assert (logged.kind, logged.status) == ("erasure", "failed")


def test_erasure_twice_finds_nothing_left_and_both_are_logged(footprint):
    data_request_erase(email=EMAIL, requester=SHOPPER)
    again = data_request_erase(email=EMAIL, requester=SHOPPER)

    assert again == {
        "orders_anonymised": 0,
        "checkouts_deleted": 0,
        "reviews_removed": 0,
        "photos_deleted": 0,
        "votes_untied": 0,
        "poll_notifications_deleted": 0,
        "consents_deleted": 0,
    }
    logged = DataRequest.objects.order_by("id")
    assert [(r.kind, r.requested_by, r.status) for r in logged] == [
        ("erasure", "shopper", "completed")
    ] * 2
    assert logged[0].email_hint == "a…@example.com"
    assert EMAIL not in str(list(logged.values()))


def test_a_held_checkout_is_anonymised_not_deleted(shop_a):
    """Its payment may still complete: the row stays for the reservation to end."""
    connection.set_tenant(shop_a)
    held = OrderFactory(email=EMAIL, pending=True, paid_at=None, shipping_address=ADDRESS)

    data_erase(EMAIL)

    held.refresh_from_db()
    assert (held.email, held.shipping_address, held.stock_status) == (
        ANONYMISED_EMAIL,
        {"country": "FR"},
        Order.Stock.HELD,
    )


def _export_queries(count: int) -> int:
    for _ in range(count):
        OrderFactory(email=EMAIL, shipping_address=ADDRESS)
    with CaptureQueriesContext(connection) as queries:
        export = data_export(EMAIL)
    assert len(export["orders"]) >= count
    return len(queries)


def test_the_export_takes_the_same_queries_for_3_or_30_orders(shop_a):
    connection.set_tenant(shop_a)
    shopper_footprint()  # reviews, votes and notifications too

    with_3 = _export_queries(2)  # the footprint's order and 2 more
    with_30 = _export_queries(27)

    assert with_3 == with_30 <= 12


def test_votes_cast_from_the_browser_the_review_was_written_with_are_the_emails(
    shop_a, media, django_capture_on_commit_callbacks
):
    # given: a shopper with a token writes a review, votes another review helpful and
    # answers a poll (no email asked) from the same browser; a stranger votes too
    connection.set_tenant(shop_a)
    token = shopper_token_new()
    product = ProductFactory(title="Linen Shirt")
    other = ReviewFactory(product=product, display_name="Bob", ip="192.0.2.77")
    review_submit(
        product=product,
        rating=5,
        title="",
        body="Lovely.",
        display_name=NAME,
        email=EMAIL,
        shopper=a_shopper("198.51.100.30", token=token),
    )
    review_vote(
        review_id=other.pk, shopper=a_shopper("198.51.100.30", token=token), is_helpful=True
    )
    poll = make_poll()
    sage, rust = poll.options.order_by("position")
    poll_vote(poll_id=poll.pk, option_id=sage.pk, shopper=a_shopper("198.51.100.30", token=token))
    poll_vote(poll_id=poll.pk, option_id=rust.pk, shopper=a_shopper("203.0.113.99"))

    # when
    export = data_export(EMAIL)

    # then: the shopper's two votes, not the stranger's
    assert [(v["review_by"], v["is_helpful"]) for v in export["helpful_votes"]] == [("Bob", True)]
    assert [v["answer"] for v in export["poll_votes"]] == ["Sage"]
    assert data_summary(EMAIL)["helpful_votes"] == 1

    # when: erased (review kept anonymous): the votes still count, tied to no email
    with django_capture_on_commit_callbacks(execute=True):
        done = data_erase(EMAIL, reviews="anonymise")
    assert done["votes_untied"] == 2
    after = data_export(EMAIL)
    assert after["helpful_votes"] == after["poll_votes"] == []
    other.refresh_from_db()
    assert other.helpful_up == 1
    assert list(poll.options.order_by("position").values_list("vote_count", flat=True)) == [1, 1]


def test_consents_are_exported_and_erased_and_the_address_gets_no_more_marketing(shop_a):
    # given: a shopper who confirmed marketing emails, in a shop that needs opt-in (EUR)
    connection.set_tenant(shop_a)
    consent_confirmed(EMAIL)
    assert marketing_allowed(EMAIL, kind="review_request")

    # when
    export = data_export(EMAIL)
    done = data_erase(EMAIL)

    # then: the export held the consent with its words; erasure deleted it, and the
    # address is never sent marketing again (a keyed hash of it is kept, not the address)
    [consent] = export["marketing_consents"]
    assert (consent["email"], consent["status"]) == (EMAIL, "confirmed")
    assert consent["wording"]
    assert done["consents_deleted"] == 1
    assert data_export(EMAIL)["marketing_consents"] == []
    assert not marketing_allowed(EMAIL, kind="review_request", currency="USD")
