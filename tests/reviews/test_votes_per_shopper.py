"""One vote per shopper, not per network address: shoppers behind one address (a
household, an office, a carrier's NAT) each vote with their own token from
``/api/v1/shopper-token/``; one token voting twice counts once, also when both votes arrive at
the same moment; a shopper without a token is still their address."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from reviews.models import PollOption, PollVote, Review, ReviewVote
from reviews.shoppers import shopper_token_new
from tests.conftest import clear_of_window_end
from tests.orders.test_concurrency import run_at_once
from tests.reviews.helpers import approved_review, make_product, shopper_client
from tests.reviews.test_polls import make_poll
from tests.reviews.test_polls import vote as poll_vote
from tests.reviews.test_votes import vote as helpful_vote

HOUSEHOLD = "203.0.113.77"  # one public address for everybody at home


def new_token(client) -> str:
    response = client.post("/api/v1/shopper-token/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return response.json()["token"]


def test_two_shoppers_at_one_address_both_vote_and_both_count(shop_a):
    # given two shoppers on one home network, each with a token of their own
    connection.set_tenant(shop_a)
    review = approved_review(make_product(), body="Great")
    poll = make_poll()
    sage, rust = poll.options.all()
    home = shopper_client(ip=HOUSEHOLD)
    first, second = new_token(home), shopper_token_new()  # from the page, or kept before

    # when both vote on the review and in the poll
    helpful = [helpful_vote(home, review.pk, "1", token=token) for token in (first, second)]
    polled = [
        poll_vote(home, poll, option, token) for option, token in ((sage, first), (rust, second))
    ]

    # then both votes count
    assert [response.status_code for response in helpful + polled] == [200, 200, 200, 200]
    review.refresh_from_db()
    assert (review.helpful_up, review.helpful_down) == (2, 0)
    assert polled[1].json()["results"] == [
        {"option": sage.pk, "votes": 1, "percent": 50},
        {"option": rust.pk, "votes": 1, "percent": 50},
    ]
    assert ReviewVote.objects.count() == PollVote.objects.count() == 2
    # and the second shopper sees the results, not "You have already voted"
    page = home.get(f"/polls/{poll.pk}/", HTTP_X_SHOPPER_TOKEN=second).content.decode()
    assert 'type="radio"' not in page and "50%" in page


def test_one_token_voting_twice_counts_once(shop_a):
    connection.set_tenant(shop_a)
    review = approved_review(make_product(), body="Great")
    poll = make_poll()
    sage, rust = poll.options.all()
    client = shopper_client(ip="198.51.100.5")
    token = new_token(client)

    helpful_vote(client, review.pk, "1", token=token)
    changed = helpful_vote(shopper_client(ip="192.0.2.9"), review.pk, "0", token=token)
    poll_vote(client, poll, sage, token)
    again = poll_vote(shopper_client(ip="192.0.2.9"), poll, rust, token)  # another network

    assert (changed.json()["helpful"], changed.json()["not_helpful"]) == (0, 1)
    assert (again.status_code, again.json()) == (
        409,
        {
            "error": {
                "code": "already_voted",
                "message": "You have already voted in this poll.",
                "field": None,
            }
        },
    )
    assert ReviewVote.objects.count() == PollVote.objects.count() == 1
    assert list(PollOption.objects.order_by("position").values_list("vote_count", flat=True)) == [
        1,
        0,
    ]


def test_shoppers_without_a_token_are_still_one_per_address(shop_a):
    """No JavaScript, no token: the address is all there is to tell shoppers apart."""
    connection.set_tenant(shop_a)
    review = approved_review(make_product(), body="Great")
    poll = make_poll()
    sage, rust = poll.options.all()

    for helpful in ("1", "1", "0"):
        helpful_vote(shopper_client(ip=HOUSEHOLD), review.pk, helpful)
    first = poll_vote(shopper_client(ip=HOUSEHOLD), poll, sage)
    second = poll_vote(shopper_client(ip=HOUSEHOLD), poll, rust)

    review.refresh_from_db()
    assert (review.helpful_up, review.helpful_down) == (0, 1)
    assert (first.status_code, second.status_code) == (200, 409)


def test_new_tokens_are_rate_limited_per_address_and_a_sent_token_is_ignored(shop_a, settings):
    settings.REVIEWS_RATE_LIMITS = {
        **settings.REVIEWS_RATE_LIMITS,
        "token": {"shopper": "2/h", "network": "100/h"},
    }
    clear_of_window_end(3600)
    connection.set_tenant(shop_a)
    client = shopper_client(ip="198.51.100.44")

    tokens = [new_token(client), new_token(client)]
    tampered = client.post(
        "/api/v1/shopper-token/",
        HTTP_X_SHOPPER_TOKEN="forged:token",
        HTTP_ACCEPT="application/json",
    )
    elsewhere = shopper_client(ip="192.0.2.44").post("/api/v1/shopper-token/")

    assert len(set(tokens)) == 2
    assert tampered.status_code == 429 and int(tampered["Retry-After"]) > 0
    assert "Too many attempts" in tampered.json()["error"]["message"]
    assert elsewhere.status_code == 200
    assert shopper_client(ip="192.0.2.44").get("/api/v1/shopper-token/").status_code == 405


def test_a_token_from_one_shop_is_refused_by_another(shop_a, shop_b):
    connection.set_tenant(shop_a)
    token = new_token(shopper_client("alpha"))
    connection.set_tenant(shop_b)
    review = approved_review(make_product(), body="Great")

    refused = helpful_vote(shopper_client("beta"), review.pk, "1", token=token)

    assert (refused.status_code, refused.json()["error"]["message"]) == (
        400,
        "This shopper token is not valid here.",
    )
    assert ReviewVote.objects.count() == 0


@pytest.fixture
def crowd(committed_shop, django_db_blocker):
    shop = committed_shop("crowd").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        review = approved_review(make_product(), body="Great")
        poll = make_poll()
        connection.set_schema_to_public()
    with django_db_blocker.unblock():
        yield shop, review, poll


def test_concurrent_double_votes_from_one_token_count_once_and_never_fail(crowd):
    # given one shopper whose page sends the same votes several times at once
    shop, review, poll = crowd
    client = shopper_client("crowd", ip="198.51.100.80")
    token = new_token(client)
    option = poll.options.order_by("position").first()

    # when eight copies of each vote arrive together
    helpful = run_at_once(
        8,
        lambda index: (
            helpful_vote(
                shopper_client("crowd", ip="198.51.100.80"), review.pk, "1", token=token
            ).status_code
        ),
    )
    polled = run_at_once(
        8,
        lambda index: (
            poll_vote(shopper_client("crowd", ip="198.51.100.80"), poll, option, token).status_code
        ),
    )

    # then every answer is a clear one and each vote counts once
    assert helpful == [200] * 8
    assert Counter(polled) == {200: 1, 409: 7}
    with tenant_context(shop):
        review.refresh_from_db()
        assert (review.helpful_up, review.helpful_down) == (1, 0)
        assert ReviewVote.objects.count() == PollVote.objects.count() == 1
        assert PollOption.objects.get(pk=option.pk).vote_count == 1
        assert Review.objects.get(pk=review.pk).helpful_score > 0
