"""The audit log: staff and API-key actions recorded where the services make them,
shown to the owner only (filtered, paginated, a flat number of queries), per shop."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from catalog.services import stock_set, variant_update
from orders.models import TaxSettings
from shops.accounts.roles import Role
from shops.api.models import ApiKey
from shops.api.services import api_key_create
from shops.audit.actors import Actor, acting_as
from shops.audit.models import AuditEntry
from tests.conftest import owner_client
from tests.factories import OrderFactory, ProductFactory
from tests.shops.staff_helpers import client_as, staff_make


def _api(shop_slug: str, secret: str) -> Client:
    return Client(HTTP_HOST=f"{shop_slug}.localhost", headers={"Authorization": f"Bearer {secret}"})


def test_an_api_key_price_and_stock_change_is_recorded_with_before_and_after(shop_a):
    with tenant_context(shop_a):
        variant = ProductFactory(sku="MUG-1", price=Decimal("12.00"), stock=5).variants.get()
        key = api_key_create(name="ERP sync", scopes=["catalog:read", "catalog:write"])
    api = _api("alpha", key.secret)

    priced = api.patch(f"/api/v1/variants/{variant.pk}/", {"price": "14.50"}, "application/json")
    stocked = api.post(f"/api/v1/variants/{variant.pk}/stock/", {"set": 9}, "application/json")
    adjusted = api.post(f"/api/v1/variants/{variant.pk}/stock/", {"adjust": -2}, "application/json")

    assert (priced.status_code, stocked.status_code, adjusted.status_code) == (200, 200, 200)
    with tenant_context(shop_a):
        entries = list(AuditEntry.objects.order_by("id"))
    label = f"API key “ERP sync” ({key.api_key.prefix}…)"
    assert [(e.actor_kind, e.actor_label, e.action, e.changes) for e in entries] == [
        ("api_key", label, "variant.price", {"price": ["12.00", "14.50"]}),
        ("api_key", label, "variant.stock", {"stock": [5, 9]}),
        ("api_key", label, "variant.stock", {"stock": [9, 7]}),
    ]
    assert {(e.object_type, e.object_id, e.object_repr) for e in entries} == {
        ("variant", str(variant.pk), "MUG-1")
    }


def test_a_staff_members_admin_change_is_recorded_under_their_email(shop_a):
    client = client_as(shop_a, staff_make(shop_a, Role.STAFF, email="sam@example.com"))

    with tenant_context(shop_a):
        order = OrderFactory()
        included = TaxSettings.objects.filter(id=1).values_list("prices_include_tax", flat=True)
        before = included.first()

    taxes = client.post(
        "/admin/orders/taxsettings/", {"prices_include_tax": "no" if before else "yes"}
    )
    fulfilled = client.post(f"/admin/orders/order/{order.pk}/fulfil/", {"tracking_number": "LP1"})

    assert (taxes.status_code, fulfilled.status_code) == (302, 302)
    with tenant_context(shop_a):
        entries = list(AuditEntry.objects.order_by("id"))
    assert [(e.actor_kind, e.actor_label, e.action, e.object_repr) for e in entries] == [
        ("staff", "sam@example.com", "taxsettings.update", str(entries[0].object_repr)),
        ("staff", "sam@example.com", "order.fulfil", f"Order {order.number}"),
    ]
    assert entries[0].changes == {"prices_include_tax": [before, not before]}
    assert entries[1].note == "Shipped, tracking number LP1."


def test_a_staff_price_change_is_recorded_and_work_without_an_actor_is_not(shop_a):
    with tenant_context(shop_a):
        variant = ProductFactory(price=Decimal("20.00"), stock=3).variants.get()
        stock_set(variant=variant, stock=4)  # no actor: the shop's own machinery
        assert AuditEntry.objects.count() == 0
        with acting_as(Actor(kind=Actor.STAFF, id=7, label="sam@example.com")):
            variant_update(variant=variant, price=Decimal("22.00"), stock=6)
        entry = AuditEntry.objects.get()
    assert entry.action == "variant.price"
    assert entry.changes == {"price": ["20.00", "22.00"], "stock": [4, 6]}


def test_the_product_export_is_recorded(shop_a):
    with tenant_context(shop_a):
        ProductFactory()

    response = owner_client().get("/admin/catalog/product/export/")
    b"".join(response.streaming_content)

    with tenant_context(shop_a):
        entry = AuditEntry.objects.get()
    assert (entry.actor_label, entry.action) == ("owner@alpha.test", "export.products")


def test_a_read_only_key_changes_nothing_and_records_nothing(shop_a):
    with tenant_context(shop_a):
        variant = ProductFactory(price=Decimal("12.00")).variants.get()
        key = api_key_create(name="Dashboard", scopes=["catalog:read"])

    refused = _api("alpha", key.secret).patch(
        f"/api/v1/variants/{variant.pk}/", {"price": "1.00"}, "application/json"
    )

    assert refused.status_code == 403
    with tenant_context(shop_a):
        variant.refresh_from_db()
        assert variant.price == Decimal("12.00")
        assert not AuditEntry.objects.exists()


def _entries(shop, count: int, label: str = "sam@example.com") -> None:
    with tenant_context(shop):
        AuditEntry.objects.bulk_create(
            AuditEntry(
                actor_kind="staff",
                actor_id=7,
                actor_label=label,
                action="variant.price",
                object_type="variant",
                object_id=str(n),
                object_repr=f"SKU-{n}",
                changes={"price": ["1.00", f"{n}.00"]},
            )
            for n in range(count)
        )


@pytest.mark.parametrize("count", [5, 80])
def test_the_owner_reads_the_log_in_a_flat_number_of_queries(
    shop_a, count, django_assert_max_num_queries
):
    _entries(shop_a, count)
    client = owner_client()

    with django_assert_max_num_queries(14):
        page = client.get("/admin/audit/auditentry/")

    assert page.status_code == 200
    assert page.content.count(b"sam@example.com") >= min(count, 50)
    newest = f"price: 1.00 \N{RIGHTWARDS ARROW} {count - 1}.00"
    assert newest.encode() in page.content


def test_the_log_filters_by_actor_action_and_date(shop_a):
    _entries(shop_a, 2, label="sam@example.com")
    with tenant_context(shop_a):
        AuditEntry.objects.create(
            actor_kind="api_key", actor_id=3, actor_label="API key “ERP”", action="order.refund"
        )
    client = owner_client()

    by_actor = client.get("/admin/audit/auditentry/", {"actor": "api_key:3"})
    by_action = client.get("/admin/audit/auditentry/", {"action": "variant.price"})
    this_year = client.get("/admin/audit/auditentry/", {"created__year": timezone.now().year})
    last_year = client.get("/admin/audit/auditentry/", {"created__year": timezone.now().year - 1})

    def shown(response) -> list[str]:
        assert response.status_code == 200
        return sorted(entry.action for entry in response.context["cl"].result_list)

    assert shown(by_actor) == ["order.refund"]
    assert shown(by_action) == ["variant.price", "variant.price"]
    assert shown(this_year) == ["order.refund", "variant.price", "variant.price"]
    assert shown(last_year) == []


def test_entries_cannot_be_changed_or_deleted_even_by_the_owner(shop_a):
    _entries(shop_a, 1)
    with tenant_context(shop_a):
        entry = AuditEntry.objects.get()
    client = owner_client()

    change = client.post(f"/admin/audit/auditentry/{entry.pk}/change/", {"action": "x"})
    delete = client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"})

    assert change.status_code in (403, 302) and delete.status_code == 403
    with tenant_context(shop_a):
        assert AuditEntry.objects.get().action == "variant.price"


def test_shop_b_never_sees_shop_a_entries(shop_a, shop_b):
    _entries(shop_a, 3, label="alpha-staff@example.com")
    _entries(shop_b, 1, label="beta-staff@example.com")

    listed = owner_client("beta").get("/admin/audit/auditentry/")

    assert b"beta-staff@example.com" in listed.content
    assert b"alpha-staff@example.com" not in listed.content


def test_the_owner_creating_and_revoking_a_key_is_recorded(shop_a):
    client = owner_client()

    created = client.post(
        "/admin/api/apikey/add/", {"name": "Warehouse", "scopes": ["catalog:read"]}
    )
    with tenant_context(shop_a):
        key = ApiKey.objects.get(name="Warehouse")
    revoked = client.post("/admin/api/apikey/", {"action": "revoke", "_selected_action": [key.pk]})

    assert created.status_code == 200 and b"etl_" in created.content
    assert revoked.status_code == 302
    with tenant_context(shop_a):
        entries = list(AuditEntry.objects.order_by("id").values_list("actor_label", "action"))
    assert entries == [
        ("owner@alpha.test", "api_key.create"),
        ("owner@alpha.test", "api_key.revoke"),
    ]
