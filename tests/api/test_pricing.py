"""The pricing resources of the partner API: shipping zones (with their rates), shipping
rates (with their zone) and discount codes; written through the orders services, errors
naming their field, one shop's rules invisible to another shop's key."""

from __future__ import annotations

from decimal import Decimal

from django_tenants.utils import tenant_context

from orders import services
from orders.models import Discount, ShippingRate, ShippingZone
from tests.api.conftest import ApiClient, error_of
from tests.factories import OrderFactory


def test_a_zone_and_its_rates_are_created_listed_changed_and_deleted(shop_a, api_a):
    zone = api_a.post("/api/v1/shipping-zones/", {"name": "Europe", "countries": ["fr", "BE"]})
    zone_id = zone.json()["id"]
    light = api_a.post(
        "/api/v1/shipping-rates/",
        {
            "zone_id": zone_id,
            "name": "Standard",
            "kind": "weight",
            "price": "4.90",
            "max_weight_grams": 2000,
            "free_over": "60",
        },
    )
    heavy = api_a.post(
        "/api/v1/shipping-rates/",
        {
            "zone_id": zone_id,
            "name": "Heavy",
            "kind": "weight",
            "price": "12",
            "min_weight_grams": 2000,
        },
    )
    changed = api_a.patch(f"/api/v1/shipping-rates/{heavy.json()['id']}/", {"price": "11.50"})
    zone_read = api_a.get(f"/api/v1/shipping-zones/{zone_id}/")
    for_belgium = api_a.get("/api/v1/shipping-rates/", {"country": "be"})
    for_spain = api_a.get("/api/v1/shipping-rates/", {"country": "ES"})
    renamed = api_a.patch(f"/api/v1/shipping-zones/{zone_id}/", {"countries": ["FR", "LU"]})
    deleted = api_a.delete(f"/api/v1/shipping-zones/{zone_id}/")

    assert (zone.status_code, light.status_code, heavy.status_code) == (201, 201, 201)
    assert zone.json()["countries"] == ["BE", "FR"] and zone.json()["rates"] == []
    assert light.json() == {
        "id": light.json()["id"],
        "zone": {"id": zone_id, "name": "Europe", "countries": ["BE", "FR"]},
        "name": "Standard",
        "kind": "weight",
        "price": "4.90",
        "currency": "EUR",
        "min_weight_grams": None,
        "max_weight_grams": 2000,
        "min_order_value": None,
        "max_order_value": None,
        "free_over": "60.00",
        "created": light.json()["created"],
        "updated": light.json()["updated"],
    }
    assert changed.json()["price"] == "11.50"
    assert [(rate["name"], rate["price"]) for rate in zone_read.json()["rates"]] == [
        ("Standard", "4.90"),
        ("Heavy", "11.50"),
    ]
    assert [rate["name"] for rate in for_belgium.json()["results"]] == ["Standard", "Heavy"]
    assert for_spain.json()["results"] == []
    assert renamed.json()["countries"] == ["FR", "LU"]
    assert deleted.status_code == 204
    with tenant_context(shop_a):
        assert not ShippingZone.objects.exists() and not ShippingRate.objects.exists()


def test_shipping_mistakes_name_their_field(shop_a, api_a):
    with tenant_context(shop_a):
        france = services.shipping_zone_create(name="France", countries=["FR"])

    overlap = api_a.post("/api/v1/shipping-zones/", {"name": "EU", "countries": ["DE", "FR"]})
    unknown = api_a.post("/api/v1/shipping-zones/", {"name": "EU", "countries": ["DE", "EU"]})
    no_zone = api_a.post("/api/v1/shipping-rates/", {"zone_id": 999999, "name": "X", "price": "1"})
    band = api_a.post(
        "/api/v1/shipping-rates/",
        {"zone_id": france.pk, "name": "X", "price": "1", "kind": "order_value"},
    )
    negative = api_a.post(
        "/api/v1/shipping-rates/", {"zone_id": france.pk, "name": "X", "price": "-1"}
    )

    assert error_of(overlap) == {
        "code": "country_in_another_zone",
        "field": "countries",
        "message": "FR is already in the zone “France”; a country belongs to one zone only.",
        "errors": error_of(overlap)["errors"],
    }
    assert (error_of(unknown)["field"], error_of(unknown)["message"]) == (
        "countries",
        "Unknown country code: EU. Give two-letter codes such as FR, DE or US.",
    )
    assert (error_of(no_zone)["field"], error_of(no_zone)["message"]) == (
        "zone_id",
        "There is no shipping zone 999999 in this shop.",
    )
    assert (error_of(band)["field"], error_of(band)["code"]) == ("min_order_value", "no_band")
    assert error_of(negative)["field"] == "price"
    assert {r.status_code for r in (overlap, unknown, no_zone, band, negative)} == {400}
    with tenant_context(shop_a):
        assert ShippingZone.objects.count() == 1 and not ShippingRate.objects.exists()


def test_a_discount_code_is_created_listed_changed_and_deleted(shop_a, api_a):
    created = api_a.post(
        "/api/v1/discounts/",
        {
            "code": "Summer-10",
            "kind": "percentage",
            "value": "10",
            "minimum_subtotal": "30",
            "usage_limit": 100,
            "once_per_customer": True,
            "ends_at": "2999-08-31T22:00:00Z",
        },
    )
    discount_id = created.json()["id"]
    with tenant_context(shop_a):
        services.discount_redeem(
            code="summer-10", email="a@example.com", order_id=OrderFactory().pk
        )
    found = api_a.get("/api/v1/discounts/", {"code": "SUMMER-10"})
    changed = api_a.patch(f"/api/v1/discounts/{discount_id}/", {"is_active": False, "uses": 0})
    inactive = api_a.get("/api/v1/discounts/", {"is_active": "false"})
    deleted = api_a.delete(f"/api/v1/discounts/{discount_id}/")

    assert created.status_code == 201
    assert created.json() == {
        "id": discount_id,
        "code": "Summer-10",
        "kind": "percentage",
        "value": "10.00",
        "currency": "EUR",
        "minimum_subtotal": "30.00",
        "usage_limit": 100,
        "uses": 0,
        "once_per_customer": True,
        "starts_at": None,
        "ends_at": "2999-08-31T22:00:00Z",
        "is_active": True,
        "created": created.json()["created"],
        "updated": created.json()["updated"],
    }
    assert [(d["id"], d["uses"]) for d in found.json()["results"]] == [(discount_id, 1)]
    assert (changed.json()["is_active"], changed.json()["uses"]) == (False, 1)  # uses: read only
    assert [d["id"] for d in inactive.json()["results"]] == [discount_id]
    assert deleted.status_code == 204
    with tenant_context(shop_a):
        assert not Discount.objects.exists()


def test_discount_mistakes_name_their_field(shop_a, api_a):
    with tenant_context(shop_a):
        discount = services.discount_create(code="TWICE", kind="fixed_amount", value="5")
        for email in ("a@example.com", "b@example.com"):
            services.discount_redeem(code="TWICE", email=email, order_id=OrderFactory().pk)

    same_code = api_a.post("/api/v1/discounts/", {"code": "twice", "kind": "free_shipping"})
    percent = api_a.post(
        "/api/v1/discounts/", {"code": "BIG", "kind": "percentage", "value": "120"}
    )
    dates = api_a.post(
        "/api/v1/discounts/",
        {
            "code": "BACK",
            "kind": "free_shipping",
            "starts_at": "2030-02-01T00:00:00Z",
            "ends_at": "2030-01-01T00:00:00Z",
        },
    )
    limit = api_a.patch(f"/api/v1/discounts/{discount.pk}/", {"usage_limit": 1})

    assert [
        (error_of(r)["field"], error_of(r)["code"]) for r in (same_code, percent, dates, limit)
    ] == [
        ("code", "duplicate_code"),
        ("value", "invalid_percentage"),
        ("ends_at", "ends_first"),
        ("usage_limit", "limit_below_uses"),
    ]
    assert error_of(limit)["message"] == (
        "The code has been used 2 times already; the limit cannot be lower."
    )
    with tenant_context(shop_a):
        assert list(Discount.objects.values_list("code", "usage_limit")) == [("TWICE", None)]


def test_another_shops_key_sees_and_changes_none_of_these(shop_a, shop_b, make_key):
    with tenant_context(shop_a):
        zone = services.shipping_zone_create(name="Alpha zone", countries=["FR"])
        rate = services.shipping_rate_create(zone=zone, name="Alpha post", price="3")
        discount = services.discount_create(code="ALPHA", kind="free_shipping")
    with tenant_context(shop_b):  # beta's own, so that its lists are not empty by chance
        services.discount_create(code="BETA", kind="free_shipping")
    beta = ApiClient("beta", make_key(shop_b))

    lists = {
        path: beta.get(f"/api/v1/{path}/").json()["results"]
        for path in ("shipping-zones", "shipping-rates", "discounts")
    }
    reads = [
        beta.get(path).status_code
        for path in (
            f"/api/v1/shipping-zones/{zone.pk}/",
            f"/api/v1/shipping-rates/{rate.pk}/",
            f"/api/v1/discounts/{discount.pk}/",
        )
    ]
    changes = [
        beta.patch(f"/api/v1/discounts/{discount.pk}/", {"is_active": False}).status_code,
        beta.delete(f"/api/v1/shipping-zones/{zone.pk}/").status_code,
        beta.post(
            "/api/v1/shipping-rates/", {"zone_id": zone.pk, "name": "X", "price": "1"}
        ).status_code,
    ]
    alpha_key_on_beta = ApiClient("beta", make_key(shop_a)).get("/api/v1/discounts/")

    assert lists == {
        "shipping-zones": [],
        "shipping-rates": [],
        "discounts": [lists["discounts"][0]],
    }
    assert lists["discounts"][0]["code"] == "BETA"
    assert reads == [404, 404, 404]
    assert changes == [404, 404, 400]
    assert alpha_key_on_beta.status_code == 401
    with tenant_context(shop_a):
        assert Discount.objects.get().is_active is True
        assert ShippingZone.objects.filter(pk=zone.pk).exists()
        assert ShippingRate.objects.get().price == Decimal("3.00")


def test_the_schema_documents_the_pricing_resources_and_their_scopes(shop_a):
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    paths = document["paths"]

    assert set(paths["/api/v1/discounts/"]) == {"get", "post"}
    assert set(paths["/api/v1/discounts/{id}/"]) == {"get", "patch", "delete"}
    assert set(paths["/api/v1/shipping-rates/{id}/"]) == {"get", "patch", "delete"}
    assert set(paths["/api/v1/shipping-zones/{id}/"]) == {"get", "patch", "delete"}
    listed = {p["name"] for p in paths["/api/v1/shipping-rates/"]["get"]["parameters"]}
    assert {"zone", "country", "cursor", "limit", "ordering"} <= listed
    schemas = document["components"]["schemas"]
    assert schemas["DiscountKindEnum"]["enum"] == ["percentage", "fixed_amount", "free_shipping"]
    assert schemas["ShippingRateKindEnum"]["enum"] == ["flat", "weight", "order_value"]
    assert set(schemas["ShippingRate"]["properties"]) >= {"zone", "price", "currency", "free_over"}
    assert schemas["Discount"]["properties"]["uses"]["readOnly"] is True
