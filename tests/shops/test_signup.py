"""Signup on the platform host: validation a person understands, and all-or-nothing creation."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.test import Client
from django_tenants.utils import schema_exists, tenant_context

from shops.accounts.models import User
from shops.models import Domain, Shop
from shops.selectors import platform_url, shop_url
from shops.services import shop_create

VALID = {
    "name": "Corner Bakery",
    "slug": "corner-bakery",
    "owner_email": "Baker@Example.com",
    "currency": "EUR",
    "password": "rye-sourdough-morning-7",
}


def post_signup(**changes):
    return Client(HTTP_HOST="localhost").post("/signup/", {**VALID, **changes})


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("ab", "Use at least 3 characters for your shop address."),
        ("a" * 41, "Ensure this value has at most 40 characters (it has 41)."),
        ("my shop", "Use only lowercase letters a-z, digits and hyphens"),
        ("café", "Use only lowercase letters a-z, digits and hyphens"),
        ("my.shop", "Use only lowercase letters a-z, digits and hyphens"),
        ("9lives", "Start your shop address with a letter."),
        ("-shop", "Start your shop address with a letter."),
        ("shop-", "Do not end your shop address with a hyphen."),
        ("my--shop", "Do not use two hyphens in a row."),
        ("www", "“www” is reserved for the platform; choose another address."),
        ("admin", "“admin” is reserved for the platform; choose another address."),
        ("api", "“api” is reserved for the platform; choose another address."),
        ("alpha", "That shop address is taken; choose another."),
        ("Alpha", "That shop address is taken; choose another."),
    ],
)
def test_signup_explains_each_invalid_slug(db, slug, message):
    response = post_signup(slug=slug)

    assert response.status_code == 400
    assert message in response.context["form"].errors["slug"][0]
    assert Shop.objects.count() == 2  # alpha and beta only


@pytest.mark.parametrize(
    ("slug", "code"),
    [
        ("ab", "too_short"),
        ("a" * 41, "too_long"),
        ("my_shop", "invalid_characters"),
        ("1shop", "must_start_with_letter"),
        ("shop-", "ends_with_hyphen"),
        ("a--b", "double_hyphen"),
        ("www", "reserved"),
        ("beta", "taken"),
    ],
)
def test_service_rejects_invalid_slugs_with_a_code(db, slug, code):
    with pytest.raises(ValidationError) as error:
        shop_create(slug=slug, name="Shop", owner_email="a@example.com", owner_password="x")

    assert error.value.error_dict["slug"][0].code == code


def test_signup_rejects_weak_password_and_bad_email(db):
    response = post_signup(password="123", owner_email="not-an-email")

    assert response.status_code == 400
    assert "This password is too short" in str(response.context["form"].errors["password"])
    assert "Enter a valid email address." in str(response.context["form"].errors["owner_email"])
    assert not Shop.objects.filter(slug="corner-bakery").exists()


def test_signup_creates_shop_and_signs_owner_into_its_admin(db):
    response = post_signup(slug="Corner-Bakery")

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("http://corner-bakery.localhost/welcome/?token=")
    shop = Shop.objects.get(slug="corner-bakery")
    assert (shop.name, shop.owner_email, shop.schema_name) == (
        "Corner Bakery",
        "baker@example.com",
        "shop_corner_bakery",
    )
    assert list(shop.domains.values_list("domain", "is_primary")) == [
        ("corner-bakery.localhost", True)
    ]
    with tenant_context(shop):
        owner = User.objects.get()
        assert (owner.email, owner.is_staff, owner.is_superuser) == (
            "baker@example.com",
            True,
            True,
        )
        assert owner.check_password(VALID["password"])

    shop_client = Client(HTTP_HOST="corner-bakery.localhost")
    welcome = shop_client.get(location.removeprefix("http://corner-bakery.localhost"))
    assert welcome.status_code == 302
    assert welcome["Location"] == "/admin/"
    admin = shop_client.get("/admin/")
    assert admin.status_code == 200
    assert b"Corner Bakery" in admin.content

    # the link works once
    replay = Client(HTTP_HOST="corner-bakery.localhost").get(
        location.removeprefix("http://corner-bakery.localhost")
    )
    assert replay["Location"] == "/admin/login/"


def test_welcome_link_of_one_shop_does_not_sign_in_on_another(db):
    response = post_signup()
    path = response["Location"].removeprefix("http://corner-bakery.localhost")

    other = Client(HTTP_HOST="alpha.localhost")
    assert other.get(path)["Location"] == "/admin/login/"
    assert other.get("/admin/").status_code == 302


@pytest.fixture
def domain_insert_fails(django_db_blocker):
    """A database trigger that makes the domain insert fail, after shop row and schema exist."""
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION public.refuse_domain() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'refused for the test'; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_domain BEFORE INSERT ON public.shops_domain
            FOR EACH ROW WHEN (NEW.domain = 'halfway.localhost')
            EXECUTE FUNCTION public.refuse_domain();
            """
        )
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER refuse_domain ON public.shops_domain;"
            "DROP FUNCTION public.refuse_domain();"
        )


def test_failure_midway_leaves_no_schema_or_rows(domain_insert_fails, django_db_blocker):
    with django_db_blocker.unblock():
        with pytest.raises(DatabaseError, match="refused for the test"):
            shop_create(slug="halfway", name="Halfway", owner_email="h@example.com")

        assert not Shop.objects.filter(slug="halfway").exists()
        assert not Domain.objects.filter(domain="halfway.localhost").exists()
        assert not schema_exists("shop_halfway")
        # and the address is free again
        created = shop_create(slug="halfway-two", name="Halfway", owner_email="h@example.com")
        created.shop.delete(force_drop=True)


def test_signup_sets_the_shops_currency(db):
    assert post_signup(currency="JPY").status_code == 302
    assert Shop.objects.get(slug="corner-bakery").currency == "JPY"


def test_unknown_currency_is_refused(db):
    response = post_signup(currency="XYZ")
    assert response.status_code == 400
    assert "Select a valid choice." in response.context["form"].errors["currency"][0]
    with pytest.raises(ValidationError) as error:
        shop_create(slug="coins", name="Coins", owner_email="c@example.com", currency="ZZZ")
    assert error.value.message_dict["currency"] == [
        "“ZZZ” is not a currency Etalage supports; use an ISO 4217 code such as EUR or USD."
    ]


def test_links_made_outside_a_request_carry_the_platform_scheme_and_port(settings, shop_a):
    """An order email's link must open the shop under `make run` (port 8000)."""
    settings.PLATFORM_PORT = 8000
    assert shop_url(shop_a) == "http://alpha.localhost:8000"
    assert platform_url() == "http://localhost:8000"
    settings.PLATFORM_SCHEME, settings.PLATFORM_PORT = "https", 443
    assert shop_url(shop_a) == "https://alpha.localhost"
    settings.PLATFORM_PORT = 0
    assert platform_url() == "https://localhost"
