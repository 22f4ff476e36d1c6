"""Helpful votes: one per shopper, a changed vote replaces the old one, no vote on one's
own review, Wilson ordering, clear 4xx answers, rate limits, constant queries."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.models import Review, ReviewVote
from reviews.selectors import product_reviews_page, wilson_lower_bound
from reviews.services import review_submit, review_vote
from reviews.shoppers import shopper_token_new
from tests.conftest import clear_of_window_end
from tests.reviews.helpers import a_shopper, approved_review, make_product, shopper_client


def vote(client, review_id, helpful="1", token=None, **extra):
    """A helpful vote as reviews.js sends it: JSON to the API, the token in a header
    ("1" and "0" are sent as true and false, anything else as it is)."""
    headers = {"HTTP_X_SHOPPER_TOKEN": token} if token else {}
    body = {"helpful": {"1": True, "0": False}.get(helpful, helpful)}
    return client.post(
        f"/api/v1/reviews/{review_id}/vote/",
        body,
        content_type="application/json",
        **headers,
        **extra,
    )


def test_a_thousand_votes_from_one_shopper_count_once(shop_a):
    connection.set_tenant(shop_a)
    review = approved_review(make_product(), body="Great")
    shopper = a_shopper("203.0.113.50")

    for _ in range(1000):
        review_vote(review_id=review.pk, shopper=shopper, is_helpful=True)

    review.refresh_from_db()
    assert (review.helpful_up, review.helpful_down) == (1, 0)
    assert ReviewVote.objects.count() == 1


def test_a_changed_vote_replaces_the_old_one(shop_a):
    connection.set_tenant(shop_a)
    review = approved_review(make_product(), body="Great")
    client = shopper_client(ip="203.0.113.60")

    first = vote(client, review.pk, "1")
    token = first.json()["token"]
    second = vote(client, review.pk, "0", token=token)
    third = vote(client, review.pk, "0", token=token)

    assert first.json()["helpful"] == 1
    assert (second.json()["helpful"], second.json()["not_helpful"]) == (0, 1)
    assert (third.json()["helpful"], third.json()["not_helpful"]) == (0, 1)
    assert ReviewVote.objects.count() == 1


def test_different_shoppers_each_count(shop_a):
    connection.set_tenant(shop_a)
    review = approved_review(make_product(), body="Great")

    for n in range(3):
        vote(shopper_client(ip=f"198.51.100.{100 + n}"), review.pk, "1" if n else "0")

    review.refresh_from_db()
    assert (review.helpful_up, review.helpful_down) == (2, 1)
    assert review.helpful_score == pytest.approx(wilson_lower_bound(2, 1))


def test_no_vote_on_ones_own_review(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()
    token = shopper_token_new()
    author = a_shopper("192.0.2.200", token=token)
    review = review_submit(
        product=product, rating=5, title="", body="Mine", display_name="Me", shopper=author
    )
    Review.objects.filter(pk=review.pk).update(status="approved")

    same_token = vote(shopper_client(ip="203.0.113.99"), review.pk, token=token)
    same_address = vote(shopper_client(ip="192.0.2.200"), review.pk)

    assert same_token.status_code == same_address.status_code == 403
    assert same_token.json() == {
        "error": {
            "code": "own_review",
            "message": "You cannot vote on your own review.",
            "field": None,
        },
    }


def test_unknown_unapproved_and_tampered_votes_get_clear_4xx(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()
    pending = review_submit(
        product=product, rating=3, title="", body="Pending", display_name="P", shopper=a_shopper()
    )
    approved = approved_review(product, body="Approved")
    client = shopper_client()

    assert vote(client, 999999).status_code == 404
    assert vote(client, pending.pk).json() == {
        "error": {
            "code": "unknown_review",
            "field": None,
            "message": "There is no published review with this number.",
        },
    }
    tampered = vote(client, approved.pk, token=shopper_token_new()[:-2] + "xx")
    refusal = {
        "code": "invalid_shopper_token",
        "field": "X-Shopper-Token",
        "message": "This shopper token is not valid here.",
    }
    assert (tampered.status_code, tampered.json()) == (
        400,
        {"error": {**refusal, "errors": [refusal]}},
    )
    maybe = vote(client, approved.pk, helpful="maybe")
    assert (maybe.status_code, maybe.json()["error"]["field"]) == (400, "helpful")
    assert client.get(f"/reviews/{approved.pk}/vote/").status_code == 405
    assert client.get(f"/api/v1/reviews/{approved.pk}/vote/").status_code == 405
    assert ReviewVote.objects.count() == 0


def test_a_vote_without_javascript_redirects_back(shop_a):
    connection.set_tenant(shop_a)
    review = approved_review(make_product(), body="Great")

    response = shopper_client().post(
        f"/reviews/{review.pk}/vote/", {"helpful": "1", "next": "/products/linen-shirt/#r"}
    )
    evil = shopper_client(ip="192.0.2.77").post(
        f"/reviews/{review.pk}/vote/", {"helpful": "1", "next": "//evil.test/"}
    )

    assert (response.status_code, response["Location"]) == (303, "/products/linen-shirt/#r")
    assert evil["Location"] == "/"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.test/",
        "/\\evil.test/",
        "/\\/evil.test/",
        "/\t/evil.test/",
        "/\n/evil.test/",
        "/%09/evil.test/\x00",
        "https://evil.test/",
        "http:/evil.test/",
        "/\x7f/evil.test/",
        "javascript:alert(1)",
    ],
)
def test_a_vote_never_redirects_to_another_host(shop_a, target):
    connection.set_tenant(shop_a)
    review = approved_review(make_product(), body="Great")

    response = shopper_client().post(
        f"/reviews/{review.pk}/vote/", {"helpful": "1", "next": target}
    )

    assert (response.status_code, response["Location"]) == (303, "/")


def test_votes_are_rate_limited_per_shopper_and_per_network(shop_a, settings):
    connection.set_tenant(shop_a)
    settings.REVIEWS_RATE_LIMITS = {
        **settings.REVIEWS_RATE_LIMITS,
        "vote": {"shopper": "3/m", "network": "5/m"},
    }
    clear_of_window_end(60)  # the limit counts per minute: all requests in one
    review = approved_review(make_product(), body="Great")
    client = shopper_client(ip="198.51.100.30")

    answers = [vote(client, review.pk).status_code for _ in range(4)]
    neighbours = [
        vote(shopper_client(ip=f"198.51.100.{40 + n}"), review.pk).status_code for n in range(3)
    ]
    elsewhere = vote(shopper_client(ip="203.0.113.30"), review.pk)

    assert answers == [200, 200, 200, 429]
    # the network had 3 counted (the refused 4th stopped at the shopper's limit); limit 5
    assert neighbours == [200, 200, 429]
    limited = vote(client, review.pk)
    assert 0 < int(limited["Retry-After"]) <= 60
    assert limited.json()["error"]["code"] == "rate_limited"
    assert "Too many attempts" in limited.json()["error"]["message"]
    assert elsewhere.status_code == 200


def test_reviews_are_rate_limited_with_retry_after(shop_a, settings):
    connection.set_tenant(shop_a)
    settings.REVIEWS_RATE_LIMITS = {
        **settings.REVIEWS_RATE_LIMITS,
        "review": {"shopper": "2/h", "network": "10/h"},
    }
    clear_of_window_end(3600)  # the limit counts per hour: all requests in one
    product = make_product()
    client = shopper_client(ip="198.51.100.90")
    data = {"rating": "5", "body": "Hello", "display_name": "R"}

    codes = [client.post(f"/products/{product.slug}/reviews/", data).status_code for _ in range(3)]
    limited = client.post(f"/products/{product.slug}/reviews/", data)

    assert codes == [303, 303, 429]
    assert 0 < int(limited["Retry-After"]) <= 3600
    assert Review.objects.count() == 2


def test_wilson_ordering_on_known_counts(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()
    counts = {
        "few-perfect": (2, 0),
        "many-good": (90, 10),
        "even": (50, 50),
        "none": (0, 0),
        "some-good": (9, 1),
    }
    for name, (up, down) in counts.items():
        review = approved_review(product, body=name, name=name, ip=f"10.{len(name)}.0.1")
        ReviewVote.objects.bulk_create(
            [
                ReviewVote(review=review, voter=f"u{n}", ip_hash=f"u{n}", is_helpful=True)
                for n in range(up)
            ]
            + [
                ReviewVote(review=review, voter=f"d{n}", ip_hash=f"d{n}", is_helpful=False)
                for n in range(down)
            ]
        )
        # one more real vote recomputes the stored counts and score
        review_vote(
            review_id=review.pk, shopper=a_shopper(f"172.16.{len(name)}.1"), is_helpful=True
        )
        review_vote(
            review_id=review.pk, shopper=a_shopper(f"172.16.{len(name)}.1"), is_helpful=False
        )
        ReviewVote.objects.filter(review=review, voter__startswith="ip:").delete()

    page = product_reviews_page(product_id=product.pk, sort="helpful")

    assert wilson_lower_bound(90, 10) == pytest.approx(0.8256, abs=1e-4)
    assert wilson_lower_bound(2, 0) == pytest.approx(0.3424, abs=1e-4)
    # the stored score is computed with one more "not helpful" vote for each review
    assert [r.body for r in page.reviews] == [
        "many-good",
        "some-good",
        "even",
        "few-perfect",
        "none",
    ]
    stored = {r.body: r.helpful_score for r in page.reviews}
    assert stored["many-good"] == pytest.approx(wilson_lower_bound(90, 11))


def test_sorting_and_filtering_reviews(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()
    low = approved_review(product, rating=1, body="Low", ip="10.0.0.1")
    high = approved_review(product, rating=5, body="High", ip="10.0.1.1")
    mid = approved_review(product, rating=3, body="Mid", ip="10.0.2.1")
    Review.objects.filter(pk=low.pk).update(photo_count=1)

    def bodies(**kwargs):
        return [r.body for r in product_reviews_page(product_id=product.pk, **kwargs).reviews]

    assert bodies(sort="newest") == ["Mid", "High", "Low"]
    assert bodies(sort="highest") == ["High", "Mid", "Low"]
    assert bodies(sort="lowest") == ["Low", "Mid", "High"]
    assert bodies(sort="photos")[0] == "Low"
    assert bodies(stars=5) == ["High"]
    assert bodies(with_photos=True) == ["Low"]
    assert bodies(sort="nonsense", stars=9) == bodies(sort="helpful")
    assert high and mid


def test_the_vote_endpoint_keeps_a_constant_query_count(shop_a):
    connection.set_tenant(shop_a)
    review = approved_review(make_product(), body="Great")
    vote(shopper_client(ip="192.0.2.100"), review.pk)

    def count(ip):
        with CaptureQueriesContext(connection) as queries:
            assert vote(shopper_client(ip=ip), review.pk).status_code == 200
        return len(queries)

    few = count("192.0.2.101")
    ReviewVote.objects.bulk_create(
        ReviewVote(review=review, voter=f"v{n}", ip_hash=f"h{n}", is_helpful=n % 2 == 0)
        for n in range(500)
    )
    many = count("192.0.2.102")

    assert few == many
    assert many <= 12
    print(json.dumps({"vote_queries": many}))
