"""Reviews wall: shoppers' approved reviews (issue 5), photos first, newest first."""

from django import forms

from shops.storefront.fields import count_field, text_field
from shops.storefront.sections import FeatureQuery, SectionType


class ReviewsWallForm(forms.Form):
    heading = text_field("Heading", max_length=120)
    limit = count_field("Reviews shown", minimum=3, maximum=24, initial=6)
    min_rating = count_field("Lowest rating shown", minimum=1, maximum=5, initial=4)


def feature_query(settings: dict) -> FeatureQuery:
    """Approved reviews rated ``min_rating`` or more, with their products and first
    photos, read with the page's other sections; None, so nothing is shown, while there
    are none."""
    from reviews.selectors import reviews_for_wall_from_json, reviews_for_wall_query

    def build(items: object) -> dict | None:
        reviews = reviews_for_wall_from_json(items)
        return {"reviews": reviews} if reviews else None

    sql, params = reviews_for_wall_query(
        limit=int(settings.get("limit") or 6), min_rating=int(settings.get("min_rating") or 4)
    )
    return FeatureQuery(sql=sql, params=params, build=build)


SECTION = SectionType(
    key="reviews_wall",
    label="Reviews wall",
    description="Shoppers' reviews with photos (available with reviews).",
    form=ReviewsWallForm,
    feature_query=feature_query,
    default_settings={"limit": 6, "min_rating": 4},
)
