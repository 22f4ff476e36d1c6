"""The demo shop's design: a published page with a few sections (``seed_demo``)."""

from __future__ import annotations

import io

from django.db import transaction

from catalog.collections import collection_create
from catalog.demo import demo_picture, demo_products
from catalog.models import Collection
from shops.storefront import services
from shops.storefront.documents import default_branding
from shops.storefront.selectors import design_get

DEMO_COLLECTION = "tees"


def demo_design_seed() -> bool:
    """Publish the demo design unless a design was published already (the merchant's
    changes are kept). Returns whether it published."""
    design = design_get()
    if design is not None and design.published:
        return False
    with transaction.atomic():
        if not Collection.objects.filter(slug=DEMO_COLLECTION).exists():
            collection_create(
                title="Organic tees", slug=DEMO_COLLECTION, kind="automatic", rule_tags=["tees"]
            )
        picture = services.library_image_upload(  # in the media library, to pick again
            file=io.BytesIO(demo_picture(demo_products()[0], 1)), label="Demo picture"
        ).image
        services.design_draft_replace(
            document={
                "branding": {
                    **default_branding(),
                    "accent_color": "#8a3b12",
                    "font": "humanist",
                    "tagline": "Organic tees, mugs and prints, made slowly in small batches.",
                    "announcement": "Free shipping on orders over €50",
                    "social": {"instagram": "https://instagram.com/etalage.demo"},
                },
                "sections": [
                    {
                        "id": "hero",
                        "type": "hero",
                        "settings": {
                            "heading": "Made slowly, worn for years",
                            "text": "Heavyweight organic cotton, printed in Lisbon.",
                            "button_label": "Shop the tees",
                            "button_link": "/#section-tees",
                            "alignment": "center",
                            "image": picture,
                        },
                    },
                    {
                        "id": "tees",
                        "type": "featured_collection",
                        "settings": {
                            "collection": DEMO_COLLECTION,
                            "heading": "Organic tees",
                            "limit": 4,
                        },
                    },
                    {
                        "id": "story",
                        "type": "image_with_text",
                        "settings": {
                            "heading": "Our story",
                            "text": "We started with one tee and a screen-printing frame.",
                            "image_alt": "A folded tee",
                            "image_position": "left",
                            "image": picture,
                        },
                    },
                    {
                        "id": "posts",
                        "type": "posts_gallery",
                        "settings": {"heading": "Shop our posts", "limit": 9},
                    },
                    {
                        "id": "products",
                        "type": "product_grid",
                        "settings": {"heading": "Everything", "per_page": 12},
                    },
                    {
                        "id": "reviews",
                        "type": "reviews_wall",
                        "settings": {"heading": "What shoppers say", "limit": 6, "min_rating": 4},
                    },
                    {
                        "id": "vote",
                        "type": "poll",
                        "settings": {"heading": "Help us choose"},
                    },
                    {
                        "id": "care",
                        "type": "rich_text",
                        "settings": {
                            "heading": "Care",
                            "html": "<p>Wash cold, <strong>inside out</strong>, and dry flat.</p>",
                        },
                    },
                ],
            }
        )
        services.design_publish()
    return True
