"""Manual and automatic collections."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from catalog.collections import collection_create, collection_products, collection_set_products
from catalog.models import Collection
from catalog.services import VariantInput, product_create


@pytest.fixture
def catalog(shop_a):
    with tenant_context(shop_a):
        made = {}
        for title, tags, kind, price, status in [
            ("Red Mug", ["kitchen", "red"], "Mug", "12.00", "active"),
            ("Blue Mug", ["kitchen"], "Mug", "18.00", "active"),
            ("Red Scarf", ["red", "winter"], "Scarf", "30.00", "active"),
            ("Draft Mug", ["kitchen"], "Mug", "10.00", "draft"),
        ]:
            made[title] = product_create(
                title=title,
                tags=tags,
                product_type=kind,
                status=status,
                variants=[VariantInput(sku=title.upper().replace(" ", "-"), price=price)],
            )
        yield made


def titles(collection: Collection) -> list[str]:
    return list(collection_products(collection).values_list("title", flat=True))


def test_manual_collection_keeps_hand_picked_order_and_hides_drafts(catalog):
    collection = collection_create(
        title="Staff picks",
        product_ids=[catalog["Red Scarf"].id, catalog["Draft Mug"].id, catalog["Blue Mug"].id],
    )
    assert titles(collection) == ["Red Scarf", "Blue Mug"]

    collection_set_products(collection=collection, product_ids=[catalog["Blue Mug"].id])
    assert titles(collection) == ["Blue Mug"]


def test_automatic_collection_by_tag_type_and_price(catalog):
    red = collection_create(title="Red things", kind="automatic", rule_tags=["red"])
    mugs = collection_create(title="Mugs", kind="automatic", rule_product_type="mug")
    cheap_mugs = collection_create(
        title="Cheap mugs", kind="automatic", rule_product_type="Mug", rule_max_price="15"
    )
    mid = collection_create(title="Mid", kind="automatic", rule_min_price="15", rule_max_price="30")

    assert titles(red) == ["Red Mug", "Red Scarf"]
    assert titles(mugs) == ["Blue Mug", "Red Mug"]
    assert titles(cheap_mugs) == ["Red Mug"]
    assert titles(mid) == ["Blue Mug", "Red Scarf"]
    assert mid.rule_min_price == Decimal("15")


def test_collection_rules_are_validated(catalog):
    with pytest.raises(ValidationError) as error:
        collection_create(title="Empty", kind="automatic")
    assert "needs at least one rule" in error.value.message_dict["rule_tags"][0]
    with pytest.raises(ValidationError) as error:
        collection_create(
            title="Upside down", kind="automatic", rule_min_price="20", rule_max_price="10"
        )
    assert error.value.message_dict["rule_max_price"] == [
        "The highest price must not be below the lowest price."
    ]
    automatic = collection_create(title="Red", kind="automatic", rule_tags=["red"])
    with pytest.raises(ValidationError, match="Only a manual collection"):
        collection_set_products(collection=automatic, product_ids=[catalog["Red Mug"].id])


def test_collections_and_their_products_are_per_shop(catalog, shop_a, shop_b):
    with tenant_context(shop_a):
        collection_create(title="Alpha picks", product_ids=[catalog["Red Mug"].id])
    with tenant_context(shop_b):
        assert not Collection.objects.exists()
        with pytest.raises(ValidationError, match="No product with id"):
            collection_create(title="Stolen", product_ids=[catalog["Red Mug"].id])
