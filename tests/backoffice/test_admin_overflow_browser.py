"""Every page of the shop's admin fits a 390 px phone: a shop holding a row of each model,
then each changelist, add form and change form (one per model), Home, the designer,
payments and the back office's own pages opened in Chromium at 390 px. The test fails
on any page wider than the screen (document scrollWidth > clientWidth) or not answering
200, and lists them all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_tenants.utils import tenant_context

from catalog.collections import collection_create
from catalog.import_jobs import import_job_create
from orders.services.discounts import discount_create
from orders.services.shipping import shipping_rate_create, shipping_zone_create
from orders.services.taxes import tax_rate_create
from reviews.services.polls import PollOptionInput, poll_create
from shops.accounts.models import User
from shops.api.services import api_key_create
from shops.channels.services import connection_create
from shops.consent.services import CHECKBOX_WORDING, consent_request
from shops.storefront import services as design_services
from shops.webhooks.services import subscription_create
from tests.conftest import SHOP_PASSWORD
from tests.factories import OrderFactory, PostFactory, ProductFactory, ReviewFactory

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("ETALAGE_SHOTS", "/tmp/shots-home")) / "overflow"  # noqa: S108
PHONE = {"width": 390, "height": 844}
CSV = (
    "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Qty\n"
    "sea-mug,Sea Mug,Title,Default Title,MUG-SEA,12.00,4\n"
)


def shop_with_a_row_of_everything() -> None:
    """One row (at least) of each model the admin lists, with long texts where they can
    push a page wider."""
    product = ProductFactory(
        title="An exceptionally long product title that should wrap nicely on a small phone",
        sku="A-VERY-LONG-STOCK-KEEPING-UNIT-CODE-0001",
    )
    collection_create(title="Summer essentials for the whole family", product_ids=[product.pk])
    order = OrderFactory(
        email="a.very.long.email.address.for.a.shopper@example.com", paid_at=timezone.now()
    )
    ReviewFactory(product=product, body="Lovely " * 40)
    PostFactory(products=[product])
    poll_create(
        question="Which colour should come next?",
        options=[PollOptionInput(text="Sea blue"), PollOptionInput(text="Sand")],
    )
    zone = shipping_zone_create(name="Europe", countries=["FR", "BE", "DE"])
    shipping_rate_create(zone=zone, name="Standard (2 to 4 days)", price="4.90")
    tax_rate_create(country="FR", rate="20")
    discount_create(code="WELCOME10", kind="percentage", value="10", ends_at=None)
    api_key_create(name="Accounting export", scopes=["orders:read"])
    subscription_create(
        url="https://hooks.example.com/a/very/long/path/for/the/etalage/webhook",
        events=["order.paid"],
    )
    connection_create(channel="google", external_id="123456789/987654321")
    design_services.section_add(section_type_key="rich_text")
    import_job_create(file=ContentFile(CSV.encode()), name="products.csv", queue=False)
    consent_request(
        email="a.very.long.email.address.for.a.shopper@example.com",
        source="checkout",
        wording=CHECKBOX_WORDING,
    )
    assert order.pk


def admin_pages() -> list[str]:
    """The admin's pages: per registered model its changelist, add form (where adding is
    allowed) and the change form of its first row; then the pages without a model."""
    request = RequestFactory().get("/admin/")
    request.user = User.objects.get()  # the owner
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        try:
            add = reverse("admin:{}_{}_add".format(*info))
        except NoReverseMatch:
            add = None
        if add and model_admin.has_add_permission(request):
            urls.append(add)
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
    for name in (
        "admin:backoffice_share",
        "admin:backoffice_customers",
        "admin:backoffice_analytics",
        "admin:password_change",
    ):
        urls.append(reverse(name))
    return urls


def test_every_admin_page_fits_a_390_px_phone(
    browser, shop_server, committed_shop, django_db_blocker, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    shop = committed_shop("roomy", "Roomy").shop
    with django_db_blocker.unblock(), tenant_context(shop):
        shop_with_a_row_of_everything()
        paths = admin_pages()
    base = f"http://roomy.localhost:{shop_server}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Email address").fill("owner@roomy.test")
    page.get_by_label("Password").fill(SHOP_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin/")

    offenders = []
    seen = set()
    for path in paths:
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(f"{base}{path}")
        # a page that redirects (the designer's change form, review settings) is judged
        # where it lands
        width = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        name = path.strip("/").replace("/", "_") or "home"
        if response.status != 200:
            offenders.append(f"{path}: answered {response.status}")
        elif width[0] > width[1]:
            wide = page.evaluate(
                """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                .filter(e => e.children.length === 0 || getComputedStyle(e).overflowX === 'visible')
                .slice(0, 3)
                .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '') + ' ' + Math.round(e.getBoundingClientRect().right))"""
            )
            offenders.append(f"{path}: {width[0]} px wide ({', '.join(wide)})")
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    context.close()

    assert len(seen) > 50
    assert not offenders, "pages wider than a 390 px phone:\n" + "\n".join(offenders)
