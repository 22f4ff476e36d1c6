"""Tasks run in the schema of the shop that queued them, in process and on a real worker."""

import time

import pytest
from django_tenants.utils import schema_context, tenant_context

from shops.accounts.models import User
from shops.models import Shop
from shops.tasks import for_each_shop
from tests.shops.celery_tasks import record_schema


def test_task_queued_from_a_shop_runs_in_its_schema(shop_a, shop_b):
    with tenant_context(shop_a):
        result = record_schema.delay("task@example.com")

    assert result.get() == "shop_alpha"
    with tenant_context(shop_a):
        assert User.objects.filter(email="task@example.com").exists()
    with tenant_context(shop_b):
        assert not User.objects.filter(email="task@example.com").exists()


def test_for_each_shop_fans_out_to_every_active_shop(shop_a, shop_b):
    shop_b.status = shop_b.Status.SUSPENDED
    shop_b.save()

    queued = for_each_shop.delay("tests.record_schema", ["fan@example.com"]).get()

    assert queued == 1
    with tenant_context(shop_a):
        assert User.objects.filter(email="fan@example.com").exists()
    with tenant_context(shop_b):
        assert not User.objects.filter(email="fan@example.com").exists()


def wait_for_user(schema: str, email: str, django_db_blocker, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    with django_db_blocker.unblock():
        while time.monotonic() < deadline:
            with schema_context(schema):
                if User.objects.filter(email=email).exists():
                    return True
            time.sleep(0.2)
    return False


@pytest.mark.worker
def test_real_worker_runs_task_in_the_queuing_shops_schema(
    worker, committed_shop, django_db_blocker
):
    shop_a = committed_shop("worker-a").shop
    shop_b = committed_shop("worker-b").shop

    with django_db_blocker.unblock(), tenant_context(shop_a):
        record_schema.delay("worker@example.com")

    assert wait_for_user(shop_a.schema_name, "worker@example.com", django_db_blocker)
    with django_db_blocker.unblock(), tenant_context(shop_b):
        assert not User.objects.filter(email="worker@example.com").exists()


@pytest.mark.worker
def test_real_worker_fans_out_over_every_shop(worker, committed_shop, django_db_blocker):
    shops = [committed_shop(slug).shop for slug in ("fan-a", "fan-b")]

    with django_db_blocker.unblock():
        every_schema = list(Shop.objects.values_list("schema_name", flat=True))
        for_each_shop.delay("tests.record_schema", ["beat@example.com"])

    try:
        for shop in shops:
            assert wait_for_user(shop.schema_name, "beat@example.com", django_db_blocker)
    finally:  # the session's shops got the task too: leave them as they were
        for schema in every_schema:
            # the whole wait: a copy still queued would add the user after the delete
            wait_for_user(schema, "beat@example.com", django_db_blocker)
            with django_db_blocker.unblock(), schema_context(schema):
                User.objects.filter(email="beat@example.com").delete()
