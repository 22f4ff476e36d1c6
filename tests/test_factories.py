"""The test data factories write through the services, in the active shop only."""

from __future__ import annotations

from decimal import Decimal

from django_tenants.utils import tenant_context

from catalog.models import CatalogChange, Product, Variant
from orders.models import Order
from reviews.models import Review
from shops.posts.models import Post
from tests.factories import OrderFactory, PostFactory, ReviewFactory, VariantFactory


def test_factories_write_through_the_services_in_the_active_shop_only(shop_a, shop_b, media):
    # given / when: one of each in shop A
    with tenant_context(shop_a):
        variant = VariantFactory(sku="FACTORY-1", price=Decimal("5.50"), stock=3)
        order = OrderFactory(lines=[(variant, 2)], email="f@example.com")
        verified = ReviewFactory(order_line=order.lines.get(), body="Bought it")
        pending = ReviewFactory(product=variant.product, status=Review.Status.PENDING)
        reserved = OrderFactory(pending=True)
        post = PostFactory(products=[variant.product], published=True)

        # then: the rows the services write, totals from the lines
        assert variant.product.variants.get() == variant and variant.position == 0
        assert CatalogChange.objects.filter(product_id=variant.product_id).exists()
        assert (order.status, order.subtotal, order.total, order.amount_minor) == (
            "paid",
            Decimal("11.00"),
            Decimal("11.00"),
            1100,
        )
        assert (verified.status, verified.is_verified, verified.email) == (
            "approved",
            True,
            "f@example.com",
        )
        assert pending.status == "pending" and not pending.is_verified
        assert (reserved.status, reserved.stock_status) == ("pending_payment", "held")
        assert reserved.lines.get().variant.product.status == "active"
        assert post.status == "published" and post.published_at is not None
        tagged = [tag.product_id for tag in post.images.get().tags.all()]
        assert tagged == [variant.product_id]

    # and shop B holds none of them
    with tenant_context(shop_b):
        assert not Variant.objects.filter(sku="FACTORY-1").exists()
        assert not Product.objects.filter(title=variant.product.title).exists()
        assert not Order.objects.filter(public_id=order.public_id).exists()
        assert not Review.objects.filter(body="Bought it").exists()
        assert not Post.objects.exists()
