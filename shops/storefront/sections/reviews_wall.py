"""Reviews wall: shoppers' approved reviews (issue 5), photos first, newest first."""

from django import forms

from reviews.selectors import reviews_for_wall
from shops.storefront.fields import count_field, text_field
from shops.storefront.sections import SectionType


class ReviewsWallForm(forms.Form):
    heading = text_field("Heading", max_length=120)
    limit = count_field("Reviews shown", minimum=3, maximum=24, initial=6)
    min_rating = count_field("Lowest rating shown", minimum=1, maximum=5, initial=4)


def feature_context(settings: dict) -> dict | None:
    """Approved reviews rated ``min_rating`` or more, with their products and first
    photos (one query); None, so nothing is shown, while there are none."""
    reviews = reviews_for_wall(
        limit=int(settings.get("limit") or 6), min_rating=int(settings.get("min_rating") or 4)
    )
    return {"reviews": reviews} if reviews else None


SECTION = SectionType(
    key="reviews_wall",
    label="Reviews wall",
    description="Shoppers' reviews with photos (available with reviews).",
    form=ReviewsWallForm,
    feature_context=feature_context,
    default_settings={"limit": 6, "min_rating": 4},
)
