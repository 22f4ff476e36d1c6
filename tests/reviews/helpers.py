"""Helpers shared by the reviews tests."""

from __future__ import annotations

import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from PIL import Image

from catalog.models import Product
from orders.models import Order
from reviews.models import Review
from tests.factories import OrderFactory, ProductFactory, ReviewFactory
from tests.factories import a_shopper as a_shopper


def shopper_client(slug: str = "alpha", ip: str = "203.0.113.7") -> Client:
    return Client(HTTP_HOST=f"{slug}.localhost", REMOTE_ADDR=ip)


def make_product(title: str = "Linen Shirt", *, slug: str = "linen-shirt") -> Product:
    return ProductFactory(
        title=title, slug=slug, sku=f"SKU-{slug}", price=Decimal("30.00"), stock=5
    )


def photo(
    colour: str = "teal",
    size: tuple[int, int] = (400, 300),
    fmt: str = "JPEG",
    name: str = "photo.jpg",
    exif: bool = False,
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, colour)
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCam"  # Make
        data[0x0131] = "SecretSoftware"  # Software
        image.save(buffer, fmt, exif=data)
    else:
        image.save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def approved_review(
    product: Product,
    *,
    rating: int = 5,
    body: str = "Lovely",
    ip: str = "",
    name: str = "Ann",
    **fields,
) -> Review:
    if ip:
        fields["ip"] = ip
    return ReviewFactory(product=product, rating=rating, body=body, display_name=name, **fields)


def paid_order(product: Product, *, email: str = "buyer@example.test") -> Order:
    """A paid order of one of ``product`` (its first variant)."""
    return OrderFactory(email=email, lines=[(product.variants.first(), 1)])


def schema() -> str:
    return connection.schema_name
