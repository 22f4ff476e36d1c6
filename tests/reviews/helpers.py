"""Helpers shared by the reviews tests."""

from __future__ import annotations

import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import HttpRequest
from django.test import Client, RequestFactory
from PIL import Image

from catalog.models import Product
from catalog.services import VariantInput, product_create
from orders.models import Order, OrderLine
from reviews.models import Review
from reviews.services import review_moderate, review_submit
from reviews.shoppers import Shopper, shopper_from


def shopper_client(slug: str = "alpha", ip: str = "203.0.113.7") -> Client:
    return Client(HTTP_HOST=f"{slug}.localhost", REMOTE_ADDR=ip)


def make_product(title: str = "Linen Shirt", *, slug: str = "linen-shirt") -> Product:
    return product_create(
        title=title, slug=slug, status=Product.Status.ACTIVE,
        variants=[VariantInput(sku=f"SKU-{slug}", price=Decimal("30.00"), stock=5)],
    )  # fmt: skip


def a_shopper(ip: str = "198.51.100.10", token: str = "") -> Shopper:
    request: HttpRequest = RequestFactory().post(
        "/", REMOTE_ADDR=ip, **({"HTTP_X_SHOPPER_TOKEN": token} if token else {})
    )
    return shopper_from(request)


def photo(colour: str = "teal", size: tuple[int, int] = (400, 300), fmt: str = "JPEG",
          name: str = "photo.jpg", exif: bool = False) -> SimpleUploadedFile:  # fmt: skip
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


def approved_review(product: Product, *, rating: int = 5, body: str = "Lovely", ip: str = "",
                    name: str = "Ann", **fields) -> Review:  # fmt: skip
    review = review_submit(
        product=product, rating=rating, title=fields.pop("title", ""), body=body,
        display_name=name, shopper=a_shopper(ip or f"192.0.2.{rating}"), **fields,
    )  # fmt: skip
    review_moderate(reviews=Review.objects.filter(pk=review.pk), status=Review.Status.APPROVED)
    review.refresh_from_db()
    return review


def paid_order(product: Product, *, email: str = "buyer@example.test") -> Order:
    order = Order.objects.create(
        status=Order.Status.PAID, stock_status=Order.Stock.COMMITTED, email=email,
        currency="EUR", subtotal=Decimal("30.00"), total=Decimal("30.00"), amount_minor=3000,
    )  # fmt: skip
    variant = product.variants.first()
    OrderLine.objects.create(
        order=order, variant=variant, product_id=product.pk, title=product.title, sku=variant.sku,
        unit_price=Decimal("30.00"), quantity=1, line_total=Decimal("30.00"),
    )  # fmt: skip
    return order


def schema() -> str:
    return connection.schema_name
