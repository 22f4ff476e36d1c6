"""In a real browser: the demo shop page, its admin login, and signup into a new shop's admin."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from shops.demo.management.commands.seed_demo import DEMO_OWNER, demo_password
from shops.models import Shop

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_shop(django_db_setup, django_db_blocker, tmp_path_factory):
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    media.enable()  # the demo products' pictures
    with django_db_blocker.unblock():
        call_command("seed_demo", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    yield
    media.disable()
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        Shop.objects.get(slug="demo").delete(force_drop=True)


def test_demo_shop_page_and_admin_login(page, shop_server, demo_shop):
    page.goto(f"http://demo.localhost:{shop_server}/")
    assert page.locator("h1").inner_text() == "Etalage Demo Shop"
    assert page.title() == "Etalage Demo Shop"
    # the demo design: 4 tees in the featured collection, a first page of 12 products
    assert page.locator(".section-collection .product-card").count() == 4
    assert page.locator(".section-products .product-card").count() == 12

    page.goto(f"http://demo.localhost:{shop_server}/admin/login/")
    assert page.get_by_label("Email address").is_visible()
    page.get_by_label("Email address").fill(DEMO_OWNER)
    page.get_by_label("Password").fill(demo_password())
    page.get_by_role("button", name="Log in").click()

    page.wait_for_url(f"http://demo.localhost:{shop_server}/admin/")
    assert "Etalage Demo Shop · admin" in page.locator("#site-name").inner_text()


def test_unknown_shop_host_shows_friendly_page(page, shop_server, db):
    response = page.goto(f"http://no-such-shop.localhost:{shop_server}/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "There is no shop at this address"


def test_signup_in_the_browser_lands_in_the_new_shops_admin(page, shop_server, django_db_blocker):
    page.goto(f"http://localhost:{shop_server}/signup/")
    page.get_by_label("Shop name").fill("Browser Books")
    page.get_by_label("Shop address").fill("browser-books")
    page.get_by_label("Your email").fill("reader@example.com")
    page.get_by_label("Password").fill("pages-and-margins-99")
    try:
        page.get_by_role("button", name="Create my shop").click()
        page.wait_for_url(f"http://browser-books.localhost:{shop_server}/admin/")
        assert "Browser Books · admin" in page.locator("#site-name").inner_text()
        assert "Welcome to your shop" in page.locator(".messagelist").inner_text()
    finally:
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            for shop in Shop.objects.filter(slug="browser-books"):
                shop.delete(force_drop=True)
