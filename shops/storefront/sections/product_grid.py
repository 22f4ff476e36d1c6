from django import forms
from django.db.models import QuerySet

from catalog.models import Collection, Product
from shops.storefront.fields import count_field, text_field
from shops.storefront.sections import SectionType


class ProductGridForm(forms.Form):
    heading = text_field("Heading", max_length=120)
    per_page = count_field("Products per page", minimum=4, maximum=48, initial=24)


def products(
    settings: dict, collection: Collection | None, page: int
) -> tuple[QuerySet[Product], int, int]:
    """All active products by title, one page."""
    per_page = settings.get("per_page") or 24
    start = (page - 1) * per_page
    products = Product.objects.filter(status=Product.Status.ACTIVE).order_by("title", "id")
    return products, start, start + per_page


SECTION = SectionType(
    key="product_grid",
    label="Product grid",
    description="Every active product, a page at a time.",
    form=ProductGridForm,
    products=products,
    default_settings={"heading": "Products", "per_page": 24},
)
