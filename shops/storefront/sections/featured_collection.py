from django import forms
from django.db.models import QuerySet

from catalog.collections import collection_products
from catalog.models import Collection, Product
from shops.storefront.fields import count_field, text_field
from shops.storefront.sections import SectionType


class FeaturedCollectionForm(forms.Form):
    collection = forms.SlugField(
        label="Collection",
        max_length=255,
        required=False,
        help_text="The collection's handle; until one is chosen the section shows nothing.",
    )
    heading = text_field("Heading", max_length=120, help_text="Empty: the collection's title.")
    limit = count_field("Products shown", minimum=2, maximum=24, initial=8)


def products(
    settings: dict, collection: Collection | None, page: int
) -> tuple[QuerySet[Product], int, int] | None:
    if collection is None or not collection.is_published:
        return None
    return collection_products(collection), 0, settings.get("limit") or 8


SECTION = SectionType(
    key="featured_collection",
    label="Featured collection",
    description="A few products of one collection.",
    form=FeaturedCollectionForm,
    collection_setting="collection",
    products=products,
    default_settings={"limit": 8},
)
