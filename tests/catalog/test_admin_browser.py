"""In a real browser: a merchant adds a product with a picture, then imports a CSV and
follows it to its error report."""

from __future__ import annotations

from pathlib import Path

import pytest
from django_tenants.utils import tenant_context
from PIL import Image

from catalog.models import CatalogChange, Product
from tests.conftest import SHOP_PASSWORD

pytestmark = pytest.mark.browser

CSV = (
    "Handle,Title,Body (HTML),Vendor,Type,Tags,Status,Option1 Name,Option1 Value,"
    "Variant SKU,Variant Price,Variant Inventory Qty\n"
    "sea-mug,Sea Mug,<p>Blue</p>,Etalage,Mug,kitchen,active,Title,Default Title,MUG-SEA,12.00,4\n"
    "bad-mug,Bad Mug,,Etalage,Mug,,active,Title,Default Title,MUG-BAD,-3,1\n"
)


@pytest.fixture
def page(browser, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the live server runs in this process
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def log_in(page, base: str, slug: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Email address").fill(f"owner@{slug}.test")
    page.get_by_label("Password").fill(SHOP_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin/")


def nav_open(page, label: str) -> None:
    """Open ``label`` from the back office's navigation as a person would: on a phone the
    Menu button opens it first (shops/backoffice/navigation.py)."""
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible() and menu.get_attribute("aria-expanded") == "false":
        menu.click()
    nav = page.get_by_role("navigation", name="Back office")
    nav.get_by_role("link", name=label, exact=True).click()


def test_merchant_adds_a_product_with_a_picture_and_imports_a_csv(
    page, shop_server, committed_shop, django_db_blocker, tmp_path
):
    shop = committed_shop("atelier", "Atelier").shop
    base = f"http://atelier.localhost:{shop_server}"
    log_in(page, base, "atelier")

    picture = tmp_path / "tote.png"
    Image.new("RGB", (900, 700), "teal").save(picture)
    page.goto(f"{base}/admin/catalog/product/add/")
    page.get_by_label("Title:", exact=True).fill(
        "Canvas Tote"
    )  # the slug is filled in from the title
    page.get_by_label("Status:", exact=True).select_option("active")
    page.get_by_label("Brand:", exact=True).fill("Atelier")
    page.locator('input[name="variants-0-sku"]').fill("TOTE-1")
    page.locator('input[name="variants-0-price"]').fill("24.50")
    page.locator('input[name="variants-0-stock"]').fill("3")
    page.locator('input[name="images-0-upload"]').set_input_files(str(picture))
    page.locator('input[name="images-0-alt_text"]').fill("Tote on a chair")
    page.get_by_role("button", name="Save", exact=True).click()

    page.wait_for_url(f"{base}/admin/catalog/product/")
    row = page.locator("#result_list tbody tr", has_text="Canvas Tote")
    assert "24.50 EUR" in row.inner_text()
    thumbnail = row.locator("img")
    assert thumbnail.get_attribute("alt") == "Tote on a chair"
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth") == 320
    with django_db_blocker.unblock(), tenant_context(shop):
        product = Product.objects.get(slug="canvas-tote")
        assert CatalogChange.objects.filter(product_id=product.id).count() == 1

    csv_file = tmp_path / "shopify.csv"
    csv_file.write_bytes(CSV.encode())
    page.get_by_role("link", name="Import CSV").click()
    page.locator('input[type="file"]').set_input_files(str(csv_file))
    page.get_by_role("button", name="Import").click()

    progress = page.locator("progress")
    assert progress.get_attribute("value") == progress.get_attribute("max") == "2"
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the error report (CSV)").click()
    report = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "bad-mug" in report and "Variant Price" in report
    with django_db_blocker.unblock(), tenant_context(shop):
        assert set(Product.objects.values_list("slug", flat=True)) == {"canvas-tote", "sea-mug"}
