"""The navigation by task: links to pages that do not exist (yet) or that the user may not
open are left out, the open page is marked current, and the links under a section show
while one of its pages is open."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django_tenants.utils import tenant_context

from shops.accounts.models import User
from shops.backoffice.navigation import NAVIGATION, Link, Section, navigation_for
from tests.conftest import owner_client

ORDERS = Section(
    "Orders",
    (
        Link("Orders", "admin:orders_order_changelist", "orders.view_order"),
        Link("Not built yet", "admin:orders_nothing_here_changelist"),
    ),
)
PRODUCTS = Section(
    "Products",
    (
        Link("Products", "admin:catalog_product_changelist", "catalog.view_product"),
        Link("Collections", "admin:catalog_collection_changelist", "catalog.view_collection"),
    ),
)


def shape(sections) -> list[tuple]:
    return [
        (
            section.label,
            section.url,
            section.is_current,
            [(link.label, link.is_current) for link in section.links],
        )
        for section in sections
    ]


def test_a_link_whose_page_does_not_resolve_is_left_out(shop_a):
    with tenant_context(shop_a):
        owner = User.objects.get()
        sections = navigation_for(owner, "/admin/orders/order/", (ORDERS, PRODUCTS))

    assert shape(sections) == [
        ("Orders", "/admin/orders/order/", True, []),
        ("Products", "/admin/catalog/product/", False, [("Collections", False)]),
    ]


def test_the_links_under_a_section_show_on_its_pages_the_longest_match_current(shop_a):
    with tenant_context(shop_a):
        owner = User.objects.get()
        sections = navigation_for(owner, "/admin/catalog/collection/3/change/", (PRODUCTS,))

    assert shape(sections) == [
        ("Products", "/admin/catalog/product/", False, [("Collections", True)]),
    ]
    assert sections[0].is_open


def test_a_user_without_the_permission_does_not_see_the_link(shop_a):
    """Staff (the role's permissions, shops.accounts.roles) see no owner's page; an
    inactive account and an anonymous visitor see nothing that needs a permission."""
    with tenant_context(shop_a):
        clerk = User.objects.create_user(email="clerk@alpha.test", password="x", is_staff=True)
        settings = next(
            s for s in navigation_for(clerk, "/admin/", NAVIGATION) if s.label == "Settings"
        )
        clerk.is_active = False
        inactive = navigation_for(clerk, "/admin/", NAVIGATION)

    shown = {link.label for link in settings.links} | {settings.label}
    assert "Shipping" in shown and "Discounts" in shown
    assert not shown & {
        "Payments",
        "Staff",
        "API keys",
        "Webhooks",
        "Audit log",
        "Shop and domains",
    }
    assert [section.label for section in inactive] == ["Home", "Online store"]
    assert navigation_for(AnonymousUser(), "/admin/", (ORDERS,)) == []


def test_every_link_of_the_navigation_opens_for_the_owner(shop_a):
    """Each link that resolves answers 200 to the owner (a renamed page shows up here)."""
    client = owner_client("alpha")
    with tenant_context(shop_a):
        owner = User.objects.get()
        urls = [section.url for section in navigation_for(owner, "/admin/")] + [
            link.url
            for section in NAVIGATION
            for link in navigation_for(owner, "/admin/", (section,))[0].links
        ]
    assert len(urls) >= 20
    for url in urls:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
