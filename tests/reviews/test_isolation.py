"""Shops never see each other's reviews, votes, polls or tokens; the disclosure page
follows each shop's own settings."""

from django.db import connection

from reviews.models import Poll, Review, ReviewSettings
from reviews.selectors import product_ratings
from tests.reviews.helpers import approved_review, make_product, shopper_client
from tests.reviews.test_polls import make_poll


def test_reviews_votes_and_polls_stay_in_their_shop(shop_a, shop_b):
    connection.set_tenant(shop_a)
    product_a = make_product()
    review = approved_review(product_a, body="Alpha only review")
    poll = make_poll("Alpha question?")
    connection.set_tenant(shop_b)
    product_b = make_product()  # same slug in the other shop
    connection.set_schema_to_public()
    vote = shopper_client("beta").post(
        f"/api/v1/reviews/{review.pk}/vote/", {"helpful": True}, content_type="application/json"
    )
    connection.set_tenant(shop_b)
    review_b = approved_review(product_b, body="Beta review")
    connection.set_schema_to_public()

    beta_page = shopper_client("beta").get(f"/products/{product_b.slug}/").content.decode()
    alpha_page = shopper_client("alpha").get(f"/products/{product_a.slug}/").content.decode()
    token = (
        shopper_client("alpha")
        .post(
            f"/api/v1/reviews/{review.pk}/vote/", {"helpful": True}, content_type="application/json"
        )
        .json()["token"]
    )
    foreign_token = shopper_client("beta", ip="192.0.2.9").post(
        f"/api/v1/reviews/{review_b.pk}/vote/",
        {"helpful": True},
        HTTP_X_SHOPPER_TOKEN=token,
        content_type="application/json",
    )

    assert "Alpha only review" in alpha_page
    assert "Alpha only review" not in beta_page and "Beta review" in beta_page
    assert vote.status_code == 404
    assert foreign_token.status_code == 400
    assert shopper_client("beta").get(f"/polls/{poll.pk}/").status_code == 404
    connection.set_tenant(shop_b)
    assert Review.objects.count() == 1 and Poll.objects.count() == 0
    assert product_ratings(product_ids=[product_b.pk])[product_b.pk].count == 1
    assert Review.objects.get().helpful_up == 0


def test_the_disclosure_page_follows_the_shops_settings(shop_a, shop_b):
    connection.set_tenant(shop_a)
    ReviewSettings.objects.create(
        auto_approve="verified_unflagged", disclosure_note="We <b>read</b> everything."
    )
    connection.set_schema_to_public()

    alpha = shopper_client("alpha").get("/reviews/about/").content.decode()
    beta = shopper_client("beta").get("/reviews/about/").content.decode()

    assert "Reviews from verified buyers are published at once" in alpha
    assert "We &lt;b&gt;read&lt;/b&gt; everything." in alpha
    assert "Every review is read by the shop before it is published." in beta
    assert "A note from" not in beta
