"""The demo shop's insights agree with its orders: the paid orders behind its verified
reviews (seeded without a payment) are counted once, as a payment counts them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from catalog.demo import demo_catalog_seed
from orders.models import Order
from reviews.demo import demo_reviews_seed
from shops.insights.demo import demo_insights_seed
from shops.insights.selectors import insights_summary
from shops.insights.services import rollup_run


def test_the_demos_paid_orders_are_counted_once(shop_a, media):
    # given: the demo's catalog and reviews, whose verified reviews have paid orders
    connection.set_tenant(shop_a)
    demo_catalog_seed()
    demo_reviews_seed()
    paid = Order.objects.filter(paid_at__isnull=False)
    assert paid.count() > 0

    # when: seeded twice (seed_demo runs on every make run), then rolled up
    added = demo_insights_seed()
    again = demo_insights_seed()
    rollup_run(now=timezone.now() + timedelta(minutes=5))

    # then: the insights hold each paid order once, with its amount
    assert (added, again) == (paid.count(), 0)
    today = timezone.now().date()
    totals = insights_summary(today, today).current
    assert totals.orders == paid.count()
    assert totals.sales == paid.aggregate(total=Sum("total"))["total"]
    assert totals.sales > Decimal(0)
