"""The cached shop page survives the merchant's stock edits in the admin and CSV imports
that keep every variant on the same side of zero; a variant going in or out of stock, or
any other change the page shows, retires it. Through the real admin (logged in as the
shop's owner) and a real import (uploaded in the admin, run by the import task)."""

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from catalog import shopify_csv as col
from catalog.models import CatalogChange, ImportJob, Product, Variant
from catalog.services import stock_hold
from shops.page_cache import shop_page_version
from tests.catalog.test_admin import management, product_post
from tests.catalog.test_imports import csv_bytes, simple_rows
from tests.storefront.helpers import owner, shopper

STOCK_ONLY = ["availability", "stock"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def version(shop) -> int:
    with tenant_context(shop):
        return shop_page_version()


def shop_page(slug: str = "alpha") -> tuple[int, str]:
    """The shop page's queries and HTML: 2 queries (routing) when served from the cache."""
    with CaptureQueriesContext(connection) as captured:
        response = shopper(slug).get("/")
    assert response.status_code == 200
    return len(captured), response.content.decode()


def last_aspects(shop, slug: str) -> list[str]:
    with tenant_context(shop):
        product_id = Product.objects.get(slug=slug).id
        return CatalogChange.objects.filter(product_id=product_id).latest("id").aspects


# --- The product form (variants inline) ------------------------------------------------


@pytest.fixture
def tote(shop_a, django_capture_on_commit_callbacks):
    """A tote with two variants (5 in stock, 0 in stock), saved through the admin."""
    client = owner()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/catalog/product/add/", product_post())
    assert response.status_code == 302
    with tenant_context(shop_a):
        product = Product.objects.get(slug="canvas-tote")
        variants = list(product.variants.order_by("position"))
    return client, product, variants


def tote_change(product: Product, variants: list[Variant], **overrides) -> dict:
    data = product_post(**overrides)
    data.update(management("variants", 2, initial=2))
    for index, variant in enumerate(variants):
        data[f"variants-{index}-id"] = variant.id
        data[f"variants-{index}-product"] = product.id
    return data


@pytest.mark.parametrize(
    ("overrides", "is_retired", "aspects"),
    [
        ({"variants-0-stock": "7"}, False, STOCK_ONLY),  # 5 → 7: still in stock
        ({"variants-0-stock": "0"}, True, STOCK_ONLY),  # 5 → 0: the tote sells out
        ({"variants-1-stock": "4"}, True, STOCK_ONLY),  # 0 → 4: back in stock
        ({"variants-0-stock": "7", "title": "Big tote"}, True, ["availability", "stock", "title"]),
        (
            {"variants-0-stock": "7", "variants-0-price": "23.00"},
            True,
            ["availability", "price", "stock"],
        ),
    ],
    ids=["stock-only", "sold-out", "back-in-stock", "with-title", "with-price"],
)
def test_a_product_form_save_retires_the_page_only_for_what_it_shows(
    shop_a, tote, django_capture_on_commit_callbacks, overrides, is_retired, aspects
):
    # given: the shop page cached
    client, product, variants = tote
    shop_page()
    before = version(shop_a)

    # when: the owner saves the product form with a change
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/catalog/product/{product.id}/change/",
            tote_change(product, variants, **overrides),
        )

    # then: the channels hear of it either way; the page is retired only when it shows it
    assert response.status_code == 302
    assert last_aspects(shop_a, "canvas-tote") == aspects
    assert (version(shop_a) != before) is is_retired
    count, html = shop_page()
    assert (count > 2) is is_retired
    assert ("Out of stock" in html) is (overrides == {"variants-0-stock": "0"})
    assert ("Big tote" in html) is ("title" in overrides)


def test_a_hold_on_the_last_available_units_retires_the_page(
    shop_a, tote, django_capture_on_commit_callbacks
):
    # given the tote in stock through one variant (5 on hand), its shop page cached
    _, _, (variant, sold_out) = tote
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        Variant.objects.filter(id=sold_out.id).delete()
    shop_page()
    before = version(shop_a)

    # when unpaid orders hold 4, then the last one
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        stock_hold(variant=Variant.objects.get(id=variant.id), quantity=4)
    kept = version(shop_a)
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        stock_hold(variant=Variant.objects.get(id=variant.id), quantity=1)

    # then the page is kept while one is available and says "Out of stock" once none
    # is, though all 5 are still on hand
    assert kept == before
    assert version(shop_a) != before
    _, html = shop_page()
    assert "Out of stock" in html


# --- The stock list and the variant form ------------------------------------------------


@pytest.mark.parametrize(("stock", "is_retired"), [("12", False), ("0", True)])
@pytest.mark.parametrize("page", ["list", "form"])
def test_a_stock_edit_retires_the_page_only_when_the_variant_sells_out(
    shop_a, tote, django_capture_on_commit_callbacks, page, stock, is_retired
):
    client, product, (variant, sold_out) = tote
    with tenant_context(shop_a), django_capture_on_commit_callbacks(execute=True):
        Variant.objects.filter(id=sold_out.id).delete()  # the tote is in stock through one
    shop_page()
    before = version(shop_a)

    with django_capture_on_commit_callbacks(execute=True):
        if page == "list":
            response = client.post(
                "/admin/catalog/variant/",
                {
                    **management("form", 1, initial=1),
                    "form-0-id": variant.id,
                    "form-0-stock": stock,
                    "_save": "Save",
                },
            )
        else:
            response = client.post(
                f"/admin/catalog/variant/{variant.id}/change/",
                {
                    "product": product.id,
                    "sku": variant.sku,
                    "option1": variant.option1,
                    "option2": "",
                    "option3": "",
                    "price": "24.00",
                    "compare_at_price": "",
                    "stock": stock,
                    "weight_grams": "",
                    "position": "0",
                },
            )

    assert response.status_code == 302
    with tenant_context(shop_a):
        assert Variant.objects.get(id=variant.id).stock == int(stock)
    assert last_aspects(shop_a, "canvas-tote") == STOCK_ONLY
    assert (version(shop_a) != before) is is_retired
    count, html = shop_page()
    assert (count > 2) is is_retired
    assert ("Out of stock" in html) is is_retired


# --- CSV import -------------------------------------------------------------------------


def upload(shop, rows: list[dict], django_capture_on_commit_callbacks) -> ImportJob:
    """The CSV uploaded in the shop's admin by its owner; the job, run by the task."""
    with django_capture_on_commit_callbacks(execute=True):
        response = owner(shop.slug).post(
            "/admin/catalog/importjob/add/",
            {"file": ContentFile(csv_bytes(rows), name="products.csv")},
        )
    assert response.status_code == 302
    with tenant_context(shop):
        return ImportJob.objects.latest("id")


def catalog_rows(mug_stock: str, bowl_stock: str = "4", **mug: str) -> list[dict]:
    return [
        *simple_rows("mug", "MUG", price="9.00", **{col.STOCK: mug_stock, **mug}),
        *simple_rows("bowl", "BOWL", price="12.00", **{col.STOCK: bowl_stock}),
    ]


@pytest.mark.parametrize(
    ("mug_stock", "mug", "is_retired", "aspects"),
    [
        ("8", {}, False, STOCK_ONLY),  # 3 → 8
        ("0", {}, True, STOCK_ONLY),  # 3 → 0: sold out
        ("8", {col.TITLE: "Tall mug"}, True, ["availability", "stock", "title"]),
        ("8", {col.PRICE: "10.00"}, True, ["availability", "price", "stock"]),
    ],
    ids=["stock-only", "sold-out", "with-title", "with-price"],
)
def test_an_import_retires_the_page_only_for_what_it_shows(
    shop_a, django_capture_on_commit_callbacks, mug_stock, mug, is_retired, aspects
):
    # given: a catalog imported once, and its shop page cached
    upload(shop_a, catalog_rows("3"), django_capture_on_commit_callbacks)
    shop_page()
    before = version(shop_a)

    # when: the owner imports it again with the mug's stock (and maybe more) changed
    job = upload(shop_a, catalog_rows(mug_stock, **mug), django_capture_on_commit_callbacks)

    # then
    assert (job.status, job.updated_products) == ("succeeded", 1)
    assert "0 products created, 1 updated, 1 unchanged." in job.message
    assert last_aspects(shop_a, "mug") == aspects
    assert (version(shop_a) != before) is is_retired
    count, html = shop_page()
    assert (count > 2) is is_retired
    assert ("Out of stock" in html) is (mug_stock == "0")
    assert ("Tall mug" in html) is (col.TITLE in mug)


def test_an_import_that_changes_nothing_keeps_the_page(shop_a, django_capture_on_commit_callbacks):
    upload(shop_a, catalog_rows("3"), django_capture_on_commit_callbacks)
    shop_page()
    before = version(shop_a)

    job = upload(shop_a, catalog_rows("3"), django_capture_on_commit_callbacks)

    assert job.status == "succeeded"
    assert "0 products created, 0 updated, 2 unchanged." in job.message
    assert version(shop_a) == before


def test_a_sell_out_in_one_shop_keeps_the_other_shops_page(
    shop_a, shop_b, django_capture_on_commit_callbacks
):
    for shop in (shop_a, shop_b):
        upload(shop, catalog_rows("3"), django_capture_on_commit_callbacks)
        shop_page(shop.slug)
    alpha_before, beta_before = version(shop_a), version(shop_b)

    upload(shop_b, catalog_rows("0"), django_capture_on_commit_callbacks)

    assert version(shop_b) != beta_before
    assert version(shop_a) == alpha_before
    count, html = shop_page("alpha")
    assert count == 0 and "Out of stock" not in html
    assert "Out of stock" in shop_page("beta")[1]
