"""The demo shop's shoppable posts (``seed_demo``): a few generated pictures, each showing
two or three demo products with a tag on each."""

from __future__ import annotations

import io
from datetime import timedelta

from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from catalog.demo import IMAGE_SIZE, demo_picture, demo_products
from catalog.models import Product
from shops.posts import services
from shops.posts.models import Post

# caption, background, product indexes in demo_products(), paid partner
DEMO_POSTS = (
    ("Saturday market stall: tees and mugs, all hand-printed.", "#f4efe6", (0, 4), ""),
    ("Three favourites for a slow morning.", "#e7eef4", (1, 5, 8), ""),
    ("Styled by Atelier Nord for their winter lookbook.", "#f3e8ff", (2, 9), "Atelier Nord"),
)
TILE = 420
GAP = 40


def demo_post_picture(products: list, background: str) -> tuple[bytes, list[tuple[float, float]]]:
    """A square JPEG with the products' pictures side by side, and where each one is
    (its centre, normalised), for the tags."""
    canvas = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), background)
    size = min(TILE, (IMAGE_SIZE - GAP * (len(products) + 1)) // len(products))
    gap = (IMAGE_SIZE - size * len(products)) // (len(products) + 1)
    points = []
    for index, product in enumerate(products):
        tile = Image.open(io.BytesIO(demo_picture(product))).resize((size, size))
        left = gap + index * (size + gap)
        top = (IMAGE_SIZE - size) // 2 + (60 if index % 2 else -60)
        canvas.paste(tile, (left, top))
        points.append(((left + size / 2) / IMAGE_SIZE, (top + size / 2) / IMAGE_SIZE))
    ImageDraw.Draw(canvas).text(
        (IMAGE_SIZE // 2, 80),
        "Etalage Studio",
        fill="#1d1d1f",
        font=ImageFont.load_default(size=48),
        anchor="mm",
    )
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=85)
    return buffer.getvalue(), points


def demo_posts_seed() -> int:
    """Create the demo posts unless the shop has posts already; returns how many."""
    if Post.objects.exists():
        return 0
    demos = demo_products()
    by_slug = {p.slug: p for p in Product.objects.filter(slug__in=[d.slug for d in demos])}
    created = 0
    for age, (caption, background, indexes, partner) in enumerate(DEMO_POSTS):
        chosen = [demos[i] for i in indexes if i < len(demos) and demos[i].slug in by_slug]
        if not chosen:
            continue
        picture, points = demo_post_picture(chosen, background)
        services.post_create(
            images=[services.ImageInput(file=io.BytesIO(picture), alt_text=caption)],
            tags=[
                [
                    services.TagInput(product_id=by_slug[demo.slug].id, x=x, y=y)
                    for demo, (x, y) in zip(chosen, points, strict=True)
                ]
            ],
            caption=caption,
            status=Post.Status.PUBLISHED,
            published_at=timezone.now() - timedelta(days=age + 1),
            is_paid_partnership=bool(partner),
            partner_name=partner,
        )
        created += 1
    return created
