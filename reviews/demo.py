"""The demo shop's reviews (some with generated photos, some from verified buyers),
helpful votes and an open poll (``seed_demo``). Idempotent: seeds only a shop without
reviews or polls."""

from __future__ import annotations

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from catalog.models import Product
from orders.models import Order, OrderLine
from reviews.models import Poll, PollOption, Review
from reviews.services import (
    poll_vote,
    review_moderate,
    review_submit,
    review_submit_verified,
    review_vote,
)
from reviews.shoppers import Shopper

DEMO_REVIEWS = [
    (5, "Softest tee I own", "Washed it ten times already and it still feels new.\nTrue to size."),
    (4, "Lovely colour", "The colour is a little darker than on the photo, but I like it more."),
    (5, "Gift hit", "Bought it for my sister; she wears it every weekend."),
    (3, "Good, runs small", "Quality is great. Order one size up if you are between sizes."),
    (5, "", "Beautiful print, arrived in two days in plastic-free packaging."),
    (2, "Not for me", "The fabric is heavier than I expected for summer."),
]
NAMES = ["Inês", "Marco", "Aoife", "Jonas", "Leila", "Tomás", "Sofia", "Ravi"]


def _shopper(number: int) -> Shopper:
    return Shopper(
        token="",
        voter=f"demo-{number}",
        ip_hash=f"demo-ip-{number}",
        network_hash=f"demo-net-{number}",
        is_new=False,
    )


def _photo(colour: str, number: int) -> SimpleUploadedFile:
    image = Image.new("RGB", (900, 675), colour)
    draw = ImageDraw.Draw(image)
    draw.ellipse((250, 140, 650, 540), fill="#f4efe6", outline="#2b2b2b", width=8)
    draw.text((40, 40), f"Shopper photo {number}", fill="#ffffff")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return SimpleUploadedFile(f"demo-{number}.jpg", buffer.getvalue(), content_type="image/jpeg")


def _verified_line(product: Product, number: int) -> OrderLine:
    variant = product.variants.first()
    order = Order.objects.create(
        status=Order.Status.FULFILLED,
        stock_status=Order.Stock.COMMITTED,
        email=f"buyer{number}@example.com",
        currency="EUR",
        subtotal=variant.price,
        total=variant.price,
        amount_minor=int(variant.price * 100),
        fulfilled_at=timezone.now(),
        paid_at=timezone.now(),
    )
    return OrderLine.objects.create(
        order=order,
        variant=variant,
        product_id=product.pk,
        title=product.title,
        sku=variant.sku,
        unit_price=variant.price,
        quantity=1,
        line_total=variant.price,
    )


@transaction.atomic
def demo_reviews_seed() -> int:
    """Reviews on the first products, votes on them and an open poll; returns how many
    reviews were added (0 when the shop has reviews or polls already)."""
    if Review.objects.exists() or Poll.objects.exists():
        return 0
    products = list(Product.objects.filter(status=Product.Status.ACTIVE).order_by("id")[:6])
    colours = ["#8a3b12", "#2f5d50", "#3b4a8a", "#b08d2c"]
    added = []
    for index, product in enumerate(products):
        for offset in range(3):
            number = index * 3 + offset
            rating, title, body = DEMO_REVIEWS[number % len(DEMO_REVIEWS)]
            photos = [_photo(colours[number % 4], number)] if number % 4 == 0 else []
            fields = {
                "rating": rating,
                "title": title,
                "body": body,
                "display_name": NAMES[number % len(NAMES)],
                "photos": photos,
                "shopper": _shopper(number),
            }
            if number % 3 == 1:
                review = review_submit_verified(
                    order_line=_verified_line(product, number), **fields
                )
            else:
                review = review_submit(product=product, email="", **fields)
            added.append(review)
    review_moderate(
        reviews=Review.objects.filter(pk__in=[r.pk for r in added]),
        status=Review.Status.APPROVED,
        note="Demo data",
    )
    for number, review in enumerate(added):
        for voter in range(number % 5):
            review_vote(review_id=review.pk, shopper=_shopper(100 + voter), is_helpful=voter != 3)
    poll = Poll.objects.create(
        question="Which tee colour should we make next?",
        opens_at=timezone.now() - timedelta(days=1),
        closes_at=timezone.now() + timedelta(days=30),
    )
    options = [
        PollOption.objects.create(
            poll=poll,
            text=text,
            position=position,
            product=products[position] if position < len(products) else None,
        )
        for position, text in enumerate(["Sage green", "Rust orange", "Midnight blue"])
    ]
    for number in range(23):  # 12, 7 and 4 votes
        option = options[0 if number < 12 else 1 if number < 19 else 2]
        poll_vote(poll_id=poll.pk, option_id=option.pk, shopper=_shopper(200 + number))
    return len(added)


__all__ = ["demo_reviews_seed"]
