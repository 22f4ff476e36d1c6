"""Home: the onboarding checklist ticks each step from the shop's own state, never from
another shop's; the day's figures count this shop's paid orders; the page's queries stay
flat as the shop grows; plumbing stays out of the app lists."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from catalog.models import Product
from orders.models import Order
from orders.payment_accounts import payment_account_set_keys
from orders.services.shipping import shipping_rate_create, shipping_zone_create
from shops.backoffice.selectors import customers, daily_figures, onboarding_checklist
from shops.channels.services import connection_create
from shops.storefront import services as design_services
from tests.conftest import owner_client
from tests.factories import OrderFactory, ProductFactory


def done(key: str) -> bool:
    return {item.key: item.is_done for item in onboarding_checklist().items}[key]


def do_step(key: str) -> None:
    """Do one checklist step the way the merchant's pages do it (through the services)."""
    if key == "product":
        ProductFactory()
    elif key == "design":
        design_services.design_publish()
    elif key == "payments":
        payment_account_set_keys(
            secret_key="sk_test_home", publishable_key="pk_test_home", webhook_secret="whsec_home"
        )
    elif key == "shipping":
        zone = shipping_zone_create(name="Europe", countries=["FR", "BE"])
        shipping_rate_create(zone=zone, name="Standard", price="4.90")
    elif key == "channel":
        connection_create(channel="google")
    elif key == "share":
        owner_client("alpha").get("/admin/share/")


STEPS = ["product", "design", "payments", "shipping", "channel", "share"]


@pytest.mark.parametrize("key", STEPS)
def test_each_step_is_undone_then_done_and_only_in_its_shop(shop_a, shop_b, stripe_settings, key):
    with tenant_context(shop_a):
        assert not done(key)
        do_step(key)
        assert done(key)
        assert onboarding_checklist().done_count == 1
    with tenant_context(shop_b):
        assert not done(key)
        assert onboarding_checklist().done_count == 0


def test_a_draft_product_does_not_count_but_an_active_one_does(shop_a):
    with tenant_context(shop_a):
        ProductFactory(status=Product.Status.DRAFT)
        assert not done("product")
        ProductFactory(status=Product.Status.ACTIVE)
        assert done("product")


def test_a_saved_draft_design_counts_and_embed_sites_count_as_sharing(shop_a):
    with tenant_context(shop_a):
        design_services.embed_origins_set(origins=["https://blog.example.com"])
        assert done("share")
        assert not done("design")  # the design row exists, its draft is still the default
        design_services.section_add(section_type_key="rich_text")
        assert done("design")


def test_a_shipping_zone_without_a_rate_is_not_shipping(shop_a):
    with tenant_context(shop_a):
        shipping_zone_create(name="Home", countries=["FR"])
        assert not done("shipping")


def test_all_steps_done_makes_the_checklist_complete(shop_a, stripe_settings):
    with tenant_context(shop_a):
        for key in STEPS:
            do_step(key)
        checklist = onboarding_checklist()
    assert (checklist.done_count, checklist.is_complete) == (6, True)


def test_sales_today_sum_this_shops_paid_orders_of_today(shop_a, shop_b):
    yesterday = timezone.now() - datetime.timedelta(days=1, hours=1)
    with tenant_context(shop_a):
        OrderFactory(total=Decimal("20.00"), paid_at=timezone.now())
        OrderFactory(total=Decimal("5.50"), paid_at=timezone.now(), status=Order.Status.FULFILLED)
        OrderFactory(total=Decimal("100.00"), paid_at=yesterday)  # yesterday: not today
        OrderFactory(total=Decimal("7.00"), paid_at=timezone.now(), status=Order.Status.REFUNDED)
        OrderFactory(total=Decimal("9.00"), pending=True)
        figures = daily_figures(currency="EUR")
    with tenant_context(shop_b):
        OrderFactory(total=Decimal("1000.00"), paid_at=timezone.now())
        other = daily_figures(currency="EUR")

    assert (figures.sales_today, figures.paid_orders_today, figures.orders_to_fulfil) == (
        "€25.50",
        2,
        2,  # paid, not fulfilled: today's and yesterday's
    )
    assert (other.sales_today, other.orders_to_fulfil) == ("€1,000.00", 1)


def test_home_replaces_the_model_index_with_the_checklist_and_cards(shop_a):
    response = owner_client("alpha").get("/admin/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Set up your shop" in page
    assert "0 of 6 steps done" in page
    assert "Sales, last 7 days" in page and "€0.00" in page
    assert "Orders to fulfil" in page and "sold today" in page
    assert "Conversion, last 7 days" in page and "Nothing to compare" in page
    assert 'aria-label="Back office"' in page
    assert "Catalog changes" not in page and "Webhook deliveries" not in page


def test_home_queries_stay_flat_as_the_shop_grows(shop_a, django_assert_max_num_queries):
    client = owner_client("alpha")
    client.get("/admin/")  # warm the session
    with tenant_context(shop_a):
        for _ in range(3):
            OrderFactory(paid_at=timezone.now())
    with django_assert_max_num_queries(14) as few:
        client.get("/admin/")
    with tenant_context(shop_a):
        for _ in range(10):
            OrderFactory(paid_at=timezone.now())
            ProductFactory()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/admin/").status_code == 200


def test_plumbing_models_are_out_of_the_app_lists_but_still_open(shop_a):
    client = owner_client("alpha")

    catalog = client.get("/admin/catalog/").content.decode()
    assert "Products" in catalog
    assert "Catalog changes" not in catalog and "Import jobs" not in catalog
    assert client.get("/admin/catalog/catalogchange/").status_code == 200
    assert client.get("/admin/webhooks/webhookdelivery/").status_code == 200


def test_customers_are_the_emails_of_paid_orders_of_this_shop(shop_a, shop_b):
    with tenant_context(shop_a):
        OrderFactory(email="ann@example.com", total=Decimal("10.00"), paid_at=timezone.now())
        OrderFactory(email="ann@example.com", total=Decimal("5.00"), paid_at=timezone.now())
        OrderFactory(email="bob@example.com", pending=True)
        rows = list(customers())
    with tenant_context(shop_b):
        OrderFactory(email="zoe@example.com", paid_at=timezone.now())

    assert [(row["email"], row["order_count"], row["spent"]) for row in rows] == [
        ("ann@example.com", 2, Decimal("10.00") + Decimal("5.00"))
    ]
    page = owner_client("alpha").get("/admin/customers/").content.decode()
    assert "ann@example.com" in page and "€15.00" in page
    assert "zoe@example.com" not in page and "bob@example.com" not in page
