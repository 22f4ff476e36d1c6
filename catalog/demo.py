"""Demo products for the demo shop: tees, mugs, posters and tote bags with pictures drawn
by Pillow (nothing is downloaded). Run in the shop's schema (``tenant_context``).

Everything goes through the catalog's own writes (``product_create``,
``product_image_add``), so demo products look exactly like a merchant's: sanitized
descriptions, outbox rows, image renditions.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageFont

from catalog.images import product_image_add
from catalog.models import Product
from catalog.services import VariantInput, outbox_batch, product_create

DEMO_BRAND = "Etalage Studio"
IMAGE_SIZE = 1080

# name, background, ink
PALETTE = (
    ("Harbour", "#0a5c4a", "#f4efe6"),
    ("Saffron", "#f4b400", "#1d1d1f"),
    ("Lagoon", "#2a7bb8", "#ffffff"),
    ("Ember", "#c2410c", "#fff7ed"),
    ("Moss", "#4d7c0f", "#f7fee7"),
    ("Plum", "#6b21a8", "#faf5ff"),
    ("Slate", "#334155", "#f8fafc"),
    ("Coral", "#f87171", "#1d1d1f"),
)


@dataclass(frozen=True)
class DemoProduct:
    title: str
    product_type: str
    description: str
    variants: list[VariantInput]
    colours: tuple[str, str]  # background, ink of its pictures
    option1_name: str = ""
    tags: list[str] = field(default_factory=list)
    gtin: str = ""  # a one-variant product's (variants of several carry their own)
    mpn: str = ""
    is_custom_goods: bool = False
    status: str = Product.Status.ACTIVE
    image_count: int = 1

    @property
    def slug(self) -> str:
        return slugify(self.title)


def gtin_with_check_digit(body: str) -> str:
    """Append the GS1 check digit to 7, 11, 12 or 13 digits (a GTIN-8/12/13/14)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return f"{body}{(10 - total % 10) % 10}"


def _tees() -> list[DemoProduct]:
    products = []
    for index, (name, background, ink) in enumerate(PALETTE):
        stocks = (
            (0, 0, 0, 0) if index == 5 else (8, 3 if index % 2 else 12, 0 if index == 1 else 6, 2)
        )
        products.append(
            DemoProduct(
                title=f"{name} Tee",
                product_type="T-shirt",
                description=(
                    f"<p>A heavyweight organic cotton tee in {name.lower()}, "
                    "cut straight and garment-washed so it is soft from the first wear.</p>"
                    "<ul><li>100% organic cotton, 220 g/m²</li><li>Printed in Lisbon</li></ul>"
                ),
                option1_name="Size",
                variants=[
                    VariantInput(
                        sku=f"TEE-{name.upper()}-{size}",
                        price=Decimal("26.00") if size == "XL" else Decimal("24.00"),
                        compare_at_price=Decimal("30.00") if index == 2 else None,
                        stock=stock,
                        options=[size],
                        # each size its own barcode (the first four tees have them)
                        gtin=gtin_with_check_digit(f"2000000{index:02d}{number:03d}")
                        if index < 4
                        else "",
                    )
                    for number, (size, stock) in enumerate(
                        zip(("S", "M", "L", "XL"), stocks, strict=True)
                    )
                ],
                colours=(background, ink),
                tags=["apparel", "tees", name.lower()],
                mpn=f"ES-TEE-{index:03d}",
                status=Product.Status.DRAFT if index == 7 else Product.Status.ACTIVE,
                image_count=1 + index % 3,
            )
        )
    return products


def _mugs() -> list[DemoProduct]:
    return [
        DemoProduct(
            title=f"{name} Mug",
            product_type="Mug",
            description=(
                f"<p>A 330 ml stoneware mug glazed in {name.lower()}. "
                "Dishwasher and microwave safe.</p>"
            ),
            variants=[
                VariantInput(
                    sku=f"MUG-{name.upper()}",
                    price=Decimal("14.00"),
                    stock=0 if index == 3 else 20 + index,
                )
            ],
            colours=(background, ink),
            tags=["kitchen", "mugs"],
            gtin=gtin_with_check_digit(f"2000001{index:04d}") if index % 2 == 0 else "",
            # the others are thrown by hand: no barcode exists (Google: identifier_exists no)
            is_custom_goods=index % 2 == 1,
            image_count=1 + index % 2,
        )
        for index, (name, background, ink) in enumerate(PALETTE[:7])
    ]


def _posters() -> list[DemoProduct]:
    return [
        DemoProduct(
            title=f"{name} Horizon Poster",
            product_type="Poster",
            description=(
                "<p>A risograph print on 170 g/m² recycled paper, signed and numbered.</p>"
            ),
            option1_name="Size",
            variants=[
                VariantInput(sku=f"PST-{name.upper()}-A3", price="18.00", stock=15, options=["A3"]),
                VariantInput(
                    sku=f"PST-{name.upper()}-A2",
                    price="28.00",
                    stock=0 if index == 0 else 4,
                    options=["A2"],
                ),
            ],
            colours=(background, ink),
            tags=["prints", "posters"],
            mpn=f"ES-PST-{index:03d}",
            image_count=1,
        )
        for index, (name, background, ink) in enumerate(PALETTE[:7])
    ]


def _totes() -> list[DemoProduct]:
    colours = ("Natural", "Black", "Navy")
    return [
        DemoProduct(
            title=f"{name} Tote Bag",
            product_type="Bag",
            description=(
                "<p>A roomy canvas tote with long handles and an inside pocket.</p>"
                "<p>Holds a week of groceries or a laptop and a book.</p>"
            ),
            option1_name="Colour",
            variants=[
                VariantInput(
                    sku=f"TOTE-{name.upper()}-{colour.upper()}",
                    price=Decimal("22.00"),
                    stock=0 if index == 4 else (10 if colour != "Navy" else 0),
                    options=[colour],
                    gtin=gtin_with_check_digit(f"2000003{index:02d}{number:03d}")
                    if index < 3
                    else "",
                )
                for number, colour in enumerate(colours)
            ],
            colours=(background, ink),
            tags=["bags", "canvas"],
            image_count=1 + (index % 3 == 0),
        )
        for index, (name, background, ink) in enumerate(PALETTE[:8])
    ]


def demo_products() -> list[DemoProduct]:
    return [*_tees(), *_mugs(), *_posters(), *_totes()]


def _draw_shape(draw: ImageDraw.ImageDraw, product_type: str, ink: str, view: int) -> None:
    """A simple silhouette of the product; ``view`` shifts it for a second picture."""
    c, s = IMAGE_SIZE // 2, IMAGE_SIZE
    offset = view * 60
    if product_type == "T-shirt":
        draw.polygon(
            [
                (c - 260, 260 + offset),
                (c - 90, 200 + offset),
                (c + 90, 200 + offset),
                (c + 260, 260 + offset),
                (c + 320, 420 + offset),
                (c + 200, 460 + offset),
                (c + 200, 800 + offset),
                (c - 200, 800 + offset),
                (c - 200, 460 + offset),
                (c - 320, 420 + offset),
            ],
            fill=ink,
        )
    elif product_type == "Mug":
        draw.rounded_rectangle((c - 220, 300, c + 160, 780), radius=40, fill=ink)
        draw.ellipse((c + 100, 420, c + 320, 660), outline=ink, width=45)
    elif product_type == "Poster":
        draw.rectangle((c - 260, 160, c + 260, 880), outline=ink, width=18)
        draw.ellipse((c - 120, 300, c + 120, 540), fill=ink)
        draw.line((c - 200, 700, c + 200, 700), fill=ink, width=14)
    else:
        draw.polygon([(c - 260, 420), (c + 260, 420), (c + 220, 860), (c - 220, 860)], fill=ink)
        draw.arc((c - 170, 180 - offset, c + 170, 620 - offset), 180, 360, fill=ink, width=30)
    draw.ellipse((s - 200, 60, s - 80, 180), outline=ink, width=10 + view * 10)


def demo_picture(product: DemoProduct, view: int = 0) -> bytes:
    """A JPEG of the product: its colour, its silhouette and its name."""
    background, ink = product.colours
    if view % 2:
        background, ink = ink, background
    picture = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), background)
    draw = ImageDraw.Draw(picture)
    _draw_shape(draw, product.product_type, ink, view)
    font = ImageFont.load_default(size=64)
    draw.text((IMAGE_SIZE // 2, 960), product.title, fill=ink, font=font, anchor="mm")
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    buffer.seek(0)
    return buffer.getvalue()


def demo_catalog_seed(*, limit: int | None = None) -> int:
    """Create the demo products that are missing (by slug); returns how many were added.

    ``limit`` seeds only the first products of the list (tests keep it small).
    """
    products = demo_products()[:limit]
    existing = set(
        Product.objects.filter(slug__in=[p.slug for p in products]).values_list("slug", flat=True)
    )
    added = 0
    for demo in products:
        if demo.slug in existing:
            continue
        with transaction.atomic(), outbox_batch():
            product = product_create(
                title=demo.title,
                slug=demo.slug,
                description=demo.description,
                brand=DEMO_BRAND,
                product_type=demo.product_type,
                tags=demo.tags,
                status=demo.status,
                gtin=demo.gtin,
                mpn=demo.mpn,
                is_custom_goods=demo.is_custom_goods,
                option1_name=demo.option1_name,
                variants=demo.variants,
            )
            for view in range(demo.image_count):
                product_image_add(
                    product=product,
                    file=io.BytesIO(demo_picture(demo, view)),
                    alt_text=f"{demo.title}, view {view + 1}" if view else demo.title,
                )
        added += 1
    return added
