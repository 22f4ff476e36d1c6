"""Product feeds in each platform's documented format, written as a stream.

- Meta catalog feed (CSV or RSS 2.0 XML with the g: namespace): id, title, description
  (plain text), availability ("in stock" / "out of stock"), condition, price and
  sale_price ("9.99 EUR"), link, image_link, additional_image_link, brand, gtin, mpn,
  item_group_id, google_product_category, quantity_to_sell_on_facebook.
  (developers.facebook.com/docs/commerce-platform/catalog/fields)
- Pinterest catalog (CSV, TSV or XML, UTF-8): id ≤ 127, title ≤ 500, description ≤ 10,000,
  link ≤ 511, image_link, price, availability, condition, item_group_id ...
  (help.pinterest.com "Before you get started with catalogs")
- Google Merchant Center (RSS 2.0, xmlns:g="http://base.google.com/ns/1.0"): g:id ≤ 50,
  g:title ≤ 150, g:description ≤ 5,000, availability in_stock / out_of_stock.
  (support.google.com/merchants/answer/7052112)
- TikTok catalog (CSV or XML): sku_id, title, description, availability, condition,
  price, link, image_link, brand, item_group_id, additional_image_link.
  (ads.tiktok.com/help "Catalog product parameters")

One row per variant; products failing the channel's readiness rules are left out (the
admin lists them with the reason). Memory stays bounded by one chunk of products.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from xml.sax.saxutils import escape

from shops.channels.items import FeedItem, ShopContext, ready_items
from shops.channels.models import Channel, Connection
from shops.channels.selectors import connection_products, products_in_chunks

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


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _availability(item: FeedItem, *, underscore: bool = False) -> str:
    value = "in stock" if item.is_in_stock else "out of stock"
    return value.replace(" ", "_") if underscore else value


def _row(item: FeedItem, *, title: int, description: int, underscore: bool = False) -> dict:
    """The fields every channel shares, with its title and description limits."""
    return {
        "id": item.id,
        "title": _cut(item.title, title),
        "description": _cut(item.description, description),
        "availability": _availability(item, underscore=underscore),
        "condition": item.condition,
        "price": item.price_text(item.price),
        "sale_price": item.price_text(item.sale_price) if item.sale_price is not None else "",
        "link": item.link,
        "image_link": item.image_link,
        "additional_image_link": ",".join(item.additional_image_links),
        "brand": item.brand,
        "gtin": item.gtin,
        "mpn": item.mpn,
        "item_group_id": item.item_group_id,
        "google_product_category": item.google_product_category,
    }


def meta_row(item: FeedItem) -> dict[str, str]:
    return {
        **_row(item, title=200, description=9_999),
        "quantity_to_sell_on_facebook": str(item.stock),
    }


def pinterest_row(item: FeedItem) -> dict[str, str]:
    row = _row(item, title=500, description=10_000)
    row["link"] = item.link[:511]
    return row


def google_row(item: FeedItem) -> dict[str, str]:
    return {
        **_row(item, title=150, description=5_000, underscore=True),
        "identifier_exists": "yes" if (item.gtin or item.mpn) else "no",
    }


def tiktok_row(item: FeedItem) -> dict[str, str]:
    row = _row(item, title=255, description=10_000)
    del row["google_product_category"]
    return {"sku_id": row.pop("id"), **row}


ROWS: dict[str, Callable[[FeedItem], dict[str, str]]] = {
    Channel.META: meta_row,
    Channel.PINTEREST: pinterest_row,
    Channel.GOOGLE: google_row,
    Channel.TIKTOK: tiktok_row,
}
# Fields written as repeated XML elements (one per URL) rather than comma-joined
_REPEATED = {"additional_image_link"}


class _Line:
    """A write() target for csv.writer that hands back what was written."""

    def write(self, value: str) -> str:
        return value


def feed_items(*, connection: Connection, context: ShopContext) -> Iterator[list[FeedItem]]:
    """The connection's ready items, one list per chunk of products."""
    products = connection_products(connection=connection)
    for chunk in products_in_chunks(products):
        items: list[FeedItem] = []
        for product in chunk:
            items.extend(ready_items(product, connection.channel, context)[0])
        yield items


def _sample() -> FeedItem:
    from decimal import Decimal

    return FeedItem(
        id="", item_group_id="", product_id=0, variant_id=0, title="", description="",
        description_html="", is_in_stock=True, stock=0, condition="new", price=Decimal(0),
        sale_price=None, currency="EUR", link="", image_link="", additional_image_links=(),
        brand="", gtin="", mpn="", google_product_category="", options=(),
    )  # fmt: skip


COLUMNS: dict[str, list[str]] = {channel: list(rows(_sample())) for channel, rows in ROWS.items()}


def _csv(channel: str, chunks: Iterator[list[FeedItem]], delimiter: str) -> Iterator[str]:
    rows_of = ROWS[channel]
    writer = csv.writer(_Line(), delimiter=delimiter, lineterminator="\n")
    yield writer.writerow(COLUMNS[channel])
    for items in chunks:
        lines = []
        for item in items:
            values = rows_of(item).values()
            if delimiter == "\t":  # TSV has no quoting: tabs and line breaks become spaces
                values = [" ".join(v.split()) for v in values]
            lines.append(writer.writerow(values))
        yield "".join(lines)


def _xml_text(value: str) -> str:
    return escape(_XML_INVALID.sub("", value))


def _xml(
    rows_of: Callable, chunks: Iterator[list[FeedItem]], title: str, link: str
) -> Iterator[str]:
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">\n<channel>\n'
        f"<title>{_xml_text(title)}</title>\n<link>{_xml_text(link)}</link>\n"
        "<description>Product feed</description>\n"
    )
    for items in chunks:
        parts = []
        for item in items:
            parts.append("<item>")
            for name, value in rows_of(item).items():
                if not value:
                    continue
                values = value.split(",") if name in _REPEATED else [value]
                parts.extend(f"<g:{name}>{_xml_text(v)}</g:{name}>" for v in values)
            parts.append("</item>\n")
        yield "".join(parts)
    yield "</channel>\n</rss>\n"


def feed_stream(
    *, connection: Connection, context: ShopContext, file_format: str, shop_name: str
) -> Iterator[str]:
    """The feed of ``connection`` as text chunks (csv, tsv or xml)."""
    chunks = feed_items(connection=connection, context=context)
    if file_format == "xml":
        return _xml(ROWS[connection.channel], chunks, shop_name, context.base_url + "/")
    return _csv(connection.channel, chunks, "\t" if file_format == "tsv" else ",")
