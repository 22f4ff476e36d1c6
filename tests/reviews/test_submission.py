"""Writing a review from the product page and the embed: validation, photos, the
text kept on errors, moderation before it shows, aggregates and JSON-LD."""

import io
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from reviews.models import Review, ReviewPhoto
from reviews.selectors import product_ratings
from tests.reviews.helpers import approved_review, make_product, photo, shopper_client

JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def form(**fields) -> dict:
    data = {
        "rating": "4",
        "title": "Nice shirt",
        "body": "Soft linen.\nFits well.",
        "display_name": "Maya",
        "email": "maya@example.test",
    }
    data.update(fields)
    return data


def test_a_shoppers_review_waits_for_moderation_then_shows(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()
    client = shopper_client()

    response = client.post(f"/products/{product.slug}/reviews/", form())

    assert response.status_code == 303
    assert response["Location"] == f"/products/{product.slug}/?review=thanks#reviews"
    review = Review.objects.get()
    assert (review.status, review.rating, review.is_verified) == ("pending", 4, False)
    assert review.body == "Soft linen.\nFits well."
    page = client.get(f"/products/{product.slug}/").content.decode()
    assert "Soft linen." not in page
    assert "No reviews yet" in page

    review.status = Review.Status.APPROVED
    review.save()
    page = client.get(f"/products/{product.slug}/").content.decode()
    assert "Soft linen.<br>Fits well." in page
    assert "maya@example.test" not in page
    assert "4.0</strong> out of 5 · 1 review" in page


def test_photos_are_cleaned_of_metadata_and_limited_to_five(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()
    client = shopper_client()

    response = client.post(
        f"/products/{product.slug}/reviews/",
        {**form(), "photos": [photo(exif=True), photo("red", fmt="PNG", name="b.png")]},
    )

    assert response.status_code == 303
    photos = list(ReviewPhoto.objects.order_by("position"))
    assert len(photos) == 2
    with photos[0].image.open("rb") as file:
        stored = Image.open(io.BytesIO(file.read()))
        assert not stored.getexif()
    assert set(photos[0].renditions) == {"320", "400"}
    assert Review.objects.get().photo_count == 2

    too_many = client.post(
        f"/products/{product.slug}/reviews/",
        {**form(body="Six photos"), "photos": [photo(name=f"{n}.jpg") for n in range(6)]},
    )
    assert too_many.status_code == 400
    assert "Add at most 5 photos." in too_many.content.decode()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        ("not-image", "not an image we can read"),
        ("corrupt", "damaged or incomplete"),
        ("huge", "too many pixels"),
    ],
)
def test_a_bad_photo_is_refused_and_the_text_kept(shop_a, settings, upload, message):
    connection.set_tenant(shop_a)
    settings.CATALOG_IMAGE_MAX_PIXELS = 1_000_000
    product = make_product()
    if upload == "not-image":
        bad = photo(name="x.jpg")
        bad.file = io.BytesIO(b"%PDF-1.4 not a picture")
    elif upload == "corrupt":
        good = photo().read()
        bad = photo(name="cut.jpg")
        bad.file = io.BytesIO(good[: len(good) // 2])
    else:
        bad = photo(size=(1200, 1000), name="big.jpg")

    response = shopper_client().post(
        f"/products/{product.slug}/reviews/",
        {**form(body="Keep <this> text, please"), "photos": [bad]},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Keep &lt;this&gt; text, please</textarea>" in html
    assert 'value="Maya"' in html
    assert Review.objects.count() == 0


def test_missing_fields_are_named_and_nothing_is_written(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()

    response = shopper_client().post(
        f"/products/{product.slug}/reviews/", form(rating="9", body="", display_name="")
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Select a valid choice" in html
    assert html.count('class="errors" role="alert"') == 3
    assert Review.objects.count() == 0


def test_the_embed_takes_a_review_without_cookies_and_goes_back_to_the_embed(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()
    client = shopper_client()

    page = client.get(f"/embed/?product={product.slug}")
    assert 'name="embed" value="1"' in page.content.decode()
    response = client.post(f"/products/{product.slug}/reviews/", {**form(), "embed": "1"})

    assert response.status_code == 303
    assert response["Location"] == f"/embed/?product={product.slug}&review=thanks#reviews"
    assert not response.cookies
    assert Review.objects.count() == 1


def test_an_error_in_the_embed_stays_frameable_by_allowed_origins_only(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()

    response = shopper_client().post(
        f"/products/{product.slug}/reviews/", {**form(body=""), "embed": "1"}
    )

    assert response.status_code == 400
    assert "X-Frame-Options" not in response
    assert response["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_aggregate_and_json_ld_follow_approved_reviews(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()
    approved_review(product, rating=5, body="Great", name="Ann")
    approved_review(product, rating=4, body="Good", name="Bo", title="Solid")
    approved_review(product, rating=1, body="Bad", name="Cy")
    Review.objects.create(product=product, rating=1, body="Pending", display_name="Dee")

    response = shopper_client().get(f"/products/{product.slug}/")

    data = json.loads(JSON_LD.findall(response.content.decode())[0])
    assert data["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": 3.33,
        "reviewCount": 3,
        "bestRating": 5,
        "worstRating": 1,
    }
    assert sorted(r["author"]["name"] for r in data["review"]) == ["Ann", "Bo", "Cy"]
    solid = next(r for r in data["review"] if r["author"]["name"] == "Bo")
    assert solid["name"] == "Solid"
    assert solid["reviewRating"]["ratingValue"] == 4
    assert "email" not in json.dumps(data)
    rating = product_ratings(product_ids=[product.pk])[product.pk]
    assert (rating.count, round(rating.average, 2)) == (3, 3.33)
    assert rating.distribution == {5: 1, 4: 1, 3: 0, 2: 0, 1: 1}


def test_no_reviews_no_aggregate_in_json_ld(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()

    response = shopper_client().get(f"/products/{product.slug}/")

    data = json.loads(JSON_LD.findall(response.content.decode())[0])
    assert "aggregateRating" not in data
    assert "review" not in data


def test_the_review_list_keeps_a_constant_query_count(shop_a):
    connection.set_tenant(shop_a)
    product = make_product()
    for n in range(2):
        approved_review(product, rating=5, body=f"Review {n}", ip=f"192.0.2.{n + 10}")
    client = shopper_client()
    client.get(f"/products/{product.slug}/")  # warm the theme cache

    with CaptureQueriesContext(connection) as few:
        client.get(f"/products/{product.slug}/?sort=newest")
    for n in range(25):
        review = approved_review(
            product, rating=1 + n % 5, body=f"More {n}", ip=f"192.0.2.{n + 40}"
        )
        ReviewPhoto.objects.create(review=review, image="reviews/x.jpg", renditions={})
    with CaptureQueriesContext(connection) as many:
        response = shopper_client().get(f"/products/{product.slug}/?sort=newest")

    assert response.status_code == 200
    assert len(many) == len(few)
