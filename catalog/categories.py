"""A Google product category suggested from a product's type and title: a small table
of keywords to paths of Google's product taxonomy
(support.google.com/merchants/answer/6324436). The merchant confirms a suggestion in the
product admin before it is stored; nothing is ever filled in unasked.
"""

from __future__ import annotations

import re

# (keywords, taxonomy path), the first matching row wins; keywords are whole words,
# singular (a trailing "s" of the product's words is ignored)
SUGGESTIONS: tuple[tuple[frozenset[str], str], ...] = tuple(
    (frozenset(words.split()), path)
    for words, path in (
        ("t-shirt tee shirt blouse top tank", "Apparel & Accessories > Clothing > Shirts & Tops"),
        ("dress", "Apparel & Accessories > Clothing > Dresses"),
        ("skirt", "Apparel & Accessories > Clothing > Skirts"),
        ("sweater jumper cardigan hoodie", "Apparel & Accessories > Clothing > Shirts & Tops"),
        ("scarf scarve shawl", "Apparel & Accessories > Clothing Accessories > Scarves & Shawls"),
        ("hat cap beanie", "Apparel & Accessories > Clothing Accessories > Hats"),
        ("sock", "Apparel & Accessories > Clothing > Underwear & Socks > Socks"),
        ("shoe sneaker boot sandal", "Apparel & Accessories > Shoes"),
        (
            "bag tote backpack handbag",
            "Apparel & Accessories > Handbags, Wallets & Cases > Handbags",
        ),
        ("necklace pendant", "Apparel & Accessories > Jewelry > Necklaces"),
        ("earring", "Apparel & Accessories > Jewelry > Earrings"),
        ("ring", "Apparel & Accessories > Jewelry > Rings"),
        ("bracelet", "Apparel & Accessories > Jewelry > Bracelets"),
        ("mug cup", "Home & Garden > Kitchen & Dining > Tableware > Drinkware > Mugs"),
        ("bowl", "Home & Garden > Kitchen & Dining > Tableware > Dinnerware > Bowls"),
        ("plate", "Home & Garden > Kitchen & Dining > Tableware > Dinnerware > Plates"),
        ("candle", "Home & Garden > Decor > Home Fragrances > Candles"),
        ("vase", "Home & Garden > Decor > Vases"),
        ("cushion pillow", "Home & Garden > Decor > Throw Pillows"),
        ("blanket throw", "Home & Garden > Linens & Bedding > Bedding > Blankets"),
        (
            "poster print painting artwork",
            "Home & Garden > Decor > Artwork > Posters, Prints, & Visual Artwork",
        ),
        ("soap", "Health & Beauty > Personal Care > Cosmetics > Bath & Body > Bar Soap"),
        (
            "notebook journal notepad",
            "Office Supplies > General Office Supplies > Paper Products > Notebooks & Notepads",
        ),
        ("book", "Media > Books"),
    )
)
_WORD = re.compile(r"[a-z][a-z-]*")


def _words(text: str) -> set[str]:
    words = set(_WORD.findall(text.lower()))
    return words | {word[:-1] for word in words if word.endswith("s") and len(word) > 3}


def google_category_suggestion(*, product_type: str, title: str) -> str:
    """The taxonomy path the product's type suggests, else its title; "" when the table
    has nothing for either."""
    for text in (product_type, title):
        words = _words(text)
        for keywords, path in SUGGESTIONS:
            if words & keywords:
                return path
    return ""
