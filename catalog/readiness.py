"""Channel readiness: can a product be listed on Meta, Pinterest, TikTok and Google, and
if not, why.

The rules are data: one table per channel in ``CHANNEL_RULES``, each rule a check and a
message a merchant can act on. The admin shows them; the channel sync (issue: channels)
reuses the same tables to decide what to send, so a product is never shown "ready" here
and then refused there. Limits come from each platform's product specification (see
shared/PLATFORMS.md).

``product_readiness`` reads only the product and its prefetched ``variants`` and
``images``: with ``prefetch_related("variants", "images")`` a list of products costs no
query per product.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from catalog.models import Product, ProductImage, variant_identifiers
from catalog.services import plain_text

CHANNELS = ("meta", "pinterest", "tiktok", "google")
CHANNEL_NAMES = {"meta": "Meta", "pinterest": "Pinterest", "tiktok": "TikTok", "google": "Google"}


@dataclass(frozen=True)
class Facts:
    """What the rules look at, computed once per product from prefetched rows."""

    status: str
    title: str
    description_html: str
    description_text: str
    brand: str
    # the variants' GTIN and MPN as sent (``catalog.models.variant_identifiers``)
    gtins: tuple[str, ...]
    mpns: tuple[str, ...]
    prices: tuple[Decimal, ...]
    stocks: tuple[int, ...]
    ready_images: int
    pending_images: int
    # the product page's address per variant as a channel links it (empty: not known
    # here; the channel sync passes them, see shops.channels.items.product_links)
    links: tuple[str, ...] = ()
    # the images' addresses a channel is sent (main, then additional), likewise
    image_links: tuple[str, ...] = ()
    # handmade or one of a kind: no GTIN or MPN exists (Google: identifier_exists = no)
    is_custom_goods: bool = False

    @property
    def has_identifier(self) -> bool:
        """Any variant has a GTIN or an MPN."""
        return any(self.gtins) or any(self.mpns)

    @property
    def every_variant_identified(self) -> bool:
        return all(gtin or mpn for gtin, mpn in zip(self.gtins, self.mpns, strict=True))

    @classmethod
    def of(
        cls, product: Product, *, links: tuple[str, ...] = (), image_links: tuple[str, ...] = ()
    ) -> Facts:
        variants = list(product.variants.all())
        images = list(product.images.all())
        identifiers = [variant_identifiers(product, v, len(variants)) for v in variants]
        return cls(
            status=product.status,
            title=product.title.strip(),
            description_html=product.description or "",
            description_text=plain_text(product.description),
            brand=product.brand.strip(),
            gtins=tuple(gtin for gtin, _ in identifiers),
            mpns=tuple(mpn.strip() for _, mpn in identifiers),
            prices=tuple(v.price for v in variants),
            stocks=tuple(v.available for v in variants),
            ready_images=sum(i.status == ProductImage.Status.READY for i in images),
            pending_images=sum(i.status == ProductImage.Status.PENDING for i in images),
            links=links,
            image_links=image_links,
            is_custom_goods=product.is_custom_goods,
        )


@dataclass(frozen=True)
class Rule:
    code: str
    passes: Callable[[Facts], bool]
    message: str


def _active(f: Facts) -> bool:
    return f.status == Product.Status.ACTIVE


def _has_variant(f: Facts) -> bool:
    return bool(f.prices)


def _priced(f: Facts) -> bool:
    return bool(f.prices) and all(price > 0 for price in f.prices)


def _has_image(f: Facts) -> bool:
    return f.ready_images > 0


def _has_description(f: Facts) -> bool:
    return bool(f.description_text)


def _title_at_most(limit: int) -> Rule:
    return Rule(
        f"title_over_{limit}",
        lambda f: 0 < len(f.title) <= limit,
        f"Title is empty or over {limit} characters.",
    )


def _text_at_most(limit: int) -> Rule:
    return Rule(
        f"description_over_{limit}",
        lambda f: len(f.description_text) <= limit,
        f"Description is over {limit:,} characters.",
    )


def _links_at_most(limit: int) -> Rule:
    """A link is never cut short (a cut URL is a broken link): the item is left out."""
    return Rule(
        f"link_over_{limit}",
        lambda f: all(len(link) <= limit for link in f.links),
        f"Link is longer than {limit:,} characters: shorten the product's URL name (slug).",
    )


def _image_links_at_most(limit: int) -> Rule:
    """Like links: an image address is never cut short; the item is left out."""
    return Rule(
        f"image_link_over_{limit}",
        lambda f: all(len(link) <= limit for link in f.image_links),
        f"An image's address is longer than {limit:,} characters: give the image file a "
        "shorter name (upload it again) or use a shorter shop domain.",
    )


COMMON = (
    Rule("not_active", _active, "Not published: set the status to Active."),
    Rule("no_variant", _has_variant, "Has no variant: add one with a SKU and a price."),
    Rule("price_zero", _priced, "A variant has a price of 0."),
    Rule("no_image", _has_image, "Has no image (or its images are still processing)."),
)

CHANNEL_RULES: dict[str, tuple[Rule, ...]] = {
    # Meta catalog: brand required (the older template accepts GTIN or MPN instead);
    # title ≤ 200, plain-text description ≤ 9,999, additional_image_link ≤ 2,000 (the
    # same limit is kept for image_link, whose own limit Meta does not state).
    "meta": (
        *COMMON,
        _title_at_most(200),
        Rule("no_description", _has_description, "Description is empty."),
        _text_at_most(9_999),
        _image_links_at_most(2_000),
        Rule(
            "no_brand_or_gtin",
            lambda f: bool(f.brand or f.has_identifier),
            "Missing brand and GTIN: add a brand (or a GTIN or MPN).",
        ),
    ),
    # Pinterest catalog: title ≤ 500, description required and ≤ 10,000, link ≤ 511,
    # image_link and additional_image_link ≤ 2,000.
    "pinterest": (
        *COMMON,
        _title_at_most(500),
        Rule("no_description", _has_description, "Description is empty."),
        _text_at_most(10_000),
        _links_at_most(511),
        _image_links_at_most(2_000),
    ),
    # TikTok Shop: title 1-255, HTML description ≤ 10,000, ≤ 100 SKUs, stock ≤ 999,999
    # (images are uploaded to TikTok, not linked: no address limit).
    "tiktok": (
        *COMMON,
        _title_at_most(255),
        Rule("no_description", _has_description, "Description is empty."),
        Rule(
            "description_over_10000",
            lambda f: len(f.description_html) <= 10_000,
            "Description (with its formatting) is over 10,000 characters.",
        ),
        Rule("too_many_skus", lambda f: len(f.prices) <= 100, "Has more than 100 variants."),
        Rule(
            "stock_over_limit",
            lambda f: all(stock <= 999_999 for stock in f.stocks),
            "A variant's stock is over 999,999.",
        ),
    ),
    # Google Merchant Center: title ≤ 150, description ≤ 5,000, link, image_link and
    # additional_image_link ≤ 2,000, brand required, and per variant a GTIN or an MPN,
    # unless the product is custom goods (sent with identifier_exists = no).
    "google": (
        *COMMON,
        _title_at_most(150),
        Rule("no_description", _has_description, "Description is empty."),
        _text_at_most(5_000),
        _links_at_most(2_000),
        _image_links_at_most(2_000),
        Rule("no_brand", lambda f: bool(f.brand), "Missing brand."),
        Rule(
            "no_gtin_or_mpn",
            lambda f: f.is_custom_goods or f.every_variant_identified,
            "Missing GTIN and MPN: add each variant's barcode (GTIN) or the maker's part "
            "number, or tick “custom goods” if no maker assigned one (handmade products).",
        ),
    ),
}


def channel_problems(product: Product, channel: str, facts: Facts | None = None) -> list[Rule]:
    """The rules of ``channel`` that the product breaks (empty: it can be listed)."""
    facts = facts or Facts.of(product)
    return [rule for rule in CHANNEL_RULES[channel] if not rule.passes(facts)]


def product_readiness(product: Product, *, facts: Facts | None = None) -> dict[str, list[str]]:
    """{channel: [reasons it cannot be listed]} for every channel; [] means ready
    (``facts``: with the addresses the channels are sent, for the length rules; see
    ``shops.channels.items.channel_facts``)."""
    facts = facts or Facts.of(product)
    return {
        channel: [rule.message for rule in channel_problems(product, channel, facts)]
        for channel in CHANNELS
    }
