"""Product feeds in each platform's documented format, written as a stream.

- Meta catalog feed (CSV or RSS 2.0 XML with the g: namespace): id, title, description
  (plain text), availability ("in stock" / "out of stock"), condition, price and
  sale_price ("9.99 EUR"), link, image_link, additional_image_link, brand, gtin, mpn,
  item_group_id, google_product_category, quantity_to_sell_on_facebook, and the variant's
  color, size, gender, age_group, material, pattern, product_type.
  (developers.facebook.com/docs/commerce-platform/catalog/fields)
- Pinterest catalog (CSV, TSV or XML, UTF-8): id ≤ 127, title ≤ 500, description ≤ 10,000,
  link ≤ 511, image_link, price, availability, condition, item_group_id, the variant
  attributes, size_system, product_type, and from the product's approved reviews
  average_review_rating, number_of_ratings, number_of_reviews ...
  (help.pinterest.com "Before you get started with catalogs")
- Google Merchant Center (RSS 2.0, xmlns:g="http://base.google.com/ns/1.0"): g:id ≤ 50,
  g:title ≤ 150, g:description ≤ 5,000, availability in_stock / out_of_stock,
  identifier_exists (no: custom goods without GTIN or MPN), the variant attributes,
  size_system, product_type, shipping_weight ("350 g") and shipping per country (the
  cheapest of the shop's rates for one unit), g:shipping with g:country and g:price.
  (support.google.com/merchants/answer/7052112)
- TikTok catalog (CSV or XML): sku_id, title, description, availability, condition,
  price, link, image_link, brand, item_group_id, additional_image_link.
  (ads.tiktok.com/help "Catalog product parameters")

One row per variant; products failing the channel's readiness rules are left out (the
admin lists them with the reason). Memory stays bounded by one chunk of products.
"""

from __future__ import annotations

import csv
import gc
import re
from collections.abc import Callable, Iterator
from xml.sax.saxutils import escape

from shops.channels.items import FeedItem, ShopContext, ready_items
from shops.channels.models import Channel, Connection
from shops.channels.selectors import connection_products, products_in_chunks, read_ahead

FORMATS: dict[str, tuple[str, ...]] = {
    Channel.META: ("csv", "xml"),
    Channel.PINTEREST: ("csv", "tsv", "xml"),
    Channel.GOOGLE: ("xml", "csv"),
    Channel.TIKTOK: ("csv", "xml"),
}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "xml": "application/xml; charset=utf-8",
}
# Characters XML 1.0 forbids (a pasted description may carry them)
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


SHARED_COLUMNS = (
    "id",
    "title",
    "description",
    "availability",
    "condition",
    "price",
    "sale_price",
    "link",
    "image_link",
    "additional_image_link",
    "brand",
    "gtin",
    "mpn",
    "item_group_id",
    "google_product_category",
)


def _values(item: FeedItem, *, title: int, description: int, in_stock: str, out: str) -> list:
    """The fields every channel shares (``SHARED_COLUMNS``), with its title and
    description limits and availability words."""
    sale_price = item.sale_price
    return [
        item.id,
        _cut(item.title, title),
        _cut(item.description, description),
        in_stock if item.is_in_stock else out,
        item.condition,
        item.price_text(item.price),
        item.price_text(sale_price) if sale_price is not None else "",
        item.link,
        item.image_link,
        ",".join(item.additional_image_links),
        item.brand,
        item.gtin,
        item.mpn,
        item.item_group_id,
        item.google_product_category,
    ]


# A variant's attributes from its options (shops.channels.attributes) and its product
# type: the same names on every platform that takes them
ATTRIBUTE_COLUMNS = ("color", "size", "gender", "age_group", "material", "pattern")


def _attributes(item: FeedItem) -> list[str]:
    return [item.color, item.size, item.gender, item.age_group, item.material, item.pattern]


def shipping_text(item: FeedItem) -> str:
    """Google's shipping groups, country:region:service:price, comma-separated (the XML
    feed writes each as a ``g:shipping`` element with ``g:country`` and ``g:price``)."""
    return ",".join(f"{country}:::{item.price_text(price)}" for country, price in item.shipping)


def meta_values(item: FeedItem) -> list[str]:
    values = _values(item, title=200, description=9_999, in_stock="in stock", out="out of stock")
    values.append(str(item.stock))  # quantity_to_sell_on_facebook
    values.extend(_attributes(item))
    values.append(item.product_type)
    return values


def pinterest_values(item: FeedItem) -> list[str]:
    # a link over 511 characters is never cut (a cut URL is a broken link): the
    # readiness rules leave such a product out
    values = _values(item, title=500, description=10_000, in_stock="in stock", out="out of stock")
    values.extend(_attributes(item))
    values.extend((item.size_system, item.product_type))
    rated = item.rating_average is not None
    count = str(item.rating_count) if rated else ""
    # average_review_rating, number_of_ratings, number_of_reviews (each review rates)
    values.extend((f"{item.rating_average:.1f}" if rated else "", count, count))
    return values


def google_values(item: FeedItem) -> list[str]:
    values = _values(item, title=150, description=5_000, in_stock="in_stock", out="out_of_stock")
    values.append("yes" if item.identifier_exists else "no")
    values.extend(_attributes(item))
    values.extend(
        (
            item.size_system,
            item.product_type,
            f"{item.weight_grams} g" if item.weight_grams else "",  # shipping_weight
            shipping_text(item),
        )
    )
    return values


def tiktok_values(item: FeedItem) -> list[str]:
    values = _values(item, title=255, description=10_000, in_stock="in stock", out="out of stock")
    del values[14]  # no google_product_category; the id is called sku_id
    values.extend(_attributes(item))
    return values


# Each channel's feed columns, in order, and the values of one item in that order (a
# list, not a dict: a feed writes 100,000 of them)
COLUMNS: dict[str, tuple[str, ...]] = {
    Channel.META: (
        *SHARED_COLUMNS,
        "quantity_to_sell_on_facebook",
        *ATTRIBUTE_COLUMNS,
        "product_type",
    ),
    Channel.PINTEREST: (
        *SHARED_COLUMNS,
        *ATTRIBUTE_COLUMNS,
        "size_system",
        "product_type",
        "average_review_rating",
        "number_of_ratings",
        "number_of_reviews",
    ),
    Channel.GOOGLE: (
        *SHARED_COLUMNS,
        "identifier_exists",
        *ATTRIBUTE_COLUMNS,
        "size_system",
        "product_type",
        "shipping_weight",
        "shipping",
    ),
    Channel.TIKTOK: ("sku_id", *SHARED_COLUMNS[1:-1], *ATTRIBUTE_COLUMNS),
}
VALUES: dict[str, Callable[[FeedItem], list[str]]] = {
    Channel.META: meta_values,
    Channel.PINTEREST: pinterest_values,
    Channel.GOOGLE: google_values,
    Channel.TIKTOK: tiktok_values,
}


def _row_function(channel: str) -> Callable[[FeedItem], dict[str, str]]:
    columns, values_of = COLUMNS[channel], VALUES[channel]
    return lambda item: dict(zip(columns, values_of(item), strict=True))


# {column: value} of one item per channel (the push sync starts from it)
ROWS: dict[str, Callable[[FeedItem], dict[str, str]]] = {
    channel: _row_function(channel) for channel in VALUES
}
# Fields written as repeated XML elements (one per URL) rather than comma-joined; shipping
# groups are nested elements (``_xml_shipping``)
_REPEATED = {"additional_image_link"}


def _xml_shipping(group: str) -> str:
    """One "country:::price" group as Google's nested ``g:shipping`` element."""
    country, _region, _service, price = group.split(":", 3)
    return (
        f"<g:shipping><g:country>{_xml_text(country)}</g:country>"
        f"<g:price>{_xml_text(price)}</g:price></g:shipping>"
    )


class _Line:
    """A write() target for csv.writer that hands back what was written."""

    def write(self, value: str) -> str:
        return value


def feed_items(*, connection: Connection, context: ShopContext) -> Iterator[list[FeedItem]]:
    """The connection's ready items, one list per chunk of products."""
    products = connection_products(connection=connection)
    for chunk in read_ahead(lambda: products_in_chunks(products)):
        items: list[FeedItem] = []
        for product in chunk:
            items.extend(ready_items(product, connection.channel, context)[0])
        yield items


def _csv(channel: str, chunks: Iterator[list[FeedItem]], delimiter: str) -> Iterator[str]:
    values_of = VALUES[channel]
    writer = csv.writer(_Line(), delimiter=delimiter, lineterminator="\n")
    yield writer.writerow(COLUMNS[channel])
    tsv = delimiter == "\t"
    for items in chunks:
        lines = []
        for item in items:
            values = values_of(item)
            if tsv:  # TSV has no quoting: tabs and line breaks become spaces
                values = [" ".join(v.split()) for v in values]
            lines.append(writer.writerow(values))
        yield "".join(lines)


def _xml_text(value: str) -> str:
    if _XML_SPECIAL.search(value) is None:
        return value  # most values: nothing to escape or drop
    return escape(_XML_INVALID.sub("", value))


def _xml(channel: str, chunks: Iterator[list[FeedItem]], title: str, link: str) -> Iterator[str]:
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">\n<channel>\n'
        f"<title>{_xml_text(title)}</title>\n<link>{_xml_text(link)}</link>\n"
        "<description>Product feed</description>\n"
    )
    values_of = VALUES[channel]
    # "<g:name>" and "</g:name>" per column, made once
    tags = [
        (f"<g:{name}>", f"</g:{name}>", name in _REPEATED, name == "shipping")
        for name in COLUMNS[channel]
    ]
    for items in chunks:
        parts = []
        append = parts.append
        for item in items:
            append("<item>")
            for (start, end, repeated, shipping), value in zip(tags, values_of(item), strict=True):
                if not value:
                    continue
                if shipping:
                    append("".join(_xml_shipping(group) for group in value.split(",")))
                elif repeated:
                    for one in value.split(","):
                        append(f"{start}{_xml_text(one)}{end}")
                else:
                    append(f"{start}{_xml_text(value)}{end}")
            append("</item>\n")
        yield "".join(parts)
    yield "</channel>\n</rss>\n"


def _collector_paused(texts: Iterator[str]) -> Iterator[str]:
    """``texts``, each made with Python's cyclic garbage collector paused.

    Making one chunk allocates some 100,000 short-lived tuples and lists (freed by
    reference counting: the rows hold no cycles), and each 700 allocations wake the
    collector, which then walks the young objects and, every so often, the whole heap:
    a quarter of a large feed's time. It is paused only while a chunk is made (never
    across a ``yield``), so the rest of the process collects as usual.
    """
    while True:
        enabled = gc.isenabled()
        gc.disable()
        try:
            text = next(texts, None)
        finally:
            if enabled:
                gc.enable()
        if text is None:
            return
        yield text


def feed_stream(
    *, connection: Connection, context: ShopContext, file_format: str, shop_name: str
) -> Iterator[str]:
    """The feed of ``connection`` as text chunks (csv, tsv or xml)."""
    chunks = feed_items(connection=connection, context=context)
    if file_format == "xml":
        texts = _xml(connection.channel, chunks, shop_name, context.base_url + "/")
    else:
        texts = _csv(connection.channel, chunks, "\t" if file_format == "tsv" else ",")
    return _collector_paused(texts)
