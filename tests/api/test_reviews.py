"""Reviews in the partner API: lists with filters and ordering, detail with photos, votes
and the reply, moderation through reviews.services (``review.approved`` exactly once,
through the API, the admin or the auto-approval rule), replies shown escaped on the
product page, constant queries per page, idempotency, and shops kept apart."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from reviews.models import Review, ReviewDecision, ReviewSettings
from reviews.services import review_moderate, review_vote
from shops.webhooks.models import WebhookDelivery, WebhookEvent
from shops.webhooks.services import subscription_create
from tests.api.conftest import ApiClient, a_review, error_of
from tests.conftest import SHOP_PASSWORD
from tests.reviews.helpers import a_shopper, make_product, photo


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.WEBHOOK_DELIVERY_PRIVATE = True
    return tmp_path


@pytest.fixture
def reviews_api(shop_a, make_key) -> ApiClient:
    return ApiClient("alpha", make_key(shop_a, ["reviews:read", "reviews:write"]))


def ids(response) -> list[int]:
    return [review["id"] for review in response.json()["results"]]


def test_list_filters_and_orders(shop_a, media, reviews_api):
    with tenant_context(shop_a):
        shirt, scarf = make_product(), make_product("Wool Scarf", slug="wool-scarf")
        low = a_review(shirt, rating=2, body="Too small", ip="192.0.2.1")
        high = a_review(shirt, rating=5, body="Perfect", ip="192.0.2.2")
        other = a_review(scarf, rating=5, body="Warm", ip="192.0.2.3")
        Review.objects.filter(pk=other.pk).update(is_verified=True)
        Review.objects.filter(pk=low.pk).update(created=timezone.now() - timedelta(days=3))
        review_moderate(reviews=Review.objects.filter(pk=high.pk), status="approved")

    everything = reviews_api.get("/api/v1/reviews/")
    approved = reviews_api.get("/api/v1/reviews/", {"status": "approved"})
    five_stars = reviews_api.get("/api/v1/reviews/", {"rating": 5})
    of_shirt = reviews_api.get("/api/v1/reviews/", {"product": shirt.pk})
    verified = reviews_api.get("/api/v1/reviews/", {"verified": "true"})
    recent = reviews_api.get(
        "/api/v1/reviews/",
        {"created_after": (timezone.now() - timedelta(days=1)).isoformat()},
    )
    older = reviews_api.get(
        "/api/v1/reviews/",
        {"created_before": (timezone.now() - timedelta(days=1)).isoformat()},
    )
    by_rating = reviews_api.get("/api/v1/reviews/", {"ordering": "rating"})
    bad_rating = reviews_api.get("/api/v1/reviews/", {"rating": 6})
    bad_ordering = reviews_api.get("/api/v1/reviews/", {"ordering": "email"})

    assert ids(everything) == [other.pk, high.pk, low.pk]  # newest first
    assert ids(approved) == [high.pk]
    assert ids(five_stars) == [other.pk, high.pk]
    assert ids(of_shirt) == [high.pk, low.pk]
    assert ids(verified) == [other.pk]
    assert ids(recent) == [other.pk, high.pk]
    assert ids(older) == [low.pk]
    assert [r["rating"] for r in by_rating.json()["results"]] == [2, 5, 5]
    assert (bad_rating.status_code, error_of(bad_rating)["field"]) == (400, "rating")
    assert (bad_ordering.status_code, error_of(bad_ordering)["field"]) == (400, "ordering")


def test_detail_has_photos_votes_and_reply_but_never_the_email(shop_a, media, reviews_api):
    with tenant_context(shop_a):
        review = a_review(
            make_product(), photos=[photo("red"), photo("blue")], email="shopper@example.test"
        )
        review_moderate(reviews=Review.objects.filter(pk=review.pk), status="approved")
        review_vote(review_id=review.pk, shopper=a_shopper("198.51.100.1"), is_helpful=True)
        review_vote(review_id=review.pk, shopper=a_shopper("203.0.113.77"), is_helpful=False)
    reviews_api.post(f"/api/v1/reviews/{review.pk}/reply/", {"body": "Thanks, Ann!"})

    body = reviews_api.get(f"/api/v1/reviews/{review.pk}/").json()

    assert body["helpful_votes"] == {"up": 1, "down": 1}
    assert [photo["position"] for photo in body["photos"]] == [0, 1]
    assert all(p["url"].startswith("http://alpha.localhost/") for p in body["photos"])
    assert body["reply"]["body"] == "Thanks, Ann!" and body["reply"]["replied_at"].endswith("Z")
    assert body["status"] == "approved" and body["rating"] == 4
    assert "shopper@example.test" not in json.dumps(body)


def test_approve_reject_hide_and_spam_go_through_the_moderation_service(shop_a, media, reviews_api):
    with tenant_context(shop_a):
        review = a_review(make_product())

    approved = reviews_api.post(f"/api/v1/reviews/{review.pk}/approve/", {"note": "Fine"})
    hidden = reviews_api.post(f"/api/v1/reviews/{review.pk}/hide/", {})
    rejected = reviews_api.post(f"/api/v1/reviews/{review.pk}/reject/")
    spam = reviews_api.post(f"/api/v1/reviews/{review.pk}/spam/", {})
    too_long = reviews_api.post(f"/api/v1/reviews/{review.pk}/approve/", {"note": "x" * 300})

    assert [r.json()["status"] for r in (approved, hidden, rejected, spam)] == [
        "approved",
        "pending",
        "rejected",
        "spam",
    ]
    assert (too_long.status_code, error_of(too_long)["field"]) == (400, "note")
    with tenant_context(shop_a):
        log = list(ReviewDecision.objects.filter(review=review).order_by("id"))
    assert [d.status for d in log] == ["approved", "pending", "rejected", "spam"]
    assert log[0].note.startswith("Through the API (etl_") and log[0].note.endswith(": Fine")
    assert log[0].decided_by is None and not log[0].is_automatic


def test_review_approved_is_sent_once_through_the_api(
    shop_a, media, reviews_api, receiver, django_capture_on_commit_callbacks
):
    hook = receiver()
    with tenant_context(shop_a):
        subscription_create(url=hook.url, events=["review.approved"])
        review = a_review(make_product(), rating=5, body="Lovely linen")

    with django_capture_on_commit_callbacks(execute=True):
        first = reviews_api.post(f"/api/v1/reviews/{review.pk}/approve/")
    with django_capture_on_commit_callbacks(execute=True):
        again = reviews_api.post(f"/api/v1/reviews/{review.pk}/approve/")

    assert first.status_code == again.status_code == 200
    with tenant_context(shop_a):
        events = list(WebhookEvent.objects.filter(type="review.approved"))
        assert WebhookDelivery.objects.get().status == "succeeded"
    assert len(events) == 1
    assert events[0].data["review"]["id"] == review.pk
    assert events[0].data["review"]["status"] == "approved"
    assert len(hook.requests) == 1
    sent = json.loads(hook.requests[0][1])
    assert sent["type"] == "review.approved" and sent["data"]["review"]["rating"] == 5
    assert "email" not in sent["data"]["review"]


def test_review_approved_is_sent_once_from_the_admin_and_by_auto_approval(shop_a, media):
    client = Client(HTTP_HOST="alpha.localhost")
    client.post("/admin/login/", {"username": "owner@alpha.test", "password": SHOP_PASSWORD})
    with tenant_context(shop_a):
        subscription_create(url="https://partner.example/hooks", events=["review.approved"])
        product = make_product()
        pending = [a_review(product, body=f"Review {n}", ip=f"192.0.2.{n}") for n in (1, 2)]
        already = a_review(product, body="Approved before", ip="192.0.2.3")
        review_moderate(reviews=Review.objects.filter(pk=already.pk), status="approved")

    client.post(
        "/admin/reviews/review/",
        {
            "action": "approve",
            "_selected_action": [r.pk for r in [*pending, already]],
        },
    )
    with tenant_context(shop_a):
        ReviewSettings.objects.update_or_create(key=1, defaults={"auto_approve": "unflagged"})
        automatic = a_review(product, body="Auto approved", ip="203.0.113.9")
        sent = sorted(e.data["review"]["id"] for e in WebhookEvent.objects.all())

    assert automatic.status == "approved"
    assert sent == sorted([already.pk, *(r.pk for r in pending), automatic.pk])


def test_reply_is_set_changed_removed_and_shown_escaped_on_the_product_page(
    shop_a, media, reviews_api
):
    with tenant_context(shop_a):
        product = make_product()
        review = a_review(product)
        review_moderate(reviews=Review.objects.filter(pk=review.pk), status="approved")
    path = f"/api/v1/reviews/{review.pk}/reply/"

    created = reviews_api.post(path, {"body": "First <b>answer</b>"})
    changed = reviews_api.post(path, {"body": "Glad it fits <script>alert(1)</script>"})
    page = Client(HTTP_HOST="alpha.localhost").get(f"/products/{product.slug}/").content.decode()
    empty = reviews_api.post(path, {"body": "   "})
    removed = reviews_api.delete(path)
    after = Client(HTTP_HOST="alpha.localhost").get(f"/products/{product.slug}/").content.decode()

    assert created.json()["reply"]["body"] == "First <b>answer</b>"
    assert changed.json()["reply"]["body"] == "Glad it fits <script>alert(1)</script>"
    assert "Glad it fits &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert (empty.status_code, error_of(empty)["field"]) == (400, "body")
    assert removed.status_code == 204
    assert "Glad it fits" not in after
    with tenant_context(shop_a):
        review.refresh_from_db()
    assert (review.reply, review.replied_at) == ("", None)


def test_moderation_replays_with_the_same_idempotency_key(shop_a, media, reviews_api):
    with tenant_context(shop_a):
        review = a_review(make_product())
    headers = {"Idempotency-Key": "approve-1"}

    first = reviews_api.post(f"/api/v1/reviews/{review.pk}/approve/", {}, headers=headers)
    reviews_api.post(f"/api/v1/reviews/{review.pk}/reject/", {})
    replayed = reviews_api.post(f"/api/v1/reviews/{review.pk}/approve/", {}, headers=headers)
    reused = reviews_api.post(
        f"/api/v1/reviews/{review.pk}/approve/", {"note": "other"}, headers=headers
    )

    assert replayed["Idempotent-Replayed"] == "true"
    assert replayed.json() == first.json() and first.json()["status"] == "approved"
    assert (reused.status_code, error_of(reused)["code"]) == (409, "idempotency_key_reused")
    with tenant_context(shop_a):
        assert Review.objects.get(pk=review.pk).status == "rejected"  # not run again


@pytest.mark.parametrize("count", [2, 12])
def test_list_query_count_is_constant(shop_a, media, reviews_api, count, django_assert_num_queries):
    with tenant_context(shop_a):
        product = make_product()
        for number in range(count):
            a_review(
                product,
                body=f"Review {number}",
                ip=f"192.0.2.{number}",
                photos=[photo(), photo("red")],
            )
    reviews_api.get("/api/v1/reviews/")  # the key's last use is recorded once a minute

    # SET search_path, the key, the reviews, their photos (the shop by host is cached)
    with django_assert_num_queries(4):
        response = reviews_api.get("/api/v1/reviews/", {"limit": 100})

    assert len(response.json()["results"]) == count
    assert all(len(review["photos"]) == 2 for review in response.json()["results"])


def test_a_key_of_shop_a_never_sees_nor_changes_shop_bs_reviews(shop_a, shop_b, media, make_key):
    with tenant_context(shop_b):  # ids are per schema: make B's id one A does not have
        product = make_product("Beta secret", slug="beta-secret")
        a_review(product, body="Beta one", ip="192.0.2.1")
        a_review(product, body="Beta two", ip="192.0.2.2")
        theirs = a_review(product, body="Beta only", ip="192.0.2.3")
    with tenant_context(shop_a):
        ours = a_review(make_product(), body="Alpha")
        alpha_has_that_id = Review.objects.filter(pk=theirs.pk).exists()
    api = ApiClient("alpha", make_key(shop_a, ["reviews:read", "reviews:write"]))

    listed = api.get("/api/v1/reviews/")
    detail = api.get(f"/api/v1/reviews/{theirs.pk}/")
    approve = api.post(f"/api/v1/reviews/{theirs.pk}/approve/")
    reply = api.post(f"/api/v1/reviews/{theirs.pk}/reply/", {"body": "Hi"})
    on_their_host = ApiClient("beta", api.headers["Authorization"].split()[1]).get(
        "/api/v1/reviews/"
    )

    assert not alpha_has_that_id
    assert ids(listed) == [ours.pk] and "Beta" not in listed.content.decode()
    assert detail.status_code == approve.status_code == reply.status_code == 404
    assert on_their_host.status_code == 401
    with tenant_context(shop_b):
        theirs.refresh_from_db()
    assert (theirs.status, theirs.reply) == ("pending", "")
