"""Feed validators from the platforms' published field rules (see shared/PLATFORMS.md):
required fields, value sets, price format, length limits. ``feed_problems`` parses a
feed (CSV, TSV, or RSS 2.0 with the g: namespace) and returns one line per problem.

Sources: Meta "Product catalog fields" (developers.facebook.com/docs/commerce-platform/
catalog/fields), Google Merchant Center "Product data specification"
(support.google.com/merchants/answer/7052112), Pinterest "Catalogs" product fields
(help.pinterest.com/en/business/article/before-you-get-started-with-catalogs), TikTok
"Catalog product parameters" (ads.tiktok.com/help).
"""

from __future__ import annotations

import csv
import io
import re
from xml.etree import ElementTree

G = "{http://base.google.com/ns/1.0}"
PRICE = re.compile(r"^\d+(\.\d{1,2})? [A-Z]{3}$")
URL = re.compile(r"^https?://[^\s]+$")

RULES: dict[str, dict] = {
    "meta": {
        "id": "id",
        "required": (
            "id",
            "title",
            "description",
            "availability",
            "condition",
            "price",
            "link",
            "image_link",
            "brand",
        ),
        "limits": {"id": 100, "title": 200, "description": 9_999},
        "availability": {
            "in stock",
            "out of stock",
            "preorder",
            "available for order",
            "discontinued",
        },
    },
    "pinterest": {
        "id": "id",
        "required": ("id", "title", "description", "link", "image_link", "price", "availability"),
        "limits": {"id": 127, "title": 500, "description": 10_000, "link": 511},
        "availability": {"in stock", "out of stock", "preorder"},
    },
    "google": {
        "id": "id",
        "required": ("id", "title", "description", "link", "image_link", "price", "availability"),
        "limits": {"id": 50, "title": 150, "description": 5_000},
        "availability": {"in_stock", "out_of_stock", "preorder", "backorder"},
    },
    "tiktok": {
        "id": "sku_id",
        "required": (
            "sku_id",
            "title",
            "description",
            "availability",
            "condition",
            "price",
            "link",
            "image_link",
            "brand",
        ),
        "limits": {"title": 255, "description": 10_000},
        "availability": {
            "in stock",
            "out of stock",
            "preorder",
            "available for order",
            "discontinued",
        },
    },
}
CONDITIONS = {"new", "refurbished", "used"}


def parse_feed(text: str, file_format: str) -> list[dict[str, str]]:
    if file_format in ("csv", "tsv"):
        reader = csv.DictReader(io.StringIO(text), delimiter="\t" if file_format == "tsv" else ",")
        return list(reader)
    root = ElementTree.fromstring(text.encode())  # noqa: S314 (our own feed)
    assert root.tag == "rss" and root.get("version") == "2.0", "not RSS 2.0"
    rows = []
    for item in root.iter("item"):
        row: dict[str, str] = {}
        for element in item:
            assert element.tag.startswith(G), f"{element.tag} is outside the g: namespace"
            name = element.tag[len(G) :]
            row[name] = f"{row[name]},{element.text}" if name in row else (element.text or "")
        rows.append(row)
    return rows


def row_problems(channel: str, row: dict[str, str]) -> list[str]:
    rules = RULES[channel]
    key = row.get(rules["id"], "?")
    problems = [f"{key}: missing {name}" for name in rules["required"] if not row.get(name)]
    for name, limit in rules["limits"].items():
        if len(row.get(name) or "") > limit:
            problems.append(f"{key}: {name} over {limit} characters")
    if row.get("availability") and row["availability"] not in rules["availability"]:
        problems.append(f"{key}: availability {row['availability']!r} not allowed")
    if row.get("condition") and row["condition"] not in CONDITIONS:
        problems.append(f"{key}: condition {row['condition']!r} not allowed")
    for name in ("price", "sale_price"):
        if row.get(name) and not PRICE.match(row[name]):
            problems.append(f"{key}: {name} {row[name]!r} is not like '9.99 EUR'")
    for name in ("link", "image_link"):
        if row.get(name) and not URL.match(row[name]):
            problems.append(f"{key}: {name} is not an absolute URL")
    if "<" in (row.get("description") or ""):
        problems.append(f"{key}: description carries HTML")
    if not row.get("item_group_id"):
        problems.append(f"{key}: missing item_group_id")
    return problems


def feed_problems(channel: str, file_format: str, text: str) -> tuple[list[dict], list[str]]:
    rows = parse_feed(text, file_format)
    ids = [row.get(RULES[channel]["id"]) for row in rows]
    problems = [problem for row in rows for problem in row_problems(channel, row)]
    if len(ids) != len(set(ids)):
        problems.append("duplicate ids")
    return rows, problems
