"""The product page's picker resolved on the server: option menus, sold-out and missing
combinations, the variant's picture; and the variant picture's own rules."""

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from catalog.images import product_image_add
from catalog.services import VariantInput, product_create, variant_update
from tests.catalog.test_product_page import (
    picture,
    sells,  # noqa: F401 (a fixture used by name)
    shopper,
)


def cap():
    return product_create(
        title="Dune Cap",
        slug="dune-cap",
        status="active",
        option1_name="Colour",
        option2_name="Size",
        variants=[
            VariantInput(sku="CAP-RS", price="30.00", stock=4, options=["Red", "S"]),
            VariantInput(sku="CAP-RL", price="32.00", stock=0, options=["Red", "L"]),
            VariantInput(sku="CAP-BL", price="33.00", stock=2, options=["Blue", "L"]),
        ],
    )


@pytest.mark.usefixtures("sells")
def test_the_option_menus_choose_the_variant_without_javascript(shop_a):
    with tenant_context(shop_a):
        blue = cap().variants.get(sku="CAP-BL")

    html = shopper().get("/products/dune-cap/?option1=Blue&option2=L").content.decode()

    assert "<strong data-price>€33.00</strong>" in html
    assert f'data-variant="{blue.id}"' in html
    assert '<option value="Blue" selected>Blue · €33.00</option>' in html
    assert '<option value="S">S (not available)</option>' in html


@pytest.mark.usefixtures("sells")
def test_a_sold_out_combination_is_marked_and_not_buyable(shop_a):
    with tenant_context(shop_a):
        red_large = cap().variants.get(sku="CAP-RL")

    html = shopper().get("/products/dune-cap/?option1=Red&option2=L").content.decode()

    assert '<option value="L" selected>L · €32.00 (out of stock)</option>' in html
    assert "Out of stock in this option (Red / L)" in html
    assert f'data-variant="{red_large.id}" disabled aria-disabled="true">Buy now</button>' in html


@pytest.mark.usefixtures("sells")
def test_a_missing_combination_shows_no_price_and_cannot_be_bought(shop_a):
    with tenant_context(shop_a):
        cap()

    response = shopper().get("/products/dune-cap/?option1=Blue&option2=S")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Not available in this combination; choose another option." in html
    assert 'data-variant="" disabled aria-disabled="true">Buy now</button>' in html


def test_the_chosen_variants_picture_comes_first(shop_a, media):
    with tenant_context(shop_a):
        product = cap()
        product_image_add(product=product, file=picture("red"), alt_text="Red cap")
        blue_picture = product_image_add(product=product, file=picture("blue"), alt_text="Blue cap")
        variant_update(variant=product.variants.get(sku="CAP-BL"), image=blue_picture)

    red = shopper().get("/products/dune-cap/").content.decode()
    blue = shopper().get("/products/dune-cap/?option1=Blue&option2=L").content.decode()

    assert red.index('alt="Red cap"') < red.index('alt="Blue cap"')
    assert blue.index('alt="Blue cap"') < blue.index('alt="Red cap"')
    assert f'"image": {blue_picture.id}' in blue  # for the page's script


def test_a_variant_picture_is_one_of_its_own_products(shop_a, media):
    with tenant_context(shop_a):
        product = cap()
        other = product_create(
            title="Mug", slug="mug", status="active", variants=[VariantInput(sku="M", price="9")]
        )
        mug_picture = product_image_add(product=other, file=picture())

        with pytest.raises(ValidationError) as refused:
            variant_update(variant=product.variants.get(sku="CAP-RS"), image=mug_picture)

        assert refused.value.message_dict == {
            "image": ["Choose one of this product's own pictures."]
        }
        assert product.variants.get(sku="CAP-RS").image is None


def test_another_shop_does_not_answer_for_this_shops_options(shop_a, shop_b):
    with tenant_context(shop_a):
        cap()

    assert shopper("beta").get("/products/dune-cap/?option1=Blue&option2=L").status_code == 404
