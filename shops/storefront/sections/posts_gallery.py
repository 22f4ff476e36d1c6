"""Shoppable posts land with issue 5: until then this section renders nothing."""

from django import forms

from shops.storefront.fields import count_field, text_field
from shops.storefront.sections import SectionType


class PostsGalleryForm(forms.Form):
    heading = text_field("Heading", max_length=120)
    limit = count_field("Posts shown", minimum=3, maximum=24, initial=9)


def feature_context(settings: dict) -> dict | None:
    """Hook for issue 5 (shoppable posts): return ``{"posts": [...]}`` read in a constant
    number of queries, and fill in templates/storefront/sections/posts_gallery.html."""
    return None


SECTION = SectionType(
    key="posts_gallery",
    label="Shoppable posts",
    description="Pictures with tagged products (available with shoppable posts).",
    form=PostsGalleryForm,
    feature_context=feature_context,
    default_settings={"limit": 9},
)
