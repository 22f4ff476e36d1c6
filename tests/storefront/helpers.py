"""Helpers shared by the storefront tests."""

from __future__ import annotations

import io
import re
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from catalog.models import Product
from catalog.services import VariantInput, product_create
from tests.conftest import SHOP_PASSWORD

SECTION_HEADINGS = re.compile(r'<h2 id="section-[a-z0-9]+"[^>]*>([^<]*)</h2>')


def shopper(slug: str = "alpha") -> Client:
    return Client(HTTP_HOST=f"{slug}.localhost")


def owner(slug: str = "alpha") -> Client:
    client = Client(HTTP_HOST=f"{slug}.localhost")
    response = client.post(
        "/admin/login/", {"username": f"owner@{slug}.test", "password": SHOP_PASSWORD}
    )
    assert response.status_code == 302
    return client


def headings(html: str | bytes) -> list[str]:
    """The sections' headings, in page order."""
    text = html.decode() if isinstance(html, bytes) else html
    return SECTION_HEADINGS.findall(text)


def product(title: str, *, slug: str, price: str = "20.00", stock: int = 3, **fields) -> Product:
    fields.setdefault("status", Product.Status.ACTIVE)
    return product_create(
        title=title,
        slug=slug,
        variants=[VariantInput(sku=f"SKU-{slug}", price=Decimal(price), stock=stock)],
        **fields,
    )


def picture_upload(
    name: str = "logo.png", size: tuple[int, int] = (400, 200), colour: str = "navy"
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")
