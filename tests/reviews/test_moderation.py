"""Moderation: automatic flags, the merchant's auto-approve rule, bulk decisions in the
admin recorded with who and when, and aggregates that always follow approved reviews."""

from django.db import connection

from reviews.models import Review, ReviewDecision, ReviewSettings
from reviews.selectors import product_rating
from reviews.services import (
    ReviewError,
    review_delete,
    review_edit,
    review_moderate,
    review_settings_get,
    review_submit,
)
from shops.accounts.models import User
from tests.reviews.helpers import a_shopper, approved_review, make_product
from tests.storefront.helpers import owner


def submit(product, *, body="Good shirt", ip="198.51.100.1", title=""):
    return review_submit(
        product=product, rating=5, title=title, body=body, display_name="Al", shopper=a_shopper(ip)
    )


def test_links_duplicates_and_bursts_are_flagged(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()

    linked = submit(product, body="Cheap at www.example.com", ip="198.51.100.1")
    titled = submit(product, title="see https://spam.test", body="Fine", ip="198.51.100.2")
    first = submit(product, body="Exactly the same text!", ip="203.0.113.1")
    copy = submit(product, body="exactly the SAME text", ip="192.0.2.1")
    burst = [submit(product, body=f"Review number {n}", ip="198.18.0.9") for n in range(4)]

    assert linked.flags == ["link"] and titled.flags == ["link"]
    assert first.flags == [] and copy.flags == ["duplicate"]
    assert [r.flags for r in burst] == [[], [], [], ["burst"]]
    # a different address in the same /24 network counts towards the same burst
    assert submit(product, body="From a neighbour", ip="198.18.0.77").flags == ["burst"]


def test_auto_approve_rules(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()
    assert submit(product, body="Never rule").status == "pending"

    ReviewSettings.objects.filter(key=1).update(auto_approve="verified_unflagged")
    review_settings_get()
    assert submit(product, body="Anonymous", ip="192.0.2.50").status == "pending"

    ReviewSettings.objects.filter(key=1).update(auto_approve="unflagged")
    clean = submit(product, body="Clean text", ip="192.0.2.51")
    flagged = submit(product, body="Go to www.spam.test", ip="192.0.2.52")
    assert (clean.status, flagged.status) == ("approved", "pending")
    decision = ReviewDecision.objects.get(review=clean)
    assert (decision.status, decision.is_automatic, decision.decided_by) == ("approved", True, None)


def test_bulk_approve_and_reject_in_the_admin_record_who_and_when(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()
    reviews = [submit(product, body=f"Text {n}", ip=f"192.0.2.{n}") for n in range(3)]
    client = owner()

    response = client.post(
        "/admin/reviews/review/",
        {"action": "approve", "_selected_action": [reviews[0].pk, reviews[1].pk]},
    )
    client.post("/admin/reviews/review/", {"action": "reject", "_selected_action": [reviews[2].pk]})

    assert response.status_code == 302
    statuses = dict(Review.objects.values_list("pk", "status"))
    assert [statuses[r.pk] for r in reviews] == ["approved", "approved", "rejected"]
    merchant = User.objects.get(email="owner@alpha.test")
    decisions = ReviewDecision.objects.order_by("id")
    assert [(d.review_id, d.status, d.decided_by_id) for d in decisions] == [
        (reviews[0].pk, "approved", merchant.pk),
        (reviews[1].pk, "approved", merchant.pk),
        (reviews[2].pk, "rejected", merchant.pk),
    ]
    assert all(d.decided_at is not None for d in decisions)
    assert client.get("/admin/reviews/review/?status__exact=pending").status_code == 200


def test_the_aggregate_follows_approve_reject_and_delete(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()
    five = approved_review(product, rating=5, body="Five")
    two = submit(product, body="Two")
    Review.objects.filter(pk=two.pk).update(rating=2)
    assert (
        product_rating(product_id=product.pk).count,
        product_rating(product_id=product.pk).average,
    ) == (1, 5.0)

    review_moderate(reviews=Review.objects.filter(pk=two.pk), status="approved")
    rating = product_rating(product_id=product.pk)
    assert (rating.count, rating.average, rating.distribution[2]) == (2, 3.5, 1)

    review_moderate(reviews=Review.objects.filter(pk=five.pk), status="rejected")
    rating = product_rating(product_id=product.pk)
    assert (rating.count, rating.average, rating.distribution[5]) == (1, 2.0, 0)

    review_delete(review=Review.objects.get(pk=two.pk))
    rating = product_rating(product_id=product.pk)
    assert (rating.count, rating.average) == (0, None)


def test_a_published_rating_is_final_and_edited_text_goes_back_to_moderation(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()
    review = approved_review(product, rating=4, body="First words")

    try:
        review_edit(review=review, title="", body="First words", rating=1)
    except ReviewError as error:
        assert str(error) == "The rating of an approved review cannot be changed."
    else:
        raise AssertionError("the rating changed")
    edited = review_edit(review=review, title="", body="Second words")

    assert (edited.rating, edited.status, edited.body) == (4, "pending", "Second words")
    assert ReviewDecision.objects.filter(review=review).latest("id").note == "Text edited"


def test_the_admin_shows_the_rating_of_an_approved_review_read_only(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()
    review = approved_review(product, rating=4, body="Nice")
    client = owner()

    page = client.get(f"/admin/reviews/review/{review.pk}/change/").content.decode()

    assert 'name="rating"' not in page
    assert 'name="is_verified"' not in page
    assert 'name="reply"' in page
    client.post(
        f"/admin/reviews/review/{review.pk}/change/",
        {
            "title": "",
            "body": "Nice",
            "reply": "Thanks <b>Ann</b>!",
            "rating": "1",
            "is_verified": "on",
            "decisions-TOTAL_FORMS": "0",
            "decisions-INITIAL_FORMS": "0",
        },
    )
    review.refresh_from_db()
    assert (review.rating, review.is_verified, review.reply) == (4, False, "Thanks <b>Ann</b>!")
    assert review.status == "approved"


def test_approving_and_rejecting_refresh_the_cached_shop_page(
    shop_a, django_capture_on_commit_callbacks
):
    from shops.storefront import services as storefront
    from tests.reviews.helpers import shopper_client

    connection.set_tenant(shop_a)
    product = make_product()
    storefront.section_add(section_type_key="reviews_wall")
    storefront.design_publish()
    review = submit(product, body="Shown on the wall")

    def page() -> str:
        connection.set_schema_to_public()
        html = shopper_client().get("/").content.decode()
        connection.set_tenant(shop_a)
        return html

    pending = page()
    with django_capture_on_commit_callbacks(execute=True):
        review_moderate(reviews=Review.objects.filter(pk=review.pk), status="approved")
    approved = page()
    with django_capture_on_commit_callbacks(execute=True):
        review_moderate(reviews=Review.objects.filter(pk=review.pk), status="rejected")
    rejected = page()

    assert "Shown on the wall" not in pending
    assert "Shown on the wall" in approved
    assert "Shown on the wall" not in rejected
