"""Head data of the shop page: Open Graph / Twitter tags and schema.org Organization +
ItemList JSON-LD, escaped for its ``<script>`` (``product_seo.json_for_script``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from shops.media import stored_image_url
from shops.storefront.product_seo import json_for_script
from shops.storefront.selectors import SectionView

SHARE_IMAGE_WIDTH = 1080


@dataclass(frozen=True)
class ShopMeta:
    title: str
    description: str
    canonical_url: str
    image_url: str
    image_alt: str
    json_ld: str


def _share_image(branding: dict, sections: list[SectionView]) -> tuple[dict | None, str]:
    for view in sections:
        image = view.settings.get("image")
        if image:
            return image, view.settings.get("image_alt") or view.settings.get("heading", "")
    return branding.get("logo"), "Logo"


def shop_meta(
    *,
    shop_name: str,
    branding: dict,
    sections: list[SectionView],
    absolute_url: Callable[[str], str],
) -> ShopMeta:
    """Everything the shop page's head says about the shop and the products it lists."""
    home = absolute_url("/")
    organization: dict = {"@type": "Organization", "name": shop_name, "url": home}
    if branding.get("logo"):
        organization["logo"] = absolute_url(stored_image_url(branding["logo"], 640))
    if branding.get("social"):
        organization["sameAs"] = list(branding["social"].values())
    products = [card.product for view in sections for card in view.cards]
    unique = list({product.id: product for product in products}.values())
    item_list = {
        "@type": "ItemList",
        "name": f"Products of {shop_name}",
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": position,
                "url": absolute_url(reverse("product-page", kwargs={"slug": product.slug})),
                "name": product.title,
            }
            for position, product in enumerate(unique, start=1)
        ],
    }
    image, alt = _share_image(branding, sections)
    return ShopMeta(
        title=shop_name,
        description=branding.get("tagline") or f"Shop {shop_name}.",
        canonical_url=home,
        image_url=absolute_url(stored_image_url(image, SHARE_IMAGE_WIDTH)) if image else "",
        image_alt=alt if image else "",
        json_ld=json_for_script(
            {"@context": "https://schema.org", "@graph": [organization, item_list]}
        ),
    )
