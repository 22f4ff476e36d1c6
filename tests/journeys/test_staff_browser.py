"""Staff accountability in Chromium at phone and desktop widths: the owner invites a
staff member → the invitee opens the emailed link, chooses a password, logs in → changes
a price, but cannot open the payment settings → a read-only account sees no Save button
and its POST is refused → a partner's API key changes a price, a read-only key is
refused → the owner reads both price changes in the audit log.

The shop server runs in this process, so its emails land in Django's test outbox.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from shops.accounts.roles import Role
from shops.api.services import api_key_create
from shops.audit.models import AuditEntry
from tests.factories import SHOP_PASSWORD, ProductFactory
from tests.journeys.helpers import email_to, no_horizontal_overflow
from tests.shops.staff_helpers import staff_make

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("ETALAGE_STAFF_SHOTS", "/tmp/shots-staff"))  # noqa: S108
STAFF_PASSWORD = "orchard-ladder-sunrise-53"


def _log_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin/")


def _api(method: str, host: str, port: str, path: str, secret: str, body: dict):
    """A partner's call to the shop's API: to loopback, with the shop's Host header."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        method=method,
        headers={
            "Host": f"{host}:{port}",
            "Authorization": f"Bearer {secret}",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_staff_roles_and_the_audit_log(committed_shop, shop_server, browser, width):
    slug = f"staffed-{width}"
    created = committed_shop(slug, name=f"Staffed Shop {width}")
    shop = created.shop
    base = f"http://{slug}.localhost:{shop_server}"
    with tenant_context(shop):
        variant = ProductFactory(
            title="Oak board", sku="OAK-1", price=Decimal("40.00")
        ).variants.get()
        writer = api_key_create(name="ERP sync", scopes=["catalog:read", "catalog:write"])
        reader = api_key_create(name="Dashboard", scopes=["catalog:read"])
    staff_make(shop, Role.READ_ONLY, email=f"viewer@{slug}.test")
    invitee = f"sam@{slug}.test"
    shots = SHOTS / str(width)
    shots.mkdir(parents=True, exist_ok=True)
    owner_context = browser.new_context(viewport={"width": width, "height": 900})
    owner = owner_context.new_page()
    try:
        # given: the owner invites Sam as staff
        _log_in(owner, base, created.owner.email, SHOP_PASSWORD)
        owner.goto(f"{base}/admin/accounts/user/")
        owner.get_by_role("link", name="Invite someone").click()
        owner.get_by_label("Email address").fill(invitee)
        owner.get_by_label("Staff", exact=True).check()
        no_horizontal_overflow(owner)
        owner.screenshot(path=shots / "1-invite.png", full_page=True)
        owner.get_by_role("button", name="Save", exact=True).click()
        owner.get_by_text(f"Invitation sent to {invitee}").wait_for()
        owner.screenshot(path=shots / "2-invited.png", full_page=True)

        # when: Sam opens the emailed link, chooses a password and logs in
        email = email_to(invitee, "You are invited to the staff of")
        link = re.search(r"http://\S+/admin/invitation/\S+/", email.body)
        assert link and link[0].startswith(f"{base}/admin/invitation/"), email.body
        sam_context = owner_context.browser.new_context(viewport={"width": width, "height": 900})
        sam = sam_context.new_page()
        sam.goto(link[0])
        sam.get_by_label("Your name").fill("Sam Stone")
        sam.get_by_label("Choose a password").fill(STAFF_PASSWORD)
        sam.get_by_label("Confirm the password").fill(STAFF_PASSWORD)
        no_horizontal_overflow(sam)
        sam.screenshot(path=shots / "3-accept.png", full_page=True)
        sam.get_by_role("button", name="Create my account").click()
        sam.get_by_text("Your account is ready").wait_for()
        sam.screenshot(path=shots / "4-account-ready.png", full_page=True)
        sam.get_by_label("Email address").fill(invitee)
        sam.get_by_label("Password").fill(STAFF_PASSWORD)
        sam.get_by_role("button", name="Log in").click()
        sam.wait_for_url(f"{base}/admin/")

        # then: Sam changes a price, but the payment settings are the owner's
        sam.goto(f"{base}/admin/catalog/variant/{variant.pk}/change/")
        sam.get_by_role("spinbutton", name="Price:", exact=True).fill("42.50")
        sam.get_by_role("button", name="Save", exact=True).click()
        sam.wait_for_url(f"{base}/admin/catalog/variant/")
        refused = sam.goto(f"{base}/admin/orders/paymentaccount/")
        assert refused.status == 403
        sam.get_by_text("Only the shop's owner can open this page").wait_for()
        no_horizontal_overflow(sam)
        sam.screenshot(path=shots / "5-staff-refused-payments.png", full_page=True)
        sam_context.close()

        # and: a read-only account sees no Save button, and its POST is refused
        viewer_context = owner_context.browser.new_context(viewport={"width": width, "height": 900})
        viewer = viewer_context.new_page()
        _log_in(viewer, base, f"viewer@{slug}.test", SHOP_PASSWORD)
        viewer.goto(f"{base}/admin/catalog/variant/{variant.pk}/change/")
        viewer.get_by_text("42.50").first.wait_for()
        assert viewer.get_by_role("button", name="Save", exact=True).count() == 0
        assert viewer.locator("input[type=submit]").count() == 0
        no_horizontal_overflow(viewer)
        viewer.screenshot(path=shots / "6-read-only-view.png", full_page=True)
        with viewer.expect_navigation() as posted:
            viewer.evaluate("document.querySelector('#variant_form').submit()")
        assert posted.value.status == 403
        viewer.get_by_text("Your account is read-only").wait_for()
        viewer.screenshot(path=shots / "7-read-only-refused.png", full_page=True)
        viewer_context.close()

        # and: an API key changes the price; a read-only key may not
        host, path = f"{slug}.localhost", f"/api/v1/variants/{variant.pk}/"
        written = _api("PATCH", host, shop_server, path, writer.secret, {"price": "44.00"})
        assert written[0] == 200, written
        status, body = _api("PATCH", host, shop_server, path, reader.secret, {"price": "1.00"})
        assert status == 403
        assert body["error"]["message"].startswith("This API key is read-only")

        # then: the owner reads both price changes in the audit log
        owner.goto(f"{base}/admin/audit/auditentry/")
        prices = owner.locator("#result_list tbody tr").filter(has_text="Price changed")
        assert prices.count() == 2
        staff_row = prices.filter(has_text=invitee)
        assert "40.00 → 42.50" in staff_row.inner_text()
        key_row = prices.filter(has_text="API key “ERP sync”")
        assert "42.50 → 44.00" in key_row.inner_text()
        no_horizontal_overflow(owner)
        owner.screenshot(path=shots / "8-audit-log.png", full_page=True)
        with tenant_context(shop):
            assert AuditEntry.objects.filter(action="variant.price").count() == 2
            variant.refresh_from_db()
            assert variant.price == Decimal("44.00")
    finally:
        owner_context.close()


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_the_owner_sets_the_currency_and_a_custom_domain(
    committed_shop, shop_server, browser, width
):
    slug = f"settled-{width}"
    created = committed_shop(slug, name=f"Settled Shop {width}")
    base = f"http://{slug}.localhost:{shop_server}"
    shots = SHOTS / str(width)
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        # given: the owner's shop settings
        _log_in(page, base, created.owner.email, SHOP_PASSWORD)
        page.goto(f"{base}/admin/shop-settings/")
        page.get_by_text("Your shop sells in EUR.").wait_for()
        no_horizontal_overflow(page)
        page.screenshot(path=shots / "9-shop-settings.png", full_page=True)

        # when: the currency becomes GBP, and a domain is added (after a mistake)
        page.get_by_role("combobox", name="Sell in").select_option("GBP")
        page.get_by_role("button", name="Change currency").click()
        page.get_by_text("Your shop now sells in GBP.").wait_for()
        page.get_by_label("Your domain").fill("https://shop.settled.example/")
        page.get_by_role("button", name="Add domain").click()
        page.get_by_text("Write the domain alone").wait_for()
        page.get_by_label("Your domain").fill("shop.settled-shop.example")
        page.get_by_role("button", name="Add domain").click()
        page.get_by_text("Added shop.settled-shop.example").wait_for()

        # then: the page gives the DNS record the domain needs
        page.get_by_text(f"shop.settled-shop.example. CNAME {slug}.localhost.").wait_for()
        no_horizontal_overflow(page)
        page.screenshot(path=shots / "10-domain-added.png", full_page=True)
        created.shop.refresh_from_db()
        assert created.shop.currency == "GBP"
        assert created.shop.domains.filter(domain="shop.settled-shop.example").exists()
        with tenant_context(created.shop):
            assert sorted(AuditEntry.objects.values_list("action", flat=True)) == [
                "domain.add",
                "shop.update",
            ]
    finally:
        context.close()
