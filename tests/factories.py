"""Test data factories (factory_boy): shops, products, variants, orders with lines,
reviews and posts.

Products, variants, reviews and posts are written through the project's services, the
path the admin and the API take, so outbox rows, cache bumps and validation happen as
in production. Orders are plain rows with their lines (only buy-now makes them in the
application, through Stripe; ``tests/orders/conftest.py: paid_order`` walks that path).

Everything but ``ShopFactory`` writes in the active schema: call the factories inside
``tenant_context(shop)``. ``ShopFactory`` creates a whole shop (row, schema from the
template, domain, owner) with ``shop_create``; inside a test's transaction it is rolled
back with it, outside one (``committed_shop``) it is committed and must be dropped.
"""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone
from factory.django import DjangoModelFactory
from PIL import Image

from catalog.models import Product, Variant
from catalog.services import VariantInput, product_create, variant_create
from orders.models import Order, OrderLine
from orders.services import to_minor
from reviews.models import Review
from reviews.services import review_moderate, review_submit, review_submit_verified
from reviews.shoppers import Shopper, shopper_from
from shops.posts.models import Post
from shops.posts.services import ImageInput, TagInput, post_create
from shops.services import ShopCreated, shop_create

SHOP_PASSWORD = "plum-orchard-lantern-42"


def picture(name: str = "look.png", size: tuple[int, int] = (600, 400), colour: str = "teal"):
    """A PNG upload of one colour."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def a_shopper(ip: str = "198.51.100.10", token: str = "") -> Shopper:
    """An anonymous shopper as a request from ``ip`` (with a shopper token) shows them."""
    request = RequestFactory().post(
        "/", REMOTE_ADDR=ip, **({"HTTP_X_SHOPPER_TOKEN": token} if token else {})
    )
    return shopper_from(request)


class ShopFactory(factory.Factory):
    """A new shop through ``shop_create``; returns its ``ShopCreated`` (shop, domain,
    owner). The owner signs in as ``owner@<slug>.test`` with ``SHOP_PASSWORD``."""

    class Meta:
        model = ShopCreated

    slug = factory.Sequence(lambda n: f"made-shop-{n}")
    name = factory.LazyAttribute(lambda shop: shop.slug.replace("-", " ").title())
    owner_email = factory.LazyAttribute(lambda shop: f"owner@{shop.slug}.test")
    owner_password = SHOP_PASSWORD
    currency = "EUR"

    @classmethod
    def _create(cls, model_class: type, *args, **kwargs) -> ShopCreated:
        return shop_create(**kwargs)


class ProductFactory(DjangoModelFactory):
    """An active product with one variant (``sku``, ``price``, ``stock``), through
    ``product_create``; pass ``variants=[...]`` for others, or none."""

    class Meta:
        model = Product

    class Params:
        sku = factory.Sequence(lambda n: f"SKU-{n}")
        price = Decimal("24.00")
        stock = 10

    title = factory.Sequence(lambda n: f"Product {n}")
    status = Product.Status.ACTIVE
    variants = factory.LazyAttribute(
        lambda product: [VariantInput(sku=product.sku, price=product.price, stock=product.stock)]
    )

    @classmethod
    def _create(cls, model_class: type, *args, **kwargs) -> Product:
        return product_create(**kwargs)


class VariantFactory(DjangoModelFactory):
    """A variant added to ``product`` (by default a new product without variants) through
    ``variant_create``."""

    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory, variants=[])
    sku = factory.Sequence(lambda n: f"VARIANT-{n}")
    price = Decimal("24.00")
    stock = 10
    options: tuple[str, ...] = ()

    @classmethod
    def _create(cls, model_class: type, *args, product: Product, **kwargs) -> Variant:
        return variant_create(product=product, variant=VariantInput(**kwargs))


PAID_STATUSES = (
    Order.Status.PAID,
    Order.Status.FULFILLED,
    Order.Status.PARTIALLY_REFUNDED,
    Order.Status.REFUNDED,
)


class OrderFactory(DjangoModelFactory):
    """A paid order (stock committed), or with ``pending=True`` one awaiting payment (its
    stock held), with ``lines``, ``(variant, quantity)`` pairs (by default one of a new
    product); its totals are the lines' sum unless given. Stock is left as it is."""

    class Meta:
        model = Order

    class Params:
        # as buy-now leaves an order before Stripe answers: its stock reserved
        pending = factory.Trait(status=Order.Status.PENDING_PAYMENT, stock_status=Order.Stock.HELD)

    email = "shopper@example.com"
    currency = "EUR"
    status = Order.Status.PAID
    stock_status = Order.Stock.COMMITTED
    # a paid order has its moment of payment (what makes a checkout an order)
    paid_at = factory.LazyAttribute(
        lambda order: timezone.now() if order.status in PAID_STATUSES else None
    )
    lines = factory.LazyFunction(lambda: [(ProductFactory().variants.get(), 1)])

    @classmethod
    def _create(cls, model_class: type, *args, lines: list[tuple[Variant, int]], **fields) -> Order:
        subtotal = sum((variant.price * quantity for variant, quantity in lines), Decimal(0))
        fields.setdefault("subtotal", subtotal)
        fields.setdefault("total", fields["subtotal"])
        fields.setdefault("amount_minor", to_minor(Decimal(fields["total"]), fields["currency"]))
        with transaction.atomic():
            order = super()._create(model_class, *args, **fields)
            OrderLine.objects.bulk_create(
                OrderLine(
                    order=order,
                    variant=variant,
                    product_id=variant.product_id,
                    title=variant.product.title,
                    sku=variant.sku,
                    unit_price=variant.price,
                    quantity=quantity,
                    line_total=variant.price * quantity,
                )
                for variant, quantity in lines
            )
        return order


class ReviewFactory(DjangoModelFactory):
    """A shopper's review of ``product`` through ``review_submit`` (or, given an
    ``order_line``, ``review_submit_verified``), then moderated to ``status`` unless it
    stays pending. The shopper writes from ``ip`` (by default one per rating)."""

    class Meta:
        model = Review

    class Params:
        ip = factory.LazyAttribute(lambda review: f"192.0.2.{review.rating}")

    product = factory.SubFactory(ProductFactory)
    rating = 5
    title = ""
    body = "Lovely"
    display_name = "Ann"
    status = Review.Status.APPROVED
    shopper = factory.LazyAttribute(lambda review: a_shopper(review.ip))
    order_line = None

    @classmethod
    def _create(
        cls, model_class: type, *args, status: str, order_line: OrderLine | None, **kwargs
    ) -> Review:
        if order_line is None:
            review = review_submit(**kwargs)
        else:
            kwargs.pop("product")
            review = review_submit_verified(order_line=order_line, **kwargs)
        if status != Review.Status.PENDING:
            review_moderate(reviews=Review.objects.filter(pk=review.pk), status=status)
            review.refresh_from_db()
        return review


class PostFactory(DjangoModelFactory):
    """A post with one picture tagging ``products`` (left to right), through
    ``post_create``; a draft unless ``published=True`` (published a minute ago)."""

    class Meta:
        model = Post

    class Params:
        products: tuple[Product, ...] = ()
        published = factory.Trait(
            status=Post.Status.PUBLISHED,
            published_at=factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1)),
        )

    caption = "Summer look"
    status = Post.Status.DRAFT
    images = factory.LazyFunction(lambda: [ImageInput(file=picture(), alt_text="A summer look")])
    tags = factory.LazyAttribute(
        lambda post: [
            [
                TagInput(product_id=product.id, x=0.1 + 0.15 * index, y=0.3)
                for index, product in enumerate(post.products)
            ]
        ]
    )

    @classmethod
    def _create(cls, model_class: type, *args, **kwargs) -> Post:
        return post_create(**kwargs)
