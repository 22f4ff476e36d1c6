"""The posts gallery: the shop's latest published posts, each opening with its tagged
products (issue 6, shops.posts)."""

from django import forms

from shops.posts.selectors import posts_for_gallery_from_json, posts_for_gallery_query
from shops.storefront.fields import count_field, text_field
from shops.storefront.sections import FeatureQuery, SectionType


class PostsGalleryForm(forms.Form):
    heading = text_field("Heading", max_length=120)
    limit = count_field("Posts shown", minimum=3, maximum=24, initial=9)


def feature_query(settings: dict) -> FeatureQuery:
    """``{"posts": [...]}``: the latest published posts (``limit``) with their pictures
    and shoppable tags, read with the page's other sections; None (nothing rendered)
    without any post."""

    def build(items: object) -> dict | None:
        posts = posts_for_gallery_from_json(items)
        return {"posts": posts} if posts else None

    sql, params = posts_for_gallery_query(limit=int(settings.get("limit") or 9))
    return FeatureQuery(sql=sql, params=params, build=build)


SECTION = SectionType(
    key="posts_gallery",
    label="Shoppable posts",
    description="Pictures with tagged products: tap a post, then a product.",
    form=PostsGalleryForm,
    feature_query=feature_query,
    default_settings={"limit": 9},
)
