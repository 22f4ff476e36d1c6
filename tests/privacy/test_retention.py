"""Retention, each rule with the clock moved (no sleeping): ended checkouts older than the
shop's days are deleted (younger ones and those still holding stock kept); paid orders
older than its legal period are anonymised as an erasure does (amounts kept); the beat
applies each shop's own policy; the owner's settings form is audited, and the owner's
only."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from orders.models import Order
from orders.services.privacy import (
    ANONYMISED_EMAIL,
    checkouts_delete_before,
    orders_anonymise_before,
)
from shops.accounts.roles import Role
from shops.audit.models import AuditEntry
from shops.privacy.services import retention_apply
from shops.retention.models import RetentionPolicy
from shops.tasks import for_each_shop
from tests.conftest import owner_client
from tests.factories import OrderFactory
from tests.privacy.helpers import ADDRESS, EMAIL
from tests.shops.staff_helpers import client_as, staff_make

POLICY = "/admin/retention/retentionpolicy/"


def aged(order: Order, days: float) -> Order:
    Order.objects.filter(pk=order.pk).update(created=timezone.now() - timedelta(days=days))
    return order


def ended_checkout(days: float) -> Order:
    return aged(
        OrderFactory(
            email=EMAIL,
            status=Order.Status.CANCELLED,
            stock_status=Order.Stock.RELEASED,
            paid_at=None,
            shipping_address=ADDRESS,
        ),
        days,
    )


def test_ended_checkouts_older_than_the_policy_are_deleted(shop_a):
    connection.set_tenant(shop_a)
    RetentionPolicy.objects.create(abandoned_checkout_days=30)
    old, young = ended_checkout(31), ended_checkout(29)
    held = aged(OrderFactory(email=EMAIL, pending=True, paid_at=None), 31)
    paid = aged(OrderFactory(email=EMAIL), 400)

    done = retention_apply()

    assert done["checkouts_deleted"] == 1
    assert set(Order.objects.values_list("pk", flat=True)) == {young.pk, held.pk, paid.pk}
    del old


def test_orders_older_than_the_legal_period_are_anonymised_with_amounts_kept(shop_a):
    connection.set_tenant(shop_a)
    RetentionPolicy.objects.create(order_anonymise_days=365)
    old = aged(OrderFactory(email=EMAIL, shipping_address=ADDRESS, total=Decimal("64.90")), 366)
    recent = aged(OrderFactory(email=EMAIL, shipping_address=ADDRESS), 364)

    assert retention_apply()["orders_anonymised"] == 1
    assert retention_apply()["orders_anonymised"] == 0  # the next night: nothing new

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.email, old.shipping_address, old.total) == (
        ANONYMISED_EMAIL,
        {"country": "FR"},
        Decimal("64.90"),
    )
    assert (recent.email, recent.shipping_address) == (EMAIL, ADDRESS)


def test_the_default_policy_applies_when_the_shop_never_set_one(shop_a):
    connection.set_tenant(shop_a)
    old, young = ended_checkout(31), ended_checkout(29)
    ten_years = aged(OrderFactory(email=EMAIL), 3651)

    assert retention_apply() == {"checkouts_deleted": 1, "orders_anonymised": 1}
    ten_years.refresh_from_db()
    assert ten_years.email == ANONYMISED_EMAIL
    assert list(Order.objects.filter(paid_at=None).values_list("pk", flat=True)) == [young.pk]
    del old


def test_the_daily_beat_applies_each_shops_own_policy(shop_a, shop_b):
    assert settings.CELERY_BEAT_SCHEDULE["privacy-retention-apply"] == {
        "task": "shops.for_each_shop",
        "schedule": 86400,
        "args": ["privacy.retention_apply"],
    }
    with tenant_context(shop_a):
        RetentionPolicy.objects.create(abandoned_checkout_days=10)
        in_a = ended_checkout(15)
    with tenant_context(shop_b):
        in_b = ended_checkout(15)  # shop B keeps them 30 days (the default)

    assert for_each_shop("privacy.retention_apply") >= 2

    with tenant_context(shop_a):
        assert not Order.objects.filter(pk=in_a.pk).exists()
    with tenant_context(shop_b):
        assert Order.objects.filter(pk=in_b.pk).exists()


def test_the_owner_sets_the_policy_and_the_change_is_audited(shop_a):
    client = owner_client()

    form = client.get(POLICY, follow=True)
    assert form.status_code == 200
    assert b"delete abandoned checkouts after (days)" in form.content.lower()
    change_url = form.redirect_chain[-1][0]

    saved = client.post(
        change_url,
        {"abandoned_checkout_days": 14, "order_anonymise_days": 3650, "analytics_raw_days": 60},
    )
    assert saved.status_code == 302

    connection.set_tenant(shop_a)
    policy = RetentionPolicy.objects.get()
    assert (policy.abandoned_checkout_days, policy.analytics_raw_days) == (14, 60)
    [entry] = AuditEntry.objects.filter(action="retention.update")
    assert entry.changes == {"abandoned_checkout_days": [30, 14], "analytics_raw_days": [90, 60]}


def test_a_policy_out_of_bounds_is_a_clear_error_and_saves_nothing(shop_a):
    client = owner_client()
    change_url = client.get(POLICY, follow=True).redirect_chain[-1][0]

    refused = client.post(
        change_url,
        {"abandoned_checkout_days": 0, "order_anonymise_days": 30, "analytics_raw_days": 60},
    )

    assert refused.status_code == 200
    assert b"Ensure this value is greater than or equal to 1." in refused.content
    assert b"Ensure this value is greater than or equal to 365." in refused.content
    connection.set_tenant(shop_a)
    assert RetentionPolicy.objects.get().abandoned_checkout_days == 30
    assert not AuditEntry.objects.filter(action="retention.update").exists()


@pytest.mark.parametrize("role", [Role.STAFF, Role.READ_ONLY])
def test_only_the_owner_opens_the_retention_policy(shop_a, role):
    client = client_as(shop_a, staff_make(shop_a, role))

    assert client.get(POLICY).status_code == 403
    connection.set_tenant(shop_a)
    policy = RetentionPolicy.objects.create()
    change = f"{POLICY}{policy.pk}/change/"
    assert client.get(change).status_code == 403
    assert client.post(change, {"abandoned_checkout_days": 1}).status_code == 403


def _retention_queries(count: int) -> int:
    for _ in range(count):
        aged(OrderFactory(email=EMAIL, shipping_address=ADDRESS), 4000)
        ended_checkout(40)
    with CaptureQueriesContext(connection) as queries:
        assert orders_anonymise_before(timezone.now() - timedelta(days=3650)) == count
        assert checkouts_delete_before(timezone.now() - timedelta(days=30)) == count
    return len(queries)


def test_retention_takes_the_same_queries_for_2_or_20_orders(shop_a):
    connection.set_tenant(shop_a)

    assert _retention_queries(2) == _retention_queries(20)


def test_retention_works_in_batches(shop_a):
    connection.set_tenant(shop_a)
    for _ in range(5):
        aged(OrderFactory(email=EMAIL, shipping_address=ADDRESS), 4000)
        ended_checkout(40)

    assert orders_anonymise_before(timezone.now() - timedelta(days=3650), batch=2) == 5
    assert checkouts_delete_before(timezone.now() - timedelta(days=30), batch=2) == 5

    assert (
        list(Order.objects.values_list("email", "shipping_address"))
        == [(ANONYMISED_EMAIL, {"country": "FR"})] * 5
    )
