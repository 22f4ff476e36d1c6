"""The merchant's pricing pages in the admin: shipping zones with their rates inline, tax
rates and whether prices include tax, discount codes with their uses; labels and help a
merchant reads, errors shown beside their field, saves through the orders services."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

import pytest
from django_tenants.utils import tenant_context

from orders import services
from orders.models import Discount, ShippingRate, ShippingZone, TaxRate, TaxSettings
from orders.services.shipping import RATE_FIELDS  # the rate inline's fields, as the admin's
from tests.conftest import owner_client
from tests.factories import OrderFactory


def zone_form(name: str, countries: str, rates: list[dict], *, initial: int = 0, **extra) -> dict:
    """The zone page's POST: its fields and the rates formset (prefix ``rates``)."""
    data = {
        "name": name,
        "countries": countries,
        "rates-TOTAL_FORMS": str(len(rates)),
        "rates-INITIAL_FORMS": str(initial),
        "rates-MIN_NUM_FORMS": "0",
        "rates-MAX_NUM_FORMS": "1000",
        **extra,
    }
    for index, rate in enumerate(rates):
        for field in (*RATE_FIELDS, "id", "zone", "DELETE"):
            if field in rate:
                data[f"rates-{index}-{field}"] = rate[field]
            elif field in RATE_FIELDS:
                data[f"rates-{index}-{field}"] = "flat" if field == "kind" else ""
    return data


def errors_beside(html: str) -> list[str]:
    return [
        unescape(re.sub(r"<[^>]+>", "", item)).strip()
        for item in re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.S)
    ]


def test_the_zone_page_speaks_the_merchants_language(shop_a):
    html = owner_client().get("/admin/orders/shippingzone/add/").content.decode()

    for label in (
        "Zone name",
        "Countries",
        "Rate name",
        "Price by",
        "From weight (g)",
        "Below weight (g)",
        "From order value",
        "Below order value",
        "Free from order value",
    ):
        assert label in html
    assert "Two-letter codes separated by commas" in html
    assert "In EUR." in html
    for raw in ("min_weight_grams", "free_over", "max_order_value"):
        assert f">{raw}<" not in html and raw.replace("_", " ").capitalize() not in html


def test_the_merchant_adds_a_zone_with_its_rates(shop_a):
    response = owner_client().post(
        "/admin/orders/shippingzone/add/",
        zone_form(
            "Europe",
            "fr, BE de",
            [
                {
                    "name": "Standard",
                    "kind": "weight",
                    "price": "4.90",
                    "max_weight_grams": "2000",
                    "free_over": "60",
                },
                {"name": "Heavy", "kind": "weight", "price": "12.00", "min_weight_grams": "2000"},
            ],
        ),
    )

    assert response.status_code == 302, errors_beside(response.content.decode())
    with tenant_context(shop_a):
        zone = ShippingZone.objects.get()
        assert (zone.name, zone.countries) == ("Europe", ["BE", "DE", "FR"])
        assert list(
            zone.rates.order_by("price").values_list(
                "name", "price", "min_weight_grams", "max_weight_grams", "free_over"
            )
        ) == [
            ("Standard", Decimal("4.90"), None, 2000, Decimal("60.00")),
            ("Heavy", Decimal("12.00"), 2000, None, None),
        ]


def test_zone_and_rate_mistakes_are_shown_and_nothing_is_saved(shop_a):
    with tenant_context(shop_a):
        services.shipping_zone_create(name="France", countries=["FR"])

    response = owner_client().post(
        "/admin/orders/shippingzone/add/",
        zone_form(
            "Europe",
            "FR, XY",
            [
                {"name": "Standard", "kind": "flat", "price": "4.90", "min_weight_grams": "100"},
                {
                    "name": "Band",
                    "kind": "order_value",
                    "price": "3",
                    "min_order_value": "50",
                    "max_order_value": "20",
                },
            ],
        ),
    )

    assert response.status_code == 200
    assert errors_beside(response.content.decode()) == [
        "Unknown country code: XY. Give two-letter codes such as FR, DE or US.",
        "Only a rate priced by the order's weight has weight limits; leave it empty or "
        "change “Price by”.",
        "The upper order value must be above the lower one.",
    ]
    with tenant_context(shop_a):
        assert ShippingZone.objects.count() == 1
        assert not ShippingRate.objects.exists()


def test_a_country_already_in_another_zone_is_named(shop_a):
    with tenant_context(shop_a):
        services.shipping_zone_create(name="France", countries=["FR", "MC"])

    response = owner_client().post(
        "/admin/orders/shippingzone/add/", zone_form("Europe", "DE, FR, MC", [])
    )

    assert errors_beside(response.content.decode()) == [
        "FR, MC are already in the zone “France”; a country belongs to one zone only."
    ]


def test_rates_are_changed_and_deleted_inline(shop_a):
    with tenant_context(shop_a):
        zone = services.shipping_zone_create(name="France", countries=["FR"])
        kept = services.shipping_rate_create(zone=zone, name="Colissimo", price="4.90")
        gone = services.shipping_rate_create(zone=zone, name="Chronopost", price="14.90")

    response = owner_client().post(
        f"/admin/orders/shippingzone/{zone.pk}/change/",
        zone_form(
            "France",
            "FR, MC",
            [
                {"id": str(kept.pk), "zone": str(zone.pk), "name": "Colissimo", "price": "5.50"},
                {
                    "id": str(gone.pk),
                    "zone": str(zone.pk),
                    "name": "Chronopost",
                    "price": "14.90",
                    "DELETE": "on",
                },
            ],
            initial=2,
        ),
    )

    assert response.status_code == 302, errors_beside(response.content.decode())
    with tenant_context(shop_a):
        assert list(ShippingRate.objects.values_list("name", "price")) == [
            ("Colissimo", Decimal("5.50"))
        ]
        assert ShippingZone.objects.get().countries == ["FR", "MC"]


def test_tax_rates_and_the_tax_inclusive_setting(shop_a):
    client = owner_client()

    added = client.post(
        "/admin/orders/taxrate/add/", {"country": "fr", "name": "TVA", "rate": "20"}
    )
    twice = client.post(
        "/admin/orders/taxrate/add/", {"country": "FR", "name": "VAT", "rate": "5.5"}
    )
    too_high = client.post(
        "/admin/orders/taxrate/add/", {"country": "DE", "name": "MwSt", "rate": "120"}
    )
    listed = client.get("/admin/orders/taxrate/").content.decode()
    page = client.get("/admin/orders/taxsettings/").content.decode()
    saved = client.post("/admin/orders/taxsettings/", {"prices_include_tax": "no"}, follow=True)

    assert added.status_code == 302
    assert errors_beside(twice.content.decode()) == ["FR has a tax rate already; change that one."]
    assert errors_beside(too_high.content.decode()) == [
        "Give the rate in percent, from 0 to 100, with at most 3 decimals, e.g. 20, 5.5 or 8.875."
    ]
    assert "Your prices include tax" in listed and "20 %" in listed
    assert re.search(r'<input type="radio"[^>]*value="yes"[^>]*checked', page)
    assert "Exclude tax: tax is added at checkout" in page
    assert "Saved. Tax is added to your prices at checkout." in saved.content.decode()
    with tenant_context(shop_a):
        assert list(TaxRate.objects.values_list("country", "name", "rate")) == [
            ("FR", "TVA", Decimal("20.000"))
        ]
        assert TaxSettings.objects.get().prices_include_tax is False


def discount_form(**fields) -> dict:
    data = {
        "code": "SUMMER10",
        "kind": "percentage",
        "value": "10",
        "minimum_subtotal": "",
        "usage_limit": "",
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
        "is_active": "on",
    }
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}


def test_the_merchant_adds_a_code_and_sees_its_uses(shop_a):
    client = owner_client()
    page = client.get("/admin/orders/discount/add/").content.decode()

    response = client.post(
        "/admin/orders/discount/add/",
        discount_form(
            usage_limit="100", once_per_customer="on", ends_at_0="2999-12-31", ends_at_1="23:59:00"
        ),
    )
    with tenant_context(shop_a):
        discount = Discount.objects.get()
        for email in ("ada@example.com", "bob@example.com", "cy@example.com"):
            services.discount_redeem(code="summer10", email=email, order_id=OrderFactory().pk)
    listed = client.get("/admin/orders/discount/").content.decode()
    detail = client.get(f"/admin/orders/discount/{discount.pk}/change/").content.decode()

    for label in (
        "Type",
        "Minimum order",
        "Total uses allowed",
        "Once per customer",
        "Starts",
        "Ends",
        "Active",
    ):
        assert label in page
    assert (
        "A percentage: 10 means 10% off the items. A fixed amount: the amount off the "
        "items, in EUR." in page
    )
    assert response.status_code == 302
    assert (discount.code, discount.usage_limit, discount.once_per_customer) == (
        "SUMMER10",
        100,
        True,
    )
    assert "10% off the items" in listed and "3 of 100" in listed and "Usable" in listed
    assert "cy@example.com" in detail and "3 of 100" in detail


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"value": "150"}, ["Give the percentage off, from 0.01 to 100, e.g. 10 or 12.5."]),
        (
            {"kind": "free_shipping", "value": "5"},
            ["A free-shipping code takes nothing else off; leave the value empty."],
        ),
        (
            {"code": "summer 10"},
            ["A code is letters, digits, - and _ only (no spaces), e.g. SUMMER-10."],
        ),
        (
            {"code": "winter5"},
            ["The code “winter5” exists already (codes are the same whatever their case)."],
        ),
        (
            {
                "starts_at_0": "2030-06-01",
                "starts_at_1": "00:00:00",
                "ends_at_0": "2030-05-01",
                "ends_at_1": "00:00:00",
            },
            ["The end must be after the start."],
        ),
    ],
)
def test_code_mistakes_are_shown_beside_their_field(shop_a, fields, errors):
    with tenant_context(shop_a):
        services.discount_create(code="WINTER5", kind="fixed_amount", value="5")

    response = owner_client().post("/admin/orders/discount/add/", discount_form(**fields))

    assert response.status_code == 200
    assert errors_beside(response.content.decode()) == errors
    with tenant_context(shop_a):
        assert Discount.objects.count() == 1


def test_another_shops_owner_sees_none_of_these(shop_a, shop_b):
    with tenant_context(shop_a):
        zone = services.shipping_zone_create(name="Alpha zone", countries=["FR"])
        discount = services.discount_create(code="ALPHAONLY", kind="free_shipping")

    beta = owner_client("beta")
    zones = beta.get("/admin/orders/shippingzone/").content.decode()
    codes = beta.get("/admin/orders/discount/").content.decode()

    assert "Alpha zone" not in zones and "ALPHAONLY" not in codes
    assert beta.get(f"/admin/orders/discount/{discount.pk}/change/").status_code in (302, 404)
    assert beta.get(f"/admin/orders/shippingzone/{zone.pk}/change/").status_code in (302, 404)
