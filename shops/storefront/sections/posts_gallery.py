"""The posts gallery: the shop's latest published posts, each opening with its tagged
products (issue 6, shops.posts)."""

from django import forms

from shops.posts.selectors import posts_for_gallery
from shops.storefront.fields import count_field, text_field
from shops.storefront.sections import SectionType


class PostsGalleryForm(forms.Form):
    heading = text_field("Heading", max_length=120)
    limit = count_field("Posts shown", minimum=3, maximum=24, initial=9)


def feature_context(settings: dict) -> dict | None:
    """``{"posts": [...]}``: the latest published posts (``limit``) with their pictures
    and shoppable tags, in three queries; None (nothing rendered) without any post."""
    posts = posts_for_gallery(limit=int(settings.get("limit") or 9))
    return {"posts": posts} if posts else None


SECTION = SectionType(
    key="posts_gallery",
    label="Shoppable posts",
    description="Pictures with tagged products: tap a post, then a product.",
    form=PostsGalleryForm,
    feature_context=feature_context,
    default_settings={"limit": 9},
)
