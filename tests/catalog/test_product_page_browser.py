"""In a real browser: the variant picker works without JavaScript."""

import pytest
from django_tenants.utils import tenant_context

from catalog.services import VariantInput, product_create
from tests.orders.conftest import shop_sells

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


def test_picking_a_variant_shows_its_price_and_stock(
    page, shop_server, committed_shop, django_db_blocker, stripe_settings
):
    shop = committed_shop("vitrine", "Vitrine").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        product_create(
            title="Harbour Tee",
            slug="harbour-tee",
            status="active",
            option1_name="Size",
            variants=[
                VariantInput(sku="TEE-M", price="24.00", stock=5, options=["M"]),
                VariantInput(sku="TEE-XL", price="26.00", stock=0, options=["XL"]),
                VariantInput(sku="TEE-L", price="25.00", stock=2, options=["L"]),
            ],
        )
        shop_sells("vitrine")  # Buy now is offered

    page.goto(f"http://vitrine.localhost:{shop_server}/products/harbour-tee/")
    assert page.get_by_role("heading", level=1).inner_text() == "Harbour Tee"
    assert page.locator("[data-price]").inner_text() == "€24.00"
    assert page.get_by_role("button", name="Buy now").is_enabled()

    choose(page, "L · €25.00")
    assert page.locator("[data-price]").inner_text() == "€25.00"
    assert page.locator("[data-availability]").inner_text() == "In stock: only 2 left"

    choose(page, "XL · €26.00 (out of stock)")
    assert page.locator("[data-price]").inner_text() == "€26.00"
    assert page.locator("[data-availability]").inner_text() == "Out of stock in this option (XL)"
    assert page.get_by_role("button", name="Buy now").is_disabled()


def choose(page, label: str) -> None:
    """Pick an option and submit the picker's GET form (no JavaScript on the page)."""
    (value,) = page.get_by_label("Size").select_option(label=label)
    page.get_by_role("button", name="Show this option").click()
    page.wait_for_url(f"**/products/harbour-tee/?option1={value}")
