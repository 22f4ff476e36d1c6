"""Reviews land with issue 6: until then this section renders nothing."""

from django import forms

from shops.storefront.fields import count_field, text_field
from shops.storefront.sections import SectionType


class ReviewsWallForm(forms.Form):
    heading = text_field("Heading", max_length=120)
    limit = count_field("Reviews shown", minimum=3, maximum=24, initial=6)
    min_rating = count_field("Lowest rating shown", minimum=1, maximum=5, initial=4)


def feature_context(settings: dict) -> dict | None:
    """Hook for issue 6 (reviews): return ``{"reviews": [...]}`` (published reviews only,
    constant queries) and fill in templates/storefront/sections/reviews_wall.html."""
    return None


SECTION = SectionType(
    key="reviews_wall",
    label="Reviews wall",
    description="Shoppers' reviews with photos (available with reviews).",
    form=ReviewsWallForm,
    feature_context=feature_context,
    default_settings={"limit": 6, "min_rating": 4},
)
